package patterns

import (
	"bytes"
	"time"
)

// The nginx error-log record (catalog §1.1):
//
//	YYYY/MM/DD HH:MM:SS [LEVEL] PID#TID: *CID MESSAGE[ (ERRNO: STRERROR)][ while ACTION], client: ADDR, server: NAME[, request: "LINE"][, subrequest: "URI"][, upstream: "URL"][, host: "HOST"][, referrer: "REF"]
//
// How the parts are found, given that a request line, header values and the
// text of a `FastCGI sent in stderr: "…"` message can contain anything:
//
//   - The context (", client: …") is on the last physical line of the record.
//     It is searched for from the right; a candidate is taken only when the
//     rest of the line reads as a context (an address without spaces or
//     quotes, a server name likewise, then the known fields in nginx's order),
//     else the next ", client: " to the left is tried, up to maxContextTries.
//   - A quoted value ends at the first `"` that is followed by the end of the
//     record or by `, KEY: "` of a field that may come after it. A value that
//     runs to the end of the record without a closing quote, or a record that
//     ends inside a field name, is a record cut at nginx's 2048-byte limit:
//     the fields read so far are kept.
//   - A record without any context (process-level lines, lines cut before
//     it) is valid: everything after the header is the message.
//   - Action is the text after the last " while " of the message's last
//     physical line, when it reads as an action (letters, digits, spaces and
//     "_-./"); it is removed from Message.
//   - Errno is the number of the last "(NNN: " of the message's last physical
//     line; the "(NNN: strerror)" text stays in Message.

// maxContextTries bounds the ", client: " candidates tried per record.
const maxContextTries = 16

// Field names of the context, in the order nginx writes them.
const (
	ctxRequest = iota
	ctxSubrequest
	ctxUpstream
	ctxHost
	ctxReferrer
	numCtxKeys
)

var (
	sepClient = []byte(", client: ")
	sepServer = []byte(", server: ")
	sepWhile  = []byte(" while ")
	ctxKeys   = [numCtxKeys][]byte{
		ctxRequest:    []byte(`, request: "`),
		ctxSubrequest: []byte(`, subrequest: "`),
		ctxUpstream:   []byte(`, upstream: "`),
		ctxHost:       []byte(`, host: "`),
		ctxReferrer:   []byte(`, referrer: "`),
	}
)

// nginxErrorSpans is a parsed nginx error record as byte ranges of it.
type nginxErrorSpans struct {
	time  time.Time
	level span
	pid   int
	tid   int
	conn  int64
	errno int

	msg, action    span
	client, server span
	ctx            [numCtxKeys]span
}

var (
	errNginxStamp  = malformed(KindNginxError, "no YYYY/MM/DD HH:MM:SS [LEVEL] stamp")
	errNginxTime   = malformed(KindNginxError, "bad time")
	errNginxLevel  = malformed(KindNginxError, "bad level")
	errNginxPIDTID = malformed(KindNginxError, "no PID#TID: after level")
	errNginxConn   = malformed(KindNginxError, "bad *connection number")
)

// parseDecimal reads the decimal number at b[i:] of at most maxDigits digits.
// It returns the number and the index after it; end == i when there is no
// digit, end == -1 when there are more than maxDigits.
func parseDecimal(b []byte, i, maxDigits int) (v int64, end int) {
	j := i
	for j < len(b) && isDigit(b[j]) {
		if j-i == maxDigits {
			return 0, -1
		}
		v = v*10 + int64(b[j]-'0')
		j++
	}
	return v, j
}

