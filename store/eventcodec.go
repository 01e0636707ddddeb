package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/logcause/logcause/patterns"
)

// An event's key holds its instant, kind, offset and a hash of its text
// (eventKey); its value
// holds the rest:
//
//	uvarint len(path) | path | uvarint len(text) | text | form (1) | fields
//
// Analysis decodes every event near an incident, thousands of them, and
// encoding/json spent ~6 µs on each (BenchmarkAnalyzeDayOfTraffic): the
// text is kept raw, and the kinds that come by the thousand, nginx's
// access and error lines and slow-log entries, have a binary form of their
// own (formAccessRef, formNginxErrorRef, formFPM, formSlow: the fields in a fixed order,
// strings as uvarint length and bytes — an access or error line's as
// references into its text, appendField —, integers as varints, floats as 8
// bytes; a slow entry's Extra as a count and its pairs in key order; in a
// temporary store's blocks, a PHP-FPM line's strings as references too,
// formFPMRef, and no path: blocks.go). Every
// other event's fields are JSON. (PHP-FPM's log was JSON until an outage's
// 240,000 lines of it took ~5% of its analysis's CPU in encoding/json:
// events stored then still decode.)
type eventFields struct {
	Access  *patterns.Access      `json:",omitempty"`
	Error   *patterns.NginxError  `json:",omitempty"`
	FPM     *patterns.FPMError    `json:",omitempty"`
	FPMSlow *patterns.FPMSlow     `json:",omitempty"`
	Slow    *patterns.SlowQuery   `json:",omitempty"`
	MySQL   *patterns.MySQLError  `json:",omitempty"`
	Syslog  *patterns.Syslog      `json:",omitempty"`
	Apache  *patterns.ApacheError `json:",omitempty"`
	HAProxy *patterns.HAProxy     `json:",omitempty"`
}

const (
	formJSON       = 'j'
	formAccess     = 'a' // read, no longer written: formAccessRef
	formNginxError = 'e' // read, no longer written: formNginxErrorRef
	formFPM        = 'f'
	formSlow       = 's'
	// The string fields of an access or error line are mostly its text's
	// substrings: written as references into the text (field), they cost
	// a few bytes instead of a copy — half an event's bytes, which the
	// value log writes and analysis reads back by the hundred thousand in
	// an outage.
	formAccessRef     = 'A'
	formNginxErrorRef = 'E'
	// A PHP-FPM line's fields are substrings of its text too, and were
	// as many bytes as it (formFPM): in a block's entries (blocks.go,
	// appendBlockBody) they are references into it. Badger's values keep
	// formFPM.
	formFPMRef = 'F'
)

func encodeEvent(ev *patterns.Event) ([]byte, error) {
	return appendEvent(make([]byte, 0, encodedSize(ev)), ev)
}

// encodedSize is about what appendEvent writes of ev, at least.
func encodedSize(ev *patterns.Event) int {
	room := len(ev.Text) + 64 // the other forms: at most about the text again
	if q := ev.Slow; q != nil {
		// The slow form: the statement a reference into the text, the
		// strings and a few numbers (a slow log's values are most of
		// what the store writes: no room to spare).
		room = len(q.Server) + len(q.User) + len(q.Host) + len(q.IP) + len(q.Schema) + len(q.Fingerprint) + len(q.QueryID) + 128
		for k, v := range q.Extra {
			room += len(k) + len(v) + 2*binary.MaxVarintLen32
		}
	}
	return 2*binary.MaxVarintLen32 + len(ev.Path) + len(ev.Text) + room
}

// appendEvent appends ev's encoding to b.
func appendEvent(b []byte, ev *patterns.Event) ([]byte, error) {
	return appendBody(appendString(b, ev.Path), ev, false)
}

// appendBlockBody appends what the entry of a block (blocks.go) holds of
// ev to b: its encoding but its path, which is its stream's, a PHP-FPM
// line's fields as references into its text (formFPMRef).
func appendBlockBody(b []byte, ev *patterns.Event) ([]byte, error) {
	return appendBody(b, ev, true)
}

