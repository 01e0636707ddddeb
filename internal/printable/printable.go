// Package printable answers one question: which characters of a string
// from elsewhere (a log line, a host's name, a config value) may reach a
// terminal, a log or a header as they are? Control characters — C0, DEL
// and C1, so every escape sequence and line break — may not.
package printable

import "strings"

// IsControl reports whether r is a control character: C0 (U+0000 to
// U+001F), DEL (U+007F) or C1 (U+0080 to U+009F), as unicode.IsControl.
func IsControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// String is s without its control characters (IsControl).
func String(s string) string {
	return strings.Map(func(r rune) rune {
		if IsControl(r) {
			return -1
		}
		return r
	}, s)
}
