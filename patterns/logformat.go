package patterns

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// AccessFormat is a compiled nginx log_format (or the tolerant JSON line
// scanner, see JSONAccessFormat). It is immutable: one AccessFormat may
// parse lines from many goroutines.
//
// # How a line is matched
//
// The format is a sequence of literals and variables. Literals must match
// exactly; a variable's value ends where the literal after it begins:
//
//   - Variables with a known shape are scanned by it: $status (3 digits),
//     $body_bytes_sent and other counters (digits), $request_time and
//     $gzip_ratio (decimal), $msec, $time_local (26 bytes), $time_iso8601
//     (25 bytes), the $upstream_* lists (entries joined by ", " and " : ",
//     so their spaces do not end them), and tokens without spaces
//     ($request_id, $request_method, $host: the latter also stops at '/',
//     for "$host$request_uri"). The literal must follow the value.
//   - Other values (strings: $request, $http_user_agent, unknown variables)
//     end at the next occurrence of the whole following literal. With
//     escape=default (nginx writes `"` as \x22) and escape=json (`\"`), a
//     literal that starts with `"` is found at the first unescaped quote: a
//     value cannot hold one. With escape=none values may hold any byte, so
//     the occurrence chosen is the first one after which the next variable
//     fits its shape (`"$request" $status`: the `" ` followed by 3 digits).
//   - The last literal must end the line; a last variable with no literal
//     after it takes the rest of the line (a typed one must fit it whole).
//   - A string variable followed directly by another variable
//     ("$a$b") is read as a token: up to a space or a quote.
//
// Every value "-" means unset. $request keeps "-" as its URI (what nginx
// read, as ParseCombined does). When several variables give one field, one
// wins and the others are kept as extras: $request over $request_method,
// $request_uri, $uri and $server_protocol; $host over $http_host over
// $server_name; $request_id over $req_id over $http_x_request_id;
// $http_x_forwarded_for over $proxy_add_x_forwarded_for. Variables
// without a field of their own ($request_length, $bytes_sent, $pipe,
// $gzip_ratio, $upstream_response_length, any unknown $var) are extras
// (AccessLine.Extra), at most MaxAccessExtra per line.
type AccessFormat struct {
	name   string
	text   string
	escape lfEscape
	json   bool // the JSON line scanner, not a compiled format

	lit0    string
	vars    []lfVar
	hasTime bool

	errStart, errTrail, errNoTime error
}

type lfEscape uint8

const (
	escDefault lfEscape = iota
	escJSON
	escNone
)

var escapeNames = [...]string{escDefault: "default", escJSON: "json", escNone: "none"}

// The shapes of variable values.
const (
	shString    uint8 = iota // anything; ends at the following literal
	shToken                  // no space, tab or quote
	shHost                   // a token that also stops at '/'
	shStatus                 // 3 digits
	shInt                    // digits
	shFloat                  // digits[.digits]
	shMsec                   // digits[.digits]
	shTimeLocal              // 23/Nov/2026:14:02:10 +0100
	shTimeISO                // 2026-11-23T14:02:10+01:00
	shIntList                // upstream lists: entries joined by ", " or " : "
	shFloatList
	shAddrList
)

// Field codes beyond the span fields (afXxx) of accessSpans.
const (
	fdRequest = numAccessSpans + iota
	fdStatus
	fdBodyBytes
	fdRequestTime
	fdConnection
	fdTimeLocal
	fdTimeISO
	fdMsec
	fdExtra
	fdDrop // an extra beyond MaxAccessExtra
)

// lfVar is one variable of a compiled format.
type lfVar struct {
	name   string
	nameB  []byte
	field  int
	shape  uint8
	after  string // the literal that follows
	afterB []byte
	last   bool
	errBad error
}

// lfVarInfo says where a known variable goes and what its values look like.
// rank orders variables that give the same field: lowest wins.
type lfVarInfo struct {
	field int
	shape uint8
	rank  int
}

