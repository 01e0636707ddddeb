package patterns

import "time"

// Helpers for the fixed-width time stamps of the built-in formats. None of
// them allocates.

func isDigit(c byte) bool { return c-'0' <= 9 }

// num2 returns the two-digit decimal number at b[i:i+2]. The caller ensures
// len(b) >= i+2.
func num2(b []byte, i int) (int, bool) {
	c0, c1 := b[i]-'0', b[i+1]-'0'
	if c0 > 9 || c1 > 9 {
		return 0, false
	}
	return int(c0)*10 + int(c1), true
}

// num4 returns the four-digit decimal number at b[i:i+4].
func num4(b []byte, i int) (int, bool) {
	hi, ok1 := num2(b, i)
	lo, ok2 := num2(b, i+2)
	return hi*100 + lo, ok1 && ok2
}

// monthAbbr returns the month whose English abbreviation ("Jan") is at
// b[i:i+3], or 0.
func monthAbbr(b []byte, i int) time.Month {
	switch uint32(b[i])<<16 | uint32(b[i+1])<<8 | uint32(b[i+2]) {
	case 'J'<<16 | 'a'<<8 | 'n':
		return time.January
	case 'F'<<16 | 'e'<<8 | 'b':
		return time.February
	case 'M'<<16 | 'a'<<8 | 'r':
		return time.March
	case 'A'<<16 | 'p'<<8 | 'r':
		return time.April
	case 'M'<<16 | 'a'<<8 | 'y':
		return time.May
	case 'J'<<16 | 'u'<<8 | 'n':
		return time.June
	case 'J'<<16 | 'u'<<8 | 'l':
		return time.July
	case 'A'<<16 | 'u'<<8 | 'g':
		return time.August
	case 'S'<<16 | 'e'<<8 | 'p':
		return time.September
	case 'O'<<16 | 'c'<<8 | 't':
		return time.October
	case 'N'<<16 | 'o'<<8 | 'v':
		return time.November
	case 'D'<<16 | 'e'<<8 | 'c':
		return time.December
	}
	return 0
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// validDateTime reports whether the fields name a real calendar date and a
// time of day. Seconds stop at 59: the programs whose stamps are read here
// format time from the kernel clock, which repeats a second instead of
// showing a leap second.
func validDateTime(y int, m time.Month, d, hh, mm, ss int) bool {
	if m < time.January || m > time.December || d < 1 || hh > 23 || mm > 59 || ss > 59 {
		return false
	}
	var days = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	n := days[m]
	if m == time.February && isLeap(y) {
		n = 29
	}
	return d <= n
}

// daysSinceEpoch returns the number of days from 1970-01-01 to the given
// proleptic Gregorian date (negative before it). It counts whole 400-year
// cycles of 146097 days from 0000-03-01 and places the date in its cycle, the
// year taken to start in March so that the leap day comes last.
func daysSinceEpoch(y int, m time.Month, d int) int64 {
	yy := int64(y)
	if m <= time.February {
		yy--
	}
	cycle := yy / 400
	if yy < 0 && yy%400 != 0 {
		cycle-- // floor division
	}
	yoc := yy - cycle*400 // year of cycle, 0..399
	mm := int64(m) + 9    // months since March: Mar=0 … Feb=11
	if mm >= 12 {
		mm -= 12
	}
	doy := (153*mm+2)/5 + int64(d) - 1     // day of the March-based year
	doc := yoc*365 + yoc/4 - yoc/100 + doy // day of the cycle
	const daysTo1970 = 719468              // from 0000-03-01 to 1970-01-01
	return cycle*146097 + doc - daysTo1970
}

// nginxErrorStamp reports whether line starts with `YYYY/MM/DD HH:MM:SS [`.
func nginxErrorStamp(b []byte) bool {
	if len(b) < 21 {
		return false
	}
	for i, c := range b[:21] {
		switch i {
		case 4, 7:
			if c != '/' {
				return false
			}
		case 10, 19:
			if c != ' ' {
				return false
			}
		case 13, 16:
			if c != ':' {
				return false
			}
		case 20:
			if c != '[' {
				return false
			}
		default:
			if !isDigit(c) {
				return false
			}
		}
	}
	return true
}

// fpmStampEnd returns the index just after the `] ` that closes a PHP-FPM
// stamp `[DD-Mon-YYYY HH:MM:SS]` or `[DD-Mon-YYYY HH:MM:SS.ffffff]` at the
// start of b, or -1.
func fpmStampEnd(b []byte) int {
	if len(b) < 23 || b[0] != '[' || b[3] != '-' || b[7] != '-' || b[12] != ' ' || b[15] != ':' || b[18] != ':' {
		return -1
	}
	for _, i := range [...]int{1, 2, 8, 9, 10, 11, 13, 14, 16, 17, 19, 20} {
		if !isDigit(b[i]) {
			return -1
		}
	}
	if monthAbbr(b, 4) == 0 {
		return -1
	}
	i := 21
	if b[i] == '.' {
		i++
		for i < len(b) && i < 31 && isDigit(b[i]) {
			i++
		}
		if i == 22 {
			return -1
		}
	}
	if i+1 >= len(b) || b[i] != ']' || b[i+1] != ' ' {
		return -1
	}
	return i + 2
}
