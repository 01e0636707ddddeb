package store

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/logcause/logcause/patterns"
)

// appendFieldBefore is appendField as it was before its one-byte fast
// paths (owrite): what it writes must not change, the decoders read it.
func appendFieldBefore(b []byte, s, text string, from int) ([]byte, int) {
	if s != "" {
		i, ok := patterns.OffsetOf(text, s)
		if !ok {
			if i = strings.Index(text[from:], s); i >= 0 {
				i += from
			} else {
				i = strings.Index(text, s)
			}
		}
		if i >= 0 {
			return binary.AppendUvarint(binary.AppendUvarint(b, uint64(i)+1), uint64(len(s))), i + len(s)
		}
	}
	return appendString(append(b, 0), s), from
}

// checkAppendField compares appendField with appendFieldBefore on each
// field of fields in turn, as appendAccess hands them.
func checkAppendField(t *testing.T, text string, fields []string) {
	t.Helper()
	var got, want []byte
	gf, wf := 0, 0
	for _, s := range fields {
		got, gf = appendField(got, s, text, gf)
		want, wf = appendFieldBefore(want, s, text, wf)
		if !bytes.Equal(got, want) || gf != wf {
			t.Fatalf("text %q, field %q: wrote %x (next from %d), before %x (%d)", text, s, got, gf, want, wf)
		}
	}
}

func TestAppendFieldWritesWhatItDidBefore(t *testing.T) {
	long := strings.Repeat("x", 300) + " GET /a HTTP/1.1 - - " + strings.Repeat("y", 200)
	short := `10.0.0.1 - - [07/Dec/2026:10:00:00 +0000] "GET /a?b=- HTTP/1.1" 502 0 "-" "-"`
	texts := []string{long, short, "", "-", "--", strings.Repeat("é", 90)}
	for _, text := range texts {
		var fields []string
		// Every substring of the text by place (short ones: all; the
		// long text's at a stride), copies of them (found by a search),
		// strings it does not hold, and empty ones.
		step := 1
		if len(text) > 100 {
			step = 37
		}
		for i := 0; i < len(text); i += step {
			for _, n := range []int{1, 2, 5, 127, 128, 129, 200} {
				if i+n <= len(text) {
					fields = append(fields, text[i:i+n], strings.Clone(text[i:i+n]))
				}
			}
		}
		fields = append(fields, "", "-", "not in it", strings.Repeat("z", 130), "", text, strings.Clone(text))
		checkAppendField(t, text, fields)
		// The same in reverse: fields before the search's from.
		for i, j := 0, len(fields)-1; i < j; i, j = i+1, j-1 {
			fields[i], fields[j] = fields[j], fields[i]
		}
		checkAppendField(t, text, fields)
	}
}

// FuzzAppendField: fields at any place of any text, by place or copied,
// write what they did before.
func FuzzAppendField(f *testing.F) {
	f.Add("GET /a HTTP/1.1 - -", uint16(4), uint16(2), false)
	f.Add(strings.Repeat("- ", 100), uint16(150), uint16(2), true)
	f.Add("", uint16(0), uint16(0), false)
	f.Fuzz(func(t *testing.T, text string, at, n uint16, copied bool) {
		i, m := int(at), int(n)
		if i > len(text) {
			i = len(text)
		}
		if m > len(text)-i {
			m = len(text) - i
		}
		s := text[i : i+m]
		if copied {
			s = strings.Clone(s)
		}
		checkAppendField(t, text, []string{s, "-", s, "", text[i:], strings.Clone(text[:i])})
	})
}
