package patterns

import (
	"bytes"
	"fmt"
	"time"
)

// The HAProxy log (catalog §7). A line is an optional syslog header, then a
// payload in one of HAProxy's log formats:
//
//	Nov 23 14:02:10 lb haproxy[123]: 1.2.3.4:5678 [23/Nov/2026:14:02:10.123] fe~ be/srv1 0/0/1/-1/30002 504 194 - - sH-- 10/10/5/5/0 0/0 "GET /x HTTP/1.1"
//	1.2.3.4:5678 [23/Nov/2026:14:02:10.123] fe be/<NOSRV> -1/-1/1 212 SC 1/1/0/0/0 0/0
//
// The syslog header, when there is one: an optional `<PRI>`, then an RFC 3164
// stamp `Mmm dd hh:mm:ss` or an RFC 3339 stamp (rsyslog's high-precision
// format; journalctl -o short-iso's `+0100` offsets too), then an optional
// host name and a tag `name[pid]:` or `name:`.
// HAProxy's `format short` (`<PRI>` only) and `format raw` (nothing) are read
// too; `format rfc5424` is not.
//
// LogFormat tells which payload the line holds:
//
//   - http: `CLIENT [ACCEPT_DATE] FRONTEND[~] BACKEND/SERVER TR/Tw/Tc/Tr/Ta
//     STATUS BYTES CC CS TSC ac/fc/bc/sc/rc sq/bq [{HDRS} [{HDRS}]] "REQUEST"`,
//     and HAProxy 1.x's `Tq/Tw/Tc/Tr/Tt` (the same five places: Tq is read as
//     TR, Tt as Ta). A `-1` timer or status is a phase not reached; the `+`
//     that `option logasap` puts before Ta and BYTES (and a redispatch before
//     rc) is skipped. Up to 4 extra tokens between BACKEND/SERVER and the
//     timers (a custom log-format's host, for one) are skipped. The captured
//     headers are skipped; the request is split like nginx's $request (URI
//     holds "<BADREQ>" whole). Anything after the request (`option
//     httpslog`'s TLS fields) is ignored; a request cut by the syslog line
//     limit, without its closing quote, runs to the end of the line.
//   - tcp: `CLIENT [ACCEPT_DATE] FRONTEND BACKEND/SERVER Tw/Tc/Tt BYTES TS
//     ac/fc/bc/sc/rc sq/bq`: Tw and Tc as in HTTP logs, Tt (the session's
//     total time) in Ta, TR and Tr -1; TerminationState has 2 characters;
//     Status and the request fields are empty.
//   - error: `CLIENT [ACCEPT_DATE] FRONTEND/BIND: MESSAGE` (TLS handshake and
//     connection errors): Client, Frontend and Message.
//   - default: `Connect from CLIENT to ADDR (FRONTEND/MODE)` (no `option
//     httplog` or `tcplog`): Client and Frontend.
//   - message: any other line whose tag names haproxy (`Proxy fe started.`,
//     `Server be/srv is DOWN, reason: …`, `backend be has no server
//     available!`): Message, and Backend/Server when the message names them.
//     A leading `[WARNING]  (123) : ` is removed from Message.
//
// The time of http, tcp and error lines is the accept date in brackets,
// local time without a zone (the parser's location); their syslog stamp is
// ignored. default and message lines have only the syslog stamp: an RFC 3339
// stamp is exact; an RFC 3164 stamp has no year. It takes the year that puts
// it nearest the last full date the parser read in the file (an earlier
// line's accept date) or, before any, the year NewHAProxyParser's reference
// time gives it, as NewSyslogParser does: the reference's year, or the year
// before when that puts the stamp more than a day after the reference.
// NewParser's parser has no reference: such a line before the first dated
// one is rejected (ErrMalformed, saying so) rather than given a guessed year.

// LogFormat values of HAProxy events.
const (
	haproxyHTTP = iota + 1
	haproxyTCP
	haproxyErrorLine
	haproxyDefault
	haproxyMessage
)

