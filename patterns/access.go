package patterns

import (
	"bytes"
	"time"
)

// AccessLine is a parsed nginx access-log line on the zero-allocation path.
// Its byte slices point into the line passed to ParseCombined and are valid
// only until that buffer is reused; copy them (or call Access) to keep them.
//
// A field that nginx logged as "-" (an unset variable: no user, no Referer,
// no User-Agent) is empty. Bytes escaped by nginx (escape=default writes
// `"`, `\`, control bytes and bytes >= 0x80 as `\xHH`) stay escaped.
type AccessLine struct {
	RemoteAddr, RemoteUser, Method, URI, Protocol, HTTPReferer, HTTPUserAgent []byte

	Time          time.Time // UTC
	ZoneOffset    int       // the $time_local offset, seconds east of UTC
	Status        int
	BodyBytesSent int64 // -1 when logged as "-"
}

// Access copies a into a newly allocated Access.
func (a *AccessLine) Access() *Access {
	return &Access{
		RemoteAddr:    string(a.RemoteAddr),
		RemoteUser:    string(a.RemoteUser),
		Method:        string(a.Method),
		URI:           string(a.URI),
		Protocol:      string(a.Protocol),
		Status:        a.Status,
		BodyBytesSent: a.BodyBytesSent,
		HTTPReferer:   string(a.HTTPReferer),
		HTTPUserAgent: string(a.HTTPUserAgent),
	}
}

// ParseCombined parses one nginx `combined` line into a:
//
//	log_format combined '$remote_addr - $remote_user [$time_local] '
//	                    '"$request" $status $body_bytes_sent '
//	                    '"$http_referer" "$http_user_agent"';
//
// It does not allocate. line has no trailing newline (a trailing '\r' is
// ignored). What follows the closing quote of $http_user_agent is ignored, so
// the "$http_x_forwarded_for" that distributions append is accepted; a line
// that ends right after $body_bytes_sent (the `common` format) is accepted
// too, with an empty referer and user agent.
//
// $remote_addr: some setups log a forwarded-for list before the address,
// bare ("10.0.0.2, 10.0.0.1, 127.0.0.1 - - [") or quoted
// (`"10.5.102.222, 199.96.1.1" 10.2.1.185 - - [`). RemoteAddr is the last
// space-separated token before " - $remote_user [", which is the connection's
// peer, what $remote_addr holds; the list before it is not kept.
//
// $request is split at its first and last space into Method, URI and
// Protocol when the last token starts with "HTTP/"; any other request line
// (`""` or `"-"` with status 400, TLS bytes sent to a plain port, HTTP/0.9)
// is still a valid line: URI holds it whole and Method and Protocol are empty.
//
// On error a is left unchanged and the error wraps ErrMalformed.
func ParseCombined(line []byte, a *AccessLine) error {
	var c combinedSpans
	if err := parseCombined(line, &c); err != nil {
		return err
	}
	a.RemoteAddr = c.addr.bytes(line)
	a.RemoteUser = c.user.bytes(line)
	a.Method = c.method.bytes(line)
	a.URI = c.uri.bytes(line)
	a.Protocol = c.proto.bytes(line)
	a.HTTPReferer = c.referer.bytes(line)
	a.HTTPUserAgent = c.agent.bytes(line)
	a.Time = c.time
	a.ZoneOffset = c.zone
	a.Status = c.status
	a.BodyBytesSent = c.bodyBytes
	return nil
}

// combinedSpans is a parsed access line as byte ranges of the line.
type combinedSpans struct {
	addr, user, method, uri, proto, referer, agent span

	time      time.Time
	zone      int
	status    int
	bodyBytes int64
}