// lfKnownVars are the nginx variables with a field or a shape.
var lfKnownVars = map[string]lfVarInfo{
	"remote_addr":               {afRemoteAddr, shString, 0},
	"remote_user":               {afRemoteUser, shString, 0},
	"time_local":                {fdTimeLocal, shTimeLocal, 0},
	"time_iso8601":              {fdTimeISO, shTimeISO, 0},
	"msec":                      {fdMsec, shMsec, 0},
	"request":                   {fdRequest, shString, 0},
	"request_method":            {afMethod, shToken, 1},
	"request_uri":               {afURI, shString, 1},
	"uri":                       {afURI, shString, 2},
	"document_uri":              {afURI, shString, 3},
	"server_protocol":           {afProtocol, shToken, 1},
	"status":                    {fdStatus, shStatus, 0},
	"body_bytes_sent":           {fdBodyBytes, shInt, 0},
	"http_referer":              {afReferer, shString, 0},
	"http_user_agent":           {afUserAgent, shString, 0},
	"http_x_forwarded_for":      {afXFF, shString, 0},
	"proxy_add_x_forwarded_for": {afXFF, shString, 1},
	"host":                      {afHost, shHost, 0},
	"http_host":                 {afHost, shHost, 1},
	"server_name":               {afHost, shHost, 2},
	"request_time":              {fdRequestTime, shFloat, 0},
	"connection":                {fdConnection, shInt, 0},
	"request_id":                {afRequestID, shToken, 0},
	"req_id":                    {afRequestID, shToken, 1},
	"http_x_request_id":         {afRequestID, shString, 2},
	"upstream_addr":             {afUpAddr, shAddrList, 0},
	"upstream_status":           {afUpStatus, shIntList, 0},
	"upstream_response_time":    {afUpRespTime, shFloatList, 0},
	"upstream_connect_time":     {afUpConnTime, shFloatList, 0},
	"upstream_header_time":      {afUpHeaderTime, shFloatList, 0},
	// Extras with a shape.
	"bytes_sent":               {fdExtra, shInt, 0},
	"request_length":           {fdExtra, shInt, 0},
	"connection_requests":      {fdExtra, shInt, 0},
	"upstream_response_length": {fdExtra, shIntList, 0},
	"upstream_bytes_received":  {fdExtra, shIntList, 0},
	"upstream_bytes_sent":      {fdExtra, shIntList, 0},
	"upstream_cache_status":    {fdExtra, shToken, 0},
	"pipe":                     {fdExtra, shToken, 0},
	"gzip_ratio":               {fdExtra, shFloat, 0},
	"server_port":              {fdExtra, shToken, 0},
	"remote_port":              {fdExtra, shToken, 0},
	"scheme":                   {fdExtra, shToken, 0},
	"https":                    {fdExtra, shToken, 0},
	"ssl_protocol":             {fdExtra, shToken, 0},
	"ssl_cipher":               {fdExtra, shToken, 0},
	"realip_remote_addr":       {fdExtra, shToken, 0},
	"server_addr":              {fdExtra, shToken, 0},
}

// Limits on what CompileLogFormat accepts.
const (
	maxLogFormatText = 64 << 10
	maxLogFormatVars = 256
)

// Name returns the format's name (the log_format's first argument).
func (f *AccessFormat) Name() string { return f.name }

// Escape returns the format's escape parameter: "default", "json" or
// "none".
func (f *AccessFormat) Escape() string { return escapeNames[f.escape] }

// Text returns the format string, the log_format's strings joined; "" for
// JSONAccessFormat.
func (f *AccessFormat) Text() string { return f.text }

// HasTime reports whether the format logs a time: $time_local,
// $time_iso8601 or $msec (a JSON line must carry one).
func (f *AccessFormat) HasTime() bool { return f.hasTime }

// Variables returns the names of the format's variables, in order.
func (f *AccessFormat) Variables() []string {
	out := make([]string, len(f.vars))
	for i := range f.vars {
		out[i] = f.vars[i].name
	}
	return out
}

// String returns the format as an nginx log_format directive (for
// JSONAccessFormat, a description).
func (f *AccessFormat) String() string {
	if f.json {
		return "JSON access lines (one JSON object per line, any keys)"
	}
	esc := ""
	if f.escape != escDefault {
		esc = "escape=" + escapeNames[f.escape] + " "
	}
	return "log_format " + f.name + " " + esc + quoteConfString(f.text) + ";"
}

