package printable

import (
	"testing"
	"unicode"
)

func TestString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"web1", "web1"},
		{"web\x1b[31m1", "web[31m1"},         // an escape sequence loses its ESC
		{"fpm_down\x07", "fpm_down"},         // BEL
		{"a\r\nBcc: x", "aBcc: x"},           // CR, LF
		{"tab\there", "tabhere"},             // tab is C0 too
		{"del\x7f", "del"},                   // DEL
		{"c1\u0085\u009b31m", "c131m"},       // NEL, CSI (C1)
		{"é ü \u00a0 日本", "é ü \u00a0 日本"},   // Latin-1 past C1, NBSP, CJK kept
		{"\u2028\u202e", "\u2028\u202e"},     // separators and bidi are not control characters
		{"bad \xff byte", "bad \ufffd byte"}, // invalid UTF-8 as U+FFFD (strings.Map)
	} {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestIsControl: C0, DEL and C1, no other character, as
// unicode.IsControl (api's text used it; config's and fleet's the
// ranges).
func TestIsControl(t *testing.T) {
	for _, c := range []struct {
		r    rune
		want bool
	}{{0, true}, {'\t', true}, {'\n', true}, {0x1f, true}, {' ', false}, {'~', false}, {0x7f, true},
		{0x80, true}, {0x9f, true}, {0xa0, false}, {0x2028, false}, {0xfeff, false}} {
		if got := IsControl(c.r); got != c.want {
			t.Errorf("IsControl(%U) = %t, want %t", c.r, got, c.want)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if IsControl(r) != unicode.IsControl(r) {
			t.Fatalf("IsControl(%U) = %t, unicode.IsControl %t", r, IsControl(r), unicode.IsControl(r))
		}
	}
}