var (
	errAccessEmpty     = malformed(KindNginxAccess, "empty line")
	errAccessAddrQuote = malformed(KindNginxAccess, "no closing quote after forwarded-for list")
	errAccessNoTime    = malformed(KindNginxAccess, "no [time_local]")
	errAccessNoUser    = malformed(KindNginxAccess, `no " - remote_user" before [time_local]`)
	errAccessNoAddr    = malformed(KindNginxAccess, "empty remote_addr")
	errAccessTime      = malformed(KindNginxAccess, "bad time_local")
	errAccessNoRequest = malformed(KindNginxAccess, `no quoted request after [time_local]`)
	errAccessReqQuote  = malformed(KindNginxAccess, "no closing quote after request")
	errAccessStatus    = malformed(KindNginxAccess, "bad status")
	errAccessBytes     = malformed(KindNginxAccess, "bad body_bytes_sent")
	errAccessReferer   = malformed(KindNginxAccess, "no quoted http_referer")
	errAccessAgent     = malformed(KindNginxAccess, "no quoted http_user_agent")
)

var sepRemoteUser = []byte(" - ")

// dashToEmpty turns the "-" nginx writes for an unset variable into an
// empty range.
func dashToEmpty(line []byte, s span) span {
	if s.j-s.i == 1 && line[s.i] == '-' {
		return span{s.i, s.i}
	}
	return s
}

func parseCombined(line []byte, c *combinedSpans) error {
	line = stripCR(line)
	n := len(line)
	if n == 0 {
		return errAccessEmpty
	}

	// $remote_addr - $remote_user [
	from := 0
	if line[0] == '"' { // a quoted forwarded-for list may hold '['
		q := bytes.IndexByte(line[1:], '"')
		if q < 0 {
			return errAccessAddrQuote
		}
		from = q + 2
	}
	lb := bytes.IndexByte(line[from:], '[')
	if lb < 0 {
		return errAccessNoTime
	}
	lb += from
	dash := bytes.Index(line[from:lb], sepRemoteUser)
	if dash < 0 || lb-1 < from+dash+3 || line[lb-1] != ' ' {
		return errAccessNoUser
	}
	dash += from
	a0 := bytes.LastIndexByte(line[:dash], ' ') + 1
	if a0 >= dash {
		return errAccessNoAddr
	}
	c.addr = span{a0, dash}
	c.user = dashToEmpty(line, span{dash + 3, lb - 1})

	// [dd/Mon/yyyy:hh:mm:ss +zzzz] "
	t := lb + 1
	if n < t+29 || line[t+26] != ']' || line[t+27] != ' ' {
		return errAccessTime
	}
	if line[t+28] != '"' {
		return errAccessNoRequest
	}
	if err := parseTimeLocal(line[t:t+26], c); err != nil {
		return err
	}

	// "$request" $status — the request ends at the quote followed by a
	// three-digit status; escape=default leaves no other quote in it.
	r0 := t + 29
	q := r0
	for {
		x := bytes.IndexByte(line[q:], '"')
		if x < 0 {
			return errAccessReqQuote
		}
		q += x
		if q+5 <= n && line[q+1] == ' ' && isDigit(line[q+2]) && isDigit(line[q+3]) && isDigit(line[q+4]) &&
			(q+5 == n || line[q+5] == ' ') {
			break
		}
		q++
	}
	splitRequest(line, r0, q, c)
	c.status = int(line[q+2]-'0')*100 + int(line[q+3]-'0')*10 + int(line[q+4]-'0')

	// $body_bytes_sent
	p := q + 6
	if p >= n {
		return errAccessBytes
	}
	if line[p] == '-' {
		c.bodyBytes = -1
		p++
	} else {
		v, e := int64(0), p
		for e < n && isDigit(line[e]) {
			if e-p >= 18 {
				return errAccessBytes
			}
			v = v*10 + int64(line[e]-'0')
			e++
		}
		if e == p {
			return errAccessBytes
		}
		c.bodyBytes, p = v, e
	}
	if p == n { // common log format
		c.referer, c.agent = span{n, n}, span{n, n}
		return nil
	}

	// "$http_referer" "$http_user_agent"
	if p+1 >= n || line[p] != ' ' || line[p+1] != '"' {
		return errAccessReferer
	}
	f0 := p + 2
	q = f0
	for {
		x := bytes.IndexByte(line[q:], '"')
		if x < 0 {
			return errAccessReferer
		}
		q += x
		if q+2 < n && line[q+1] == ' ' && line[q+2] == '"' {
			break
		}
		q++
	}
	c.referer = dashToEmpty(line, span{f0, q})
	f0 = q + 3
	q = f0
	for {
		x := bytes.IndexByte(line[q:], '"')
		if x < 0 {
			return errAccessAgent
		}
		q += x
		if q+1 == n || line[q+1] == ' ' {
			break
		}
		q++
	}
	c.agent = dashToEmpty(line, span{f0, q})
	return nil
}

