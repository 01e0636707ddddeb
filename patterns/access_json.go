package patterns

import (
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The tolerant scanner of JSON access lines (JSONAccessFormat). It reads
// one flat JSON object, maps its known keys to AccessLine fields and keeps
// the others as extras. It does not allocate, and its work is linear in the
// size of the line.

var (
	errJSONObject = malformed(KindNginxAccess, "JSON line: not one JSON object")
	errJSONSyntax = malformed(KindNginxAccess, "JSON line: bad JSON")
	errJSONDepth  = malformed(KindNginxAccess, "JSON line: objects nested too deep")
	errJSONStatus = malformed(KindNginxAccess, "JSON line: no status (or not 3 digits)")
	errJSONTime   = malformed(KindNginxAccess, "JSON line: no time (or not in a known layout)")
)

// maxJSONDepth bounds the nesting of the values skipped.
const maxJSONDepth = 64

// fdTimeAny is a JSON time key: ISO 8601, $time_local or epoch.
const fdTimeAny = fdDrop + 1

type jsonKeyInfo struct {
	field int
	rank  int8
}

// jsonKeys maps normalised keys (lower case, '-' and '.' as '_') to fields.
var jsonKeys = map[string]jsonKeyInfo{
	"remote_addr": {afRemoteAddr, 0}, "client_ip": {afRemoteAddr, 1}, "clientip": {afRemoteAddr, 1},
	"remote_ip": {afRemoteAddr, 1}, "client_addr": {afRemoteAddr, 1},
	"remote_user":    {afRemoteUser, 0},
	"request":        {fdRequest, 0},
	"request_method": {afMethod, 1}, "method": {afMethod, 1}, "http_method": {afMethod, 1},
	"request_uri": {afURI, 1}, "uri": {afURI, 2}, "path": {afURI, 3}, "url": {afURI, 3},
	"server_protocol": {afProtocol, 1}, "protocol": {afProtocol, 1},
	"status": {fdStatus, 0}, "status_code": {fdStatus, 1}, "response": {fdStatus, 2}, "http_status": {fdStatus, 1},
	"response_status": {fdStatus, 1},
	"body_bytes_sent": {fdBodyBytes, 0}, "body_bytes": {fdBodyBytes, 1}, "bytes": {fdBodyBytes, 2},
	"http_referer": {afReferer, 0}, "referer": {afReferer, 1}, "referrer": {afReferer, 1},
	"http_user_agent": {afUserAgent, 0}, "user_agent": {afUserAgent, 1}, "useragent": {afUserAgent, 1}, "agent": {afUserAgent, 2},
	"http_x_forwarded_for": {afXFF, 0}, "x_forwarded_for": {afXFF, 1}, "xff": {afXFF, 1}, "proxy_add_x_forwarded_for": {afXFF, 2},
	"host": {afHost, 0}, "http_host": {afHost, 1}, "vhost": {afHost, 1}, "server_name": {afHost, 2},
	"request_time": {fdRequestTime, 0},
	"connection":   {fdConnection, 0},
	"request_id":   {afRequestID, 0}, "req_id": {afRequestID, 1}, "http_x_request_id": {afRequestID, 2}, "x_request_id": {afRequestID, 2},
	"upstream_addr":          {afUpAddr, 0},
	"upstream_status":        {afUpStatus, 0},
	"upstream_response_time": {afUpRespTime, 0},
	"upstream_connect_time":  {afUpConnTime, 0},
	"upstream_header_time":   {afUpHeaderTime, 0},
	"msec":                   {fdTimeAny, 0},
	"time_iso8601":           {fdTimeAny, 1}, "@timestamp": {fdTimeAny, 1}, "timestamp": {fdTimeAny, 1},
	"time": {fdTimeAny, 1}, "ts": {fdTimeAny, 1}, "date": {fdTimeAny, 1}, "datetime": {fdTimeAny, 1}, "time_local": {fdTimeAny, 1},
}

// looksJSON reports whether line's first non-blank byte is '{'.
func looksJSON(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' {
			return c == '{'
		}
	}
	return false
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// jsonStringEnd returns the index of the quote that closes the JSON string
// whose first byte is at i, or -1.
func jsonStringEnd(line []byte, i int) int {
	q := firstQuote(line[i:], escJSON)
	if q < 0 {
		return -1
	}
	return i + q
}

