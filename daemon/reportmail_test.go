package daemon

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
)

// TestAnalyzedSender: watch's sender analyzes the run's window of the
// store the daemon holds and delivers it for the report's job; a store
// that holds nothing yet is a quiet window (an all-clear), not an error
// retried forever.
func TestAnalyzedSender(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	job := config.Report{Name: "nightly", Schedule: "0 7 * * *", Email: []string{"oncall@example.com"}, Since: "24h"}
	var delivered []analyze.Result
	send := AnalyzedSender(st, nil, func(_ context.Context, got config.Report, res analyze.Result) error {
		if got.Name != job.Name {
			t.Errorf("delivered for job %q", got.Name)
		}
		delivered = append(delivered, res)
		return nil
	})
	until := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	if err := send(context.Background(), job, until.Add(-24*time.Hour), until); err != nil {
		t.Fatalf("an empty store: %v", err)
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
	if len(delivered) != 2 {
		t.Fatalf("delivered %d analyses, want 2", len(delivered))
	}
	if quiet := delivered[0]; quiet.Totals.Requests != 0 || len(quiet.Incidents) != 0 {
		t.Errorf("the empty store's analysis: %d requests, %d incidents", quiet.Totals.Requests, len(quiet.Incidents))
	}
	if busy := delivered[1]; busy.Totals.Requests != 10 || len(busy.Incidents) != 1 {
		t.Errorf("the window's analysis: %d requests, %d incidents", busy.Totals.Requests, len(busy.Incidents))
	}
}

// TestSettingsOf: the paths given win over the config's sources, kept as
// written (a glob finds the logs that appear later); the reports and the
// config are the file's.
func TestSettingsOf(t *testing.T) {
	cfg := config.Default()
	cfg.Sources = []config.Source{{Path: "/var/log/nginx"}, {Path: "/var/log/php*-fpm.log"}}
	cfg.Reports = []config.Report{{Name: "nightly"}}
	s := SettingsOf(nil, pipeline.Options{Zone: time.UTC}, cfg, nil, nil, nil)
	if !slices.Equal(s.Watch, []string{"/var/log/nginx", "/var/log/php*-fpm.log"}) || len(s.Reports) != 1 || s.Sender == nil || len(s.Config.Sources) != 2 {
		t.Errorf("from the config: %+v", s)
	}
	if s := SettingsOf([]string{"/srv/logs"}, pipeline.Options{Zone: time.UTC}, cfg, nil, nil, nil); !slices.Equal(s.Watch, []string{"/srv/logs"}) {
		t.Errorf("with paths given: watched %v", s.Watch)
	}
}
