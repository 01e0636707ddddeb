package patterns

import "unicode/utf8"

// Detect guesses the kind of a log from a sample of its first physical lines
// (each without newline). It returns KindUnknown when no kind matches a clear
// majority of the non-empty sample lines (binary junk, other logs).
//
// A line matches a kind when the kind's format accepts it as a record, or
// as the first line of one. For multi-line kinds, a line that starts no
// record of any kind and is printable text (valid UTF-8, no control bytes
// but tab) also matches when it follows a matching record start: it is a
// continuation line. The kind with most matching lines wins if they are more
// than half of the non-empty lines (lines of only spaces, tabs or '\r' are
// empty). Detect allocates nothing and its work is linear in the size of
// the sample.
func Detect(lines [][]byte) Kind {
	var (
		score, in      [numKinds]int
		matched, start [numKinds]bool
		nonEmpty       int
	)
	for _, l := range lines {
		if blank(l) {
			continue
		}
		nonEmpty++
		anyStart := false
		for k := KindUnknown + 1; k < numKinds; k++ {
			f := &formats[k]
			if f.matches == nil {
				continue
			}
			matched[k] = f.matches(l)
			start[k] = f.starts != nil && f.starts(l)
			anyStart = anyStart || matched[k] || start[k]
		}
		cont := !anyStart && printable(l)
		for k := KindUnknown + 1; k < numKinds; k++ {
			f := &formats[k]
			switch {
			case f.matches == nil:
				continue
			case f.starts == nil: // single-line kind
				if matched[k] {
					score[k]++
				}
				continue
			case start[k]:
				in[k] = b2i(matched[k])
			case !cont:
				in[k] = 0
			}
			score[k] += in[k]
		}
	}
	best := KindUnknown
	for k := KindUnknown + 1; k < numKinds; k++ {
		if score[k] > score[best] {
			best = k
		}
	}
	if score[best]*2 <= nonEmpty {
		return KindUnknown
	}
	return best
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// blank reports whether b holds nothing but spaces, tabs and carriage returns.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// printable reports whether b is valid UTF-8 without control bytes other
// than tab (and a trailing '\r').
func printable(b []byte) bool {
	b = stripCR(b)
	for _, c := range b {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(b)
}
