package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/store"
)

// TestReportSender: watch's sender analyzes the window of the store the
// daemon holds and delivers it to the report's recipients; a store with
// nothing to analyze is an error, which the daemon retries.
func TestReportSender(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var delivered []analyze.Result
	send := reportSender(st, "", func(_ context.Context, res analyze.Result, to []string) error {
		if len(to) != 1 || to[0] != "oncall@example.com" {
			t.Errorf("delivered to %v", to)
		}
		delivered = append(delivered, res)
		return nil
	})
	job := config.Report{Name: "nightly", Schedule: "0 7 * * *", Email: []string{"oncall@example.com"}, Since: "24h"}
	until := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	if err := send(context.Background(), job, until.Add(-24*time.Hour), until); err == nil || !strings.Contains(err.Error(), "cannot analyze the report's window") {
		t.Errorf("an empty store: %v", err)
	}
	w := st.NewWriter()
	for i := range 10 {
		w.Request(until.Add(-time.Hour+time.Duration(i)*time.Second), 502, []byte("127.0.0.1:9000"))
	}
	if err := w.Commit(nil); err != nil {
		t.Fatal(err)
	}
	if err := send(context.Background(), job, until.Add(-24*time.Hour), until); err != nil {
		t.Fatalf("a store with requests in the window: %v", err)
	}
	if len(delivered) != 1 || delivered[0].Totals.Requests != 10 || len(delivered[0].Incidents) != 1 {
		t.Errorf("delivered %d analyses: %+v", len(delivered), delivered)
	}
}