// appendBody appends ev's encoding past its path to b: a block's
// (appendBlockBody) when block, else Badger's.
func appendBody(b []byte, ev *patterns.Event, block bool) ([]byte, error) {
	b = appendString(b, ev.Text)
	f := eventFields{ev.Access, ev.Error, ev.FPM, ev.FPMSlow, ev.Slow, ev.MySQL, ev.Syslog, ev.Apache, ev.HAProxy}
	switch {
	case f == eventFields{Access: ev.Access} && ev.Access != nil:
		return appendAccess(append(b, formAccessRef), ev.Access, ev.Text), nil
	case f == eventFields{Error: ev.Error} && ev.Error != nil:
		return appendNginxError(append(b, formNginxErrorRef), ev.Error, ev.Text), nil
	case f == eventFields{FPM: ev.FPM} && ev.FPM != nil && block:
		return appendFPMRef(append(b, formFPMRef), ev.FPM, ev.Text), nil
	case f == eventFields{FPM: ev.FPM} && ev.FPM != nil:
		return appendFPM(append(b, formFPM), ev.FPM), nil
	case f == eventFields{Slow: ev.Slow} && ev.Slow != nil:
		return appendSlow(append(b, formSlow), ev.Slow, ev.Text), nil
	}
	fields, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("cannot encode event from %s at offset %d: %w", ev.Path, ev.Offset, err)
	}
	return append(append(b, formJSON), fields...), nil
}

var errCorruptEvent = errors.New("corrupt event")

// storedValue is an event's value as a reader finds it: Badger's, whose
// bytes begin with its path (appendEvent), or a block entry's, whose path
// is its stream's (inBlock; appendBlockBody).
type storedValue struct {
	b       []byte
	path    string // when inBlock
	inBlock bool
}

// pathAndBody reads the path of v, when its bytes hold it, into d, and
// returns it; d is left at the text.
func (v storedValue) pathAndBody(d *fieldReader) (p []byte) {
	d.v = v.b
	if !v.inBlock {
		p = d.bytes()
	}
	return p
}

// decodeEvent decodes the event stored under k with value v (Badger's).
// It does not keep k or v.
func decodeEvent(k, v []byte) (*patterns.Event, error) {
	return decodeEventBare(k, storedValue{b: v}, nil, nil)
}

// decodeEventBare is decodeEvent, but an event that bare accepts (it sees
// the event's fields, not its text) comes without its text: a copy of the
// line its reader does not need. The path is *path when it is the same
// (the events of a scan come from a few files), and *path is set to it; a
// block entry's is its stream's.
func decodeEventBare(k []byte, v storedValue, bare func(*patterns.Event) bool, path *string) (*patterns.Event, error) {
	if len(k) != eventKeyLen {
		return nil, errCorruptEvent
	}
	ev := &patterns.Event{
		Time:   time.Unix(0, int64(binary.BigEndian.Uint64(k[5:timeKeyLen]))).UTC(),
		Kind:   patterns.Kind(k[timeKeyLen]),
		Offset: int64(binary.BigEndian.Uint64(k[timeKeyLen+1:])),
	}
	d := &fieldReader{}
	p := v.pathAndBody(d)
	text := d.bytes()
	form := d.byte()
	if d.err != nil {
		return nil, errCorruptEvent
	}
	switch {
	case v.inBlock:
		ev.Path = v.path
		if path != nil {
			*path = v.path
		}
	case path == nil:
		ev.Path = string(p)
	case *path == string(p):
		ev.Path = *path
	default:
		ev.Path = string(p)
		*path = ev.Path
	}
	// The forms whose fields are references into the text need it.
	refs := form == formSlow || form == formAccessRef || form == formNginxErrorRef || form == formFPMRef
	if bare == nil || refs {
		ev.Text = string(text)
	}
	switch form {
	case formAccess:
		ev.Access = d.access("", false)
	case formNginxError:
		ev.Error = d.nginxError("", false)
	case formAccessRef:
		ev.Access = d.access(ev.Text, true)
	case formNginxErrorRef:
		ev.Error = d.nginxError(ev.Text, true)
	case formFPM:
		ev.FPM = d.fpm("", false)
	case formFPMRef:
		ev.FPM = d.fpm(ev.Text, true)
	case formSlow:
		ev.Slow = d.slow(ev.Text)
	case formJSON:
		var f eventFields
		if err := json.Unmarshal(d.v, &f); err != nil {
			return nil, fmt.Errorf("%w: %w", errCorruptEvent, err)
		}
		ev.Access, ev.Error, ev.FPM, ev.FPMSlow, ev.Slow, ev.MySQL, ev.Syslog, ev.Apache, ev.HAProxy =
			f.Access, f.Error, f.FPM, f.FPMSlow, f.Slow, f.MySQL, f.Syslog, f.Apache, f.HAProxy
		d.v = nil
	default:
		return nil, errCorruptEvent
	}
	if d.err != nil || len(d.v) > 0 {
		return nil, errCorruptEvent
	}
	switch {
	case bare == nil:
	case !refs && !bare(ev):
		ev.Text = string(text)
	case refs && form != formSlow && bare(ev):
		ev.Text = "" // its fields keep what they are of it
	}
	return ev, nil
}