// quoteConfString quotes s as an nginx configuration string.
func quoteConfString(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case q, '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// CompileLogFormat compiles the format string text of an nginx log_format
// named name (the strings of the directive joined, as nginx joins them),
// with escape "" or "default", "json" or "none". Variables are written
// $name or ${name}; see AccessFormat for how lines are matched.
func CompileLogFormat(name, escape, text string) (*AccessFormat, error) {
	f := &AccessFormat{name: name, text: text}
	switch escape {
	case "", "default":
		f.escape = escDefault
	case "json":
		f.escape = escJSON
	case "none":
		f.escape = escNone
	default:
		return nil, fmt.Errorf("log_format %s: unknown escape %q (default, json or none)", name, escape)
	}
	if name == "" {
		return nil, errors.New("log_format without a name")
	}
	if text == "" {
		return nil, fmt.Errorf("log_format %s: empty format", name)
	}
	if len(text) > maxLogFormatText {
		return nil, fmt.Errorf("log_format %s: format longer than %d bytes", name, maxLogFormatText)
	}

	// Split into literals and variables.
	var lits []string
	var names []string
	var lit strings.Builder
	for i := 0; i < len(text); {
		c := text[i]
		if c != '$' {
			lit.WriteByte(c)
			i++
			continue
		}
		var v string
		if i+1 < len(text) && text[i+1] == '{' {
			e := strings.IndexByte(text[i+2:], '}')
			if e < 0 {
				return nil, fmt.Errorf("log_format %s: missing } after ${ at byte %d", name, i)
			}
			v = text[i+2 : i+2+e]
			if v == "" || !isVarName(v) {
				return nil, fmt.Errorf("log_format %s: invalid variable name ${%s}", name, v)
			}
			i += 3 + e
		} else {
			j := i + 1
			for j < len(text) && isVarByte(text[j]) {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("log_format %s: invalid variable name at byte %d (a $ must start a $name or ${name})", name, i)
			}
			v = text[i+1 : j]
			i = j
		}
		if len(names) == maxLogFormatVars {
			return nil, fmt.Errorf("log_format %s: more than %d variables", name, maxLogFormatVars)
		}
		lits = append(lits, lit.String())
		lit.Reset()
		names = append(names, v)
	}
	lits = append(lits, lit.String())

	f.lit0 = lits[0]
	prefix := "log_format " + name + ": "
	f.errStart = malformed(KindNginxAccess, prefix+"the line does not start with "+quoteForError(f.lit0))
	f.errTrail = malformed(KindNginxAccess, prefix+"text after the end of the format")
	f.errNoTime = malformed(KindNginxAccess, prefix+"the format logs no time ($time_local, $time_iso8601 or $msec)")

	// Which variable gives each field: the lowest rank, then the first.
	type owner struct{ idx, rank int }
	owners := map[int]owner{}
	hasRequest := false
	f.vars = make([]lfVar, len(names))
	for i, n := range names {
		info, known := lfKnownVars[n]
		if !known {
			info = lfVarInfo{field: fdExtra, shape: shString}
		}
		if info.field == fdRequest {
			hasRequest = true
		}
		f.vars[i] = lfVar{name: n, nameB: []byte(n), field: info.field, shape: info.shape, after: lits[i+1], afterB: []byte(lits[i+1]), last: i == len(names)-1,
			errBad: malformed(KindNginxAccess, prefix+"bad $"+n)}
		switch info.field {
		case fdTimeLocal, fdTimeISO, fdMsec:
			f.hasTime = true
		}
		if info.field != fdExtra {
			if o, ok := owners[info.field]; !ok || info.rank < o.rank {
				owners[info.field] = owner{i, info.rank}
			}
		}
	}
	extras := 0
	for i := range f.vars {
		v := &f.vars[i]
		if v.field != fdExtra {
			o := owners[v.field]
			lost := o.idx != i
			if hasRequest && (v.field == afMethod || v.field == afURI || v.field == afProtocol) {
				lost = true
			}
			if lost {
				v.field = fdExtra
			}
		}
		if v.field == fdExtra {
			if extras == MaxAccessExtra {
				v.field = fdDrop
			} else {
				extras++
			}
		}
		// "$a$b": a string variable directly followed by another one is
		// read as a token.
		if v.after == "" && !v.last && v.shape == shString {
			v.shape = shToken
		}
	}
	if len(f.vars) == 0 {
		// A format of literals only: every line equal to it matches.
		f.errTrail = malformed(KindNginxAccess, prefix+"the line is not the format's text")
	}
	return f, nil
}

func isVarByte(c byte) bool {
	return c == '_' || c-'0' <= 9 || (c|0x20)-'a' < 26
}

func isVarName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isVarByte(s[i]) {
			return false
		}
	}
	return true
}

