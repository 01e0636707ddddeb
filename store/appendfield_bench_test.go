package store

import (
	"testing"

	"github.com/logcause/logcause/patterns"
)

// BenchmarkAppendBlockBodyAccess: a failed request's block body, its
// fields substrings of its text as a load keeps them (AccessOf), the
// encoding the load's apply goroutine does for each of an outage's kept
// access lines.
func BenchmarkAppendBlockBodyAccess(b *testing.B) {
	rec := []byte(`203.0.113.9 - - [07/Dec/2026:10:00:00 +0000] "GET /checkout/cart?id=1234 HTTP/1.1" 502 157 "https://shop.example/cart" "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0"`)
	var line patterns.AccessLine
	if err := patterns.ParseAccess(rec, &line); err != nil {
		b.Fatal(err)
	}
	text := string(rec)
	ev := &patterns.Event{Kind: patterns.KindNginxAccess, Text: text, Access: line.AccessOf(rec, text)}
	buf, err := appendBlockBody(nil, ev)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = appendBlockBody(buf[:0], ev); err != nil {
			b.Fatal(err)
		}
	}
}