func parseNginxError(rec []byte, loc *time.Location, e *nginxErrorSpans) error {
	rec = stripCR(rec)
	if !nginxErrorStamp(rec) {
		return errNginxStamp
	}
	y, _ := num4(rec, 0)
	mo, _ := num2(rec, 5)
	d, _ := num2(rec, 8)
	hh, _ := num2(rec, 11)
	mm, _ := num2(rec, 14)
	ss, _ := num2(rec, 17)
	if !validDateTime(y, time.Month(mo), d, hh, mm, ss) {
		return errNginxTime
	}
	e.time = time.Date(y, time.Month(mo), d, hh, mm, ss, 0, loc).UTC()

	// [level]
	i := 21
	for i < len(rec) && i < 21+16 && rec[i]-'a' < 26 {
		i++
	}
	if i == 21 || i+1 >= len(rec) || rec[i] != ']' || rec[i+1] != ' ' {
		return errNginxLevel
	}
	e.level = span{21, i}

	// PID#TID:
	pid, j := parseDecimal(rec, i+2, 10)
	if j <= i+2 || j >= len(rec) || rec[j] != '#' {
		return errNginxPIDTID
	}
	tid, k := parseDecimal(rec, j+1, 19)
	if k <= j+1 || k >= len(rec) || rec[k] != ':' {
		return errNginxPIDTID
	}
	e.pid, e.tid = int(pid), int(tid)
	if int64(e.pid) != pid || int64(e.tid) != tid {
		return errNginxPIDTID
	}
	b0 := k + 1
	if b0 < len(rec) {
		if rec[b0] != ' ' {
			return errNginxPIDTID
		}
		b0++
	}

	// *CID
	e.conn = 0
	if b0 < len(rec) && rec[b0] == '*' {
		v, end := parseDecimal(rec, b0+1, 18)
		if end <= b0+1 || (end < len(rec) && rec[end] != ' ') {
			return errNginxConn
		}
		e.conn = v
		b0 = end
		if b0 < len(rec) {
			b0++
		}
	}

	// The context, on the last physical line. The searches run forward:
	// bytes.Index and IndexByte are vectorised, the LastIndex forms are not.
	ls := b0
	for {
		nl := bytes.IndexByte(rec[ls:], '\n')
		if nl < 0 {
			break
		}
		ls += nl + 1
	}
	e.client, e.server = span{}, span{}
	e.ctx = [numCtxKeys]span{}
	var cand [maxContextTries]int // the rightmost ", client: " positions, a ring
	nc := 0
	for i := ls; ; {
		x := bytes.Index(rec[i:], sepClient)
		if x < 0 {
			break
		}
		cand[nc%maxContextTries] = i + x
		nc++
		i += x + len(sepClient)
	}
	msgEnd := len(rec)
	for try := 0; try < min(nc, maxContextTries); try++ {
		c := cand[(nc-1-try)%maxContextTries]
		if parseContext(rec, c, e) {
			msgEnd = c
			break
		}
		e.client, e.server = span{}, span{}
		e.ctx = [numCtxKeys]span{}
	}

	// ... while ACTION
	e.action = span{msgEnd, msgEnd}
	if w := lastIndex(rec[ls:msgEnd], sepWhile); w >= 0 {
		a0 := ls + w + len(sepWhile)
		if isAction(rec[a0:msgEnd]) {
			e.action = span{a0, msgEnd}
			msgEnd = ls + w
		}
	}
	e.msg = span{b0, msgEnd}
	e.errno = lastErrno(rec[ls:msgEnd])
	return nil
}

// isAction reports whether b reads as an nginx log action such as
// "reading response header from upstream".
func isAction(b []byte) bool {
	if len(b) == 0 || len(b) > 128 {
		return false
	}
	for _, c := range b {
		switch {
		case c|0x20-'a' < 26, isDigit(c), c == ' ', c == '_', c == '-', c == '.', c == '/':
		default:
			return false
		}
	}
	return true
}

// lastErrno returns the number of the last "(NNN: " in b, or 0.
func lastErrno(b []byte) int {
	errno := 0
	for i := 0; ; {
		p := bytes.IndexByte(b[i:], '(')
		if p < 0 {
			return errno
		}
		p += i
		v, j := parseDecimal(b, p+1, 9)
		if j > p+1 && j+1 < len(b) && b[j] == ':' && b[j+1] == ' ' {
			errno = int(v)
		}
		i = p + 1
	}
}

// lastIndex is bytes.LastIndex by forward search.
func lastIndex(b, sep []byte) int {
	last := -1
	for i := 0; ; {
		x := bytes.Index(b[i:], sep)
		if x < 0 {
			return last
		}
		last = i + x
		i = last + 1
	}
}