// quoteForError quotes a literal for an error message, cut short.
func quoteForError(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// Parse parses one line (without its newline; a trailing '\r' is ignored)
// into a. It does not allocate. On error a is left unchanged and the error
// wraps ErrMalformed. The slices of a point into line.
func (f *AccessFormat) Parse(line []byte, a *AccessLine) error {
	var s accessSpans
	if err := f.parseSpans(line, &s); err != nil {
		return err
	}
	s.line(line, a)
	return nil
}

// parseSpans parses line into s.
func (f *AccessFormat) parseSpans(line []byte, s *accessSpans) error {
	if f.json {
		return parseJSONAccess(line, s)
	}
	s.reset()
	return f.scan(stripCR(line), 0, s)
}

// lfTimes collects the time variables of a line.
type lfTimes struct {
	local, iso, msec time.Time
	zone             int
	hasLocal, hasISO bool
	hasMsec          bool
}

// scan matches line[p:] (line without '\r') against the format, into s.
func (f *AccessFormat) scan(line []byte, p int, s *accessSpans) error {
	if len(line)-p < len(f.lit0) || string(line[p:p+len(f.lit0)]) != f.lit0 {
		return f.errStart
	}
	p += len(f.lit0)
	var t lfTimes
	for i := range f.vars {
		v := &f.vars[i]
		end, next := f.valueEnd(line, p, i)
		if end < 0 || !f.assign(v, line, p, end, s, &t) {
			return v.errBad
		}
		p = next
	}
	if p != len(line) {
		return f.errTrail
	}
	switch {
	case t.hasMsec:
		s.time = t.msec
	case t.hasISO:
		s.time = t.iso
	case t.hasLocal:
		s.time = t.local
	}
	s.zone = t.zone
	s.json = f.escape == escJSON
	return nil
}

// valueEnd returns where the value of variable i starting at p ends, and
// where the next element starts; -1, -1 when the line does not fit.
func (f *AccessFormat) valueEnd(line []byte, p, i int) (int, int) {
	v := &f.vars[i]
	L := v.after
	n := len(line)
	if v.shape != shString {
		e := scanShape(v.shape, line, p, L, false)
		if e < 0 || n-e < len(L) || string(line[e:e+len(L)]) != L {
			return -1, -1
		}
		if v.last && e+len(L) != n {
			return -1, -1
		}
		return e, e + len(L)
	}
	if L == "" { // the last variable takes the rest of the line
		return n, n
	}
	if v.last {
		e := n - len(L)
		if e < p || string(line[e:]) != L {
			return -1, -1
		}
		if L[0] == '"' && f.escape != escNone && firstQuote(line[p:e], f.escape) >= 0 {
			return -1, -1
		}
		return e, n
	}
	if L[0] == '"' && f.escape != escNone {
		c := firstQuote(line[p:], f.escape)
		if c < 0 {
			return -1, -1
		}
		c += p
		if n-c < len(L) || string(line[c:c+len(L)]) != L {
			return -1, -1
		}
		return c, c + len(L)
	}
	q := p
	for {
		var c int
		if len(L) == 1 {
			c = bytes.IndexByte(line[q:], L[0])
		} else {
			c = bytes.Index(line[q:], v.afterB)
		}
		if c < 0 {
			return -1, -1
		}
		c += q
		if f.fits(line, c+len(L), i+1) {
			return c, c + len(L)
		}
		q = c + 1
	}
}

// maxLookahead bounds how far fits scans a token: past it, it answers yes.
const maxLookahead = 256

// fits reports whether variable j could start at p: its shape (for lists,
// the first entry) and, for shapes that end by themselves, the literal
// after it. String variables always fit. Its work is bounded.
func (f *AccessFormat) fits(line []byte, p, j int) bool {
	if j >= len(f.vars) {
		return true
	}
	w := &f.vars[j]
	if w.shape == shString {
		return true
	}
	lim := line
	if len(lim)-p > maxLookahead {
		lim = line[:p+maxLookahead]
	}
	e := scanShape(w.shape, lim, p, w.after, true)
	if e < 0 {
		return false
	}
	if e == len(lim) && len(lim) < len(line) {
		return true // cut short: no answer, so yes
	}
	switch w.shape {
	case shIntList, shFloatList, shAddrList:
		if hasListSep(line, e) {
			return true
		}
	}
	L := w.after
	if L == "" {
		return !w.last || e == len(line)
	}
	k := min(len(L), len(line)-e)
	return string(line[e:e+k]) == L[:k]
}

// hasListSep reports whether an $upstream_* list separator (", " or " : ")
// is at line[p:].
func hasListSep(line []byte, p int) bool {
	n := len(line)
	return (p+1 < n && line[p] == ',' && line[p+1] == ' ') || (p+2 < n && line[p] == ' ' && line[p+1] == ':' && line[p+2] == ' ')
}

// firstQuote returns the index of the first quote of b that ends a value:
// any quote for escape=default, one not escaped by a backslash for
// escape=json; -1 when there is none.
func firstQuote(b []byte, esc lfEscape) int {
	if esc != escJSON {
		return bytes.IndexByte(b, '"')
	}
	for i := 0; ; {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return -1
		}
		q += i
		k := q
		for k > 0 && b[k-1] == '\\' {
			k--
		}
		if (q-k)%2 == 0 {
			return q
		}
		i = q + 1
	}
}

