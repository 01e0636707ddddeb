// Package numfmt answers how a count is written for people: with a comma
// between groups of three digits, as every report, summary and mail writes it.
package numfmt

import "strconv"

// Thousands writes n with a comma between groups of three digits.
func Thousands(n int64) string {
	var buf [32]byte
	digits := strconv.AppendInt(buf[:0], n, 10)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	out := make([]byte, 0, len(sign)+len(digits)+len(digits)/3)
	out = append(out, sign...)
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, d)
	}
	return string(out)
}

// Int is Thousands of an int.
func Int(n int) string { return Thousands(int64(n)) }
