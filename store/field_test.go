package store

import (
	"strings"
	"testing"

	"github.com/logcause/logcause/patterns"
)

// TestFieldReadsWhatAppendFieldWrote round-trips references of one- to
// three-byte offsets and lengths (field reads some of them without the
// calls), empty fields and copies, and checks a reference past the text
// is corrupt.
func TestFieldReadsWhatAppendFieldWrote(t *testing.T) {
	var text strings.Builder
	for i := range 20000 {
		text.WriteByte(byte('a' + i*7%26))
	}
	line := text.String()
	for _, at := range []int{0, 1, 126, 127, 128, 200, 16382, 16383, 16384, 19000} {
		for _, n := range []int{0, 1, 127, 128, 300} {
			if at+n > len(line) {
				continue
			}
			s := line[at : at+n]
			b, _ := appendField(nil, s, line, at)
			b = append(b, 0xee) // what follows the field
			d := &fieldReader{v: b}
			if got := d.field(line, true); got != s || d.err != nil {
				t.Fatalf("at %d, %d bytes: got %d bytes %q…, err %v", at, n, len(got), got[:min(len(got), 10)], d.err)
			}
			if len(d.v) != 1 || d.v[0] != 0xee {
				t.Fatalf("at %d, %d bytes: %d bytes left after the field, want the 1 that follows it", at, n, len(d.v))
			}
		}
	}
	b, _ := appendField(nil, "not in the text", line[:300], 0)
	d := &fieldReader{v: b}
	if got := d.field(line[:300], true); got != "not in the text" || d.err != nil {
		t.Fatalf("a copied field: got %q, err %v", got, d.err)
	}
	// References past the text: one-byte and two-byte offsets.
	for _, at := range []int{100, 250} {
		b, _ := appendField(nil, line[at:at+20], line, at)
		d := &fieldReader{v: b}
		if got := d.field(line[:at+10], true); got != "" || d.err == nil {
			t.Fatalf("a reference at %d past a text of %d bytes: got %q, err %v, want corrupt", at, at+10, got, d.err)
		}
	}
}

// BenchmarkDecodeLent: decoding the events of BenchmarkTempStoreRead's
// streams as an outage's explanation reads them back (lent, bare), without
// the store around it: most of them access lines whose later fields lie
// past their 127th byte.
func BenchmarkDecodeLent(b *testing.B) {
	files, _, size := benchEvents(b)
	vals := encodedEvents(b, files)
	k := make([]byte, eventKeyLen)
	bare := func(*patterns.Event) bool { return true }
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		var (
			path string
			ps   scanPaths
			l    lent
		)
		for _, v := range vals {
			if _, err := decodeLent(k, storedValue{b: v}, bare, &path, &ps, &l); err != nil {
				b.Fatal(err)
			}
		}
	}
}