// scanShape returns the end of a value of shape sh starting at p, or -1.
// after is the literal that follows (tokens and addresses stop at its first
// byte). first stops a list after its first entry.
func scanShape(sh uint8, line []byte, p int, after string, first bool) int {
	n := len(line)
	var stop byte = ' '
	if after != "" {
		stop = after[0]
	}
	if p < n && line[p] == '-' && (p+1 == n || !isDigit(line[p+1])) {
		switch sh {
		case shInt, shFloat, shStatus, shMsec:
			return p + 1
		}
	}
	switch sh {
	case shToken, shHost:
		e := p
		for e < n {
			c := line[e]
			if c == ' ' || c == '\t' || c == '"' || c == stop || (sh == shHost && c == '/') {
				break
			}
			e++
		}
		return e
	case shStatus:
		if n-p >= 3 && isDigit(line[p]) && isDigit(line[p+1]) && isDigit(line[p+2]) && (n-p == 3 || !isDigit(line[p+3])) {
			return p + 3
		}
		return -1
	case shInt:
		return scanDigits(line, p, 19)
	case shFloat, shMsec:
		e := scanDigits(line, p, 19)
		if e < 0 {
			return -1
		}
		if e < n && line[e] == '.' {
			if f := scanDigits(line, e+1, 18); f >= 0 {
				return f
			}
			return -1
		}
		return e
	case shTimeLocal:
		if n-p < 26 || line[p+2] != '/' || line[p+20] != ' ' {
			return -1
		}
		return p + 26
	case shTimeISO:
		if n-p < 25 || line[p+4] != '-' || line[p+10] != 'T' {
			return -1
		}
		return p + 25
	case shIntList, shFloatList, shAddrList:
		e := p
		for {
			x := scanListElem(sh, line, e, stop)
			if x < 0 {
				return -1
			}
			e = x
			if first || !hasListSep(line, e) {
				return e
			}
			if line[e] == ',' {
				e += 2
			} else {
				e += 3
			}
		}
	}
	return -1
}

