package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/bench/loggen"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/store"
)

// BenchmarkAnalyzeDayOfTraffic measures analysis of a stored day of a busy
// site's logs with three outages (bench/loggen's Outage: 9,000 gateway
// errors, their nginx error lines and php-fpm's), against the time its ingest took (the
// issue's bar: analysis adds at most 10% to ingest). The README's numbers:
// LOGCAUSE_BENCH_BYTES=1000000000 go test -run '^$' -bench AnalyzeDayOfTraffic -benchtime 5x ./pipeline
func BenchmarkAnalyzeDayOfTraffic(b *testing.B) {
	dir := b.TempDir()
	outage := loggen.Outage{Access: loggen.Access{Seed: 7, Bytes: benchLogBytes()}, Errors: 9000, Incidents: 3}
	writeOutage(b, dir, outage)
	plan := outage.Plan()
	st, err := store.Open(filepath.Join(b.TempDir(), "store"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	began := time.Now()
	res, err := Load(context.Background(), []string{dir}, st.NewWriter(), Options{Limits: ingest.DefaultLimits})
	if err != nil || len(res.Problems) > 0 {
		b.Fatal(err, res.Problems)
	}
	ingestTime := time.Since(began)
	first, last, _, err := st.Range()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := analyze.Analyze(st, analyze.TimeRange{Start: first, End: last}, analyze.DefaultConfig)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Incidents) != len(plan) {
			b.Fatalf("%d incidents (%v), want the %d outages", len(r.Incidents), r.Incidents, len(plan))
		}
		for i, inc := range r.Incidents {
			if string(inc.RootCause) != plan[i].Cause {
				b.Fatalf("incident %d: %s, want %s", i+1, inc.RootCause, plan[i].Cause)
			}
		}
	}
	perRun := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(ingestTime.Seconds(), "ingest-s")
	b.ReportMetric(100*perRun.Seconds()/ingestTime.Seconds(), "%-of-ingest")
}

// writeOutage writes outage's access, error and php-fpm logs in dir, and
// returns their size in bytes.
func writeOutage(b *testing.B, dir string, outage loggen.Outage) int64 {
	b.Helper()
	var size int64
	var files [3]*os.File
	for i, name := range []string{"access.log", "error.log", "php-fpm.log"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		files[i] = f
	}
	if _, err := outage.Write(files[0], files[1], files[2]); err != nil {
		b.Fatal(err)
	}
	for _, f := range files {
		fi, err := f.Stat()
		if err != nil {
			b.Fatal(err)
		}
		size += fi.Size()
	}
	return size
}

// BenchmarkAnalyzeOutage measures what `logcause analyze DIR` does with an
// outage-heavy day (bench/loggen's Outage at the runner's ratio: 320,000
// gateway errors per GB of access log, in four incidents): load into a
// temporary store, then analysis, every round from scratch. Its profiles
// show where time and memory go (docs/benchmarks.md, the outage row):
// go test -run '^$' -bench AnalyzeOutage -benchtime 3x -cpuprofile cpu.out -memprofile mem.out ./pipeline
// LOGCAUSE_BENCH_BYTES sets the access log's size (default 32 MiB).
func BenchmarkAnalyzeOutage(b *testing.B) {
	dir := b.TempDir()
	bytes := benchLogBytes()
	outage := loggen.Outage{Access: loggen.Access{Seed: 7, Bytes: bytes}, Errors: 320_000 * bytes / 1e9}
	b.SetBytes(writeOutage(b, dir, outage))
	plan := outage.Plan()
	b.ReportAllocs()
	for b.Loop() {
		st, err := store.OpenTemp()
		if err != nil {
			b.Fatal(err)
		}
		r, problems, err := Analyze(context.Background(), []string{dir}, st.NewWriter(), st, Options{Limits: ingest.DefaultLimits}, analyze.DefaultConfig)
		if err != nil || len(problems) > 0 {
			b.Fatal(err, problems)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		if len(r.Incidents) != len(plan) {
			b.Fatalf("%d incidents, want the %d outages", len(r.Incidents), len(plan))
		}
		for i, inc := range r.Incidents {
			if string(inc.RootCause) != plan[i].Cause {
				b.Fatalf("incident %d: %s, want %s", i+1, inc.RootCause, plan[i].Cause)
			}
		}
	}
}

// BenchmarkLoadOutage is the load alone of BenchmarkAnalyzeOutage's logs
// into a temporary store: Lent, as analyze loads them (the store's
// Writer keeps nothing of the events: the workers lend them, parsed into
// their blocks' events, texts and fields); Own, each event allocated for
// a sink that is no keeper. Their difference is what lending saves.
func BenchmarkLoadOutage(b *testing.B) {
	dir := b.TempDir()
	bytes := benchLogBytes()
	outage := loggen.Outage{Access: loggen.Access{Seed: 7, Bytes: bytes}, Errors: 320_000 * bytes / 1e9}
	size := writeOutage(b, dir, outage)
	for _, lend := range []bool{true, false} {
		name := map[bool]string{true: "Lent", false: "Own"}[lend]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			var cpu time.Duration
			for b.Loop() {
				st, err := store.OpenTemp()
				if err != nil {
					b.Fatal(err)
				}
				var sink BatchSink = st.NewWriter()
				if !lend {
					sink = noKeeper{sink}
				}
				before := cpuTime(b)
				res, err := Load(context.Background(), []string{dir}, sink, Options{Limits: ingest.DefaultLimits, Workers: benchWorkers()})
				cpu += cpuTime(b) - before
				if err != nil || len(res.Problems) > 0 {
					b.Fatal(err, res.Problems)
				}
				if err := st.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// noKeeper is a BatchSink that is no keeper: it is handed events of its own.
type noKeeper struct{ BatchSink }
