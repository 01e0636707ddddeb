package patterns

import (
	"bytes"
	"time"
)

// The Apache httpd error log (catalog §6), 2.4 and 2.2:
//
//	[Mon Nov 23 14:02:10.123456 2026] [proxy_http:error] [pid 1234:tid 5678] (70007)The timeout specified has expired: [client 1.2.3.4:5678] AH01102: error reading status line from remote server 127.0.0.1:8080
//	[Mon Nov 23 14:02:10 2026] [error] [client 1.2.3.4] proxy: error reading status line from remote server 127.0.0.1
//
// The parts, in the order of 2.4's default ErrorLogFormat; all but the first
// two are optional:
//
//   - the stamp `[Www Mmm dd hh:mm:ss[.ffffff] yyyy]`, local time without a
//     zone (read in the parser's location);
//   - `[module:level]` (2.4; `[:level]` when httpd knows no module) or
//     `[level]` (2.2); the level must be one of httpd's (emerg … debug,
//     trace1 … trace8);
//   - `[pid N]` or `[pid N:tid M]` (2.4);
//   - the source location `file.c(NNN): ` of debug and trace records (skipped);
//   - the APR status `(NNN)Text: `, `(EAI N)Text: ` or `(OS N)Text: `;
//   - `[client ADDR]`, or `[remote ADDR]` for errors on a proxy's connection
//     to its backend. 2.4 writes the client after the APR status, 2.2 before
//     it: both orders are read;
//   - the error id `AHnnnnn: ` (2.4);
//   - the message, then `, referer: URL` when the request had a Referer.
//
// Upstream is the backend the message names, read from the messages of
// mod_proxy, mod_proxy_http, mod_proxy_fcgi and mod_proxy_balancer (see
// apacheUpstreamRules), or else the ADDR of `[remote ADDR]`. httpd escapes
// control bytes in messages, so every record is one line.

var (
	errApacheStamp = malformed(KindApacheError, "no [Www Mmm dd hh:mm:ss yyyy] stamp")
	errApacheTime  = malformed(KindApacheError, "bad time")
	errApacheLevel = malformed(KindApacheError, "no [module:level] after the stamp")
	errApachePID   = malformed(KindApacheError, "bad [pid N:tid M]")
	errApacheAddr  = malformed(KindApacheError, "bad [client ADDR]")
)

var (
	prefixApachePID    = []byte("[pid ")
	prefixApacheTID    = []byte(":tid ")
	prefixApacheClient = []byte("[client ")
	prefixApacheRemote = []byte("[remote ")
	prefixAPREAI       = []byte("(EAI ")
	prefixAPROS        = []byte("(OS ")
	sepColonSpace      = []byte(": ")
	sepReferer         = []byte(", referer: ")
)

// APR status spaces (apr_errno.h): "(EAI N)" is APR_OS_START_EAIERR + N,
// "(OS N)" APR_OS_START_SYSERR + N.
const (
	aprStartEAIErr = 670000
	aprStartSysErr = 720000
)

// apacheSpans is a parsed httpd error record as byte ranges of it.
type apacheSpans struct {
	time          time.Time
	module, level span
	pid           int
	tid           int64
	apr           int
	client        span
	remote        span
	code          span
	msg           span
	referer       span
	upstream      span
}

// isWeekdayAbbr reports whether b[i:i+3] is an English weekday abbreviation.
func isWeekdayAbbr(b []byte, i int) bool {
	switch uint32(b[i])<<16 | uint32(b[i+1])<<8 | uint32(b[i+2]) {
	case 'M'<<16 | 'o'<<8 | 'n', 'T'<<16 | 'u'<<8 | 'e', 'W'<<16 | 'e'<<8 | 'd', 'T'<<16 | 'h'<<8 | 'u',
		'F'<<16 | 'r'<<8 | 'i', 'S'<<16 | 'a'<<8 | 't', 'S'<<16 | 'u'<<8 | 'n':
		return true
	}
	return false
}

