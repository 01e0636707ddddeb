package patterns

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// The PHP-FPM error log (catalog §3.1):
//
//	[23-Nov-2026 14:02:10] WARNING: [pool www] server reached pm.max_children setting (4), consider raising it
//	[23-Nov-2026 14:02:10] NOTICE: fpm is running, pid 1234
//	[23-Nov-2026 14:02:10.123456] DEBUG: pid 1, fpm_event_loop(), line 1: …
//
// With log_level = debug every line (of any level) carries microseconds and
// the `pid N, FUNC(), line N: ` source location after the level; the location
// is skipped, so Pool, Child and Message read the same at every log level
// (Text keeps it). Pool comes from a leading `[pool NAME] ` (or, in very old
// versions, from `child N (pool NAME)`); Child is the N of a `child N` that
// opens the message after the pool tag, else 0. Message is the text after the
// level (after the location and the pool tag), with any continuation lines.

var (
	errFPMStamp = malformed(KindFPMError, "no [DD-Mon-YYYY HH:MM:SS] stamp")
	errFPMTime  = malformed(KindFPMError, "bad time")
	errFPMLevel = malformed(KindFPMError, `no "LEVEL: " after the stamp`)
)

var (
	prefixPool     = []byte("[pool ")
	prefixOldPool  = []byte("(pool ")
	prefixChild    = []byte("child ")
	prefixDebugPID = []byte("pid ")
	sepDebugLine   = []byte("(), line ")
)

// fpmSpans is a parsed PHP-FPM record as byte ranges of it.
type fpmSpans struct {
	time      time.Time
	level     span
	pool, msg span
	child     int
}