// lent is where decodeLent decodes: one event, and the fields of each
// form it lends, used again for every event of a scan.
type lent struct {
	ev     patterns.Event
	access patterns.Access
	error  patterns.NginxError
	fpm    patterns.FPMError
}

// scanPaths is the paths a scan has seen, a few: the events of a scan
// come from a few files, read in turns (their instants interleave), and a
// new string at each turn was most of a scan's allocations.
type scanPaths struct {
	seen []string
}

// of returns p as a string, one of those seen when it is there.
func (ps *scanPaths) of(p []byte) string {
	for _, s := range ps.seen {
		if s == string(p) {
			return s
		}
	}
	s := string(p)
	if len(ps.seen) < 16 {
		ps.seen = append(ps.seen, s)
	}
	return s
}

// decodeLent is decodeEventBare, but an access, nginx error or PHP-FPM
// event that bare accepts is decoded into l, its strings v's bytes: it is
// good until v is no longer, and the next decodeLent into l. A path not a
// block's stream's is one of ps. An outage's
// analysis reads ~925,000 such events of which it keeps a few fields
// each: their copies, and a new Event, Access or NginxError for each, were
// a third of its reading back. Any other event is decodeEventBare's.
func decodeLent(k []byte, v storedValue, bare func(*patterns.Event) bool, path *string, ps *scanPaths, l *lent) (*patterns.Event, error) {
	if len(k) != eventKeyLen {
		return nil, errCorruptEvent
	}
	d := &fieldReader{lend: true}
	p := v.pathAndBody(d)
	text := d.bytes()
	form := d.byte()
	if d.err != nil {
		return nil, errCorruptEvent
	}
	if form != formAccessRef && form != formNginxErrorRef && form != formFPM && form != formFPMRef && form != formAccess && form != formNginxError {
		return decodeEventBare(k, v, bare, path)
	}
	switch {
	case v.inBlock:
		*path = v.path
	case *path != string(p):
		*path = ps.of(p)
	}
	ev := &l.ev
	*ev = patterns.Event{
		Time:   time.Unix(0, int64(binary.BigEndian.Uint64(k[5:timeKeyLen]))).UTC(),
		Kind:   patterns.Kind(k[timeKeyLen]),
		Offset: int64(binary.BigEndian.Uint64(k[timeKeyLen+1:])),
		Path:   *path,
	}
	t := unsafe.String(unsafe.SliceData(text), len(text))
	switch form {
	case formAccess, formAccessRef:
		d.accessInto(&l.access, t, form == formAccessRef)
		ev.Access = &l.access
	case formNginxError, formNginxErrorRef:
		d.nginxErrorInto(&l.error, t, form == formNginxErrorRef)
		ev.Error = &l.error
	case formFPM, formFPMRef:
		d.fpmInto(&l.fpm, t, form == formFPMRef)
		ev.FPM = &l.fpm
	}
	if d.err != nil || len(d.v) > 0 {
		return nil, errCorruptEvent
	}
	if !bare(ev) {
		return decodeEventBare(k, v, bare, path) // wanted whole: a fresh one
	}
	return ev, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendField writes s as a reference into text when text holds it at
// or after from (or, failing that, anywhere): 1 + its offset, then its
// length; else 0 and s. It returns where the next field is looked for
// first: the fields of a line come in its order.
func appendField(b []byte, s, text string, from int) ([]byte, int) {
	if s == "" {
		return append(b, 0, 0), from // appendString's 0 and length 0
	}
	i, ok := patterns.OffsetOf(text, s) // a parser's substring of the line: where it is, no search
	if !ok {
		if i = strings.Index(text[from:], s); i >= 0 {
			i += from
		} else {
			i = strings.Index(text, s)
		}
	}
	if i < 0 {
		return appendString(append(b, 0), s), from
	}
	// Mostly two one-byte uvarints (a short field early in its line): the
	// bytes binary.AppendUvarint writes, without its calls.
	if i < 0x7f && len(s) < 0x80 {
		return append(b, byte(i+1), byte(len(s))), i + len(s)
	}
	return binary.AppendUvarint(binary.AppendUvarint(b, uint64(i)+1), uint64(len(s))), i + len(s)
}

func appendAccess(b []byte, a *patterns.Access, text string) []byte {
	from := 0
	for _, s := range []string{a.RemoteAddr, a.RemoteUser, a.Method, a.URI, a.Protocol, a.HTTPReferer, a.HTTPUserAgent,
		a.Host, a.RequestID, a.XForwardedFor, a.UpstreamAddr, a.UpstreamStatus, a.UpstreamResponseTime, a.UpstreamConnectTime, a.UpstreamHeaderTime} {
		b, from = appendField(b, s, text, from)
	}
	b = binary.AppendVarint(b, int64(a.Status))
	b = binary.AppendVarint(b, a.BodyBytesSent)
	b = binary.AppendVarint(b, a.Connection)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(a.RequestTime))
	n := len(a.Extra)
	for n > 0 && a.Extra[n-1] == (patterns.AccessVar{}) {
		n--
	}
	b = append(b, byte(n))
	for _, x := range a.Extra[:n] {
		b = appendString(appendString(b, x.Name), x.Value)
	}
	return b
}

