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

// Keys of the context's fields. Constants, so that comparing a []byte with
// one (string(b[:len(k)]) == k) compiles to a few loads, not a call.
const (
	keyServer     = ", server: "
	keyRequest    = `, request: "`
	keySubrequest = `, subrequest: "`
	keyUpstream   = `, upstream: "`
	keyHost       = `, host: "`
	keyReferrer   = `, referrer: "`
)

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
	sepServer = []byte(keyServer)
	sepWhile  = []byte(" while ")
	ctxKeys   = [numCtxKeys][]byte{
		ctxRequest:    []byte(keyRequest),
		ctxSubrequest: []byte(keySubrequest),
		ctxUpstream:   []byte(keyUpstream),
		ctxHost:       []byte(keyHost),
		ctxReferrer:   []byte(keyReferrer),
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
	msgEnd := len(rec)
	if x := bytes.Index(rec[ls:], sepClient); x >= 0 {
		msgEnd = findContext(rec, ls+x, e)
	}

	// ... while ACTION
	e.action = span{msgEnd, msgEnd}
	if w := lastWhile(rec, ls, msgEnd); w >= 0 {
		e.action = span{w + len(sepWhile), msgEnd}
		msgEnd = w
	}
	e.msg = span{b0, msgEnd}
	e.errno = lastErrno(rec[ls:msgEnd])
	return nil
}

// findContext finds the context of rec, whose first ", client: " is at
// rec[first:], reads it into e and returns where it starts (len(rec) when
// there is none): the rightmost of the last maxContextTries ", client: "
// candidates that reads as a context up to the end of rec.
//
// Most records have one candidate, so the first is tried first: when it
// reads as a context, a candidate to its right could only lie inside one of
// the quoted values it read (the client and server values hold no comma, and
// a ", client: " holds no quote), so when none of them holds ", client: "
// the first is the answer without a scan of the whole context. Else every
// candidate is collected and tried from the right.
func findContext(rec []byte, first int, e *nginxErrorSpans) int {
	if parseContext(rec, first, e) && !clientInValues(rec, e) {
		return first
	}
	var cand [maxContextTries]int // the rightmost ", client: " positions, a ring
	nc := 0
	for i := first; ; {
		x := bytes.Index(rec[i:], sepClient)
		if x < 0 {
			break
		}
		cand[nc%maxContextTries] = i + x
		nc++
		i += x + len(sepClient)
	}
	for try := 0; try < min(nc, maxContextTries); try++ {
		c := cand[(nc-1-try)%maxContextTries]
		e.client, e.server = span{}, span{}
		e.ctx = [numCtxKeys]span{}
		if parseContext(rec, c, e) {
			return c
		}
	}
	e.client, e.server = span{}, span{}
	e.ctx = [numCtxKeys]span{}
	return len(rec)
}

// clientInValues reports whether a quoted value of e holds ", client: ".
func clientInValues(rec []byte, e *nginxErrorSpans) bool {
	for _, v := range e.ctx {
		// Values seldom hold a comma; IndexByte skips them faster than Index.
		if v.j-v.i >= len(sepClient) && bytes.IndexByte(rec[v.i:v.j], ',') >= 0 && bytes.Index(rec[v.i:v.j], sepClient) >= 0 {
			return true
		}
	}
	return false
}

// maxAction is the longest action.
const maxAction = 128

// lastWhile returns the index of the " while " that opens the action at the
// end of rec[lo:hi], or -1. It is the last " while " of rec[lo:hi] when the
// text after it is an action: 1 to maxAction action bytes (isActionByte).
// " while " is made of action bytes too, so the search runs backward over
// the action bytes that end rec[lo:hi], at most maxAction plus the length of
// " while " of them: if there is an action, its " while " is in that stretch
// and is the first one met; if the search stops before one, the last
// " while " is followed by a byte that is no action byte or by more than
// maxAction bytes, and there is no action.
func lastWhile(rec []byte, lo, hi int) int {
	for q := hi - 1; q >= max(lo, hi-maxAction-len(sepWhile)); q-- {
		c := rec[q]
		if !isActionByte(c) {
			break
		}
		if c == ' ' && hi-q >= len(sepWhile) && string(rec[q:q+len(sepWhile)]) == " while " {
			if hi-q == len(sepWhile) {
				return -1 // nothing after the last " while "
			}
			return q
		}
	}
	return -1
}