func parseFPM(rec []byte, loc *time.Location, f *fpmSpans) error {
	rec = stripCR(rec)
	p := fpmStampEnd(rec)
	if p < 0 {
		return errFPMStamp
	}
	d, _ := num2(rec, 1)
	m := monthAbbr(rec, 4)
	y, _ := num4(rec, 8)
	hh, _ := num2(rec, 13)
	mm, _ := num2(rec, 16)
	ss, _ := num2(rec, 19)
	if !validDateTime(y, m, d, hh, mm, ss) {
		return errFPMTime
	}
	nsec := 0
	if rec[21] == '.' { // 1 to 9 digits, as fpmStampEnd checked
		digits := 0
		for i := 22; rec[i] != ']'; i++ {
			nsec = nsec*10 + int(rec[i]-'0')
			digits++
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	f.time = time.Date(y, m, d, hh, mm, ss, nsec, loc).UTC()

	// LEVEL:
	i := p
	for i < len(rec) && i < p+16 && rec[i]-'A' < 26 {
		i++
	}
	if i == p || i >= len(rec) || rec[i] != ':' {
		return errFPMLevel
	}
	f.level = span{p, i}
	i++
	if i < len(rec) && rec[i] == ' ' {
		i++
	}

	i = skipDebugLocation(rec, i)

	f.pool, f.child = span{i, i}, 0
	if bytes.HasPrefix(rec[i:], prefixPool) {
		p0 := i + len(prefixPool)
		if e := bytes.IndexByte(rec[p0:min(len(rec), p0+256)], ']'); e >= 0 {
			f.pool = span{p0, p0 + e}
			i = p0 + e + 1
			if i < len(rec) && rec[i] == ' ' {
				i++
			}
		}
	}
	f.msg = span{i, len(rec)}

	if bytes.HasPrefix(rec[i:], prefixChild) {
		c0 := i + len(prefixChild)
		v, e := parseDecimal(rec, c0, 10)
		if e > c0 && (e == len(rec) || rec[e] == ' ' || rec[e] == ',') && int64(int(v)) == v {
			f.child = int(v)
			// very old: "child 1234 (pool www) said into stderr: …"
			if f.pool.i == f.pool.j && e+1 < len(rec) && bytes.HasPrefix(rec[e+1:], prefixOldPool) {
				p0 := e + 1 + len(prefixOldPool)
				if x := bytes.IndexByte(rec[p0:min(len(rec), p0+256)], ')'); x >= 0 {
					f.pool = span{p0, p0 + x}
				}
			}
		}
	}
	return nil
}

// skipDebugLocation returns the index after a `pid N, FUNC(), line N: `
// source location at rec[i:], or i when there is none.
func skipDebugLocation(rec []byte, i int) int {
	if !bytes.HasPrefix(rec[i:], prefixDebugPID) {
		return i
	}
	_, j := parseDecimal(rec, i+len(prefixDebugPID), 10)
	if j <= i+len(prefixDebugPID) || j+1 >= len(rec) || rec[j] != ',' || rec[j+1] != ' ' {
		return i
	}
	w := rec[j+2 : min(len(rec), j+2+128)]
	x := bytes.Index(w, sepDebugLine)
	if x < 0 || bytes.IndexByte(w[:x], ' ') >= 0 {
		return i
	}
	k0 := j + 2 + x + len(sepDebugLine)
	_, k := parseDecimal(rec, k0, 10)
	if k <= k0 || k >= len(rec) || rec[k] != ':' {
		return i
	}
	k++
	if k < len(rec) && rec[k] == ' ' {
		k++
	}
	return k
}

// fpmParser is the Parser for KindFPMError.
type fpmParser struct {
	loc *time.Location
}

var _ Parser = fpmParser{}

func (p fpmParser) Parse(rec []byte, ev *Event) error {
	return p.parse(rec, "", ev, new(FPMError))
}

// ParseInto is Parse into the caller's (ParserInto): ev.Text is text,
// ev.FPM is &into.FPM.
func (p fpmParser) ParseInto(rec []byte, text string, ev *Event, into *FieldSets) error {
	return p.parse(rec, text, ev, &into.FPM)
}

// parse parses rec into ev, its fields into f; its text is text, or a copy
// of rec when text is empty.
func (p fpmParser) parse(rec []byte, text string, ev *Event, f *FPMError) error {
	var s fpmSpans
	if err := parseFPM(rec, p.loc, &s); err != nil {
		return err
	}
	if text == "" {
		text = string(rec)
	}
	*f = FPMError{
		Level:   s.level.str(text),
		Pool:    s.pool.str(text),
		Child:   s.child,
		Message: s.msg.str(text),
	}
	*ev = Event{
		Time:   s.time,
		Kind:   KindFPMError,
		Path:   ev.Path,
		Offset: ev.Offset,
		Text:   text,
		FPM:    f,
	}
	f.fillRequest()
	return nil
}

// fillRequest reads the script, request and duration of the messages about
// one slow request (fpm_request.c):
//
//	child 1234, script '/var/www/x.php' (request: "GET /x.php?a=1") executing too slow (5.012345 sec), logging
//	child 1234, script '/var/www/x.php' (request: "GET /x.php") execution timed out (30.001 sec), terminating
//
// The fields are substrings of Message: nothing is allocated.
func (f *FPMError) fillRequest() {
	m := f.Message
	i := strings.Index(m, ", script '")
	if i < 0 {
		return
	}
	rest := m[i+len(", script '"):]
	j := strings.Index(rest, "' (request: \"")
	if j < 0 {
		return
	}
	script, rest := rest[:j], rest[j+len("' (request: \""):]
	k := strings.LastIndex(rest, "\") ")
	if k < 0 {
		return
	}
	request, rest := rest[:k], rest[k+len("\") "):]
	for _, what := range []string{"executing too slow (", "execution timed out ("} {
		if after, ok := strings.CutPrefix(rest, what); ok {
			if secs, _, ok := strings.Cut(after, " sec)"); ok {
				if d, err := strconv.ParseFloat(secs, 64); err == nil {
					f.Script, f.Request, f.Duration = script, request, d
				}
			}
		}
	}
}

func init() {
	register(KindFPMError, format{
		newParser: func(loc *time.Location, _ time.Time) Parser { return fpmParser{loc: loc} },
		starts:    func(l []byte) bool { return fpmStampEnd(l) > 0 },
		matches: func(l []byte) bool {
			var s fpmSpans
			return fpmStampEnd(l) > 0 && parseFPM(l, time.UTC, &s) == nil
		},
		appendFields: appendFPMFields,
	})
}
