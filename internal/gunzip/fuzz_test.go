package gunzip_test

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"testing"
)

// FuzzGunzip: whatever the bytes, our Reader decodes them as compress/gzip
// does (the same bytes, an error when it errs), and never panics nor
// hangs. The seeds are gzip streams of every kind of block, in testdata
// and below.
func FuzzGunzip(f *testing.F) {
	for _, plain := range [][]byte{nil, []byte("a"), []byte("abcabcabcabcabc\n"), bytes.Repeat([]byte("GET /a HTTP/1.1\" 200 512\n"), 40)} {
		for _, level := range []int{0, 1, 6, 9, -2} {
			var b bytes.Buffer
			w, _ := stdgzip.NewWriterLevel(&b, level)
			w.Write(plain)
			w.Close()
			f.Add(b.Bytes(), uint16(0))
			f.Add(b.Bytes(), uint16(1))
		}
	}
	// Codes of every length, pairs of literals of every length, the
	// longest length and distance: streams no compressor here writes.
	for _, stream := range []func() ([]byte, []byte){everyPairing, longest} {
		gz, _ := stream()
		f.Add(gz, uint16(0))
		f.Add(gz, uint16(2))
	}
	f.Fuzz(func(t *testing.T, gz []byte, chunk uint16) {
		want, wantErr := stdlib(gz)
		got, err := ours(gz, int(chunk%5000)+1, []int{13, 4001, 64 << 10}[chunk%3])
		if wantErr == nil && err == nil {
			if !bytes.Equal(got, want) {
				t.Fatalf("%d bytes, compress/gzip %d", len(got), len(want))
			}
			return
		}
		if errors.Is(wantErr, stdgzip.ErrHeader) && err == nil && longField(gz) {
			return // compress/gzip refuses a name or comment of 512 bytes or more; we do not
		}
		if (wantErr == nil) != (err == nil) {
			t.Fatalf("error %v, compress/gzip's %v", err, wantErr)
		}
		n := min(len(got), len(want))
		if !bytes.Equal(got[:n], want[:n]) {
			t.Fatalf("the bytes before the error differ from compress/gzip's")
		}
	})
}

// longField says whether b holds 511 bytes in a row none of which is zero:
// a name or a comment compress/gzip refuses.
func longField(b []byte) bool {
	run := 0
	for _, c := range b {
		if c == 0 {
			run = 0
			continue
		}
		if run++; run >= 511 {
			return true
		}
	}
	return false
}