func appendNginxError(b []byte, e *patterns.NginxError, text string) []byte {
	from := 0
	for _, s := range []string{e.Level, e.Message, e.Action, e.Client, e.Server, e.Request, e.Upstream, e.Host, e.Referrer} {
		b, from = appendField(b, s, text, from)
	}
	for _, n := range []int64{int64(e.PID), int64(e.TID), e.Connection, int64(e.Errno)} {
		b = binary.AppendVarint(b, n)
	}
	return b
}

func appendFPM(b []byte, e *patterns.FPMError) []byte {
	for _, s := range []string{e.Level, e.Pool, e.Message, e.Script, e.Request} {
		b = appendString(b, s)
	}
	b = binary.AppendVarint(b, int64(e.Child))
	return binary.BigEndian.AppendUint64(b, math.Float64bits(e.Duration))
}

// appendFPMRef is appendFPM, the strings as references into text
// (appendField).
func appendFPMRef(b []byte, e *patterns.FPMError, text string) []byte {
	from := 0
	for _, s := range []string{e.Level, e.Pool, e.Message, e.Script, e.Request} {
		b, from = appendField(b, s, text, from)
	}
	b = binary.AppendVarint(b, int64(e.Child))
	return binary.BigEndian.AppendUint64(b, math.Float64bits(e.Duration))
}

func appendSlow(b []byte, q *patterns.SlowQuery, text string) []byte {
	restart := byte(0)
	if q.Restart {
		restart = 1
	}
	b = append(b, restart)
	for _, s := range []string{q.Server, q.User, q.Host, q.IP, q.Schema, q.Fingerprint, q.QueryID} {
		b = appendString(b, s)
	}
	// The statement is most of the entry's text: a reference to it there,
	// 1 + its offset and its length, else 0 and the statement.
	if i := lastIndex(text, q.Query); q.Query != "" && i >= 0 {
		b = binary.AppendUvarint(binary.AppendUvarint(b, uint64(i)+1), uint64(len(q.Query)))
	} else {
		b = appendString(append(b, 0), q.Query)
	}
	for _, n := range []int64{q.ThreadID, q.RowsSent, q.RowsExamined, q.RowsAffected, q.BytesSent} {
		b = binary.AppendVarint(b, n)
	}
	for _, x := range []float64{q.QueryTime, q.LockTime} {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(x))
	}
	b = binary.AppendUvarint(b, uint64(len(q.Extra)))
	var room [16]string // the attributes' names, sorted: on the stack for the usual few
	keys := room[:0]
	for k := range q.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendString(appendString(b, k), q.Extra[k])
	}
	return b
}

