package patterns

import (
	"bytes"
	"strconv"
	"time"
)

// The PHP-FPM slow log (catalog §3.3), one entry per request that ran past
// request_slowlog_timeout, written by the master after it ptraced the
// worker:
//
//	[23-Nov-2026 14:02:10]  [pool www] pid 12345
//	script_filename = /var/www/html/index.php
//	[0x00007f2d286c2790] curl_exec() /var/www/html/lib/http.php:42
//	[0x00007f2d286c2420] fetch() /var/www/html/index.php:7
//
// php-fpm writes an empty line before each entry (ingest drops it) and two
// spaces between the stamp and "[pool" (the stamp helper ends with "] ");
// with log_level = debug the stamp has microseconds. The stamp is local time
// without a zone. Frames are innermost first, at most
// request_slowlog_trace_depth of them (20 by default); the function of a
// frame is a name as PHP knows it (`curl_exec`, `{closure}`, a method —
// php 8.2 writes `query`, not `Db->query` — `[INCLUDE_OR_EVAL]` for an
// include, require or eval, `???` when unknown); its place is `FILE:LINE`,
// `unknown:0` when there is none, and a file can hold spaces and colons
// (`/x/eval.php(4) : eval()'d code:1`), so the line number is the digits
// after the last colon. A read error of ptrace ends the entry with
// `+++ dump failed`, after the header, the script or some frames.
//
// A record is one entry: the header line and every line up to the next
// header. Each line after the header must be `script_filename = …`, a frame,
// `+++ dump failed` or blank; anything else makes the record malformed.

var (
	errFPMSlowHeader = malformed(KindFPMSlow, `no "[DD-Mon-YYYY HH:MM:SS]  [pool NAME] pid N" header`)
	errFPMSlowTime   = malformed(KindFPMSlow, "bad time")
	errFPMSlowPID    = malformed(KindFPMSlow, "bad pid in header")
	errFPMSlowFrame  = malformed(KindFPMSlow, `bad frame line: want "[0xADDRESS] FUNCTION() FILE:LINE"`)
	errFPMSlowLine   = malformed(KindFPMSlow, `line is none of "script_filename = …", a [0x…] frame, "+++ dump failed"`)
)

var (
	fpmSlowPool       = []byte(" [pool ")
	fpmSlowPID        = []byte("] pid ")
	fpmSlowScript     = []byte("script_filename = ")
	fpmSlowDumpFailed = []byte("+++ dump failed")
	fpmSlowCall       = []byte("() ")
)

// fpmSlowSpans is a parsed slow-log entry as byte ranges of it; the frames
// are counted here, kept by the caller.
type fpmSlowSpans struct {
	time       time.Time
	pool       span
	pid        int
	script     span
	body       int // index of the first line after the header
	frames     int
	dumpFailed bool
}

// fpmSlowFrame is one frame line as byte ranges of the record.
type fpmSlowFrame struct {
	function, file span
	line           int
}

// fpmSlowHeaderEnd returns the index just after "] pid " when line starts
// with a slow-log header `[stamp]  [pool NAME] pid `, with the pool name's
// span, or -1. It checks the shape of the stamp only.
func fpmSlowHeaderEnd(line []byte) (end int, pool span) {
	p := fpmStampEnd(line)
	if p < 0 || !bytes.HasPrefix(line[p:], fpmSlowPool) {
		return -1, span{}
	}
	n0 := p + len(fpmSlowPool)
	e := bytes.Index(line[n0:min(len(line), n0+256+len(fpmSlowPID))], fpmSlowPID)
	if e < 0 {
		return -1, span{}
	}
	return n0 + e + len(fpmSlowPID), span{n0, n0 + e}
}

// fpmSlowStarts reports whether line begins a slow-log entry.
func fpmSlowStarts(line []byte) bool {
	e, _ := fpmSlowHeaderEnd(line)
	return e > 0
}