// parseContext reads the context that starts at rec[c:] (at ", client: ")
// into e and reports whether it is well formed up to the end of rec.
func parseContext(rec []byte, c int, e *nginxErrorSpans) bool {
	n := len(rec)
	// client: an address, no spaces or quotes.
	i := c + len(sepClient)
	j := i
	for j < n && rec[j] != ',' {
		if rec[j] == ' ' || rec[j] == '"' {
			return false
		}
		j++
	}
	if j == i && j < n {
		return false
	}
	e.client = span{i, j}
	if j == n {
		return true
	}
	if !bytes.HasPrefix(rec[j:], sepServer) {
		return bytes.HasPrefix(sepServer, rec[j:]) // cut inside ", server: "
	}

	// server: a name or a listen address, possibly empty.
	i = j + len(sepServer)
	j = i
	for j < n && rec[j] != ',' {
		if rec[j] == ' ' || rec[j] == '"' {
			return false
		}
		j++
	}
	e.server = span{i, j}

	// , request: "…", subrequest: "…", upstream: "…", host: "…", referrer: "…"
	next := 0
	for j < n {
		rest := rec[j:]
		key := -1
		for k := next; k < numCtxKeys; k++ {
			if bytes.HasPrefix(rest, ctxKeys[k]) {
				key = k
				break
			}
		}
		if key < 0 {
			for k := next; k < numCtxKeys; k++ {
				if len(rest) < len(ctxKeys[k]) && bytes.HasPrefix(ctxKeys[k], rest) {
					return true // cut inside a field name
				}
			}
			return false
		}
		v0 := j + len(ctxKeys[key])
		v1 := closingQuote(rec, v0, key+1)
		e.ctx[key] = span{v0, v1}
		j = v1 + 1
		next = key + 1
	}
	return true
}

// closingQuote returns the index of the quote that closes the value starting
// at rec[v0:]: the first one followed by the end of rec or by a field whose
// key index is at least next (or by the start of such a field's name, cut
// short). It returns len(rec) for a value cut short.
func closingQuote(rec []byte, v0, next int) int {
	q := v0
	for {
		x := bytes.IndexByte(rec[q:], '"')
		if x < 0 {
			return len(rec)
		}
		q += x
		if q+1 == len(rec) {
			return q
		}
		rest := rec[q+1:]
		for k := next; k < numCtxKeys; k++ {
			if bytes.HasPrefix(rest, ctxKeys[k]) || (len(rest) < len(ctxKeys[k]) && bytes.HasPrefix(ctxKeys[k], rest)) {
				return q
			}
		}
		q++
	}
}

// nginxErrorParser is the Parser for KindNginxError.
type nginxErrorParser struct {
	loc *time.Location
}

var _ Parser = nginxErrorParser{}

func (p nginxErrorParser) Parse(rec []byte, ev *Event) error {
	var s nginxErrorSpans
	if err := parseNginxError(rec, p.loc, &s); err != nil {
		return err
	}
	text := string(rec)
	*ev = Event{
		Time:   s.time,
		Kind:   KindNginxError,
		Path:   ev.Path,
		Offset: ev.Offset,
		Text:   text,
		Error: &NginxError{
			Level:      s.level.str(text),
			PID:        s.pid,
			TID:        s.tid,
			Connection: s.conn,
			Message:    s.msg.str(text),
			Errno:      s.errno,
			Action:     s.action.str(text),
			Client:     s.client.str(text),
			Server:     s.server.str(text),
			Request:    s.ctx[ctxRequest].str(text),
			Upstream:   s.ctx[ctxUpstream].str(text),
			Host:       s.ctx[ctxHost].str(text),
			Referrer:   s.ctx[ctxReferrer].str(text),
		},
	}
	return nil
}

func init() {
	register(KindNginxError, format{
		newParser: func(loc *time.Location, _ time.Time) Parser { return nginxErrorParser{loc: loc} },
		starts:    nginxErrorStamp,
		matches: func(l []byte) bool {
			var s nginxErrorSpans
			return nginxErrorStamp(l) && parseNginxError(l, time.UTC, &s) == nil
		},
		appendFields: appendNginxErrorFields,
	})
}