// lastIndex is strings.LastIndex for a statement that most often ends
// the entry's text: that case without a search.
func lastIndex(text, query string) int {
	if strings.HasSuffix(text, query) {
		return len(text) - len(query)
	}
	return strings.LastIndex(text, query)
}

// fieldReader reads what appendString, appendAccess, appendNginxError,
// appendFPM, appendFPMRef and appendSlow wrote; the first error sticks.
type fieldReader struct {
	v    []byte
	err  error
	lend bool // strings are v's bytes, not copies (decodeLent)
}

func (d *fieldReader) fail() { d.err, d.v = errCorruptEvent, nil }

func (d *fieldReader) string() string {
	b := d.bytes()
	if d.lend {
		return unsafe.String(unsafe.SliceData(b), len(b))
	}
	return string(b)
}

// field reads what appendField wrote, a substring of text; with no text
// (the forms before appendField), what appendString wrote.
func (d *fieldReader) field(text string, refs bool) string {
	if !refs {
		return d.string()
	}
	at := d.uvarint()
	if at == 0 {
		return d.string()
	}
	n := d.uvarint()
	if d.err != nil || at-1 > uint64(len(text)) || n > uint64(len(text))-(at-1) {
		d.fail()
		return ""
	}
	return text[at-1 : at-1+n]
}

// fields reads what appendField wrote of each of ps, in order, as field
// does. Most of an outage's fields are empty (0, 0), a reference of two
// one-byte uvarints or, past the line's 127th byte (an error line's
// client, server, request, upstream and host; an access line's referrer
// and user agent), of a two-byte offset and a one-byte length: those are
// read here, the bytes left in a local, not through d and field's calls
// (the store's part of reading an outage's incidents back was a fifth
// field's).
func (d *fieldReader) fields(text string, refs bool, ps ...*string) {
	if !refs {
		for _, p := range ps {
			*p = d.string()
		}
		return
	}
	v := d.v
	for _, p := range ps {
		if len(v) >= 2 && v[0] < 0x80 && v[1] < 0x80 {
			at, n := int(v[0]), int(v[1])
			if at == 0 && n == 0 {
				*p, v = "", v[2:]
				continue
			}
			if at > 0 && at-1+n <= len(text) {
				*p, v = text[at-1:at-1+n], v[2:]
				continue
			}
		} else if len(v) >= 3 && v[0] >= 0x80 && v[1] < 0x80 && v[2] < 0x80 {
			if at, n := int(v[0]&0x7f)|int(v[1])<<7, int(v[2]); at > 0 && at-1+n <= len(text) {
				*p, v = text[at-1:at-1+n], v[3:]
				continue
			}
		}
		d.v = v
		*p = d.field(text, refs)
		v = d.v
	}
	d.v = v
}

// bytes is string without the copy: the bytes are v's.
func (d *fieldReader) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.v)) {
		d.fail()
		return nil
	}
	b := d.v[:n]
	d.v = d.v[n:]
	return b
}

// varint reads what binary.AppendVarint wrote: a zig-zag uvarint.
func (d *fieldReader) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *fieldReader) byte() byte {
	if len(d.v) == 0 {
		d.fail()
		return 0
	}
	c := d.v[0]
	d.v = d.v[1:]
	return c
}

// access reads an access line's fields: references into text (formAccessRef)
// when refs, else copies (formAccess).
func (d *fieldReader) access(text string, refs bool) *patterns.Access {
	a := new(patterns.Access)
	d.accessInto(a, text, refs)
	return a
}