// apacheStampEnd returns the index after the `]` of a stamp
// `[Www Mmm dd hh:mm:ss yyyy]` or `[Www Mmm dd hh:mm:ss.ffffff yyyy]` (1 to
// 9 digits of fraction; the day may be space-padded) at the start of b, or
// -1. It checks the shape, not the date.
func apacheStampEnd(b []byte) int {
	if len(b) < 26 || b[0] != '[' || b[4] != ' ' || b[8] != ' ' || b[11] != ' ' || b[14] != ':' || b[17] != ':' {
		return -1
	}
	if !isWeekdayAbbr(b, 1) || monthAbbr(b, 5) == 0 || (b[9] != ' ' && !isDigit(b[9])) {
		return -1
	}
	for _, i := range [...]int{10, 12, 13, 15, 16, 18, 19} {
		if !isDigit(b[i]) {
			return -1
		}
	}
	i := 20
	if b[i] == '.' {
		i++
		for i < len(b) && i < 30 && isDigit(b[i]) {
			i++
		}
		if i == 21 {
			return -1
		}
	}
	if i+6 > len(b) || b[i] != ' ' || b[i+5] != ']' {
		return -1
	}
	if _, ok := num4(b, i+1); !ok {
		return -1
	}
	return i + 6
}

// apacheLevel reports whether b is one of httpd's log levels.
func apacheLevel(b []byte) bool {
	switch string(b) { // no allocation: the conversion is only compared
	case "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug":
		return true
	}
	return len(b) == 6 && string(b[:5]) == "trace" && b[5]-'1' < 8
}

// isModuleByte reports whether c may be part of a module name in
// `[module:level]`.
func isModuleByte(c byte) bool {
	return c|0x20-'a' < 26 || isDigit(c) || c == '_' || c == '-' || c == '.'
}

