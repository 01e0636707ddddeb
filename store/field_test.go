package store

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/logcause/logcause/patterns"
)

// TestFieldReadsWhatAppendFieldWrote round-trips references of one- to
// three-byte offsets and lengths (fields reads some of them without
// field's calls), empty fields and copies, and checks a reference past
// the text is corrupt: each alone, by field and by fields, and all of them
// one after the other by one call of fields.
func TestFieldReadsWhatAppendFieldWrote(t *testing.T) {
	var text strings.Builder
	for i := range 20000 {
		text.WriteByte(byte('a' + i*7%26))
	}
	line := text.String()
	var (
		all  []byte    // every field below, one after the other
		want []string  // and what they are
		into []*string // where fields reads them
	)
	for _, at := range []int{0, 1, 126, 127, 128, 200, 16382, 16383, 16384, 19000} {
		for _, n := range []int{0, 1, 127, 128, 300} {
			if at+n > len(line) {
				continue
			}
			s := line[at : at+n]
			b, _ := appendField(nil, s, line, at)
			all, want, into = append(all, b...), append(want, s), append(into, new(string))
			b = append(b, 0xee) // what follows the field
			d := &fieldReader{v: b}
			if got := d.field(line, true); got != s || d.err != nil {
				t.Fatalf("at %d, %d bytes: got %d bytes %q…, err %v", at, n, len(got), got[:min(len(got), 10)], d.err)
			}
			if len(d.v) != 1 || d.v[0] != 0xee {
				t.Fatalf("at %d, %d bytes: %d bytes left after the field, want the 1 that follows it", at, n, len(d.v))
			}
			var got string
			d = &fieldReader{v: b}
			if d.fields(line, true, &got); got != s || d.err != nil {
				t.Fatalf("fields, at %d, %d bytes: got %d bytes %q…, err %v", at, n, len(got), got[:min(len(got), 10)], d.err)
			}
			if len(d.v) != 1 || d.v[0] != 0xee {
				t.Fatalf("fields, at %d, %d bytes: %d bytes left after the field, want the 1 that follows it", at, n, len(d.v))
			}
		}
	}
	copied := appendString(append(all, 0), "not in the text") // a copy amid the references
	b, _ := appendField(copied, line[130:140], line, 0)
	d := &fieldReader{v: append(b, 0xee)}
	var cp, last string
	d.fields(line, true, append(into, &cp, &last)...)
	for i, p := range into {
		if *p != want[i] {
			t.Fatalf("fields, field %d of %d: got %d bytes, want %d", i, len(into), len(*p), len(want[i]))
		}
	}
	if cp != "not in the text" || last != line[130:140] || d.err != nil || len(d.v) != 1 {
		t.Fatalf("fields, the copy and the field after it: got %q, %q, err %v, %d bytes left, want 1", cp, last, d.err, len(d.v))
	}
	b, _ = appendField(nil, "not in the text", line[:300], 0)
	d = &fieldReader{v: b}
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
		var got string
		d = &fieldReader{v: b}
		if d.fields(line[:at+10], true, &got); got != "" || d.err == nil {
			t.Fatalf("fields, a reference at %d past a text of %d bytes: got %q, err %v, want corrupt", at, at+10, got, d.err)
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

// TestUvarintReadsWhatAppendUvarintWrote round-trips uvarints of one to
// ten bytes (uvarint reads those of one and two without a call), one
// after the other, and checks a cut one is corrupt.
func TestUvarintReadsWhatAppendUvarintWrote(t *testing.T) {
	xs := []uint64{0, 1, 0x7f, 0x80, 0xff, 1004, 0x3fff, 0x4000, 0x1fffff, 1 << 40, 1<<64 - 1}
	var b []byte
	for _, x := range xs {
		b = binary.AppendUvarint(b, x)
	}
	d := &fieldReader{v: b}
	for _, x := range xs {
		if got := d.uvarint(); got != x || d.err != nil {
			t.Fatalf("got %d, err %v, want %d", got, d.err, x)
		}
	}
	if len(d.v) != 0 {
		t.Fatalf("%d bytes left, want none", len(d.v))
	}
	for _, cut := range [][]byte{{0x80}, {0xff, 0xff}, {}} {
		d := &fieldReader{v: cut}
		if d.uvarint(); d.err == nil {
			t.Fatalf("% x: read, want corrupt", cut)
		}
	}
	// bytes reads a length of two bytes, then as many.
	long := strings.Repeat("x", 300)
	d = &fieldReader{v: append(appendString(nil, long), 0xee)}
	if got := string(d.bytes()); got != long || d.err != nil || len(d.v) != 1 {
		t.Fatalf("bytes: got %d bytes, err %v, %d left, want 300 and 1 left", len(got), d.err, len(d.v))
	}
	d = &fieldReader{v: appendString(nil, long)[:200]}
	if d.bytes(); d.err == nil {
		t.Fatal("bytes of a cut string: read, want corrupt")
	}
}