// isActionByte reports whether c may be part of an action: a letter, a
// digit, a space or one of "_-./".
func isActionByte(c byte) bool {
	const (
		below64 = 1<<' ' | 1<<'-' | 1<<'.' | 1<<'/' | 0x3ff<<'0'
		above64 = 0x3ffffff<<('A'-64) | 0x3ffffff<<('a'-64) | 1<<('_'-64)
	)
	set := uint64(below64)
	if c >= 64 {
		set = above64
	}
	return c < 128 && set>>(c&63)&1 != 0
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
	if rest := rec[j:]; len(rest) < len(keyServer) || string(rest[:len(keyServer)]) != keyServer {
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
		key := keyAt(rest)
		if key < next {
			return cutInKey(rest, next) // cut inside a field name, or not a context
		}
		v0 := j + len(ctxKeys[key])
		v1 := closingQuote(rec, v0, key+1)
		e.ctx[key] = span{v0, v1}
		j = v1 + 1
		next = key + 1
	}
	return true
}

// keyAt returns the field whose key (`, request: "`…) rest starts with, or
// -1. No key is a prefix of another, so there is at most one.
func keyAt(rest []byte) int {
	if len(rest) < len(keyHost) || rest[0] != ',' || rest[1] != ' ' {
		return -1
	}
	switch rest[2] {
	case 'r':
		if len(rest) >= len(keyRequest) && string(rest[:len(keyRequest)]) == keyRequest {
			return ctxRequest
		}
		if len(rest) >= len(keyReferrer) && string(rest[:len(keyReferrer)]) == keyReferrer {
			return ctxReferrer
		}
	case 's':
		if len(rest) >= len(keySubrequest) && string(rest[:len(keySubrequest)]) == keySubrequest {
			return ctxSubrequest
		}
	case 'u':
		if len(rest) >= len(keyUpstream) && string(rest[:len(keyUpstream)]) == keyUpstream {
			return ctxUpstream
		}
	case 'h':
		if string(rest[:len(keyHost)]) == keyHost {
			return ctxHost
		}
	}
	return -1
}

// cutInKey reports whether rest is the start of the key of a field whose
// index is at least next, cut short by the end of the record.
func cutInKey(rest []byte, next int) bool {
	for k := next; k < numCtxKeys; k++ {
		if len(rest) < len(ctxKeys[k]) && bytes.HasPrefix(ctxKeys[k], rest) {
			return true
		}
	}
	return false
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
		if rest[0] == ',' && (keyAt(rest) >= next || cutInKey(rest, next)) {
			return q
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
	return p.parse(rec, "", ev, new(NginxError))
}

// ParseInto is Parse into the caller's (ParserInto): ev.Text is text,
// ev.Error is &into.Error.
func (p nginxErrorParser) ParseInto(rec []byte, text string, ev *Event, into *FieldSets) error {
	return p.parse(rec, text, ev, &into.Error)
}

// parse parses rec into ev, its fields into e; its text is text, or a copy
// of rec when text is empty.
func (p nginxErrorParser) parse(rec []byte, text string, ev *Event, e *NginxError) error {
	var s nginxErrorSpans
	if err := parseNginxError(rec, p.loc, &s); err != nil {
		return err
	}
	if text == "" {
		text = string(rec)
	}
	*e = NginxError{
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
	}
	*ev = Event{
		Time:   s.time,
		Kind:   KindNginxError,
		Path:   ev.Path,
		Offset: ev.Offset,
		Text:   text,
		Error:  e,
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