// accessInto is access, into a.
func (d *fieldReader) accessInto(a *patterns.Access, text string, refs bool) {
	*a = patterns.Access{}
	d.fields(text, refs, &a.RemoteAddr, &a.RemoteUser, &a.Method, &a.URI, &a.Protocol, &a.HTTPReferer, &a.HTTPUserAgent,
		&a.Host, &a.RequestID, &a.XForwardedFor, &a.UpstreamAddr, &a.UpstreamStatus, &a.UpstreamResponseTime, &a.UpstreamConnectTime, &a.UpstreamHeaderTime)
	a.Status = int(d.varint())
	a.BodyBytesSent = d.varint()
	a.Connection = d.varint()
	a.RequestTime = d.float()
	n := int(d.byte())
	if n > len(a.Extra) {
		d.fail()
		return
	}
	for i := range n {
		a.Extra[i] = patterns.AccessVar{Name: d.string(), Value: d.string()}
	}
}

// nginxError is access for an nginx error line.
func (d *fieldReader) nginxError(text string, refs bool) *patterns.NginxError {
	e := new(patterns.NginxError)
	d.nginxErrorInto(e, text, refs)
	return e
}

// nginxErrorInto is nginxError, into e.
func (d *fieldReader) nginxErrorInto(e *patterns.NginxError, text string, refs bool) {
	*e = patterns.NginxError{}
	d.fields(text, refs, &e.Level, &e.Message, &e.Action, &e.Client, &e.Server, &e.Request, &e.Upstream, &e.Host, &e.Referrer)
	e.PID, e.TID = int(d.varint()), int(d.varint())
	e.Connection = d.varint()
	e.Errno = int(d.varint())
}

// fpm reads a PHP-FPM line's fields: references into text (formFPMRef)
// when refs, else copies (formFPM).
func (d *fieldReader) fpm(text string, refs bool) *patterns.FPMError {
	e := new(patterns.FPMError)
	d.fpmInto(e, text, refs)
	return e
}

// fpmInto is fpm, into e.
func (d *fieldReader) fpmInto(e *patterns.FPMError, text string, refs bool) {
	*e = patterns.FPMError{}
	d.fields(text, refs, &e.Level, &e.Pool, &e.Message, &e.Script, &e.Request)
	e.Child = int(d.varint())
	e.Duration = d.float()
}

func (d *fieldReader) float() float64 {
	if len(d.v) < 8 {
		d.fail()
		return 0
	}
	x := math.Float64frombits(binary.BigEndian.Uint64(d.v))
	d.v = d.v[8:]
	return x
}

func (d *fieldReader) slow(text string) *patterns.SlowQuery {
	q := new(patterns.SlowQuery)
	switch d.byte() {
	case 0:
	case 1:
		q.Restart = true
	default:
		d.fail()
		return q
	}
	for _, p := range []*string{&q.Server, &q.User, &q.Host, &q.IP, &q.Schema, &q.Fingerprint, &q.QueryID} {
		*p = d.string()
	}
	switch at := d.uvarint(); {
	case at == 0:
		q.Query = d.string()
	default:
		n := d.uvarint()
		if at-1 > uint64(len(text)) || n > uint64(len(text))-(at-1) {
			d.fail()
			return q
		}
		q.Query = text[at-1 : at-1+n]
	}
	for _, p := range []*int64{&q.ThreadID, &q.RowsSent, &q.RowsExamined, &q.RowsAffected, &q.BytesSent} {
		*p = d.varint()
	}
	q.QueryTime, q.LockTime = d.float(), d.float()
	n := d.uvarint()
	if n > uint64(len(d.v)) {
		d.fail()
		return q
	}
	if n > 0 {
		q.Extra = make(map[string]string, n)
	}
	for range n {
		k, v := d.string(), d.string()
		if _, dup := q.Extra[k]; dup || d.err != nil {
			d.fail() // keys are written once each, in order
			return q
		}
		q.Extra[k] = v
	}
	return q
}

func (d *fieldReader) uvarint() uint64 {
	v := d.v
	if len(v) > 0 && v[0] < 0x80 { // one byte: most of them
		d.v = v[1:]
		return uint64(v[0])
	}
	if len(v) > 1 && v[1] < 0x80 { // two: a status (zig-zag), a line's length
		d.v = v[2:]
		return uint64(v[0]&0x7f) | uint64(v[1])<<7
	}
	return d.uvarintLong()
}

// uvarintLong is uvarint of more than one byte.
func (d *fieldReader) uvarintLong() uint64 {
	x, w := binary.Uvarint(d.v)
	if w <= 0 {
		d.fail()
		return 0
	}
	d.v = d.v[w:]
	return x
}
