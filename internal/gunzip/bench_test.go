package gunzip_test

import (
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/logcause/logcause/bench/loggen"
	"github.com/logcause/logcause/internal/gunzip"
)

// accessGz returns 16 MB of generated access-log lines, and their gzip at
// compress/gzip's default level (as bench/run compresses access.log).
func accessGz(b *testing.B) (plain, gz []byte) {
	b.Helper()
	var p bytes.Buffer
	if _, err := (loggen.Access{Seed: 1, Bytes: 16 << 20}).Write(&p); err != nil {
		b.Fatal(err)
	}
	var z bytes.Buffer
	w := stdgzip.NewWriter(&z)
	w.Write(p.Bytes())
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return p.Bytes(), z.Bytes()
}

// BenchmarkInflate reads the gzip of access-log lines 64 KiB at a time,
// as ingest's read-ahead does, with each decoder.
func BenchmarkInflate(b *testing.B) {
	plain, gz := accessGz(b)
	decoders := []struct {
		name string
		open func(io.Reader) (io.Reader, error)
	}{
		{"gunzip", func(r io.Reader) (io.Reader, error) { return gunzip.NewReader(r) }},
		{"klauspost", func(r io.Reader) (io.Reader, error) { return kgzip.NewReader(r) }},
		{"stdlib", func(r io.Reader) (io.Reader, error) { return stdgzip.NewReader(r) }},
	}
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			buf := make([]byte, 64<<10)
			for b.Loop() {
				r, err := d.open(bytes.NewReader(gz))
				if err != nil {
					b.Fatal(err)
				}
				var n int
				for {
					m, err := r.Read(buf)
					n += m
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				if n != len(plain) {
					b.Fatalf("%d bytes, want %d", n, len(plain))
				}
			}
		})
	}
}
