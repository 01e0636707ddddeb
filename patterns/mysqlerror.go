package patterns

import (
	"bytes"
	"time"
)

// The MySQL / MariaDB error log (catalog §4.5). A record starts with one of
// these stamps; the lines after it that start with none (MariaDB's
// `Version: …` after `ready for connections.`, old InnoDB lines without a
// stamp, a crash dump's stack) are its continuation:
//
//	2026-11-23T14:02:10.123456Z 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. …   MySQL 8
//	2026-11-23T14:02:10.123456Z 42 [Note] Aborted connection 42 to db: 'shop' user: 'app' host: 'localhost' (…)   MySQL 5.7
//	2026-11-23T15:02:10.123456+01:00 …                                       log_timestamps = SYSTEM
//	2026-11-23 14:02:10 42 [Warning] Aborted connection 42 to db: …          MariaDB 10.x, MySQL 5.6 (local time)
//	2026-11-23 14:02:10 0x7f2d286c2700  InnoDB: Assertion failure …          a native thread id, no level
//	231123 14:02:10 [Note] …, 231123  8:02:10 [ERROR] …                       MySQL ≤ 5.5, MariaDB 5.x (local time)
//	231123 14:02:10  InnoDB: Started; …, 231123 14:02:10InnoDB: Warning: …   old InnoDB, no level
//	231123 14:02:10  mysqld started, 231123 14:02:10 mysqld_safe …            mysqld_safe
//	14:02:10 UTC - mysqld got signal 11 ;                                     crash, MySQL 5.5–5.7
//	2026-11-23T14:02:10Z UTC - mysqld got signal 11 ;                         crash, MySQL 8
//	231123 14:02:10 - mysqld got signal 6 ;                                   crash, MySQL 5.0/5.1
//
// Stamps with Z or an offset are exact; the others are local time, read in
// the parser's location. A crash line with only `HH:MM:SS UTC` takes the UTC
// date that puts it nearest the last dated record of the file (the parser
// keeps it: one per file, in file order); before any, it is malformed.
//
// Fields: Level is the bracketed label as logged (System, ERROR, Warning,
// Note), empty for lines without one; Code and Subsystem are MySQL 8's
// `[MY-NNNNNN] [Server]`; ThreadID is the connection thread id after the
// stamp (0 when the line has none or a native thread id in hex); Message is
// the text after them, continuation lines included ("- " and "UTC - " before
// a crash message are left out).
//
// Event, from the record's first line:
//
//	start               "… starting as process N …", "Starting MariaDB …", mysqld_safe's "mysqld started" / "mysqld restarted"
//	ready               ": ready for connections" (not the X Plugin's "X Plugin ready for connections")
//	shutdown            ": Shutdown complete" (not InnoDB's "Shutdown completed; log sequence number …")
//	crash               "got signal N"
//	aborted_connection  "Aborted connection …"

var (
	errMyErrStamp   = malformed(KindMySQLError, "no MySQL/MariaDB error-log stamp")
	errMyErrTime    = malformed(KindMySQLError, "bad time")
	errMyErrNoDate  = malformed(KindMySQLError, `crash line "HH:MM:SS UTC - …" has no date and no dated record comes before it`)
	errMyErrMessage = malformed(KindMySQLError, "no message after the stamp")
)

// Forms of MySQL error-log stamps.
const (
	myErrISO   = iota + 1 // YYYY-MM-DDTHH:MM:SS[.f][zone]
	myErrSpace            // YYYY-MM-DD HH:MM:SS[.f]
	myErrOld              // YYMMDD HH:MM:SS or YYMMDD  H:MM:SS
	myErrClock            // HH:MM:SS UTC - (crash)
)

// MySQL error-log events.
const (
	myErrEvNone = iota
	myErrEvStart
	myErrEvReady
	myErrEvShutdown
	myErrEvCrash
	myErrEvAborted
)

var myErrEventNames = [...]string{
	myErrEvNone:     "",
	myErrEvStart:    "start",
	myErrEvReady:    "ready",
	myErrEvShutdown: "shutdown",
	myErrEvCrash:    "crash",
	myErrEvAborted:  "aborted_connection",
}

