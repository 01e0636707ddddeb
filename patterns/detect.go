package patterns

import (
	"time"
	"unicode/utf8"
)

// Detect guesses the kind of a log from a sample of its first physical lines
// (each without newline). It returns KindUnknown when no kind matches a clear
// majority of the non-empty sample lines (binary junk, other logs).
//
// A line matches nginx_access when ParseCombined accepts it, and nginx_error
// or fpm_error when it starts a record of that kind that parses. For the two
// multi-line kinds, a line that starts no record of any kind and is printable
// text (valid UTF-8, no control bytes but tab) also matches when it follows a
// matching record start: it is a continuation line. The kind with most
// matching lines wins if they are more than half of the non-empty lines
// (lines of only spaces, tabs or '\r' are empty). Detect allocates nothing
// and its work is linear in the size of the sample.
func Detect(lines [][]byte) Kind {
	var (
		score          [numKinds]int
		nonEmpty       int
		inError, inFPM bool
		acc            combinedSpans
		errSpans       nginxErrorSpans
		fpmRec         fpmSpans
	)
	for _, l := range lines {
		if blank(l) {
			continue
		}
		nonEmpty++
		isAccess := parseCombined(l, &acc) == nil
		startsError := nginxErrorStamp(l)
		startsFPM := fpmStampEnd(l) > 0
		if isAccess {
			score[KindNginxAccess]++
		}
		cont := !isAccess && !startsError && !startsFPM && printable(l)
		if startsError {
			inError = parseNginxError(l, time.UTC, &errSpans) == nil
		} else if !cont {
			inError = false
		}
		if inError {
			score[KindNginxError]++
		}
		if startsFPM {
			inFPM = parseFPM(l, time.UTC, &fpmRec) == nil
		} else if !cont {
			inFPM = false
		}
		if inFPM {
			score[KindFPMError]++
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
