package patterns

import (
	"bytes"
	"time"
)

// The nginx error-log scanner as it was before the single-candidate fast
// path and the bounded backward search for " while " (the reference the
// differential tests compare parseNginxError with). Keep it as it is.

var refCtxKeys = [numCtxKeys][]byte{
	ctxRequest:    []byte(`, request: "`),
	ctxSubrequest: []byte(`, subrequest: "`),
	ctxUpstream:   []byte(`, upstream: "`),
	ctxHost:       []byte(`, host: "`),
	ctxReferrer:   []byte(`, referrer: "`),
}

// refLastIndex is bytes.LastIndex by forward search.
func refLastIndex(b, sep []byte) int {
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

func refParseNginxError(rec []byte, loc *time.Location, e *nginxErrorSpans) error {
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
		if refParseContext(rec, c, e) {
			msgEnd = c
			break
		}
		e.client, e.server = span{}, span{}
		e.ctx = [numCtxKeys]span{}
	}

	// ... while ACTION
	e.action = span{msgEnd, msgEnd}
	if w := refLastIndex(rec[ls:msgEnd], sepWhile); w >= 0 {
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

// refParseContext reads the context that starts at rec[c:] (at ", client: ")
// into e and reports whether it is well formed up to the end of rec.
func refParseContext(rec []byte, c int, e *nginxErrorSpans) bool {
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
			if bytes.HasPrefix(rest, refCtxKeys[k]) {
				key = k
				break
			}
		}
		if key < 0 {
			for k := next; k < numCtxKeys; k++ {
				if len(rest) < len(refCtxKeys[k]) && bytes.HasPrefix(refCtxKeys[k], rest) {
					return true // cut inside a field name
				}
			}
			return false
		}
		v0 := j + len(refCtxKeys[key])
		v1 := refClosingQuote(rec, v0, key+1)
		e.ctx[key] = span{v0, v1}
		j = v1 + 1
		next = key + 1
	}
	return true
}

// refClosingQuote returns the index of the quote that closes the value starting
// at rec[v0:]: the first one followed by the end of rec or by a field whose
// key index is at least next (or by the start of such a field's name, cut
// short). It returns len(rec) for a value cut short.
func refClosingQuote(rec []byte, v0, next int) int {
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
			if bytes.HasPrefix(rest, refCtxKeys[k]) || (len(rest) < len(refCtxKeys[k]) && bytes.HasPrefix(refCtxKeys[k], rest)) {
				return q
			}
		}
		q++
	}
}

// isAction reports whether b reads as an nginx log action such as
// "reading response header from upstream" (the reference's definition).
func isAction(b []byte) bool {
	if len(b) == 0 || len(b) > maxAction {
		return false
	}
	for _, c := range b {
		if !isActionByte(c) {
			return false
		}
	}
	return true
}