// skipJSONNested returns the index after the object or array that starts at
// i, or -1.
func skipJSONNested(line []byte, i int) (int, error) {
	depth := 0
	for i < len(line) {
		switch line[i] {
		case '"':
			e := jsonStringEnd(line, i+1)
			if e < 0 {
				return -1, errJSONSyntax
			}
			i = e
		case '{', '[':
			depth++
			if depth > maxJSONDepth {
				return -1, errJSONDepth
			}
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		}
		i++
	}
	return -1, errJSONSyntax
}

// jsonState tracks, per field, the rank of the key that set it.
type jsonState struct {
	rank    [fdTimeAny + 1]int8
	hasTime bool
	hasZone bool
}

// parseJSONAccess parses one JSON access line into s.
func parseJSONAccess(line []byte, s *accessSpans) error {
	line = stripCR(line)
	i0, n := 0, len(line)
	for i0 < n && isJSONSpace(line[i0]) {
		i0++
	}
	for n > i0 && isJSONSpace(line[n-1]) {
		n--
	}
	if n-i0 < 2 || line[i0] != '{' || line[n-1] != '}' {
		return errJSONObject
	}
	line = line[:n]
	s.reset()
	s.json = true
	var st jsonState
	for k := range st.rank {
		st.rank[k] = 127
	}
	p := i0 + 1
	for {
		for p < n && isJSONSpace(line[p]) {
			p++
		}
		if p >= n {
			return errJSONSyntax
		}
		if line[p] == '}' {
			if p != n-1 {
				return errJSONSyntax
			}
			break
		}
		if line[p] != '"' {
			return errJSONSyntax
		}
		ks := p + 1
		ke := jsonStringEnd(line, ks)
		if ke < 0 {
			return errJSONSyntax
		}
		p = ke + 1
		for p < n && isJSONSpace(line[p]) {
			p++
		}
		if p >= n || line[p] != ':' {
			return errJSONSyntax
		}
		p++
		for p < n && isJSONSpace(line[p]) {
			p++
		}
		if p >= n {
			return errJSONSyntax
		}
		var vs, ve int
		kind := byte('s') // string, scalar, nested
		switch line[p] {
		case '"':
			vs = p + 1
			ve = jsonStringEnd(line, vs)
			if ve < 0 {
				return errJSONSyntax
			}
			p = ve + 1
		case '{', '[':
			e, err := skipJSONNested(line, p)
			if err != nil {
				return err
			}
			vs, ve, p, kind = p, e, e, 'n'
		default:
			vs = p
			for p < n && line[p] != ',' && line[p] != '}' && !isJSONSpace(line[p]) {
				p++
			}
			if p == vs {
				return errJSONSyntax
			}
			ve, kind = p, 'v'
		}
		if err := st.assign(line, span{ks, ke}, span{vs, ve}, kind, s); err != nil {
			return err
		}
		for p < n && isJSONSpace(line[p]) {
			p++
		}
		if p < n && line[p] == ',' {
			p++
			continue
		}
		if p == n-1 && line[p] == '}' {
			break
		}
		return errJSONSyntax
	}
	if s.status < 0 {
		return errJSONStatus
	}
	if !st.hasTime {
		return errJSONTime
	}
	return nil
}

