package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/trace"
	"strconv"
	"testing"
	"time"

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

// writeDayOfTraffic writes about size bytes of a busy site's access log
// spread over one day: real browsers' user agents, a few hundred paths and
// thousands of clients, 0.5% 5xx.
func writeDayOfTraffic(tb testing.TB, path string, size int64) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(7, 11))
	agents := []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"curl/7.88.1",
	}
	start := time.Date(2026, 11, 23, 0, 0, 0, 0, time.FixedZone("", 3600))
	lines := int64(0)
	var written int64
	per := size / 190 // lines of ~190 bytes
	for written < size {
		t := start.Add(time.Duration(lines*86400/per) * time.Second) // lines*int64(24*time.Hour) would overflow past ~100k lines
		status := 200
		switch r := rng.IntN(1000); {
		case r < 5:
			status = []int{502, 504, 500}[rng.IntN(3)]
		case r < 40:
			status = 404
		case r < 90:
			status = 304
		}
		n, _ := fmt.Fprintf(w, "10.%d.%d.%d - - [%s] \"GET /product.php?id=%d HTTP/1.1\" %d %d \"https://shop.example.com/\" \"%s\"\n",
			rng.IntN(4), rng.IntN(256), rng.IntN(256), t.Format("02/Jan/2006:15:04:05 -0700"), rng.IntN(500), status, 200+rng.IntN(30000), agents[rng.IntN(len(agents))])
		written += int64(n)
		lines++
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return lines
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
	var storeBytes int64
	for b.Loop() {
		st, err := store.Open(filepath.Join(b.TempDir(), "store"))
		if err != nil {
			b.Fatal(err)
		}
		var res Result
		// The region marks the measured load in a -trace of the benchmark.
		trace.WithRegion(context.Background(), "load", func() {
			res, err = Load(context.Background(), []string{filepath.Dir(p)}, st.NewWriter(), Options{Limits: ingest.DefaultLimits})
		})
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