// scanListElem scans one entry of an $upstream_* list.
func scanListElem(sh uint8, line []byte, p int, stop byte) int {
	n := len(line)
	if p < n && line[p] == '-' && (p+1 == n || !isDigit(line[p+1])) {
		return p + 1
	}
	switch sh {
	case shIntList:
		return scanDigits(line, p, 19)
	case shFloatList:
		return scanShape(shFloat, line, p, "", false)
	}
	// An address: 10.0.0.7:9000, [2a02:cf40::7]:5000, unix:/run/php.sock,
	// or an upstream group name.
	switch stop {
	case ':', '[', ']', '/', '.', '-', '_':
		stop = ' '
	}
	e := p
	for e < n {
		c := line[e]
		if c == ' ' || c == ',' || c == '"' || c == '\t' || c == stop {
			break
		}
		e++
	}
	if e == p {
		return -1
	}
	return e
}

// scanDigits returns the end of 1 to max digits at p, or -1.
func scanDigits(line []byte, p, max int) int {
	e := p
	for e < len(line) && isDigit(line[e]) {
		e++
		if e-p > max {
			return -1
		}
	}
	if e == p {
		return -1
	}
	return e
}

// assign stores the value line[i:j] of v into s. It reports false for a
// value its field cannot take.
func (f *AccessFormat) assign(v *lfVar, line []byte, i, j int, s *accessSpans, t *lfTimes) bool {
	val := line[i:j]
	dash := len(val) == 1 && val[0] == '-'
	switch fd := v.field; {
	case fd < numAccessSpans:
		if dash {
			return true
		}
		if fd == afRemoteAddr {
			// A forwarded-for list logged before the address: the last
			// token is the peer, as in ParseCombined.
			if k := bytes.LastIndexByte(val, ' '); k >= 0 {
				i += k + 1
			}
		}
		s.f[fd] = span{i, j}
	case fd == fdRequest:
		splitRequest(line, i, j, s)
	case fd == fdStatus:
		if dash {
			return true
		}
		st, ok := atoiBytes(val, 3)
		if !ok {
			return false
		}
		s.status = int(st)
	case fd == fdBodyBytes:
		if dash {
			return true
		}
		b, ok := atoiBytes(val, 18)
		if !ok {
			return false
		}
		s.bodyBytes = b
	case fd == fdConnection:
		if dash {
			return true
		}
		c, ok := atoiBytes(val, 18)
		if !ok {
			return false
		}
		s.connection = c
	case fd == fdRequestTime:
		if dash {
			return true
		}
		x, ok := parseDecimalSeconds(val)
		if !ok {
			return false
		}
		s.requestTime = x
	case fd == fdTimeLocal:
		tm, zone, ok := parseTimeLocal(val)
		if !ok {
			return false
		}
		t.local, t.hasLocal = tm, true
		if !t.hasISO {
			t.zone = zone
		}
	case fd == fdTimeISO:
		tm, zone, ok := parseISO8601(val, true)
		if !ok {
			return false
		}
		t.iso, t.hasISO, t.zone = tm, true, zone
	case fd == fdMsec:
		tm, ok := parseEpoch(val)
		if !ok {
			return false
		}
		t.msec, t.hasMsec = tm, true
	case fd == fdExtra:
		if !dash {
			s.addExtra(extraSpan{v: v, val: span{i, j}})
		}
	}
	return true
}

