package ingest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/logcause/logcause/patterns"
)

// benchFile writes ~8 MB of realistic access-log lines (the demo capture,
// repeated), compressed by compress if it is not nil.
func benchFile(b *testing.B, compress func(testing.TB, []byte) []byte) (string, int64) {
	b.Helper()
	demo, err := os.ReadFile("../testdata/demo/access.log")
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat(demo, 8<<20/len(demo))
	p := filepath.Join(b.TempDir(), "access.log")
	out := data
	if compress != nil {
		out = compress(b, data)
	}
	if err := os.WriteFile(p, out, 0o644); err != nil {
		b.Fatal(err)
	}
	return p, int64(len(data))
}

// benchmarkRecords reads the records of benchFile and hands each to fn.
func benchmarkRecords(b *testing.B, compress func(testing.TB, []byte) []byte, fn func([]byte, int64) error) {
	p, size := benchFile(b, compress)
	every := func([]byte) bool { return true }
	b.SetBytes(size)
	b.ReportAllocs()
	var lines int64
	for b.Loop() {
		r, err := Open(p, DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Records(every, fn); err != nil {
			b.Fatal(err)
		}
		lines += r.Stats().Records
		r.Close()
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}

func discard([]byte, int64) error { return nil }

func BenchmarkRecordsPlain(b *testing.B) { benchmarkRecords(b, nil, discard) }
func BenchmarkRecordsGzip(b *testing.B)  { benchmarkRecords(b, gz, discard) }
func BenchmarkRecordsZstd(b *testing.B)  { benchmarkRecords(b, zst, discard) }

// The Parsed benchmarks parse each line as batch ingest does: with two
// cores, an archive's decompression overlaps the parsing (compare
// ParsedGzip with ParsedPlain).
func parseAccess() func([]byte, int64) error {
	var a patterns.AccessLine
	return func(rec []byte, _ int64) error {
		patterns.ParseAccess(rec, &a)
		return nil
	}
}

func BenchmarkRecordsParsedPlain(b *testing.B) { benchmarkRecords(b, nil, parseAccess()) }
func BenchmarkRecordsParsedGzip(b *testing.B)  { benchmarkRecords(b, gz, parseAccess()) }
func BenchmarkRecordsParsedZstd(b *testing.B)  { benchmarkRecords(b, zst, parseAccess()) }
