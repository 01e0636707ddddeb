package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/store"
)

// BenchmarkLoadAccessLog measures batch ingest (read + parse + store) of a
// realistic access log: a real shop's log (lnav corpus) repeated to ~16 MB.
func BenchmarkLoadAccessLog(b *testing.B) {
	demo, err := os.ReadFile("../../testdata/corpus/tstack-lnav/test/logfile_shop_access_log.0")
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat(demo, 16<<20/len(demo))
	p := filepath.Join(b.TempDir(), "access.log")
	os.WriteFile(p, data, 0o644)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var lines int64
	for b.Loop() {
		st, err := store.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		res, err := load(context.Background(), []string{p}, st, loadOptions{limits: ingest.DefaultLimits})
		if err != nil || len(res.problems) > 0 {
			b.Fatal(err, res.problems)
		}
		lines += res.records
		st.Close()
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}