var (
	myErrUTCDash       = []byte("UTC - ")
	myErrDash          = []byte("- ")
	myErrCode          = []byte("[MY-")
	myErrInnoDB        = []byte("InnoDB: ")
	myErrSafe          = []byte("mysqld_safe ")
	myErrStartingAs    = []byte("starting as process")
	myErrStartingMaria = []byte("Starting MariaDB")
	myErrStarted       = []byte("mysqld started")
	myErrRestarted     = []byte("mysqld restarted")
	myErrReady         = []byte(": ready for connections")
	myErrShutdown      = []byte(": Shutdown complete")
	myErrGotSignal     = []byte("got signal ")
	myErrAborted       = []byte("Aborted connection ")
)

// myErrSpans is a parsed error-log record as byte ranges of it.
type myErrSpans struct {
	st                   syslStamp
	form                 int
	level, code, subsys  span
	msg                  span
	thread               int64
	hasThread, hexThread bool
	event                int
}

// myErrOldStamp reads `YYMMDD HH:MM:SS` or `YYMMDD  H:MM:SS` at the start
// of b; it returns 15, or -1.
func myErrOldStamp(b []byte, st *syslStamp) int {
	if len(b) < 15 || b[6] != ' ' || b[9] != ':' || b[12] != ':' {
		return -1
	}
	yy, ok1 := num2(b, 0)
	mo, ok2 := num2(b, 2)
	d, ok3 := num2(b, 4)
	h1 := b[8] - '0'
	h0 := b[7]
	mm, ok4 := num2(b, 10)
	ss, ok5 := num2(b, 13)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || h1 > 9 || (h0 != ' ' && !isDigit(h0)) {
		return -1
	}
	hh := int(h1)
	if h0 != ' ' {
		hh += 10 * int(h0-'0')
	}
	y := 2000 + yy
	if yy >= 70 {
		y = 1900 + yy
	}
	*st = syslStamp{y: y, mon: time.Month(mo), d: d, hh: hh, mm: mm, ss: ss}
	return 15
}

// myErrStamp reads the stamp at the start of line and returns its form and
// the index after it (after "UTC - " for the clock form), or -1. It checks
// the shape only, and what must follow the stamp.
func myErrStamp(line []byte, st *syslStamp) (form, end int) {
	if len(line) < 14 {
		return 0, -1
	}
	if line[4] == '-' {
		if j := syslISOStamp(line, 0, 'T', st); j > 0 && j < len(line) && line[j] == ' ' {
			return myErrISO, j
		}
		if j := syslISOStamp(line, 0, ' ', st); j > 0 && !st.zoned && !st.fracComa && j < len(line) && line[j] == ' ' {
			return myErrSpace, j
		}
		// MariaDB pads a one-digit hour with a space: "2026-11-24  0:30:12"
		// (seen on MariaDB 10.11, testdata/scenarios/slow-queries).
		if len(line) > 20 && line[10] == ' ' && line[11] == ' ' && isDigit(line[12]) && line[13] == ':' {
			var buf [40]byte
			n := copy(buf[:], line)
			buf[11] = '0'
			if j := syslISOStamp(buf[:n], 0, ' ', st); j > 0 && !st.zoned && !st.fracComa && j < len(line) && line[j] == ' ' {
				return myErrSpace, j
			}
		}
		return 0, -1
	}
	if line[2] == ':' {
		if syslClock(line, 0, st) && line[8] == ' ' && bytes.HasPrefix(line[9:], myErrUTCDash) {
			return myErrClock, 9 + len(myErrUTCDash)
		}
		return 0, -1
	}
	if j := myErrOldStamp(line, st); j > 0 && j < len(line) && (line[j] == ' ' || line[j]|0x20-'a' < 26) {
		return myErrOld, j
	}
	return 0, -1
}

// myErrStarts reports whether line begins an error-log record.
func myErrStarts(line []byte) bool {
	var st syslStamp
	_, e := myErrStamp(line, &st)
	return e > 0
}

