package patterns

import (
	"bytes"
	"strconv"
	"time"
	"unsafe"
)

// MaxAccessExtra is how many variables without a field of their own (see
// AccessLine.Extra) a parsed access line keeps; further ones are parsed and
// dropped.
const MaxAccessExtra = 8

// AccessLine is a parsed nginx access-log line on the zero-allocation path.
// Its byte slices point into the line passed to ParseCombined, ParseAccess
// or AccessFormat.Parse and are valid only until that buffer is reused; copy
// them (or call Access) to keep them. The parsers never write to the line.
//
// A field that nginx logged as "-" (an unset variable: no user, no Referer,
// no User-Agent, no upstream) is empty, and so is a field the format does
// not log. Bytes escaped by nginx stay escaped: escape=default writes `"`,
// `\`, control bytes and bytes >= 0x80 as `\xHH`; values of escape=json
// formats and of JSON lines keep their JSON escapes (`\"`, `\\`, `\u0001`)
// and have JSONEscaped set — Access decodes those.
//
// The $upstream_* fields are the raw lists nginx writes: one entry per
// attempt, separated by ", ", with " : " between upstream groups (after an
// internal redirect), e.g. UpstreamStatus "502, 502 : 200". LastUpstreamStatus
// and LastUpstreamAddr read the last entry without allocating; the Access
// methods split the lists.
type AccessLine struct {
	RemoteAddr, RemoteUser, Method, URI, Protocol, HTTPReferer, HTTPUserAgent []byte

	Host          []byte // $host, else $http_host, else $server_name
	RequestID     []byte // $request_id (ingress-nginx: $req_id), else $http_x_request_id
	XForwardedFor []byte // $http_x_forwarded_for (or $proxy_add_x_forwarded_for)

	UpstreamAddr         []byte // e.g. "10.0.0.7:9000, unix:/run/php/php8.2-fpm.sock"
	UpstreamStatus       []byte // e.g. "502, 502"
	UpstreamResponseTime []byte // e.g. "0.100, -"
	UpstreamConnectTime  []byte
	UpstreamHeaderTime   []byte

	// Time is the request's instant in UTC: from $msec when the format logs
	// it (millisecond resolution; ZoneOffset is then 0 unless the format also
	// logs $time_iso8601 or $time_local), else from $time_iso8601 or
	// $time_local (second resolution). It is the zero Time when the format
	// logs no time.
	Time          time.Time
	ZoneOffset    int     // offset of $time_local / $time_iso8601, seconds east of UTC
	Status        int     // -1 when not logged
	BodyBytesSent int64   // -1 when not logged or "-"
	RequestTime   float64 // $request_time in seconds; -1 when not logged
	Connection    int64   // $connection, the error log's *CID; 0 when not logged
	JSONEscaped   bool    // the values keep JSON escapes (escape=json, JSON lines)

	extra  [MaxAccessExtra]AccessLineVar
	nextra int
}

// AccessLineVar is a logged variable that has no field of its own in
// AccessLine, such as $request_length or ingress-nginx's
// $proxy_upstream_name. Name is the nginx variable name (for JSON lines, the
// key as written); Name and Value must not be modified.
type AccessLineVar struct {
	Name, Value []byte
}

// AccessVar is the string form of AccessLineVar, in Access.Extra.
type AccessVar struct {
	Name, Value string
}

// Extra returns the logged variables that have no field of their own, in
// the order of the line (at most MaxAccessExtra; "-" values are left out).
// The slice aliases a.
func (a *AccessLine) Extra() []AccessLineVar { return a.extra[:a.nextra:a.nextra] }

// ExtraValue returns the value of the extra variable name.
func (a *AccessLine) ExtraValue(name string) ([]byte, bool) {
	for _, v := range a.extra[:a.nextra] {
		if string(v.Name) == name {
			return v.Value, true
		}
	}
	return nil, false
}