// atoiBytes parses 1 to max decimal digits.
func atoiBytes(b []byte, max int) (int64, bool) {
	if len(b) == 0 || len(b) > max {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

var pow10f = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// parseDecimalSeconds parses digits[.digits] (at most 15 significant digits
// are kept) as a non-negative float.
func parseDecimalSeconds(b []byte) (float64, bool) {
	var m int64
	digits, frac, dot := 0, 0, false
	for k, c := range b {
		switch {
		case isDigit(c):
			if digits < 15 {
				m = m*10 + int64(c-'0')
				digits++
				if dot {
					frac++
				}
			} else if !dot {
				return 0, false // more than 15 integer digits
			}
		case c == '.' && !dot && k > 0 && k < len(b)-1:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	return float64(m) / pow10f[frac], true
}

// parseEpoch parses seconds since 1970 with an optional fraction ($msec:
// "1700000000.123"). Integers of 13, 16 or 19 digits are read as
// milliseconds, microseconds or nanoseconds.
func parseEpoch(b []byte) (time.Time, bool) {
	var sec, nsec int64
	i, intDigits := 0, 0
	for i < len(b) && isDigit(b[i]) {
		if intDigits == 19 {
			return time.Time{}, false
		}
		sec = sec*10 + int64(b[i]-'0')
		intDigits++
		i++
	}
	if intDigits == 0 {
		return time.Time{}, false
	}
	if i < len(b) {
		if b[i] != '.' || i+1 == len(b) {
			return time.Time{}, false
		}
		i++
		scale := int64(100000000)
		for ; i < len(b); i++ {
			if !isDigit(b[i]) {
				return time.Time{}, false
			}
			nsec += int64(b[i]-'0') * scale
			scale /= 10
		}
	} else {
		switch intDigits {
		case 13:
			sec, nsec = sec/1e3, sec%1e3*1e6
		case 16:
			sec, nsec = sec/1e6, sec%1e6*1e3
		case 19:
			sec, nsec = sec/1e9, sec%1e9
		}
	}
	if sec > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(sec, nsec).UTC(), true
}

// parseISO8601 parses `2026-11-23T14:02:10+01:00` as $time_iso8601 writes
// it. Unless strict, it also takes a space for the T, a fraction of a
// second, "Z", "+0100" and no zone at all (UTC).
func parseISO8601(b []byte, strict bool) (time.Time, int, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' ||
		!(b[10] == 'T' || (!strict && (b[10] == ' ' || b[10] == 't'))) {
		return time.Time{}, 0, false
	}
	y, ok1 := num4(b, 0)
	mo, ok2 := num2(b, 5)
	d, ok3 := num2(b, 8)
	hh, ok4 := num2(b, 11)
	mm, ok5 := num2(b, 14)
	ss, ok6 := num2(b, 17)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || !validDateTime(y, time.Month(mo), d, hh, mm, ss) {
		return time.Time{}, 0, false
	}
	i := 19
	nsec := 0
	if !strict && i < len(b) && (b[i] == '.' || b[i] == ',') {
		i++
		scale := 100000000
		start := i
		for i < len(b) && isDigit(b[i]) {
			nsec += int(b[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return time.Time{}, 0, false
		}
	}
	zone := 0
	switch rest := b[i:]; {
	case len(rest) == 0:
		if strict {
			return time.Time{}, 0, false
		}
	case !strict && len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':',
		!strict && len(rest) == 5 && (rest[0] == '+' || rest[0] == '-'):
		zh, ok7 := num2(rest, 1)
		k := 3
		if len(rest) == 6 {
			k = 4
		}
		zm, ok8 := num2(rest, k)
		if !ok7 || !ok8 || zh > 23 || zm > 59 {
			return time.Time{}, 0, false
		}
		zone = zh*3600 + zm*60
		if rest[0] == '-' {
			zone = -zone
		}
	default:
		return time.Time{}, 0, false
	}
	sec := daysSinceEpoch(y, time.Month(mo), d)*86400 + int64(hh*3600+mm*60+ss) - int64(zone)
	return time.Unix(sec, int64(nsec)).UTC(), zone, true
}

// ---------------------------------------------------------------------------
// Built-in formats and detection.

// The built-in formats' texts.
const (
	combinedText = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`
	commonText   = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent`
	// The tails after combined of the built-ins that extend it.
	mainTail         = ` "$http_x_forwarded_for"`
	logcauseTail     = ` rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time" urt="$upstream_response_time" us="$upstream_status" ua="$upstream_addr" rid=$request_id`
	upstreamInfoTail = ` $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id`
)

var (
	builtinOnce      sync.Once
	builtinFormats   []*AccessFormat
	jsonAccessFmt    = &AccessFormat{name: "json", escape: escJSON, json: true, hasTime: true}
	tailMain         = mustCompile("main tail", "default", mainTail)
	tailLogcause     = mustCompile("logcause tail", "default", logcauseTail)
	tailUpstreamInfo = mustCompile("upstreaminfo tail", "default", upstreamInfoTail)
)

func mustCompile(name, escape, text string) *AccessFormat {
	f, err := CompileLogFormat(name, escape, text)
	if err != nil {
		panic(err)
	}
	return f
}

// BuiltinAccessFormats returns the formats logcause knows without a
// configuration, most specific first:
//
//   - logcause: the format the documentation recommends, combined followed
//     by ` rt=$request_time uct="$upstream_connect_time"
//     uht="$upstream_header_time" urt="$upstream_response_time"
//     us="$upstream_status" ua="$upstream_addr" rid=$request_id`;
//   - upstreaminfo: ingress-nginx's default, combined followed by
//     ` $request_length $request_time [$proxy_upstream_name]
//     [$proxy_alternative_upstream_name] $upstream_addr
//     $upstream_response_length $upstream_response_time $upstream_status
//     $req_id`;
//   - main: combined followed by ` "$http_x_forwarded_for"` (nginx.org
//     packages' nginx.conf, many images);
//   - combined: nginx's default;
//   - common: combined without referer and user agent.
//
// The slice is new; the formats are shared and immutable.
func BuiltinAccessFormats() []*AccessFormat {
	builtinOnce.Do(func() {
		builtinFormats = []*AccessFormat{
			mustCompile("logcause", "default", combinedText+logcauseTail),
			mustCompile("upstreaminfo", "default", combinedText+upstreamInfoTail),
			mustCompile("main", "default", combinedText+mainTail),
			mustCompile("combined", "default", combinedText),
			mustCompile("common", "default", commonText),
		}
	})
	return append([]*AccessFormat(nil), builtinFormats...)
}

// JSONAccessFormat returns the tolerant scanner of JSON access lines: one
// JSON object per line, as `log_format NAME escape=json '{"time":"$time_iso8601",…}'`
// writes, whatever its keys' order and spelling. Keys are matched ignoring
// case, with '-' and '.' read as '_'; the known ones are the nginx variable
// names (remote_addr, time_iso8601, msec, request, status, request_time,
// upstream_status, …) and common spellings: @timestamp, timestamp, time,
// ts, date (a time in any of ISO 8601, $time_local or epoch seconds/ms),
// method, path, url, status_code, response, bytes, referer, referrer,
// user_agent, agent, client_ip, x_forwarded_for, duration is not read (its
// unit is unknown). Other keys are extras (their raw value; a nested object
// or array as its JSON text). A line must be an object with a status and a
// time. String values keep their JSON escapes in AccessLine (JSONEscaped is
// set); Access decodes them.
func JSONAccessFormat() *AccessFormat { return jsonAccessFmt }

// DetectAccessFormat returns the format that parses most of the non-blank
// sample lines — more than half of them — among candidates (the user's
// formats, tried first), then BuiltinAccessFormats, then JSONAccessFormat.
// A tie goes to the earlier format. Formats that log no time are skipped.
// It reports false when no format parses a clear majority.
func DetectAccessFormat(sample [][]byte, candidates []*AccessFormat) (*AccessFormat, bool) {
	all := make([]*AccessFormat, 0, len(candidates)+8)
	for _, c := range candidates {
		if c != nil && c.hasTime {
			all = append(all, c)
		}
	}
	all = append(all, BuiltinAccessFormats()...)
	all = append(all, jsonAccessFmt)
	nonEmpty := 0
	for _, l := range sample {
		if !blank(l) {
			nonEmpty++
		}
	}
	if nonEmpty == 0 {
		return nil, false
	}
	var best *AccessFormat
	bestN := 0
	var s accessSpans
	for _, f := range all {
		n := 0
		for k, l := range sample {
			if blank(l) {
				continue
			}
			if f.parseSpans(l, &s) == nil {
				n++
			}
			// Stop when the rest cannot beat the best.
			if left := len(sample) - k - 1; n+left <= bestN {
				break
			}
		}
		if n > bestN {
			best, bestN = f, n
		}
	}
	if bestN*2 <= nonEmpty {
		return nil, false
	}
	return best, true
}