// myErrThread reads a thread id token at line[i:] followed by a space: a
// decimal connection id, or a native thread id (0x… or 12 to 16 hex
// digits). It returns the index after the token, or i.
func myErrThread(line []byte, i int, s *myErrSpans) int {
	j := i
	for j < len(line) && j < i+19 && (isDigit(line[j]) || line[j]|0x20-'a' < 6 || line[j] == 'x') {
		j++
	}
	if j == i || j >= len(line) || line[j] != ' ' {
		return i
	}
	tok := line[i:j]
	if v, e := parseDecimal(tok, 0, 18); e == len(tok) {
		s.thread, s.hasThread = v, true
		return j
	}
	hex := tok
	if len(tok) > 2 && tok[0] == '0' && tok[1] == 'x' {
		hex = tok[2:]
	} else if len(tok) < 12 {
		return i
	}
	if len(hex) > 16 || bytes.IndexByte(hex, 'x') >= 0 {
		return i
	}
	s.hasThread, s.hexThread = true, true
	return j
}

// myErrBracket reads `[WORD] ` at line[i:] (WORD of at most limit bytes
// that ok accepts); it returns WORD's span and the index after the space,
// or i, false.
func myErrBracket(line []byte, i, limit int, ok func(c byte) bool) (span, int, bool) {
	if i >= len(line) || line[i] != '[' {
		return span{}, i, false
	}
	j := i + 1
	for j < len(line) && j <= i+limit && ok(line[j]) {
		j++
	}
	if j == i+1 || j >= len(line) || line[j] != ']' {
		return span{}, i, false
	}
	e := j + 1
	if e < len(line) {
		if line[e] != ' ' {
			return span{}, i, false
		}
		e++
	}
	return span{i + 1, j}, e, true
}

func myErrIsLetter(c byte) bool { return c|0x20-'a' < 26 }

func myErrSubsysByte(c byte) bool { return myErrIsLetter(c) || isDigit(c) || c == '_' || c == '-' }

func myErrCodeByte(c byte) bool { return isDigit(c) || c == 'M' || c == 'Y' || c == '-' }

// parseMyErr parses rec's first line into s; the message runs to the end of
// rec.
func parseMyErr(rec []byte, s *myErrSpans) error {
	line := rec
	if nl := bytes.IndexByte(rec, '\n'); nl >= 0 {
		line = rec[:nl]
	}
	line = stripCR(line)
	*s = myErrSpans{}
	form, i := myErrStamp(line, &s.st)
	if i < 0 {
		return errMyErrStamp
	}
	s.form = form
	if form != myErrClock && !s.st.valid() {
		return errMyErrTime
	}
	if form == myErrClock && (s.st.hh > 23 || s.st.mm > 59 || s.st.ss > 59) {
		return errMyErrTime
	}
	switch form {
	case myErrISO, myErrSpace:
		i++ // the space
		if form == myErrISO && bytes.HasPrefix(line[i:], myErrUTCDash) {
			i += len(myErrUTCDash)
			break
		}
		i = myErrThread(line, i, s)
		for i < len(line) && line[i] == ' ' {
			i++
		}
	case myErrOld:
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if bytes.HasPrefix(line[i:], myErrDash) {
			i += len(myErrDash)
		}
	}
	if form != myErrClock {
		var ok bool
		if s.level, i, ok = myErrBracket(line, i, 16, myErrIsLetter); ok && bytes.HasPrefix(line[i:], myErrCode) {
			if s.code, i, ok = myErrBracket(line, i, 16, myErrCodeByte); ok {
				s.subsys, i, _ = myErrBracket(line, i, 32, myErrSubsysByte)
			}
		}
	}
	if i >= len(line) && s.level.i == s.level.j {
		return errMyErrMessage
	}
	s.msg = span{i, len(rec)}
	s.event = myErrEvent(line[i:])
	return nil
}

