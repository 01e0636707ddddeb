package ingest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// benchFile writes ~8 MB of realistic access-log lines (the demo capture,
// repeated), gzip-compressed when zip is true.
func benchFile(b *testing.B, zip bool) (string, int64) {
	b.Helper()
	demo, err := os.ReadFile("../testdata/demo/access.log")
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat(demo, 8<<20/len(demo))
	p := filepath.Join(b.TempDir(), "access.log")
	out := data
	if zip {
		out = gz(&testing.T{}, data)
	}
	if err := os.WriteFile(p, out, 0o644); err != nil {
		b.Fatal(err)
	}
	return p, int64(len(data))
}

func benchmarkRecords(b *testing.B, zip bool) {
	p, size := benchFile(b, zip)
	every := func([]byte) bool { return true }
	b.SetBytes(size)
	b.ReportAllocs()
	var lines int64
	for b.Loop() {
		r, err := Open(p, DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Records(every, func([]byte, int64) error { return nil }); err != nil {
			b.Fatal(err)
		}
		lines += r.Stats().Records
		r.Close()
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkRecordsPlain(b *testing.B) { benchmarkRecords(b, false) }
func BenchmarkRecordsGzip(b *testing.B)  { benchmarkRecords(b, true) }