var haproxyFormatNames = [...]string{
	haproxyHTTP:      "http",
	haproxyTCP:       "tcp",
	haproxyErrorLine: "error",
	haproxyDefault:   "default",
	haproxyMessage:   "message",
}

var (
	errHAProxyHeader  = malformed(KindHAProxy, "bad syslog header")
	errHAProxyPayload = malformed(KindHAProxy, "neither a traffic log line nor an haproxy message")
	errHAProxyTime    = malformed(KindHAProxy, "bad time")
	errHAProxyServer  = malformed(KindHAProxy, "no BACKEND/SERVER after the frontend")
	errHAProxyTimers  = malformed(KindHAProxy, "no Tw/Tc/Tt or TR/Tw/Tc/Tr/Ta timers")
	errHAProxyStatus  = malformed(KindHAProxy, "bad status")
	errHAProxyBytes   = malformed(KindHAProxy, "bad bytes_read")
	errHAProxyState   = malformed(KindHAProxy, "bad termination state")
	errHAProxyConns   = malformed(KindHAProxy, "bad actconn/feconn/beconn/srv_conn/retries")
	errHAProxyQueues  = malformed(KindHAProxy, "bad srv_queue/backend_queue")
	errHAProxyNoYear  = malformed(KindHAProxy, "the stamp has no year, no dated line came before it and the parser was given no reference time (use NewHAProxyParser with the file's modification time)")
)

var (
	prefixConnectFrom = []byte("Connect from ")
	sepConnectTo      = []byte(" to ")
	prefixHAProxyTag  = []byte("haproxy")
	haproxyServerKeys = [...][]byte{
		[]byte("Server "),
		[]byte("Backup Server "),
		[]byte("Health check for server "),
		[]byte("Health check for backup server "),
		[]byte("Agent check for server "),
		[]byte("Agent check for backup server "),
	}
	haproxyBackendKeys = [...][]byte{[]byte("backend "), []byte("proxy ")}
	sepNoServer        = []byte(" has no server available!")
	sepLevelEnd        = []byte(" : ")
)

// haproxySpans is a parsed HAProxy line as byte ranges of it.
type haproxySpans struct {
	format int

	// The time: exact when full (accept date, RFC 3339 stamp), else the
	// fields of an RFC 3164 stamp that lacks the year.
	time                      time.Time
	full                      bool
	y                         int // the date of a full time, in its own zone
	mon                       time.Month
	day, hour, minute, second int

	host   span
	pid    int
	tagged bool // the tag names haproxy

	client, frontend, backend, server span
	tls                               bool
	timers                            [5]int // TR Tw Tc Tr Ta
	status                            int
	bytes                             int64
	state                             span
	conns                             [5]int
	queues                            [2]int
	method, uri, proto                span
	msg                               span
}

// hapNum reads the number at b[i:]: an optional '+' (option logasap,
// redispatch), then -1 or 1 to 18 digits. It returns the number and the index
// after it, or -1.
func hapNum(b []byte, i int) (int64, int) {
	if i < len(b) && b[i] == '+' {
		i++
	}
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	v, e := parseDecimal(b, i, 18)
	if e <= i || (neg && v != 1) {
		return 0, -1
	}
	if neg {
		v = -v
	}
	return v, e
}

// hapInts reads n '/'-separated numbers that fit an int at b[i:], ending at
// a space or the end of b, into dst. It returns the index after them, or -1.
func hapInts(b []byte, i int, dst []int) int {
	for k := range dst {
		if k > 0 {
			if i >= len(b) || b[i] != '/' {
				return -1
			}
			i++
		}
		v, e := hapNum(b, i)
		if e < 0 || int64(int(v)) != v || v < -1<<31 || v > 1<<31 {
			return -1
		}
		dst[k] = int(v)
		i = e
	}
	if i < len(b) && b[i] != ' ' {
		return -1
	}
	return i
}