// parseTimeLocal parses `dd/Mon/yyyy:hh:mm:ss +zzzz` (exactly 26 bytes).
func parseTimeLocal(b []byte, c *combinedSpans) error {
	if b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' || b[20] != ' ' {
		return errAccessTime
	}
	d, ok1 := num2(b, 0)
	m := monthAbbr(b, 3)
	y, ok2 := num4(b, 7)
	hh, ok3 := num2(b, 12)
	mm, ok4 := num2(b, 15)
	ss, ok5 := num2(b, 18)
	zh, ok6 := num2(b, 22)
	zm, ok7 := num2(b, 24)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || !validDateTime(y, m, d, hh, mm, ss) || zh > 23 || zm > 59 {
		return errAccessTime
	}
	zone := zh*3600 + zm*60
	switch b[21] {
	case '+':
	case '-':
		zone = -zone
	default:
		return errAccessTime
	}
	sec := daysSinceEpoch(y, m, d)*86400 + int64(hh*3600+mm*60+ss) - int64(zone)
	c.time = time.Unix(sec, 0).UTC()
	c.zone = zone
	return nil
}

// splitRequest splits the request line line[r0:r1] into method, URI and
// protocol, or puts it whole into the URI when it is not such a line.
func splitRequest(line []byte, r0, r1 int, c *combinedSpans) {
	req := line[r0:r1]
	s1 := bytes.IndexByte(req, ' ')
	s2 := bytes.LastIndexByte(req, ' ')
	if s1 > 0 && s2 > s1+1 && bytes.HasPrefix(req[s2+1:], httpPrefix) {
		c.method = span{r0, r0 + s1}
		c.uri = span{r0 + s1 + 1, r0 + s2}
		c.proto = span{r0 + s2 + 1, r1}
		return
	}
	c.method, c.uri, c.proto = span{r0, r0}, span{r0, r1}, span{r1, r1}
}

var httpPrefix = []byte("HTTP/")

// accessParser is the Parser for KindNginxAccess.
type accessParser struct{}

var _ Parser = accessParser{}

func (accessParser) Parse(rec []byte, ev *Event) error {
	var c combinedSpans
	if err := parseCombined(rec, &c); err != nil {
		return err
	}
	text := string(rec)
	*ev = Event{
		Time:   c.time,
		Kind:   KindNginxAccess,
		Path:   ev.Path,
		Offset: ev.Offset,
		Text:   text,
		Access: &Access{
			RemoteAddr:    c.addr.str(text),
			RemoteUser:    c.user.str(text),
			Method:        c.method.str(text),
			URI:           c.uri.str(text),
			Protocol:      c.proto.str(text),
			Status:        c.status,
			BodyBytesSent: c.bodyBytes,
			HTTPReferer:   c.referer.str(text),
			HTTPUserAgent: c.agent.str(text),
		},
	}
	return nil
}

func init() {
	register(KindNginxAccess, format{
		newParser: func(*time.Location) Parser { return accessParser{} },
		matches: func(l []byte) bool {
			var c combinedSpans
			return parseCombined(l, &c) == nil
		},
		appendFields: appendAccessFields,
	})
}
