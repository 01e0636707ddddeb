package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime/trace"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/bench/loggen"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/store"
)

// benchLogBytes is the size of the generated access log; set
// LOGCAUSE_BENCH_BYTES=1000000000 for the 1 GB measurement of the README.
func benchLogBytes() int64 {
	if v, err := strconv.ParseInt(os.Getenv("LOGCAUSE_BENCH_BYTES"), 10, 64); err == nil && v > 0 {
		return v
	}
	return 32 << 20
}

// benchWorkers is the Options.Workers of the ingest benchmarks:
// LOGCAUSE_BENCH_WORKERS=1 measures the load line by line; default 0
// (GOMAXPROCS).
func benchWorkers() int {
	n, _ := strconv.Atoi(os.Getenv("LOGCAUSE_BENCH_WORKERS"))
	return n
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeDayOfTraffic writes about size bytes of a busy site's access log
// spread over one day (bench/loggen: real browsers' user agents, a few
// hundred paths, thousands of clients, 0.3% 5xx) and returns its lines.
func writeDayOfTraffic(tb testing.TB, path string, size int64) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st, err := loggen.Access{Seed: 7, Bytes: size}.Write(f)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Lines
}

// BenchmarkIngestDayOfTraffic measures batch ingest (read + parse + store)
// of a generated day of a busy site's access log, and the store's size per
// line. The README's numbers: LOGCAUSE_BENCH_BYTES=1000000000
// go test -run '^$' -bench IngestDayOfTraffic -benchtime 1x ./pipeline
func BenchmarkIngestDayOfTraffic(b *testing.B) { benchmarkIngestDay(b, false) }

// BenchmarkIngestDayOfTrafficGzip is the same log gzipped, as rotation
// leaves it; SetBytes counts the uncompressed bytes, for comparison.
func BenchmarkIngestDayOfTrafficGzip(b *testing.B) { benchmarkIngestDay(b, true) }

func benchmarkIngestDay(b *testing.B, zip bool) {
	p := filepath.Join(b.TempDir(), "access.log")
	lines := writeDayOfTraffic(b, p, benchLogBytes())
	fi, _ := os.Stat(p)
	b.SetBytes(fi.Size())
	if zip {
		gzipFile(b, p)
	}
	b.ReportAllocs()
	var (
		storeBytes int64
		cpu        time.Duration
	)
	for b.Loop() {
		before := cpuTime(b)
		st, err := store.Open(filepath.Join(b.TempDir(), "store"))
		if err != nil {
			b.Fatal(err)
		}
		var res Result
		// The region marks the measured load in a -trace of the benchmark.
		trace.WithRegion(context.Background(), "load", func() {
			res, err = Load(context.Background(), []string{filepath.Dir(p)}, st.NewWriter(), Options{Limits: ingest.DefaultLimits, Workers: benchWorkers()})
		})
		cpu += cpuTime(b) - before
		if err != nil || len(res.Problems) > 0 || res.Records != lines {
			b.Fatal(err, res.Problems, res.Records, lines)
		}
		st.Close()
		st, _ = store.Open(st.Dir()) // reopened: what stays on disk
		storeBytes, _ = st.DiskUsage()
		st.Close()
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(storeBytes)/float64(lines), "store-bytes/line")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(cpu.Seconds()/b.Elapsed().Seconds(), "cpu/wall")
}

// BenchmarkLoadShopLog measures read + parse + store of a real shop's log
// (lnav corpus), repeated to ~16 MB.
func BenchmarkLoadShopLog(b *testing.B) {
	shop, err := os.ReadFile("../testdata/corpus/tstack-lnav/test/logfile_shop_access_log.0")
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat(shop, 16<<20/len(shop))
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
		res, err := Load(context.Background(), []string{p}, st.NewWriter(), Options{Limits: ingest.DefaultLimits})
		if err != nil || len(res.Problems) > 0 {
			b.Fatal(err, res.Problems)
		}
		lines += res.Records
		st.Close()
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}

// gzipFile replaces path by path.gz.
func gzipFile(tb testing.TB, path string) {
	tb.Helper()
	in, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(path + ".gz")
	if err != nil {
		tb.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		tb.Fatal(err)
	}
	zw.Close()
	out.Close()
	os.Remove(path)
}