// myErrEvent classifies the first line of a message.
func myErrEvent(m []byte) int {
	switch {
	case bytes.HasPrefix(m, myErrAborted):
		return myErrEvAborted
	case bytes.Contains(m, myErrGotSignal):
		return myErrEvCrash
	case bytes.Contains(m, myErrStartingAs), bytes.HasPrefix(m, myErrStartingMaria):
		return myErrEvStart
	case bytes.Contains(m, myErrReady):
		return myErrEvReady
	}
	if x := bytes.Index(m, myErrShutdown); x >= 0 {
		if e := x + len(myErrShutdown); e == len(m) || !myErrIsLetter(m[e]) {
			return myErrEvShutdown
		}
	}
	m = bytes.TrimPrefix(m, myErrSafe)
	if bytes.Equal(bytes.TrimRight(m, " "), myErrStarted) || bytes.Equal(bytes.TrimRight(m, " "), myErrRestarted) {
		return myErrEvStart
	}
	return myErrEvNone
}

// myErrMatches reports whether line reads as an error-log record of MySQL
// or MariaDB, not merely as a line behind an ISO stamp: it needs a level,
// a thread id with a level or "InnoDB: ", an old YYMMDD stamp, or a crash
// or mysqld_safe line.
func myErrMatches(line []byte) bool {
	var s myErrSpans
	if !myErrStarts(line) || parseMyErr(line, &s) != nil {
		return false
	}
	m := line[s.msg.i:]
	switch s.form {
	case myErrOld, myErrClock:
		return true
	case myErrSpace:
		return s.hasThread && (s.level.i < s.level.j || bytes.HasPrefix(m, myErrInnoDB))
	}
	return s.level.i < s.level.j || s.event == myErrEvCrash || bytes.HasPrefix(m, myErrSafe) ||
		(s.hasThread && bytes.HasPrefix(m, myErrInnoDB))
}

// mysqlErrorParser is the Parser for KindMySQLError. It keeps the instant of
// the last dated record, for crash lines that have only a time of day.
type mysqlErrorParser struct {
	loc  *time.Location
	last time.Time // zero: no dated record yet
}

var _ Parser = (*mysqlErrorParser)(nil)

func (p *mysqlErrorParser) Parse(rec []byte, ev *Event) error {
	var s myErrSpans
	if err := parseMyErr(rec, &s); err != nil {
		return err
	}
	var t time.Time
	if s.form == myErrClock {
		if p.last.IsZero() {
			return errMyErrNoDate
		}
		// The UTC date among the last record's, the day before and the day
		// after that puts the line nearest the last record.
		y, mo, d := p.last.Date()
		base := time.Date(y, mo, d, s.st.hh, s.st.mm, s.st.ss, 0, time.UTC)
		t = base
		for _, c := range [...]time.Time{base.AddDate(0, 0, -1), base.AddDate(0, 0, 1)} {
			if myErrAbs(c.Sub(p.last)) < myErrAbs(t.Sub(p.last)) {
				t = c
			}
		}
	} else {
		t = s.st.instant(p.loc)
		p.last = t
	}
	text := string(rec)
	*ev = Event{
		Time:   t,
		Kind:   KindMySQLError,
		Path:   ev.Path,
		Offset: ev.Offset,
		Text:   text,
		MySQL: &MySQLError{
			Level:     s.level.str(text),
			Code:      s.code.str(text),
			Subsystem: s.subsys.str(text),
			ThreadID:  s.thread,
			Message:   s.msg.str(text),
			Event:     myErrEventNames[s.event],
		},
	}
	return nil
}

func myErrAbs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func appendMySQLErrorFields(dst []byte, e *Event) []byte {
	x := e.MySQL
	if x == nil {
		return dst
	}
	dst = appendStringField(dst, "level", x.Level)
	dst = appendStringField(dst, "code", x.Code)
	dst = appendStringField(dst, "subsystem", x.Subsystem)
	if x.ThreadID != 0 {
		dst = appendIntField(dst, "thread_id", x.ThreadID)
	}
	dst = appendStringField(dst, "message", x.Message)
	return appendStringField(dst, "event", x.Event)
}

func init() {
	register(KindMySQLError, format{
		newParser:    func(loc *time.Location, _ time.Time) Parser { return &mysqlErrorParser{loc: loc} },
		starts:       myErrStarts,
		matches:      myErrMatches,
		appendFields: appendMySQLErrorFields,
	})
}