func parseApache(rec []byte, loc *time.Location, a *apacheSpans) error {
	rec = stripCR(rec)
	p := apacheStampEnd(rec)
	if p < 0 {
		return errApacheStamp
	}
	mo := monthAbbr(rec, 5)
	d := int(rec[10] - '0')
	if rec[9] != ' ' {
		d += int(rec[9]-'0') * 10
	}
	hh, _ := num2(rec, 12)
	mm, _ := num2(rec, 15)
	ss, _ := num2(rec, 18)
	y, _ := num4(rec, p-5)
	if !validDateTime(y, mo, d, hh, mm, ss) {
		return errApacheTime
	}
	nsec := 0
	if rec[20] == '.' {
		digits := 0
		for i := 21; rec[i] != ' '; i++ {
			nsec = nsec*10 + int(rec[i]-'0')
			digits++
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	a.time = time.Date(y, mo, d, hh, mm, ss, nsec, loc).UTC()

	// [module:level] or [level]
	n := len(rec)
	if p+1 >= n || rec[p] != ' ' || rec[p+1] != '[' {
		return errApacheLevel
	}
	l0 := p + 2
	rb := bytes.IndexByte(rec[l0:min(n, l0+64)], ']')
	if rb < 0 {
		return errApacheLevel
	}
	rb += l0
	a.module = span{l0, l0}
	lv := l0
	for i := l0; i < rb; i++ {
		if rec[i] == ':' {
			a.module, lv = span{l0, i}, i+1
			break
		}
		if !isModuleByte(rec[i]) {
			return errApacheLevel
		}
	}
	if !apacheLevel(rec[lv:rb]) {
		return errApacheLevel
	}
	a.level = span{lv, rb}

	i := rb + 1
	if i < n {
		if rec[i] != ' ' {
			return errApacheLevel
		}
		i++
	}

	// [pid N] or [pid N:tid M]
	a.pid, a.tid = 0, 0
	if bytes.HasPrefix(rec[i:], prefixApachePID) {
		v, j := parseDecimal(rec, i+len(prefixApachePID), 10)
		if j <= i+len(prefixApachePID) || j >= n || int64(int(v)) != v {
			return errApachePID
		}
		a.pid = int(v)
		if bytes.HasPrefix(rec[j:], prefixApacheTID) {
			t0 := j + len(prefixApacheTID)
			t, k, ok := parseUint64(rec, t0)
			if !ok || k >= n {
				return errApachePID
			}
			a.tid, j = int64(t), k
		}
		if rec[j] != ']' {
			return errApachePID
		}
		i = j + 1
		if i < n {
			if rec[i] != ' ' {
				return errApachePID
			}
			i++
		}
	}

	i = skipSourceLocation(rec, i)

	// (APR status)Text: and [client ADDR] / [remote ADDR], in either order.
	a.apr = 0
	a.client, a.remote = span{}, span{}
	for range 3 {
		if i >= n {
			break
		}
		if rec[i] == '(' && a.apr == 0 {
			v, e := aprStatus(rec, i)
			if e < 0 {
				break
			}
			a.apr, i = v, e
			continue
		}
		var dst *span
		switch {
		case bytes.HasPrefix(rec[i:], prefixApacheClient) && a.client.j == 0:
			dst = &a.client
		case bytes.HasPrefix(rec[i:], prefixApacheRemote) && a.remote.j == 0:
			dst = &a.remote
		}
		if dst == nil {
			break
		}
		c0 := i + len(prefixApacheClient) // both prefixes are 8 bytes
		k := c0
		for k < n && rec[k] != ']' && rec[k] != ' ' {
			k++
		}
		if k == c0 || k >= n || rec[k] != ']' {
			return errApacheAddr
		}
		*dst = span{c0, k}
		i = k + 1
		if i < n {
			if rec[i] != ' ' {
				return errApacheAddr
			}
			i++
		}
	}

	// AHnnnnn:
	a.code = span{i, i}
	if i+8 <= n && rec[i] == 'A' && rec[i+1] == 'H' && rec[i+7] == ':' && (i+8 == n || rec[i+8] == ' ') {
		if _, ok := num4(rec, i+2); ok && isDigit(rec[i+6]) {
			a.code = span{i, i + 7}
			i = min(n, i+9)
		}
	}

	// message[, referer: URL]
	end := n
	a.referer = span{n, n}
	if r := lastIndex(rec[i:], sepReferer); r >= 0 {
		r0 := i + r + len(sepReferer)
		if r0 < n && bytes.IndexByte(rec[r0:], ' ') < 0 {
			a.referer = span{r0, n}
			end = i + r
		}
	}
	a.msg = span{i, end}
	a.upstream = apacheUpstream(rec, a.msg)
	if a.upstream.i == a.upstream.j {
		a.upstream = a.remote
	}
	return nil
}

// parseUint64 reads the decimal number at b[i:] (1 to 20 digits, no
// overflow). It returns the number, the index after it and whether there was
// one.
func parseUint64(b []byte, i int) (uint64, int, bool) {
	var v uint64
	j := i
	for j < len(b) && isDigit(b[j]) {
		d := uint64(b[j] - '0')
		if v > (1<<64-1-d)/10 {
			return 0, j, false
		}
		v = v*10 + d
		j++
	}
	return v, j, j > i
}

// skipSourceLocation returns the index after a `file.c(NNN): ` source
// location at rec[i:], or i when there is none.
func skipSourceLocation(rec []byte, i int) int {
	w := rec[i:min(len(rec), i+128)]
	sp := bytes.IndexByte(w, ' ')
	if sp < 5 || w[sp-1] != ':' || w[sp-2] != ')' {
		return i
	}
	tok := w[:sp-2]
	lp := bytes.LastIndexByte(tok, '(')
	if lp < 1 || lp == len(tok)-1 {
		return i
	}
	for _, c := range tok[lp+1:] {
		if !isDigit(c) {
			return i
		}
	}
	return i + sp + 1
}

// aprStatus reads the APR status `(NNN)Text: ` (or `(EAI N)`, `(OS N)`) at
// rec[i:]. It returns the status and the index after ": ", or -1.
func aprStatus(rec []byte, i int) (int, int) {
	base, d0 := 0, i+1
	switch {
	case bytes.HasPrefix(rec[i:], prefixAPREAI):
		base, d0 = aprStartEAIErr, i+len(prefixAPREAI)
	case bytes.HasPrefix(rec[i:], prefixAPROS):
		base, d0 = aprStartSysErr, i+len(prefixAPROS)
	}
	v, e := parseDecimal(rec, d0, 9)
	if e <= d0 || e+1 >= len(rec) || rec[e] != ')' || v == 0 {
		return 0, -1
	}
	t0 := e + 1
	w := rec[t0:min(len(rec), t0+256)]
	c := bytes.Index(w, sepColonSpace)
	if c < 1 {
		return 0, -1
	}
	return base + int(v), t0 + c + len(sepColonSpace)
}

// An apacheUpstreamRule finds the backend in a message: the text after key,
// up to the first byte of stop (or the end of the message).
type apacheUpstreamRule struct {
	key  []byte
	stop string
}

// apacheUpstreamRules, tried in order; the first that names a backend wins.
var apacheUpstreamRules = [...]apacheUpstreamRule{
	// AH00957 "HTTP: attempt to connect to 127.0.0.1:8080 (localhost) failed",
	// AH02454 "FCGI: attempt to connect to Unix domain socket /run/php.sock (*) failed"
	{[]byte("attempt to connect to Unix domain socket "), " "},
	{[]byte("attempt to connect to "), " "},
	// AH01102 "error reading status line from remote server 127.0.0.1:8080"
	{[]byte("from remote server "), " ,"},
	// AH01114 "HTTP: failed to make connection to backend: localhost", AH01079
	{[]byte("connection to backend: "), " ,"},
	// AH00959 "ap_proxy_connect_backend disabling worker for (localhost) for 60s",
	// AH02460 "Forcing worker (http://b:8080) into error state …", AH00940
	// "HTTP: disabled connection for (localhost)"
	{[]byte("worker for ("), ")"},
	{[]byte("worker ("), ")"},
	{[]byte("connection for ("), ")"},
	// AH01075 "Error dispatching request to 127.0.0.1:9000: (polling)"
	{[]byte("Error dispatching request to "), " "},
	// AH00898 "DNS lookup failure for: backend returned by /x"
	{[]byte("DNS lookup failure for: "), " "},
	// AH01097 / AH01084 "pass request body failed to 127.0.0.1:8080 (localhost)"
	{[]byte("request body failed to "), " "},
	// AH01170 "balancer://mycluster: All workers are in error state"
	{[]byte("balancer://"), " "},
}

// apacheUpstream returns the backend named by the message rec[m.i:m.j], or
// an empty span.
func apacheUpstream(rec []byte, m span) span {
	msg := rec[m.i:m.j]
	for ri := range apacheUpstreamRules {
		r := &apacheUpstreamRules[ri]
		x := bytes.Index(msg, r.key)
		if x < 0 {
			continue
		}
		u0 := x + len(r.key)
		if r.key[0] == 'b' { // balancer://NAME: keep the scheme
			u0 = x
		}
		u1 := u0
		for u1 < len(msg) && !containsByte(r.stop, msg[u1]) {
			u1++
		}
		if r.stop == ")" && u1 == len(msg) {
			continue // no closing parenthesis
		}
		// "Error dispatching request to HOST:PORT: (polling)" and
		// "balancer://NAME: …": the name ends before the ':' of ": ".
		if u1 > u0 && msg[u1-1] == ':' {
			u1--
		}
		if u1 == u0 || (u1-u0 == 8 && string(msg[u0:u1]) == "returned") {
			continue // "Error reading from remote server returned by /x"
		}
		return span{m.i + u0, m.i + u1}
	}
	return span{m.j, m.j}
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// apacheParser is the Parser for KindApacheError.
type apacheParser struct {
	loc *time.Location
}

var _ Parser = apacheParser{}

func (p apacheParser) Parse(rec []byte, ev *Event) error {
	var a apacheSpans
	if err := parseApache(rec, p.loc, &a); err != nil {
		return err
	}
	text := string(rec)
	*ev = Event{
		Time:   a.time,
		Kind:   KindApacheError,
		Path:   ev.Path,
		Offset: ev.Offset,
		Text:   text,
		Apache: &ApacheError{
			Module:   a.module.str(text),
			Level:    a.level.str(text),
			PID:      a.pid,
			TID:      a.tid,
			Client:   a.client.str(text),
			APRCode:  a.apr,
			Code:     a.code.str(text),
			Message:  a.msg.str(text),
			Upstream: a.upstream.str(text),
			Referer:  a.referer.str(text),
		},
	}
	return nil
}

// appendApacheFields appends module, level, pid, tid, client, apr_code,
// code, message, upstream and referer; empty strings and zero numbers are
// left out.
func appendApacheFields(dst []byte, e *Event) []byte {
	a := e.Apache
	if a == nil {
		return dst
	}
	dst = appendStringField(dst, "module", a.Module)
	dst = appendStringField(dst, "level", a.Level)
	if a.PID != 0 {
		dst = appendIntField(dst, "pid", int64(a.PID))
	}
	if a.TID != 0 {
		dst = appendIntField(dst, "tid", a.TID)
	}
	dst = appendStringField(dst, "client", a.Client)
	if a.APRCode != 0 {
		dst = appendIntField(dst, "apr_code", int64(a.APRCode))
	}
	dst = appendStringField(dst, "code", a.Code)
	dst = appendStringField(dst, "message", a.Message)
	dst = appendStringField(dst, "upstream", a.Upstream)
	return appendStringField(dst, "referer", a.Referer)
}

func init() {
	register(KindApacheError, format{
		newParser: func(loc *time.Location, _ time.Time) Parser { return apacheParser{loc: loc} },
		matches: func(l []byte) bool {
			var a apacheSpans
			return apacheStampEnd(l) > 0 && parseApache(l, time.UTC, &a) == nil
		},
		appendFields: appendApacheFields,
	})
}
