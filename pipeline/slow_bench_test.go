package pipeline

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/store"
)

// BenchmarkAnalyzeSlowLog measures what `logcause analyze` does with a
// MySQL 8 slow log (bench/loggen's Slow, 300 classes): load it into a
// store, then analyze it, digest included. LOGCAUSE_BENCH_QUERIES sets the
// number of queries (default 30,000; the bench/run figure is 300,000):
// LOGCAUSE_BENCH_QUERIES=300000 go test -run '^$' -bench AnalyzeSlowLog -benchtime 1x ./pipeline
func BenchmarkAnalyzeSlowLog(b *testing.B) {
	queries := 30000
	if s := os.Getenv("LOGCAUSE_BENCH_QUERIES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		queries = n
	}
	path := slowLog(b, queries)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var cpu, loading, analyzing time.Duration
	for b.Loop() {
		before, start := cpuTime(b), time.Now()
		st, err := store.OpenTemp() // as `logcause analyze` without --store
		if err != nil {
			b.Fatal(err)
		}
		res, err := Load(context.Background(), []string{path}, st.NewWriter(), Options{Limits: ingest.DefaultLimits})
		if err != nil || len(res.Problems) > 0 {
			b.Fatal(err, res.Problems)
		}
		loaded := time.Now()
		loading += loaded.Sub(start)
		first, last, _, err := st.Range()
		if err != nil {
			b.Fatal(err)
		}
		r, err := analyze.Analyze(st, analyze.TimeRange{Start: first, End: last}, analyze.DefaultConfig)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.SlowQueries) == 0 {
			b.Fatal("no query classes")
		}
		analyzing += time.Since(loaded)
		cpu += cpuTime(b) - before
		st.Close()
	}
	b.ReportMetric(loading.Seconds()/float64(b.N), "load-s/op")
	b.ReportMetric(analyzing.Seconds()/float64(b.N), "analyze-s/op")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(cpu.Seconds()/b.Elapsed().Seconds(), "cpu/wall")
}