// assign stores one member. kind is 's' (string: val is inside the quotes),
// 'v' (number, true, false, null) or 'n' (object or array).
func (st *jsonState) assign(line []byte, key, val span, kind byte, s *accessSpans) error {
	var buf [32]byte
	k := key.j - key.i
	info, known := jsonKeyInfo{}, false
	if k <= len(buf) {
		for i, c := range line[key.i:key.j] {
			switch {
			case c-'A' < 26:
				c += 'a' - 'A'
			case c == '-' || c == '.':
				c = '_'
			}
			buf[i] = c
		}
		info, known = jsonKeys[string(buf[:k])]
	}
	v := line[val.i:val.j]
	null := kind == 'v' && string(v) == "null"
	unset := null || len(v) == 0 || (len(v) == 1 && v[0] == '-')
	if known && info.field == fdTimeAny && !unset && kind != 'n' {
		// The most precise time wins; the first zone seen gives ZoneOffset.
		tm, zone, zoned, good := parseAnyTime(v, kind == 'v')
		if good {
			if zoned && !st.hasZone {
				s.zone, st.hasZone = zone, true
			}
			if info.rank < st.rank[fdTimeAny] {
				s.time, st.hasTime, st.rank[fdTimeAny] = tm, true, info.rank
				return nil
			}
		}
		known = false // kept as an extra
	}
	if known && kind != 'n' && info.rank < st.rank[info.field] {
		if unset {
			if info.field == fdStatus {
				return errJSONStatus
			}
			return nil
		}
		ok := true
		switch fd := info.field; {
		case fd < numAccessSpans:
			s.f[fd] = val
		case fd == fdRequest:
			splitRequest(line, val.i, val.j, s)
		case fd == fdStatus:
			var x int64
			if x, ok = atoiBytes(v, 3); ok && len(v) == 3 {
				s.status = int(x)
			} else {
				return errJSONStatus
			}
		case fd == fdBodyBytes:
			var x int64
			if x, ok = atoiBytes(v, 18); ok {
				s.bodyBytes = x
			}
		case fd == fdConnection:
			var x int64
			if x, ok = atoiBytes(v, 18); ok {
				s.connection = x
			}
		case fd == fdRequestTime:
			var x float64
			if x, ok = parseDecimalSeconds(v); ok {
				s.requestTime = x
			}
		}
		if ok {
			st.rank[info.field] = info.rank
			return nil
		}
	}
	if !unset && k > 0 { // an empty name marks an unused Access.Extra entry
		s.addExtra(extraSpan{key: key, val: val})
	}
	return nil
}

// parseAnyTime reads a time value of a JSON line: epoch seconds (with a
// fraction, or 13/16/19 digits for ms/µs/ns), ISO 8601 or $time_local.
// zoned reports whether the value carried a UTC offset.
func parseAnyTime(v []byte, number bool) (t time.Time, zone int, zoned, ok bool) {
	if len(v) == 0 || !isDigit(v[0]) {
		return time.Time{}, 0, false, false
	}
	if number || len(v) < 5 || isDigit(v[4]) {
		t, ok = parseEpoch(v)
		return t, 0, false, ok
	}
	if len(v) >= 19 && v[4] == '-' {
		t, zone, ok = parseISO8601(v, false)
		return t, zone, ok && (v[len(v)-1]|0x20 == 'z' || hasZoneSuffix(v)), ok
	}
	if len(v) == 26 && v[2] == '/' {
		t, zone, ok = parseTimeLocal(v)
		return t, zone, ok, ok
	}
	return time.Time{}, 0, false, false
}

// hasZoneSuffix reports whether an ISO 8601 stamp ends in ±hh:mm or ±hhmm.
func hasZoneSuffix(v []byte) bool {
	n := len(v)
	return (n >= 25 && (v[n-6] == '+' || v[n-6] == '-') && v[n-3] == ':') || (n >= 24 && (v[n-5] == '+' || v[n-5] == '-') && v[n-3] != ':')
}

// jsonUnescape decodes the JSON escapes of s (the inside of a JSON string).
// Escapes it does not know, and broken ones, are kept as written.
func jsonUnescape(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for i < len(s) {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b = append(b, c)
			i++
			continue
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				b = append(b, c, e)
				i += 2
				continue
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok2 := hex4(s, i+2); ok2 && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						b = utf8.AppendRune(b, d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			b = append(b, c, e)
		}
		i += 2
	}
	return string(b)
}

// hex4 reads 4 hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if len(s)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case isDigit(c):
			r = r<<4 | rune(c-'0')
		case (c|0x20)-'a' < 6:
			r = r<<4 | rune((c|0x20)-'a'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