// fpmSlowStampTime decodes the stamp fpmStampEnd accepted at the start of b.
func fpmSlowStampTime(b []byte, loc *time.Location) (time.Time, bool) {
	d, _ := num2(b, 1)
	m := monthAbbr(b, 4)
	y, _ := num4(b, 8)
	hh, _ := num2(b, 13)
	mm, _ := num2(b, 16)
	ss, _ := num2(b, 19)
	if !validDateTime(y, m, d, hh, mm, ss) {
		return time.Time{}, false
	}
	nsec := 0
	if b[21] == '.' { // 1 to 9 digits, as fpmStampEnd checked
		digits := 0
		for i := 22; b[i] != ']'; i++ {
			nsec = nsec*10 + int(b[i]-'0')
			digits++
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	return time.Date(y, m, d, hh, mm, ss, nsec, loc).UTC(), true
}

// parseFPMSlowFrame parses the frame line rec[i:j] (from "[0x" on).
func parseFPMSlowFrame(rec []byte, i, j int, f *fpmSlowFrame) bool {
	l := rec[i:j]
	// [0xADDRESS]: 8 hex digits on 32-bit builds, 16 on 64-bit.
	k := 3
	for k < len(l) && k < 3+16 && (isDigit(l[k]) || l[k]|0x20-'a' < 6) {
		k++
	}
	if k == 3 || k+1 >= len(l) || l[k] != ']' || l[k+1] != ' ' {
		return false
	}
	f0 := k + 2
	c := bytes.Index(l[f0:], fpmSlowCall)
	if c < 0 {
		return false
	}
	p0 := f0 + c + len(fpmSlowCall)
	colon := bytes.LastIndexByte(l[p0:], ':')
	if colon < 0 {
		return false
	}
	colon += p0
	v, e := parseDecimal(l, colon+1, 10)
	if e != len(l) || e == colon+1 || v > 1<<32-1 || colon == p0 {
		return false
	}
	f.function = span{i + f0, i + f0 + c}
	f.file = span{i + p0, i + colon}
	f.line = int(v)
	return true
}

// fpmSlowNextLine returns the end of the line starting at rec[i:] (the
// index of its '\n' or len(rec)) and the end without a trailing '\r'.
func fpmSlowNextLine(rec []byte, i int) (end, trimmed int) {
	end = len(rec)
	if x := bytes.IndexByte(rec[i:], '\n'); x >= 0 {
		end = i + x
	}
	trimmed = end
	if trimmed > i && rec[trimmed-1] == '\r' {
		trimmed--
	}
	return end, trimmed
}

// parseFPMSlow checks rec and fills s; it counts the frames and keeps the
// first len(frames) of them in frames.
func parseFPMSlow(rec []byte, loc *time.Location, s *fpmSlowSpans, frames []fpmSlowFrame) error {
	end, line := fpmSlowNextLine(rec, 0)
	h, pool := fpmSlowHeaderEnd(rec[:line])
	if h < 0 {
		return errFPMSlowHeader
	}
	pid, e := parseDecimal(rec, h, 10)
	if e != line || e == h || int64(int(pid)) != pid {
		return errFPMSlowPID
	}
	t, ok := fpmSlowStampTime(rec, loc)
	if !ok {
		return errFPMSlowTime
	}
	*s = fpmSlowSpans{time: t, pool: pool, pid: int(pid), body: end + 1}
	n := 0
	for i := end + 1; i < len(rec); i = end + 1 {
		end, line = fpmSlowNextLine(rec, i)
		l := rec[i:line]
		switch {
		case blank(l):
		case bytes.HasPrefix(l, fpmSlowScript):
			s.script = span{i + len(fpmSlowScript), line}
		case bytes.HasPrefix(l, fpmSlowDumpFailed) && blank(l[len(fpmSlowDumpFailed):]):
			s.dumpFailed = true
		case len(l) > 3 && l[0] == '[' && l[1] == '0' && l[2] == 'x':
			var f fpmSlowFrame
			if !parseFPMSlowFrame(rec, i, line, &f) {
				return errFPMSlowFrame
			}
			if n < len(frames) {
				frames[n] = f
			}
			n++
		default:
			return errFPMSlowLine
		}
	}
	s.frames = n
	return nil
}

// fpmSlowAllFrames collects the frames of the body of a record that
// parseFPMSlow accepted, from rec[body:].
func fpmSlowAllFrames(rec []byte, body int, frames []fpmSlowFrame) {
	n := 0
	for i := body; i < len(rec) && n < len(frames); {
		end, line := fpmSlowNextLine(rec, i)
		if line-i > 3 && rec[i] == '[' && rec[i+1] == '0' && rec[i+2] == 'x' {
			parseFPMSlowFrame(rec, i, line, &frames[n])
			n++
		}
		i = end + 1
	}
}

// fpmSlowParser is the Parser for KindFPMSlow.
type fpmSlowParser struct {
	loc *time.Location
}

var _ Parser = fpmSlowParser{}

// fpmSlowKept is how many frames a parse keeps without a second pass:
// php-fpm's default depth is 20.
const fpmSlowKept = 24

func (p fpmSlowParser) Parse(rec []byte, ev *Event) error {
	var (
		s    fpmSlowSpans
		kept [fpmSlowKept]fpmSlowFrame
	)
	if err := parseFPMSlow(rec, p.loc, &s, kept[:]); err != nil {
		return err
	}
	spans := kept[:min(s.frames, fpmSlowKept)]
	if s.frames > fpmSlowKept {
		spans = make([]fpmSlowFrame, s.frames)
		fpmSlowAllFrames(rec, s.body, spans)
	}
	text := string(rec)
	x := &FPMSlow{
		Pool:       s.pool.str(text),
		PID:        s.pid,
		Script:     s.script.str(text),
		DumpFailed: s.dumpFailed,
	}
	if len(spans) > 0 {
		x.Frames = make([]Frame, len(spans))
		for i, f := range spans {
			x.Frames[i] = Frame{Function: f.function.str(text), File: f.file.str(text), Line: f.line}
		}
	}
	*ev = Event{
		Time:    s.time,
		Kind:    KindFPMSlow,
		Path:    ev.Path,
		Offset:  ev.Offset,
		Text:    text,
		FPMSlow: x,
	}
	return nil
}

func appendFPMSlowFields(dst []byte, e *Event) []byte {
	x := e.FPMSlow
	if x == nil {
		return dst
	}
	dst = appendStringField(dst, "pool", x.Pool)
	dst = appendIntField(dst, "pid", int64(x.PID))
	dst = appendStringField(dst, "script", x.Script)
	dst = append(dst, `,"frames":[`...)
	for i, f := range x.Frames {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"function":`...)
		dst = appendJSONString(dst, f.Function)
		dst = append(dst, `,"file":`...)
		dst = appendJSONString(dst, f.File)
		dst = append(dst, `,"line":`...)
		dst = strconv.AppendInt(dst, int64(f.Line), 10)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	if x.DumpFailed {
		dst = append(dst, `,"dump_failed":true`...)
	}
	return dst
}

func init() {
	register(KindFPMSlow, format{
		newParser: func(loc *time.Location, _ time.Time) Parser { return fpmSlowParser{loc: loc} },
		starts:    fpmSlowStarts,
		matches: func(l []byte) bool {
			var s fpmSlowSpans
			return fpmSlowStarts(l) && parseFPMSlow(l, time.UTC, &s, nil) == nil
		},
		appendFields: appendFPMSlowFields,
	})
}