// LastUpstreamStatus returns the status of the last upstream attempt, the
// last entry of $upstream_status, or -1 when there is none or it is "-".
// It does not allocate.
func (a *AccessLine) LastUpstreamStatus() int {
	e := lastListElem(a.UpstreamStatus)
	if len(e) == 0 || len(e) > 3 {
		return -1
	}
	n := 0
	for _, c := range e {
		if !isDigit(c) {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// LastUpstreamAddr returns the address of the last upstream attempt, the
// last entry of $upstream_addr ("10.0.0.7:9000", "[2a02:cf40::7]:5000",
// "unix:/run/php/php8.2-fpm.sock" or an upstream group name), or nil when
// there is none or it is "-". It does not allocate.
func (a *AccessLine) LastUpstreamAddr() []byte {
	e := lastListElem(a.UpstreamAddr)
	if len(e) == 0 {
		return nil
	}
	return e
}

// Access copies a into a newly allocated Access. JSON escapes are decoded
// when a.JSONEscaped is set.
func (a *AccessLine) Access() *Access {
	x := new(Access)
	a.copyInto(x)
	return x
}

func (a *AccessLine) copyInto(x *Access) {
	j := a.JSONEscaped
	a.access(x, func(b []byte) string { return accString(string(b), j) })
}

// AccessOf is Access for a line kept with its text: rec is the line a
// parsed, text a copy of it (string(rec)). A field that is rec's bytes as
// they are (not JSON-unescaped) is text's substring, not a copy of its
// own: a failed request kept in full costs one copy of its line, not one
// per field (an outage keeps hundreds of thousands of them).
func (a *AccessLine) AccessOf(rec []byte, text string) *Access {
	x := new(Access)
	a.AccessInto(rec, text, x)
	return x
}

// AccessInto is AccessOf into the caller's x, overwritten: text may be
// rec's bytes themselves (unsafe.String), for as long as the caller keeps
// them unchanged (ParserInto). Only JSON-unescaped fields are allocated.
func (a *AccessLine) AccessInto(rec []byte, text string, x *Access) {
	if a.JSONEscaped {
		a.copyInto(x)
		return
	}
	a.access(x, func(b []byte) string { return SubstringOf(rec, text, b) })
}

// access sets x to the line's Access, each string field made of its bytes
// by str.
func (a *AccessLine) access(x *Access, str func([]byte) string) {
	*x = Access{
		RemoteAddr:           str(a.RemoteAddr),
		RemoteUser:           str(a.RemoteUser),
		Method:               str(a.Method),
		URI:                  str(a.URI),
		Protocol:             str(a.Protocol),
		Status:               a.Status,
		BodyBytesSent:        a.BodyBytesSent,
		HTTPReferer:          str(a.HTTPReferer),
		HTTPUserAgent:        str(a.HTTPUserAgent),
		RequestTime:          a.RequestTime,
		Host:                 str(a.Host),
		Connection:           a.Connection,
		RequestID:            str(a.RequestID),
		XForwardedFor:        str(a.XForwardedFor),
		UpstreamAddr:         str(a.UpstreamAddr),
		UpstreamStatus:       str(a.UpstreamStatus),
		UpstreamResponseTime: str(a.UpstreamResponseTime),
		UpstreamConnectTime:  str(a.UpstreamConnectTime),
		UpstreamHeaderTime:   str(a.UpstreamHeaderTime),
	}
	for i, v := range a.extra[:a.nextra] {
		x.Extra[i] = AccessVar{Name: str(v.Name), Value: str(v.Value)}
	}
}

// SubstringOf returns the string b holds: text's substring at b's place
// when b is a part of rec (text being string(rec)), else a copy.
func SubstringOf(rec []byte, text string, b []byte) string {
	if off, ok := OffsetIn(rec, b); ok && len(text) == len(rec) {
		return text[off : off+len(b)]
	}
	return string(b)
}

// OffsetIn returns where b starts in rec, when b is a part of rec's bytes
// (not only equal to some): their addresses tell, not their contents.
func OffsetIn(rec, b []byte) (int, bool) {
	return offsetAt(unsafe.SliceData(rec), len(rec), unsafe.SliceData(b), len(b))
}

// OffsetOf returns where s starts in text, when s is a substring of text
// by place (as the fields of Access from AccessOf, of NginxError, …), not
// only by content: their addresses tell, no search.
func OffsetOf(text, s string) (int, bool) {
	return offsetAt(unsafe.StringData(text), len(text), unsafe.StringData(s), len(s))
}

// offsetAt returns where the n bytes at part start in the size bytes at
// whole, when they are all among them.
func offsetAt(whole *byte, size int, part *byte, n int) (int, bool) {
	if size == 0 || n == 0 {
		return 0, false
	}
	off := int(uintptr(unsafe.Pointer(part)) - uintptr(unsafe.Pointer(whole)))
	return off, off >= 0 && off <= size-n
}

// accString returns s, JSON-unescaped when json is set.
func accString(s string, json bool) string {
	if json {
		return jsonUnescape(s)
	}
	return s
}

// ---------------------------------------------------------------------------
// Spans: a parsed line as byte ranges, shared by every access parser.

// The string fields of an access line, as indexes of accessSpans.f.
const (
	afRemoteAddr = iota
	afRemoteUser
	afMethod
	afURI
	afProtocol
	afReferer
	afUserAgent
	afHost
	afRequestID
	afXFF
	afUpAddr
	afUpStatus
	afUpRespTime
	afUpConnTime
	afUpHeaderTime
	numAccessSpans
)

// extraSpan is one extra variable: v names it for compiled formats, key
// (a range of the line) for JSON lines.
type extraSpan struct {
	v   *lfVar
	key span
	val span
}

// accessSpans is a parsed access line as byte ranges of the line. A zero
// span is an unset field.
type accessSpans struct {
	f      [numAccessSpans]span
	extra  [MaxAccessExtra]extraSpan
	nextra int

	time        time.Time
	zone        int
	status      int
	bodyBytes   int64
	requestTime float64
	connection  int64
	json        bool
}

// reset makes s an empty line: no field, numbers unset.
func (s *accessSpans) reset() {
	*s = accessSpans{status: -1, bodyBytes: -1, requestTime: -1}
}

func (s *accessSpans) addExtra(e extraSpan) {
	if s.nextra < MaxAccessExtra {
		s.extra[s.nextra] = e
		s.nextra++
	}
}

// line fills a from s, with views into line.
func (s *accessSpans) line(line []byte, a *AccessLine) {
	f := &s.f
	a.RemoteAddr = f[afRemoteAddr].bytes(line)
	a.RemoteUser = f[afRemoteUser].bytes(line)
	a.Method = f[afMethod].bytes(line)
	a.URI = f[afURI].bytes(line)
	a.Protocol = f[afProtocol].bytes(line)
	a.HTTPReferer = f[afReferer].bytes(line)
	a.HTTPUserAgent = f[afUserAgent].bytes(line)
	a.Host = f[afHost].bytes(line)
	a.RequestID = f[afRequestID].bytes(line)
	a.XForwardedFor = f[afXFF].bytes(line)
	a.UpstreamAddr = f[afUpAddr].bytes(line)
	a.UpstreamStatus = f[afUpStatus].bytes(line)
	a.UpstreamResponseTime = f[afUpRespTime].bytes(line)
	a.UpstreamConnectTime = f[afUpConnTime].bytes(line)
	a.UpstreamHeaderTime = f[afUpHeaderTime].bytes(line)
	a.Time = s.time
	a.ZoneOffset = s.zone
	a.Status = s.status
	a.BodyBytesSent = s.bodyBytes
	a.RequestTime = s.requestTime
	a.Connection = s.connection
	a.JSONEscaped = s.json
	for i, e := range s.extra[:s.nextra] {
		x := &a.extra[i]
		if e.v != nil {
			x.Name = e.v.nameB
		} else {
			x.Name = e.key.bytes(line)
		}
		x.Value = e.val.bytes(line)
	}
	for i := s.nextra; i < a.nextra; i++ {
		a.extra[i] = AccessLineVar{}
	}
	a.nextra = s.nextra
}

// access builds the Access of s; its strings are substrings of text, the
// line s was parsed from (JSON-escaped values with escapes are decoded
// copies).
func (s *accessSpans) access(text string) *Access {
	f := &s.f
	j := s.json
	str := func(k int) string { return accString(f[k].str(text), j) }
	x := &Access{
		RemoteAddr:           str(afRemoteAddr),
		RemoteUser:           str(afRemoteUser),
		Method:               str(afMethod),
		URI:                  str(afURI),
		Protocol:             str(afProtocol),
		Status:               s.status,
		BodyBytesSent:        s.bodyBytes,
		HTTPReferer:          str(afReferer),
		HTTPUserAgent:        str(afUserAgent),
		RequestTime:          s.requestTime,
		Host:                 str(afHost),
		Connection:           s.connection,
		RequestID:            str(afRequestID),
		XForwardedFor:        str(afXFF),
		UpstreamAddr:         str(afUpAddr),
		UpstreamStatus:       str(afUpStatus),
		UpstreamResponseTime: str(afUpRespTime),
		UpstreamConnectTime:  str(afUpConnTime),
		UpstreamHeaderTime:   str(afUpHeaderTime),
	}
	for i, e := range s.extra[:s.nextra] {
		name := ""
		if e.v != nil {
			name = e.v.name
		} else {
			name = accString(e.key.str(text), j)
		}
		x.Extra[i] = AccessVar{Name: name, Value: accString(e.val.str(text), j)}
	}
	return x
}

// ---------------------------------------------------------------------------
// The combined family: one specialised scanner.

// ParseCombined parses one nginx `combined` line into a:
//
//	log_format combined '$remote_addr - $remote_user [$time_local] '
//	                    '"$request" $status $body_bytes_sent '
//	                    '"$http_referer" "$http_user_agent"';
//
// It does not allocate. line has no trailing newline (a trailing '\r' is
// ignored). A line that ends right after $body_bytes_sent (the `common`
// format) is accepted, with an empty referer and user agent.
//
// What follows the closing quote of $http_user_agent is decoded when it is
// the rest of a built-in format (see BuiltinAccessFormats): the
// ` "$http_x_forwarded_for"` that distributions append (`main`), the
// logcause format's ` rt=$request_time uct="…" … rid=$request_id`, or
// ingress-nginx's ` $request_length $request_time [$proxy_upstream_name] …
// $req_id` (`upstreaminfo`). Any other tail is ignored, and so are its
// values.
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
// is still a valid line: URI holds it whole (a "-" too: it is what nginx
// read) and Method and Protocol are empty.
//
// On error a is left unchanged and the error wraps ErrMalformed.
func ParseCombined(line []byte, a *AccessLine) error {
	var s accessSpans
	if err := parseCombined(line, &s); err != nil {
		return err
	}
	s.line(line, a)
	return nil
}

// ParseAccess parses one line of any built-in access format — the combined
// family of ParseCombined (combined, common, main, logcause, upstreaminfo)
// or a JSON object (see JSONAccessFormat) — into a. It is what the
// registered nginx_access parser and Detect accept, without allocating.
// On error a is left unchanged and the error wraps ErrMalformed.
func ParseAccess(line []byte, a *AccessLine) error {
	var s accessSpans
	if err := parseAccessAny(line, &s); err != nil {
		return err
	}
	s.line(line, a)
	return nil
}

// parseAccessAny dispatches on the first byte: JSON objects start with '{',
// which no combined line does.
func parseAccessAny(line []byte, s *accessSpans) error {
	if looksJSON(line) {
		return parseJSONAccess(line, s)
	}
	return parseCombined(line, s)
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

func parseCombined(line []byte, c *accessSpans) error {
	line = stripCR(line)
	n := len(line)
	if n == 0 {
		return errAccessEmpty
	}
	c.reset()

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
	c.f[afRemoteAddr] = span{a0, dash}
	c.f[afRemoteUser] = dashToEmpty(line, span{dash + 3, lb - 1})

	// [dd/Mon/yyyy:hh:mm:ss +zzzz] "
	t := lb + 1
	if n < t+29 || line[t+26] != ']' || line[t+27] != ' ' {
		return errAccessTime
	}
	if line[t+28] != '"' {
		return errAccessNoRequest
	}
	tm, zone, ok := parseTimeLocal(line[t : t+26])
	if !ok {
		return errAccessTime
	}
	c.time, c.zone = tm, zone

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
	c.f[afReferer] = dashToEmpty(line, span{f0, q})
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
	c.f[afUserAgent] = dashToEmpty(line, span{f0, q})
	parseCombinedTail(line, q+1, c)
	return nil
}

// parseCombinedTail decodes line[p:], what follows the user agent's closing
// quote, when it is the tail of a built-in format of the combined family.
func parseCombinedTail(line []byte, p int, c *accessSpans) {
	n := len(line)
	if n-p < 2 || line[p] != ' ' {
		return
	}
	var f *AccessFormat
	switch b := line[p+1]; {
	case b == '"':
		if n-p == 4 && line[p+2] == '-' && line[p+3] == '"' { // ` "-"`: nothing to set
			return
		}
		f = tailMain
	case b == 'r':
		f = tailLogcause
	case isDigit(b):
		f = tailUpstreamInfo
	default:
		return
	}
	var t accessSpans
	t.reset()
	if f.scan(line, p, &t) != nil {
		return
	}
	for k := range t.f {
		if t.f[k] != (span{}) {
			c.f[k] = t.f[k]
		}
	}
	if t.requestTime >= 0 {
		c.requestTime = t.requestTime
	}
	for _, e := range t.extra[:t.nextra] {
		c.addExtra(e)
	}
}

// parseTimeLocal parses `dd/Mon/yyyy:hh:mm:ss +zzzz` (exactly 26 bytes).
func parseTimeLocal(b []byte) (time.Time, int, bool) {
	if len(b) != 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' || b[20] != ' ' {
		return time.Time{}, 0, false
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
		return time.Time{}, 0, false
	}
	zone := zh*3600 + zm*60
	switch b[21] {
	case '+':
	case '-':
		zone = -zone
	default:
		return time.Time{}, 0, false
	}
	sec := daysSinceEpoch(y, m, d)*86400 + int64(hh*3600+mm*60+ss) - int64(zone)
	return time.Unix(sec, 0).UTC(), zone, true
}

// splitRequest splits the request line line[r0:r1] into method, URI and
// protocol, or puts it whole into the URI when it is not such a line.
func splitRequest(line []byte, r0, r1 int, c *accessSpans) {
	req := line[r0:r1]
	s1 := bytes.IndexByte(req, ' ')
	s2 := bytes.LastIndexByte(req, ' ')
	if s1 > 0 && s2 > s1+1 && bytes.HasPrefix(req[s2+1:], httpPrefix) {
		c.f[afMethod] = span{r0, r0 + s1}
		c.f[afURI] = span{r0 + s1 + 1, r0 + s2}
		c.f[afProtocol] = span{r0 + s2 + 1, r1}
		return
	}
	c.f[afMethod], c.f[afURI], c.f[afProtocol] = span{}, span{r0, r1}, span{}
}

var httpPrefix = []byte("HTTP/")

// ---------------------------------------------------------------------------
// Parsers and registration.

// accessParser is the registered Parser for KindNginxAccess: the combined
// family and JSON lines, as ParseAccess.
type accessParser struct{}

var _ Parser = accessParser{}

func (accessParser) Parse(rec []byte, ev *Event) error {
	var s accessSpans
	if err := parseAccessAny(rec, &s); err != nil {
		return err
	}
	s.event(rec, ev)
	return nil
}

// event fills ev from s, parsed from rec.
func (s *accessSpans) event(rec []byte, ev *Event) {
	text := string(rec)
	*ev = Event{
		Time:   s.time,
		Kind:   KindNginxAccess,
		Path:   ev.Path,
		Offset: ev.Offset,
		Text:   text,
		Access: s.access(text),
	}
}

// formatParser is the Parser of one AccessFormat.
type formatParser struct{ f *AccessFormat }

// NewAccessParser returns a Parser of nginx access lines written in format
// f (a compiled log_format, a built-in or JSONAccessFormat). Its events have
// Kind KindNginxAccess. Lines of a format that logs no time
// ($time_local, $time_iso8601 or $msec) are rejected: an event needs one.
func NewAccessParser(f *AccessFormat) Parser { return formatParser{f} }

func (p formatParser) Parse(rec []byte, ev *Event) error {
	if !p.f.hasTime {
		return p.f.errNoTime
	}
	var s accessSpans
	if err := p.f.parseSpans(rec, &s); err != nil {
		return err
	}
	s.event(rec, ev)
	return nil
}

func init() {
	register(KindNginxAccess, format{
		newParser: func(*time.Location, time.Time) Parser { return accessParser{} },
		matches: func(l []byte) bool {
			var s accessSpans
			return parseAccessAny(l, &s) == nil
		},
		appendFields: appendAccessJSON,
	})
}

// appendAccessJSON appends the fields of an access event, named after the
// nginx variables: remote_addr, remote_user, method, uri, protocol, status,
// body_bytes_sent, http_referer, http_user_agent, request_time, host,
// connection, request_id, http_x_forwarded_for, upstream_addr,
// upstream_status, upstream_response_time, upstream_connect_time,
// upstream_header_time, and "extra": {name: value} for Access.Extra. Empty
// strings, a negative status or body_bytes_sent, a request_time <= 0 and a
// zero connection are left out. request_time 0 is left out too: a
// hand-built Access (zero value) cannot be told from a logged "0.000".
func appendAccessJSON(dst []byte, e *Event) []byte {
	a := e.Access
	if a == nil {
		return dst
	}
	dst = appendStringField(dst, "remote_addr", a.RemoteAddr)
	dst = appendStringField(dst, "remote_user", a.RemoteUser)
	dst = appendStringField(dst, "method", a.Method)
	dst = appendStringField(dst, "uri", a.URI)
	dst = appendStringField(dst, "protocol", a.Protocol)
	if a.Status >= 0 {
		dst = appendIntField(dst, "status", int64(a.Status))
	}
	if a.BodyBytesSent >= 0 {
		dst = appendIntField(dst, "body_bytes_sent", a.BodyBytesSent)
	}
	dst = appendStringField(dst, "http_referer", a.HTTPReferer)
	dst = appendStringField(dst, "http_user_agent", a.HTTPUserAgent)
	if a.RequestTime > 0 {
		dst = append(dst, `,"request_time":`...)
		dst = strconv.AppendFloat(dst, a.RequestTime, 'f', -1, 64)
	}
	dst = appendStringField(dst, "host", a.Host)
	if a.Connection != 0 {
		dst = appendIntField(dst, "connection", a.Connection)
	}
	dst = appendStringField(dst, "request_id", a.RequestID)
	dst = appendStringField(dst, "http_x_forwarded_for", a.XForwardedFor)
	dst = appendStringField(dst, "upstream_addr", a.UpstreamAddr)
	dst = appendStringField(dst, "upstream_status", a.UpstreamStatus)
	dst = appendStringField(dst, "upstream_response_time", a.UpstreamResponseTime)
	dst = appendStringField(dst, "upstream_connect_time", a.UpstreamConnectTime)
	dst = appendStringField(dst, "upstream_header_time", a.UpstreamHeaderTime)
	open := false
	for _, v := range a.Extra {
		if v.Name == "" {
			continue
		}
		if !open {
			dst = append(dst, `,"extra":{`...)
			open = true
		} else {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, v.Name)
		dst = append(dst, ':')
		dst = appendJSONString(dst, v.Value)
	}
	if open {
		dst = append(dst, '}')
	}
	return dst
}

// ---------------------------------------------------------------------------
// Upstream lists.

// UpstreamAttempt is one attempt of a request at an upstream, read from the
// $upstream_* lists at the same position.
type UpstreamAttempt struct {
	Group        int     // 0, then 1 after the first " : " (internal redirect to another upstream group), …
	Addr         string  // "" when logged as "-" or not logged
	Status       int     // -1 when "-" or not logged
	ResponseTime float64 // seconds; -1 when "-" or not logged
	ConnectTime  float64
	HeaderTime   float64
}

// UpstreamStatuses returns the statuses of $upstream_status, one per
// attempt that got one, in order: "502, 502 : 200" gives [502 502 200];
// entries "-" (no response) and anything not a number are skipped. It is nil
// when there is none.
func (a *Access) UpstreamStatuses() []int {
	var out []int
	for i := 0; i < len(a.UpstreamStatus); {
		e, next, _ := nextListElem(a.UpstreamStatus, i)
		if v, err := strconv.Atoi(e); err == nil && v >= 0 {
			out = append(out, v)
		}
		i = next
	}
	return out
}

// UpstreamAddrs returns the addresses of $upstream_addr, one per attempt,
// in order; "-" entries are skipped. It is nil when there is none.
func (a *Access) UpstreamAddrs() []string {
	var out []string
	for i := 0; i < len(a.UpstreamAddr); {
		e, next, _ := nextListElem(a.UpstreamAddr, i)
		if e != "" && e != "-" {
			out = append(out, e)
		}
		i = next
	}
	return out
}

// UpstreamAttempts returns the attempts the $upstream_* lists describe,
// aligned by position (nginx writes one entry per attempt in each list, "-"
// for what an attempt did not reach): as many as the longest list. It is nil
// when no upstream list is logged.
func (a *Access) UpstreamAttempts() []UpstreamAttempt {
	lists := [...]string{a.UpstreamAddr, a.UpstreamStatus, a.UpstreamResponseTime, a.UpstreamConnectTime, a.UpstreamHeaderTime}
	var out []UpstreamAttempt
	for k, l := range lists {
		n, group := 0, 0
		for i := 0; i < len(l); n++ {
			e, next, brk := nextListElem(l, i)
			for len(out) <= n {
				out = append(out, UpstreamAttempt{Status: -1, ResponseTime: -1, ConnectTime: -1, HeaderTime: -1})
			}
			at := &out[n]
			at.Group = max(at.Group, group)
			if e != "" && e != "-" {
				switch k {
				case 0:
					at.Addr = e
				case 1:
					if v, err := strconv.Atoi(e); err == nil && v >= 0 {
						at.Status = v
					}
				default:
					v, err := strconv.ParseFloat(e, 64)
					if err != nil || v < 0 {
						break
					}
					switch k {
					case 2:
						at.ResponseTime = v
					case 3:
						at.ConnectTime = v
					case 4:
						at.HeaderTime = v
					}
				}
			}
			if brk {
				group++
			}
			i = next
		}
	}
	return out
}

// ExtraValue returns the value of the extra variable name (see Extra).
func (a *Access) ExtraValue(name string) (string, bool) {
	for _, v := range a.Extra {
		if v.Name == name && name != "" {
			return v.Value, true
		}
	}
	return "", false
}

// nextListElem returns the entry of an $upstream_* list that starts at i
// (spaces trimmed), the index after its separator, and whether that
// separator was " : " (a new upstream group). Entries are separated by ","
// (nginx writes ", ") and groups by " : "; the colons inside addresses
// ("10.0.0.7:9000", "unix:/run/php.sock") have no space before them.
func nextListElem[T string | []byte](l T, i int) (T, int, bool) {
	n := len(l)
	for j := i; j < n; j++ {
		switch {
		case l[j] == ',':
			return trimSpaces(l[i:j]), j + 1, false
		case l[j] == ' ' && j+2 < n && l[j+1] == ':' && l[j+2] == ' ':
			return trimSpaces(l[i:j]), j + 3, true
		}
	}
	return trimSpaces(l[i:n]), n, false
}

// lastListElem returns the last entry of an $upstream_* list, nil for "-".
func lastListElem(l []byte) []byte {
	j := len(l)
	i := j
	for i > 0 {
		c := l[i-1]
		if c == ',' || (c == ' ' && i >= 3 && l[i-2] == ':' && l[i-3] == ' ') {
			break
		}
		i--
	}
	e := trimSpaces(l[i:j])
	if len(e) == 1 && e[0] == '-' {
		return nil
	}
	return e
}

func trimSpaces[T string | []byte](s T) T {
	i, j := 0, len(s)
	for i < j && s[i] == ' ' {
		i++
	}
	for j > i && s[j-1] == ' ' {
		j--
	}
	return s[i:j]
}