// nextToken returns the end of the space-free token at b[i:] and the start
// of the next one (after one space), or len(b) twice.
func nextToken(b []byte, i int) (end, next int) {
	sp := bytes.IndexByte(b[i:], ' ')
	if sp < 0 {
		return len(b), len(b)
	}
	return i + sp, i + sp + 1
}

// syslogStamp3164 reports whether b[i:] starts with `Mmm dd hh:mm:ss `
// (the day space-padded or not).
func syslogStamp3164(b []byte, i int) bool {
	if len(b)-i < 16 || b[i+3] != ' ' || b[i+6] != ' ' || b[i+9] != ':' || b[i+12] != ':' || b[i+15] != ' ' {
		return false
	}
	if monthAbbr(b, i) == 0 || (b[i+4] != ' ' && !isDigit(b[i+4])) || !isDigit(b[i+5]) {
		return false
	}
	for _, k := range [...]int{7, 8, 10, 11, 13, 14} {
		if !isDigit(b[i+k]) {
			return false
		}
	}
	return true
}

// iso8601Stamp parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM|±HHMM)` at b[i:],
// followed by a space. It returns the instant, its date and the index of
// the space, or -1.
func iso8601Stamp(b []byte, i int, h *haproxySpans) int {
	if len(b)-i < 21 || b[i+4] != '-' || b[i+7] != '-' || b[i+10] != 'T' || b[i+13] != ':' || b[i+16] != ':' {
		return -1
	}
	y, ok1 := num4(b, i)
	mo, ok2 := num2(b, i+5)
	d, ok3 := num2(b, i+8)
	hh, ok4 := num2(b, i+11)
	mm, ok5 := num2(b, i+14)
	ss, ok6 := num2(b, i+17)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || !validDateTime(y, time.Month(mo), d, hh, mm, ss) {
		return -1
	}
	j := i + 19
	nsec := 0
	if b[j] == '.' {
		j++
		digits := 0
		for j < len(b) && isDigit(b[j]) && digits < 9 {
			nsec = nsec*10 + int(b[j]-'0')
			digits++
			j++
		}
		if digits == 0 {
			return -1
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	zone := 0
	switch {
	case j < len(b) && b[j] == 'Z':
		j++
	case len(b)-j >= 5 && (b[j] == '+' || b[j] == '-'):
		m0 := j + 3 // ±HHMM (journalctl -o short-iso) or ±HH:MM
		if b[m0] == ':' {
			m0++
		}
		if m0+2 > len(b) {
			return -1
		}
		zh, okh := num2(b, j+1)
		zm, okm := num2(b, m0)
		if !okh || !okm || zh > 23 || zm > 59 {
			return -1
		}
		zone = zh*3600 + zm*60
		if b[j] == '-' {
			zone = -zone
		}
		j = m0 + 2
	default:
		return -1
	}
	if j >= len(b) || b[j] != ' ' {
		return -1
	}
	sec := daysSinceEpoch(y, time.Month(mo), d)*86400 + int64(hh*3600+mm*60+ss) - int64(zone)
	h.time = time.Unix(sec, int64(nsec)).UTC()
	h.full = true
	h.y, h.mon, h.day = y, time.Month(mo), d
	return j
}

// syslogHeader reads the syslog header of rec into h and returns the index
// of the payload: 0 when there is no header.
func syslogHeader(rec []byte, h *haproxySpans) (int, error) {
	i := 0
	if len(rec) > 0 && rec[0] == '<' {
		v, e := parseDecimal(rec, 1, 3)
		if e <= 1 || e >= len(rec) || rec[e] != '>' || v > 191 {
			return 0, errHAProxyHeader
		}
		i = e + 1
	}
	switch {
	case syslogStamp3164(rec, i):
		h.mon = monthAbbr(rec, i)
		h.day = int(rec[i+5] - '0')
		if rec[i+4] != ' ' {
			h.day += int(rec[i+4]-'0') * 10
		}
		h.hour, _ = num2(rec, i+7)
		h.minute, _ = num2(rec, i+10)
		h.second, _ = num2(rec, i+13)
		if h.hour > 23 || h.minute > 59 || h.second > 59 || h.day < 1 || h.day > 31 {
			return 0, errHAProxyHeader
		}
		i += 16
	case len(rec)-i >= 21 && rec[i+4] == '-' && rec[i+10] == 'T':
		e := iso8601Stamp(rec, i, h)
		if e < 0 {
			return 0, errHAProxyHeader
		}
		i = e + 1
	default:
		return i, nil // format short or raw
	}

	// [HOST ]TAG: — the tag is the first token that ends with ':'; a line
	// without one has a host and then the payload.
	t1, n1 := nextToken(rec, i)
	if t1 == i {
		return 0, errHAProxyHeader
	}
	tag := span{i, t1}
	if rec[t1-1] != ':' {
		h.host = span{i, t1}
		t2, n2 := nextToken(rec, n1)
		if t2 == n1 || rec[t2-1] != ':' {
			return n1, nil
		}
		tag, n1 = span{n1, t2}, n2
	}
	// name[pid]: or name:
	name := span{tag.i, tag.j - 1}
	if lb := bytes.IndexByte(rec[name.i:name.j], '['); lb > 0 && rec[name.j-1] == ']' {
		v, e := parseDecimal(rec, name.i+lb+1, 10)
		if e != name.j-1 || int64(int(v)) != v {
			return 0, errHAProxyHeader
		}
		h.pid = int(v)
		name.j = name.i + lb
	}
	h.tagged = bytes.HasPrefix(rec[name.i:name.j], prefixHAProxyTag)
	return n1, nil
}

// acceptDate parses `[DD/Mon/YYYY:HH:MM:SS[.frac]]` at rec[i:] in loc. It
// returns the index after the `]`, or -1.
func acceptDate(rec []byte, i int, loc *time.Location, h *haproxySpans) int {
	b := rec[i:]
	if len(b) < 22 || b[0] != '[' || b[3] != '/' || b[7] != '/' || b[12] != ':' || b[15] != ':' || b[18] != ':' {
		return -1
	}
	d, ok1 := num2(b, 1)
	m := monthAbbr(b, 4)
	y, ok2 := num4(b, 8)
	hh, ok3 := num2(b, 13)
	mm, ok4 := num2(b, 16)
	ss, ok5 := num2(b, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) || !validDateTime(y, m, d, hh, mm, ss) {
		return -1
	}
	j := 21
	nsec := 0
	if b[j] == '.' {
		j++
		digits := 0
		for j < len(b) && isDigit(b[j]) && digits < 9 {
			nsec = nsec*10 + int(b[j]-'0')
			digits++
			j++
		}
		if digits == 0 {
			return -1
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	if j >= len(b) || b[j] != ']' {
		return -1
	}
	h.time = time.Date(y, m, d, hh, mm, ss, nsec, loc).UTC()
	h.full = true
	h.y, h.mon, h.day = y, m, d
	return i + j + 1
}

// termState reports whether b is a termination state: its first character
// says who ended the session, its second in which phase; the cookie flags of
// HTTP logs (third and fourth) are any printable characters.
func termState(b []byte) bool {
	if len(b) != 2 && len(b) != 4 {
		return false
	}
	switch b[0] {
	case 'C', 'S', 'P', 'L', 'R', 'I', 'D', 'U', 'K', 'c', 's', '-':
	default:
		return false
	}
	switch b[1] {
	case 'R', 'Q', 'C', 'H', 'D', 'L', 'T', '-':
	default:
		return false
	}
	for _, c := range b[2:] {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

func parseHAProxy(rec []byte, loc *time.Location, h *haproxySpans) error {
	rec = stripCR(rec)
	*h = haproxySpans{timers: [5]int{-1, -1, -1, -1, -1}}
	p, err := syslogHeader(rec, h)
	if err != nil {
		return err
	}
	n := len(rec)
	stamped := h.full || h.mon != 0

	// CLIENT [ACCEPT_DATE]
	if ce, cn := nextToken(rec, p); ce > p && cn < n && rec[cn] == '[' && bytes.IndexByte(rec[p:ce], ':') >= 0 {
		if d := acceptDate(rec, cn, loc, h); d >= 0 {
			h.client = span{p, ce}
			if d+1 >= n || rec[d] != ' ' {
				return errHAProxyServer
			}
			return parseHAProxyTraffic(rec, d+1, h)
		}
		if !stamped || !h.tagged {
			return errHAProxyTime
		}
	}

	if !stamped {
		return errHAProxyPayload
	}
	if bytes.HasPrefix(rec[p:], prefixConnectFrom) && parseConnectFrom(rec, p, h) {
		return nil
	}
	if !h.tagged {
		return errHAProxyPayload
	}
	h.format = haproxyMessage
	p = skipMessageLevel(rec, p)
	h.msg = span{p, n}
	haproxyMessageNames(rec, h)
	return nil
}

// parseHAProxyTraffic reads what follows the accept date of a traffic or
// error line, from rec[i:].
func parseHAProxyTraffic(rec []byte, i int, h *haproxySpans) error {
	n := len(rec)
	fe, next := nextToken(rec, i)
	if fe == i {
		return errHAProxyServer
	}
	// FRONTEND/BIND: MESSAGE
	if rec[fe-1] == ':' {
		sl := bytes.IndexByte(rec[i:fe], '/')
		if sl <= 0 {
			return errHAProxyServer
		}
		h.format = haproxyErrorLine
		h.frontend = span{i, i + sl}
		h.msg = span{next, n}
		return nil
	}
	h.frontend = span{i, fe}
	if rec[fe-1] == '~' {
		h.frontend.j--
		h.tls = true
	}

	// BACKEND/SERVER
	be, next2 := nextToken(rec, next)
	sl := bytes.IndexByte(rec[next:be], '/')
	if sl <= 0 || next+sl+1 >= be {
		return errHAProxyServer
	}
	h.backend = span{next, next + sl}
	h.server = span{next + sl + 1, be}

	// Timers, after at most 4 extra tokens of a custom log-format.
	var t [5]int
	nt, k := 0, next2
	for try := 0; ; try++ {
		if k >= n || try > 4 {
			return errHAProxyTimers
		}
		if e := hapInts(rec, k, t[:5]); e >= 0 {
			nt, k = 5, e
			break
		}
		if e := hapInts(rec, k, t[:3]); e >= 0 {
			nt, k = 3, e
			break
		}
		_, k = nextToken(rec, k)
	}
	if k < n {
		k++
	}

	if nt == 3 { // TCP: Tw/Tc/Tt BYTES TS ac/fc/bc/sc/rc sq/bq
		h.format = haproxyTCP
		h.timers = [5]int{-1, t[0], t[1], -1, t[2]}
	} else {
		h.format = haproxyHTTP
		h.timers = t
		// STATUS
		v, e := hapNum(rec, k)
		if e < 0 || v < -1 || v > 999 || (e < n && rec[e] != ' ') {
			return errHAProxyStatus
		}
		h.status = int(v)
		k = min(n, e+1)
	}

	// BYTES
	v, e := hapNum(rec, k)
	if e < 0 || v < 0 || (e < n && rec[e] != ' ') {
		return errHAProxyBytes
	}
	h.bytes = v
	k = min(n, e+1)

	// CC CS (HTTP only)
	if nt == 5 {
		for range 2 {
			e, nx := nextToken(rec, k)
			if e == k {
				return errHAProxyState
			}
			k = nx
		}
	}

	// TSC
	e, nx := nextToken(rec, k)
	if !termState(rec[k:e]) || (nt == 3) != (e-k == 2) {
		return errHAProxyState
	}
	h.state = span{k, e}
	k = nx

	// ac/fc/bc/sc/rc sq/bq
	if e = hapInts(rec, k, h.conns[:]); e < 0 {
		return errHAProxyConns
	}
	k = min(n, e+1)
	if e = hapInts(rec, k, h.queues[:]); e < 0 {
		return errHAProxyQueues
	}
	k = min(n, e+1)
	if nt == 3 {
		h.method, h.uri, h.proto = span{n, n}, span{n, n}, span{n, n}
		return nil
	}

	// [{captured request headers} [{captured response headers}]] "REQUEST"
	for k < n && rec[k] == '{' {
		cb := bytes.IndexByte(rec[k:], '}')
		if cb < 0 {
			k = n // cut inside the headers
			break
		}
		k += cb + 1
		if k < n && rec[k] == ' ' {
			k++
		}
	}
	h.method, h.uri, h.proto = span{n, n}, span{n, n}, span{n, n}
	if k < n && rec[k] == '"' {
		r0 := k + 1
		r1 := n
		if q := bytes.IndexByte(rec[r0:], '"'); q >= 0 {
			r1 = r0 + q
		}
		h.method, h.uri, h.proto = splitRequestLine(rec, r0, r1)
	}
	return nil
}

// splitRequestLine splits the request line rec[r0:r1] as splitRequest does:
// method, URI and protocol, or the whole line in the URI.
func splitRequestLine(rec []byte, r0, r1 int) (method, uri, proto span) {
	req := rec[r0:r1]
	s1 := bytes.IndexByte(req, ' ')
	s2 := bytes.LastIndexByte(req, ' ')
	if s1 > 0 && s2 > s1+1 && bytes.HasPrefix(req[s2+1:], httpPrefix) {
		return span{r0, r0 + s1}, span{r0 + s1 + 1, r0 + s2}, span{r0 + s2 + 1, r1}
	}
	return span{r0, r0}, span{r0, r1}, span{r1, r1}
}

// parseConnectFrom reads `Connect from CLIENT to ADDR (FRONTEND/MODE)` at
// rec[p:] and reports whether the line is one.
func parseConnectFrom(rec []byte, p int, h *haproxySpans) bool {
	c0 := p + len(prefixConnectFrom)
	ce, _ := nextToken(rec, c0)
	if ce == c0 || !bytes.HasPrefix(rec[ce:], sepConnectTo) {
		return false
	}
	a0 := ce + len(sepConnectTo)
	ae, an := nextToken(rec, a0)
	if ae == a0 || an >= len(rec) || rec[an] != '(' || rec[len(rec)-1] != ')' {
		return false
	}
	in := rec[an+1 : len(rec)-1]
	sl := bytes.IndexByte(in, '/')
	if sl <= 0 || bytes.IndexByte(in, ' ') >= 0 {
		return false
	}
	h.format = haproxyDefault
	h.client = span{c0, ce}
	h.frontend = span{an + 1, an + 1 + sl}
	return true
}

// skipMessageLevel returns the index after a leading `[LEVEL] … : ` (HAProxy's
// stderr messages relayed to syslog: `[WARNING]  (123) : `), or p.
func skipMessageLevel(rec []byte, p int) int {
	if p >= len(rec) || rec[p] != '[' {
		return p
	}
	i := p + 1
	for i < len(rec) && rec[i]-'A' < 26 {
		i++
	}
	if i == p+1 || i >= len(rec) || rec[i] != ']' {
		return p
	}
	w := rec[i+1 : min(len(rec), i+1+32)]
	c := bytes.Index(w, sepLevelEnd)
	if c < 0 {
		return p
	}
	return i + 1 + c + 3
}

// haproxyMessageNames sets Backend and Server from the message, when it
// names them.
func haproxyMessageNames(rec []byte, h *haproxySpans) {
	m := rec[h.msg.i:h.msg.j]
	for _, key := range haproxyServerKeys {
		if !bytes.HasPrefix(m, key) {
			continue
		}
		t0 := h.msg.i + len(key)
		te, _ := nextToken(rec, t0)
		if te > t0 && rec[te-1] == ',' {
			te--
		}
		if sl := bytes.IndexByte(rec[t0:te], '/'); sl > 0 && t0+sl+1 < te {
			h.backend = span{t0, t0 + sl}
			h.server = span{t0 + sl + 1, te}
		}
		return
	}
	for _, key := range haproxyBackendKeys {
		if !bytes.HasPrefix(m, key) {
			continue
		}
		t0 := h.msg.i + len(key)
		te, _ := nextToken(rec, t0)
		if te > t0 && bytes.HasPrefix(rec[te:], sepNoServer) {
			h.backend = span{t0, te}
		}
		return
	}
}

// haproxyParser is the Parser of KindHAProxy. It keeps the date of the last
// full date it read, for the RFC 3164 stamps of lines that have no accept
// date: use one per file, fed in file order.
type haproxyParser struct {
	loc   *time.Location
	ref   time.Time // zero: none
	dated bool      // a full date was read: year and last hold it
	year  int
	last  int64 // its day, counted from 1970-01-01
}

var _ Parser = (*haproxyParser)(nil)

// NewHAProxyParser returns the Parser of KindHAProxy, as NewParser does, but
// with a reference time for the RFC 3164 stamps (no year) of lines met
// before the first line with a full date: pass the modification time of the
// file, as to NewSyslogParser. With a zero ref (NewParser's choice) those
// lines are rejected. loc must not be nil.
func NewHAProxyParser(loc *time.Location, ref time.Time) (Parser, error) {
	if loc == nil {
		return nil, fmt.Errorf("cannot make %s parser: nil time zone (pass time.Local or the zone the log was written in)", KindHAProxy)
	}
	return &haproxyParser{loc: loc, ref: ref}, nil
}

// resolve sets h.time for a line with only an RFC 3164 stamp, and records
// the date of a line with a full one.
func (p *haproxyParser) resolve(h *haproxySpans) error {
	if h.full {
		p.dated, p.year, p.last = true, h.y, daysSinceEpoch(h.y, h.mon, h.day)
		return nil
	}
	if p.dated { // the candidate year nearest the last full date
		y, best := 0, int64(-1)
		for _, c := range [...]int{p.year - 1, p.year, p.year + 1} {
			if !validDateTime(c, h.mon, h.day, h.hour, h.minute, h.second) {
				continue
			}
			dist := daysSinceEpoch(c, h.mon, h.day) - p.last
			if dist < 0 {
				dist = -dist
			}
			if best < 0 || dist < best {
				best, y = dist, c
			}
		}
		if best < 0 {
			return errHAProxyTime
		}
		h.time = time.Date(y, h.mon, h.day, h.hour, h.minute, h.second, 0, p.loc).UTC()
		return nil
	}
	if p.ref.IsZero() {
		return errHAProxyNoYear
	}
	// The reference's year, or the latest before it that does not put the
	// stamp more than a day after the reference (Feb 29 may go back years).
	limit := p.ref.Add(24 * time.Hour)
	ry := p.ref.In(p.loc).Year()
	for y := ry; y > ry-9; y-- {
		if !validDateTime(y, h.mon, h.day, h.hour, h.minute, h.second) {
			continue
		}
		if t := time.Date(y, h.mon, h.day, h.hour, h.minute, h.second, 0, p.loc); !t.After(limit) {
			h.time = t.UTC()
			return nil
		}
	}
	return errHAProxyTime
}

func (p *haproxyParser) Parse(rec []byte, ev *Event) error {
	var h haproxySpans
	if err := parseHAProxy(rec, p.loc, &h); err != nil {
		return err
	}
	if err := p.resolve(&h); err != nil {
		return err
	}
	text := string(rec)
	*ev = Event{
		Time:   h.time,
		Kind:   KindHAProxy,
		Path:   ev.Path,
		Offset: ev.Offset,
		Text:   text,
		HAProxy: &HAProxy{
			Client:           h.client.str(text),
			Frontend:         h.frontend.str(text),
			Backend:          h.backend.str(text),
			Server:           h.server.str(text),
			TR:               h.timers[0],
			Tw:               h.timers[1],
			Tc:               h.timers[2],
			Tr:               h.timers[3],
			Ta:               h.timers[4],
			Status:           h.status,
			BytesRead:        h.bytes,
			TerminationState: h.state.str(text),
			ActConn:          h.conns[0],
			FeConn:           h.conns[1],
			BeConn:           h.conns[2],
			SrvConn:          h.conns[3],
			Retries:          h.conns[4],
			SrvQueue:         h.queues[0],
			BackendQueue:     h.queues[1],
			Method:           h.method.str(text),
			URI:              h.uri.str(text),
			Protocol:         h.proto.str(text),
			LogFormat:        haproxyFormatNames[h.format],
			TLS:              h.tls,
			Host:             h.host.str(text),
			PID:              h.pid,
			Message:          h.msg.str(text),
		},
	}
	return nil
}

// appendHAProxyFields appends log_format, host, pid, client, frontend, tls,
// backend, server; for http and tcp lines the timers — request_ms (TR),
// queue_ms (Tw), connect_ms (Tc), response_ms (Tr), total_ms (Ta; Tt in TCP
// logs), of which TCP lines have no request_ms and response_ms — then status
// (http), bytes_read, termination_state, actconn, feconn, beconn, srv_conn,
// retries, srv_queue, backend_queue; then method, uri, protocol and message.
// Empty strings, a zero pid and a false tls are left out.
func appendHAProxyFields(dst []byte, e *Event) []byte {
	x := e.HAProxy
	if x == nil {
		return dst
	}
	dst = appendStringField(dst, "log_format", x.LogFormat)
	dst = appendStringField(dst, "host", x.Host)
	if x.PID != 0 {
		dst = appendIntField(dst, "pid", int64(x.PID))
	}
	dst = appendStringField(dst, "client", x.Client)
	dst = appendStringField(dst, "frontend", x.Frontend)
	if x.TLS {
		dst = append(dst, `,"tls":true`...)
	}
	dst = appendStringField(dst, "backend", x.Backend)
	dst = appendStringField(dst, "server", x.Server)
	http := x.LogFormat == "http"
	if http || x.LogFormat == "tcp" {
		if http {
			dst = appendIntField(dst, "request_ms", int64(x.TR))
		}
		dst = appendIntField(dst, "queue_ms", int64(x.Tw))
		dst = appendIntField(dst, "connect_ms", int64(x.Tc))
		if http {
			dst = appendIntField(dst, "response_ms", int64(x.Tr))
		}
		dst = appendIntField(dst, "total_ms", int64(x.Ta))
		if http {
			dst = appendIntField(dst, "status", int64(x.Status))
		}
		dst = appendIntField(dst, "bytes_read", x.BytesRead)
		dst = appendStringField(dst, "termination_state", x.TerminationState)
		dst = appendIntField(dst, "actconn", int64(x.ActConn))
		dst = appendIntField(dst, "feconn", int64(x.FeConn))
		dst = appendIntField(dst, "beconn", int64(x.BeConn))
		dst = appendIntField(dst, "srv_conn", int64(x.SrvConn))
		dst = appendIntField(dst, "retries", int64(x.Retries))
		dst = appendIntField(dst, "srv_queue", int64(x.SrvQueue))
		dst = appendIntField(dst, "backend_queue", int64(x.BackendQueue))
	}
	dst = appendStringField(dst, "method", x.Method)
	dst = appendStringField(dst, "uri", x.URI)
	dst = appendStringField(dst, "protocol", x.Protocol)
	return appendStringField(dst, "message", x.Message)
}

func init() {
	register(KindHAProxy, format{
		newParser: func(loc *time.Location, ref time.Time) Parser { return &haproxyParser{loc: loc, ref: ref} },
		matches: func(l []byte) bool {
			var h haproxySpans
			return parseHAProxy(l, time.UTC, &h) == nil
		},
		appendFields: appendHAProxyFields,
	})
}
