package analyze

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/logcause/logcause/internal/numfmt"
	"github.com/logcause/logcause/patterns"
)

// evidenceSet holds the classified records around one spike.
type evidenceSet struct {
	sig     *[numSignals]list
	halves  *[numSignals][2]list // of the signals split (splits), as collect split them
	agg     *aggregates          // what the rules read of the records they read all of (whole.go); nil: none
	links   *[numLinkSets]int    // linked's counts, as explain linked them while reading; nil: not linked
	times   requestTimes         // the access log's $request_time of the spike's gateway errors
	gateway int64                // gateway errors in the spike
	start   time.Time            // the spike's first second
	end     time.Time            // the end of its last second
	max     int                  // evidence records per cause
	back    *readBack            // the records the evidence picks that the lists did not keep; nil: none read back
}

// readBack is the records of the positions the evidence picks (spread)
// that the lists did not keep (they keep a sample past their first
// records): a first run of the rules asks for them (want), a second pass
// over the window's error lines reads them (readBackRecords), and the
// rules run again with them, picking the evidence the whole lists would.
type readBack struct {
	want map[groupPos]record // the records wanted; Event nil: not read yet
	near map[groupPos]nearby // of each record wanted, the list's kept records around it
	done bool                // read: ask for no more
}

// nearby is what a list kept around a position it did not keep: the last
// record it kept before it, of the same group, at position at there, and
// the instant of the first it kept after it (the group's last record is
// always kept); zero when that one is of another group. The position's
// record is the at-p-th record of the group after before, no later than
// until: readBackRecords reads only from one to the other.
type nearby struct {
	before record
	at     int
	until  time.Time
}

// groupPos is the position of a record in its group.
type groupPos struct {
	g groupID
	p int
}

func (e evidenceSet) n(s signal) int { return e.sig[s].n }

// only returns the set as a rule that reads sigs sees it: without the
// records of the other signals.
func (e evidenceSet) only(sigs []signal) evidenceSet {
	var seen [numSignals]list
	var halves [numSignals][2]list
	for _, s := range sigs {
		seen[s], halves[s] = e.sig[s], e.halves[s]
	}
	e.sig, e.halves, e.agg = &seen, &halves, e.agg.of(sigs)
	return e
}

// split returns the records of s whose upstream is FastCGI, and the
// others (s one of splits: the halves are kept as the records come).
func (e evidenceSet) split(s signal) (fcgi, other list) {
	return e.halves[s][0], e.halves[s][1]
}

// splits reports whether the rules split the records of s in two (split,
// childExits), and which half r is of: 0, FastCGI (a child ended by
// php-fpm, SIGTERM), or 1, the others. Their halves are kept as the
// records come: a list keeps a sample of an outage's records, which
// cannot be split afterwards.
func splits(s signal, r record) (split bool, half int) {
	switch s {
	case sigRefused, sigNoSocket, sigReset, sigTimeout:
		if fastcgi(r) {
			return true, 0
		}
		return true, 1
	case sigChildSignal:
		if r.FPM != nil && strings.Contains(r.FPM.Message, sigterm) {
			return true, 0
		}
		return true, 1
	}
	return false, 0
}

// readWhole reports whether the rules read every record of s: every
// slow-log entry and trace (their lists counted, what the rules read of
// them aggregated as they come), OOM kill and database restart (plain
// lists: capped, their records sharing no kind). The crashed children,
// sigChildSignal's second half, are aggregated too (childAgg). See
// whole.go for what each rule reads of them.
func readWhole(s signal) (counted, plain bool) {
	switch s {
	case sigSlowQuery, sigTrace:
		return true, false
	case sigOOMKill, sigMySQLRestart:
		return false, true
	}
	return false, false
}

// collected is the records of a spike by signal, as explain collects
// them.
type collected struct {
	sig    [numSignals]list
	halves [numSignals][2]list
	agg    aggregates
}

// newCollected returns an empty collection; its slow-log entries are
// counted over no spike's seconds until window sets the spike.
func newCollected() *collected {
	c := &collected{agg: aggregates{slow: newSlowAgg(time.Time{}, time.Time{}), traces: newTraceAgg(), children: newChildAgg(), oom: &oomAgg{}}}
	for s := range c.sig {
		counted, plain := readWhole(signal(s))
		c.sig[s].counted, c.sig[s].plain = counted, plain
		c.sig[s].gid, c.halves[s][0].gid, c.halves[s][1].gid = groupOf(signal(s), -1), groupOf(signal(s), 0), groupOf(signal(s), 1)
	}
	c.halves[sigChildSignal][1].counted = true // the crashed children: read through childAgg
	return c
}

// window sets the spike [start, end) whose seconds the slow-log entries
// are counted running in; before any is added.
func (c *collected) window(start, end time.Time) {
	c.agg.slow = newSlowAgg(start, end)
}

// add adds a record classified s.
func (c *collected) add(s signal, r record) {
	c.sig[s].add(r)
	split, h := splits(s, r)
	if split {
		c.halves[s][h].add(r)
	}
	switch {
	case s == sigSlowQuery:
		c.agg.slow.add(r)
	case s == sigTrace:
		c.agg.traces.add(r)
	case s == sigOOMKill:
		c.agg.oom.add(r)
	case s == sigChildSignal && h == 1:
		c.agg.children.add(r, c.agg.oom)
	}
}

// capped reports whether a list left records out (past headCap): only
// then may the evidence pick a record to read back.
func (c *collected) capped() bool {
	for s := range c.sig {
		if c.sig[s].capped() || c.halves[s][0].capped() || c.halves[s][1].capped() {
			return true
		}
	}
	return c.agg.traces.capped()
}

// set returns the evidence set of the records.
func (c *collected) set() evidenceSet {
	return evidenceSet{sig: &c.sig, halves: &c.halves, agg: &c.agg}
}

// requestKey names one request: who asked what (its number in the
// spike's names), when.
type requestKey struct {
	request uint32
	second  int64
}

// names numbers the requests of a spike's access and error lines — a
// client and its request line, together — from 1 (0: either missing), so
// that link matches them by number: its maps and the lines hold no
// pointer for the collector to follow, and half the bytes the strings
// took (an outage's spike links hundreds of thousands of lines). A line's
// client and request line are numbered together, a lookup a line, as the
// linker matches them only together.
//
// Only the linker matches the numbers, and only within its horizon: a
// request not seen for linkRing seconds may be forgotten (and given a new
// number if it comes again; numbers are never reused), so that the table
// holds the requests of the last seconds, not those of a whole outage
// (its request lines, with their query strings, are mostly unique; its
// clients too). The table is two maps: the requests asked for since it
// last turned (cur), and those of the turn before (prev), every linkRing
// seconds; one asked for again from prev moves to cur, the others are
// dropped with prev at the next turn, at least linkRing seconds after
// they were last asked for. The lines must come in time order, as the
// linker's do.
type names struct {
	cur, prev map[string]uint32 // keys of keyOf's form
	last      uint32            // the last number given
	now       int64             // the latest second a request was asked for
	turned    int64             // when cur last became prev; 0: never
	buf       []byte            // the key being asked for
}

// keyOf starts the key of a request of client in m's buffer: client's
// length, then client; its request line is to be appended. The length
// keeps apart the clients and request lines that would join alike.
func (m *names) keyOf(client string) []byte {
	m.buf = append(binary.AppendUvarint(m.buf[:0], uint64(len(client))), client...)
	return m.buf
}

// request returns the number of the request line of client, asked for at
// second, new if it is new; 0 when either is "".
func (m *names) request(client, line string, second int64) uint32 {
	if client == "" || line == "" {
		return 0
	}
	m.buf = append(m.keyOf(client), line...)
	return m.ofKey(m.buf, second)
}

// ofKey returns the number of the request whose key (keyOf's, its request
// line appended) b holds, asked for at second, new if it is new: b's
// bytes are copied only then, or when it moves from prev.
func (m *names) ofKey(b []byte, second int64) uint32 {
	m.at(second)
	if n, ok := m.cur[string(b)]; ok {
		return n
	}
	if m.cur == nil {
		m.cur = map[string]uint32{}
	}
	n, ok := m.prev[string(b)]
	if !ok {
		m.last++
		n = m.last
	}
	m.cur[string(b)] = n // a copy of b's bytes
	return n
}

// at moves the table to second, and every linkRing seconds turns it:
// prev, whose requests were not asked for in the last linkRing seconds
// (no line the linker holds names them any more), is dropped.
func (m *names) at(second int64) {
	m.now = max(m.now, second)
	if m.turned == 0 {
		m.turned = m.now
	}
	if m.now-m.turned < linkRing {
		return
	}
	old := m.prev
	clear(old) // its room reused: what the table holds stays two turns' worth
	m.prev, m.cur, m.turned = m.cur, old, m.now
}

// shared keeps one copy of each string the records of a spike repeat:
// thousands of lines name the same few upstreams, hosts, messages and
// pages, and the same clients. It keeps at most maxStrings: past them a
// string not kept is copied for its record alone (the lines lend theirs),
// so that a flood of distinct strings (a message quoting the client's
// input, a PHP-FPM request line) does not grow it. Only memory differs:
// the records hold equal strings either way.
type shared map[string]string

// maxStrings is how many strings a spike's shared keeps: the eight of
// each lineKind (lineKind's strings) of the keeper's maxKinds Events fit,
// so that below maxKinds every Event's strings are kept as before.
const maxStrings = 8 * maxKinds

// ofBytes is of for the string b holds: no string is made of b when an
// equal one is kept.
func (m *shared) ofBytes(b []byte) string {
	if k, ok := (*m)[string(b)]; ok {
		return k
	}
	return m.of(string(b))
}

// of returns s, or the equal string kept before.
func (m *shared) of(s string) string {
	if k, ok := (*m)[s]; ok {
		return k
	}
	if *m == nil {
		*m = shared{}
	}
	s = strings.Clone(s)
	if len(*m) < maxStrings {
		(*m)[s] = s
	}
	return s
}

// kept returns the equal string kept before, or a copy of s kept by
// nobody else: no string is added.
func (m shared) kept(s string) string {
	if k, ok := m[s]; ok {
		return k
	}
	return strings.Clone(s)
}

// record is what analysis keeps of a classified record. An outage brings
// hundreds of thousands of nginx error lines (one per failed request), all
// alike but for their instant, offset, connection, client and request, and
// the rules read their fields, not their text: a record keeps those five
// and shares, with every line alike, an Event holding the rest (kind, file,
// level, message, errno, action, server, upstream, host; no text, no
// referrer, which no rule reads). PHP-FPM's lines of terminated and too
// slow requests and of children it ended (SIGTERM), as many in an outage,
// keep their child and duration (child, duration) and share an FPMError
// with the lines alike (level, pool, message: none, or sigtermExit); the
// others keep their own FPMError, without the text. The evidence chosen
// among them reads its text back from the store (rereadTexts). Other
// records (slow-log entries, traces, kernel and MySQL lines) keep their
// Event whole: the record is the Event itself. Of the slow-log entries
// and traces, which come by the hundred thousand when a database is in
// trouble, the rules read aggregates computed as they come (whole.go):
// a slow-log entry is held only while among its class's longest, a
// trace's holder list keeps its file, instant and offset.
//
// Time, Offset and FPM hide the shared Event's: ev.Time, ev.Offset and
// ev.FPM are the record's own (FPM possibly shared: read a PHP-FPM line's
// child and duration with child() and duration(), never from FPM);
// ev.Error's Connection, Client and Request are unset (conn() is the
// connection; request(), the number of its client and request line in
// the spike's names).
//
// A record is 64 bytes, an outage's spike holds a million of them: an
// nginx line's connection and request and a PHP-FPM line's duration and
// child share the same fields (n, x), read through the methods, which say
// 0 of the other kind's.
type record struct {
	*patterns.Event
	Time   time.Time
	Offset int64
	FPM    *patterns.FPMError
	n      int64  // nginx: the connection; PHP-FPM: the duration's float64 bits
	x      uint32 // nginx: the number of the client and request line; PHP-FPM: the child
}

// nginxLine returns the record of an nginx error line of connection conn
// and request (the number of its client and request line in the spike's
// names) sharing ev.
func nginxLine(ev *patterns.Event, conn int64, request uint32) record {
	return record{Event: ev, n: conn, x: request}
}

// fpmLine returns the record of a PHP-FPM line of child and duration,
// with f (shared or its own).
func fpmLine(ev *patterns.Event, f *patterns.FPMError, child int, duration float64) record {
	return record{Event: ev, FPM: f, n: int64(math.Float64bits(duration)), x: uint32(child)}
}

func (r record) nginx() bool { return r.Event != nil && r.Error != nil }
func (r record) php() bool   { return r.FPM != nil && (r.Event == nil || r.Error == nil) }

func (r record) conn() int64 {
	if !r.nginx() {
		return 0
	}
	return r.n
}

func (r record) request() uint32 {
	if !r.nginx() {
		return 0
	}
	return r.x
}

func (r record) child() int {
	if !r.php() {
		return 0
	}
	return int(r.x)
}

func (r record) duration() float64 {
	if !r.php() {
		return 0
	}
	return math.Float64frombits(uint64(r.n))
}

// lineKind is what the nginx error lines, or the PHP-FPM lines, one
// shared Event stands for have in common.
type lineKind struct {
	kind                                                       patterns.Kind
	path, level, message, action, server, upstream, host, pool string
	errno                                                      int
	nginx                                                      bool // the Event has an Error: the lines are nginx's
	fpm                                                        bool // the Event has an FPM: the lines are PHP-FPM's
}

// keeper makes the records of one spike, sharing the strings its lines
// repeat and one Event per lineKind (or, for PHP-FPM, per kind and file).
//
// An nginx error line's Host header and an http:// upstream's URI are the
// client's to choose, and so is much of its message: nginx quotes what
// PHP wrote to stderr ("FastCGI sent in stderr: \"PHP message: …\"", the
// database signals'), a name it could not resolve, an upstream's invalid
// header. A flood of such lines would make one Event (and one kind in
// each list: list.kinds) per line. So the Events the keeper registers
// (shared) stop at maxKinds; past them a line of a new nginx lineKind
//
//   - shares the Event of the first line alike but for its host and its
//     upstream's URI (alike), when there was one: its record then names
//     that line's host and upstream, its evidence text being read back
//     whole (rereadTexts);
//   - else gets an Event that is not registered, its strings those the
//     keeper kept (shared) or copies of its own: the records that keep it
//     hold it (the lists cap them), and the lines of the same lineKind
//     that come while it is among the last maxRecent such Events share it
//     (recent). Its record is exact; a lineKind whose Event was forgotten
//     gets a new one, a new kind in the lists (the rules read the same
//     facts of either).
//
// PHP-FPM's lineKinds are registered past maxKinds too: their kind, file,
// level and pool are php-fpm's, not the client's (the message they keep
// is none or sigtermExit; the others' messages are their records' own).
// Below maxKinds, every record is as it was.
type keeper struct {
	strs   *shared
	names  *names // the requests' numbers, shared with the spike's accessLines
	shared map[lineKind]*patterns.Event
	alike  map[lineKind]*patterns.Event // the first Event of each nginx lineKind without host and URI (alikeKind)
	recent map[lineKind]*patterns.Event // past maxKinds, the last Events registered nowhere else: at most maxRecent, forgotten together
	// The lineKinds shared returned last, and their Events, by slot
	// (lastSlot): an outage's lines come alike by the thousand, a few
	// kinds interleaved, and comparing a lineKind's strings costs less
	// than hashing them for the map. Their strings are the keeper's.
	last [8]struct {
		l  lineKind
		ev *patterns.Event
	}
}

// lastSlot is the place of l among a keeper's last: of its lengths, no
// hash of its bytes.
func lastSlot(l lineKind) int {
	return (len(l.message) + 3*len(l.upstream) + 5*len(l.host) + 7*len(l.path) + l.errno + int(l.kind)) & 7
}

// maxKinds is how many Events a keeper registers before lines of a new
// nginx lineKind share the first alike, or get one not registered: no
// scenario or test comes near it (a spike's lines name a few upstreams
// and hosts).
const maxKinds = 10_000

// maxRecent is how many unregistered Events a keeper remembers, past
// maxKinds, for the lines of the same lineKind that follow: enough for a
// few new upstreams failing amid a flood of distinct messages.
const maxRecent = 1024

// alikeKind is l without what a client chooses: its host, and the URI of
// its upstream (nginx names an http:// upstream with the request's URI).
func alikeKind(l lineKind) lineKind {
	l.host, l.upstream = "", upstreamAuthority(l.upstream)
	return l
}

// upstreamAuthority returns an upstream as nginx's error log names it
// without the request's URI: "http://10.0.0.5:8080" of
// "http://10.0.0.5:8080/p?q", "http://unix:/run/app.sock:" of
// "http://unix:/run/app.sock:/p" (the socket's path ends at a colon).
func upstreamAuthority(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	at := len(scheme) + len("://")
	if sock, ok := strings.CutPrefix(rest, "unix:"); ok {
		if i := strings.IndexByte(sock, ':'); i >= 0 {
			return u[:at+len("unix:")+i+1]
		}
		return u
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return u[:at+i]
	}
	return u
}

// keep returns what analysis keeps of a record classified s. A PHP-FPM
// line of a request it terminated or found too slow keeps no message: its
// child and duration are the message's facts the rules read (the
// evidence's text is read back); the message, unique to each line by its
// duration, was the largest part of an outage's records (~140 bytes each,
// 80,000 in one incident of the 1 GB outage), and then their own FPMErrors
// (~100 bytes each, 320,000 in one incident of a 2 GB outage). A child's
// exit on SIGTERM (as many: php-fpm terminating the requests) keeps one
// shared message, sigtermExit: the rules read which signal ended a child
// (childExits), and quote only the messages of the others.
func (k *keeper) keep(ev *patterns.Event, s signal) record {
	var r record
	strs := k.strs
	switch {
	case ev.Error != nil:
		e := ev.Error
		r = nginxLine(k.of(lineKind{kind: ev.Kind, path: ev.Path, level: e.Level, message: e.Message, action: e.Action,
			server: e.Server, upstream: e.Upstream, host: e.Host, errno: e.Errno, nginx: true}),
			e.Connection, k.names.request(e.Client, e.Request, ev.Time.Unix()))
	case ev.FPM != nil:
		f := ev.FPM
		switch {
		case s == sigTerminated || s == sigTooSlow:
			shared := k.of(lineKind{kind: ev.Kind, path: ev.Path, level: f.Level, pool: f.Pool, fpm: true})
			r = fpmLine(shared, shared.FPM, f.Child, f.Duration)
		case s == sigChildSignal && strings.Contains(f.Message, sigterm):
			shared := k.of(lineKind{kind: ev.Kind, path: ev.Path, level: f.Level, pool: f.Pool, message: sigtermExit, fpm: true})
			r = fpmLine(shared, shared.FPM, f.Child, f.Duration)
		default:
			r = fpmLine(k.of(lineKind{kind: ev.Kind, path: ev.Path}), &patterns.FPMError{Level: strs.of(f.Level), Pool: strs.of(f.Pool), Child: f.Child,
				Script: strs.of(f.Script), Request: strs.of(f.Request), Duration: f.Duration, Message: strings.Clone(f.Message)}, f.Child, f.Duration)
		}
	default:
		r.Event, r.FPM = ev, ev.FPM
	}
	r.Time, r.Offset = ev.Time, ev.Offset
	return r
}

// of returns the Event the records of l share.
func (k *keeper) of(l lineKind) *patterns.Event {
	last := &k.last[lastSlot(l)]
	if last.ev != nil && l == last.l {
		return last.ev
	}
	if ev, ok := k.shared[l]; ok {
		last.l, last.ev = lineKindOf(ev, l), ev
		return ev
	}
	if l.nginx && len(k.shared) >= maxKinds {
		if ev, ok := k.alike[alikeKind(l)]; ok {
			return ev
		}
		return k.unregistered(l)
	}
	if k.shared == nil {
		k.shared, k.alike = map[lineKind]*patterns.Event{}, map[lineKind]*patterns.Event{}
	}
	s := k.strs
	l = lineKind{kind: l.kind, path: s.of(l.path), level: s.of(l.level), message: s.of(l.message), action: s.of(l.action),
		server: s.of(l.server), upstream: s.of(l.upstream), host: s.of(l.host), pool: s.of(l.pool), errno: l.errno, nginx: l.nginx, fpm: l.fpm}
	ev := eventOf(l)
	k.shared[l] = ev
	if a := alikeKind(l); l.nginx && k.alike[a] == nil { // l's strings are the keeper's own
		k.alike[a] = ev
	}
	k.last[lastSlot(l)].l, k.last[lastSlot(l)].ev = l, ev
	return ev
}

// lineKindOf returns l, a lineKind shared registers ev for, with the
// strings of ev's (the keeper's own: l's may be lent).
func lineKindOf(ev *patterns.Event, l lineKind) lineKind {
	l.path = ev.Path
	switch {
	case l.nginx:
		e := ev.Error
		l.level, l.message, l.action, l.server, l.upstream, l.host = e.Level, e.Message, e.Action, e.Server, e.Upstream, e.Host
	case l.fpm:
		f := ev.FPM
		l.level, l.pool, l.message = f.Level, f.Pool, f.Message
	}
	return l
}

// unregistered returns the Event of l, past maxKinds, that no registered
// one stands for: the last made for l if among the last maxRecent, else a
// new one, whose strings are those kept (shared) or copies, none added.
func (k *keeper) unregistered(l lineKind) *patterns.Event {
	if ev, ok := k.recent[l]; ok {
		return ev
	}
	if k.recent == nil {
		k.recent = make(map[lineKind]*patterns.Event, maxRecent)
	}
	if len(k.recent) >= maxRecent {
		clear(k.recent)
	}
	s := *k.strs
	l = lineKind{kind: l.kind, path: s.kept(l.path), level: s.kept(l.level), message: s.kept(l.message), action: s.kept(l.action),
		server: s.kept(l.server), upstream: s.kept(l.upstream), host: s.kept(l.host), pool: s.kept(l.pool), errno: l.errno, nginx: l.nginx, fpm: l.fpm}
	ev := eventOf(l)
	k.recent[l] = ev
	return ev
}

// eventOf returns a new Event of l's kind, file and fields.
func eventOf(l lineKind) *patterns.Event {
	ev := &patterns.Event{Kind: l.kind, Path: l.path}
	switch {
	case l.nginx:
		ev.Error = &patterns.NginxError{Level: l.level, Message: l.message, Errno: l.errno, Action: l.action,
			Server: l.server, Upstream: l.upstream, Host: l.host}
	case l.fpm:
		ev.FPM = &patterns.FPMError{Level: l.level, Pool: l.pool, Message: l.message}
	}
	return ev
}

// rereadTexts fills in the text of the evidence whose record analysis
// kept without it (record), reading each record back by its kind, instant,
// file and offset: a dozen records per cause, where the records analysis
// reads are hundreds of thousands. (Evidence with a text is left alone;
// a record read back may have none, as some of the tests' have not.)
func rereadTexts(r Reader, causes []Cause) error {
	type ref struct {
		source, path string
		offset       int64
		time         time.Time
	}
	texts := map[ref]string{}
	for i := range causes {
		for j := range causes[i].Evidence {
			ev := &causes[i].Evidence[j]
			if ev.Text != "" {
				continue
			}
			k := ref{ev.Source, ev.Path, ev.Offset, ev.Time}
			if t, ok := texts[k]; ok {
				ev.Text = t
				continue
			}
			kind, err := patterns.ParseKind(ev.Source)
			if err != nil {
				return fmt.Errorf("cannot read back the evidence at %s:%d: %w", ev.Path, ev.Offset, err)
			}
			found := false
			err = r.EventsOf(kind, ev.Time, ev.Time.Add(time.Nanosecond), func(s *patterns.Event) error {
				if s.Path == ev.Path && s.Offset == ev.Offset {
					ev.Text, found = s.Text, true
				}
				return nil
			})
			if err == nil && !found {
				err = errors.New("the store no longer holds it (was it pruned meanwhile? analyze again)")
			}
			if err != nil {
				return fmt.Errorf("cannot read back the evidence at %s:%d: %w", ev.Path, ev.Offset, err)
			}
			texts[k] = ev.Text
		}
	}
	return nil
}

// confidence scores a cause: the share of the spike's gateway errors that
// have a matching error-log record, plus a bonus when a second log (PHP-FPM)
// confirms the state change nginx only shows the symptom of.
func (e evidenceSet) confidence(explained int, corroborated bool) float64 {
	share := 0.0
	if e.gateway > 0 {
		share = math.Min(1, float64(explained)/float64(e.gateway))
	}
	c := 0.2 + 0.6*share
	if corroborated {
		c += 0.15
	}
	return math.Round(math.Min(c, 0.95)*100) / 100
}

// cause is a cause that explained of the spike's gateway errors have a
// line for, its confidence raised when a second log corroborates it; its
// evidence is the state changes, then a sample of the symptoms.
func (e evidenceSet) cause(explained int, corroborated bool, summary string, state, symptoms list) *Cause {
	return e.withEvidence(&Cause{Confidence: e.confidence(explained, corroborated), Summary: summary}, state, symptoms)
}

// lineCause is the cause of a kind that nginx's error lines of one set
// (one signal's) show alone: stem is how the lines begin, why what they mean.
func (e evidenceSet) lineCause(set linkSet, stem, why string) *Cause {
	lines := e.records(set)
	if lines.n == 0 {
		return nil
	}
	n := e.linked(set)
	return e.cause(n, false, e.matched(n, stem, why), list{}, lines)
}

func (e evidenceSet) matched(n int, stem, why string) string {
	return fmt.Sprintf("%s of %s gateway errors in the window have a matching `%s` line in the nginx error log (%s)", numfmt.Int(n), numfmt.Thousands(e.gateway), stem, why)
}

func (e evidenceSet) stateChange(ev record, who string) string {
	msg := ev.Text
	switch {
	case ev.FPM != nil:
		msg = ev.FPM.Message
	case ev.Error != nil:
		msg = ev.Error.Message
	}
	d := e.start.Sub(ev.Time.Truncate(time.Second))
	rel := fmt.Sprintf("%s before the first gateway error", d)
	switch {
	case d == 0:
		rel = "in the same second as the first gateway error"
	case d < 0:
		rel = fmt.Sprintf("%s after the first gateway error", -d)
	}
	return fmt.Sprintf("%s logged `%s` at %s, %s", who, msg, clock(ev.Time), rel)
}

func clock(t time.Time) string { return t.UTC().Format("15:04:05") + " UTC" }

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// withEvidence sets c's evidence, picked of state and symptoms, and the
// count of their records left out; it returns c.
func (e evidenceSet) withEvidence(c *Cause, state, symptoms list) *Cause {
	c.Evidence = e.pick(state, symptoms)
	c.EvidenceMore = state.n + symptoms.n - len(c.Evidence)
	return c
}

// stateHead returns, of the state records in lists (one after the
// other), those pick may choose — the first e.max/3 — and how many it
// leaves out: a rule whose state is tens of thousands of records (php-fpm
// terminating an outage's requests) passes the head to cause and adds the
// rest to its EvidenceMore.
func (e evidenceSet) stateHead(lists ...list) (head list, more int) {
	k := e.max / 3
	var recs []record
	for _, l := range lists {
		take := min(l.n, k-len(recs))
		recs = append(recs, l.head(take)...)
		more += l.n - take
	}
	return wholeList(recs), more
}

// pick chooses the evidence: the state changes (first list) first, then a
// sample of the symptoms spread over the spike (its first ones, some from
// the middle, its last one), at most e.max in all, in time order; within a
// second the state changes come first.
func (e evidenceSet) pick(state, symptoms list) []Evidence {
	chosen := append([]record(nil), state.head(e.max/3)...)
	chosen = append(chosen, e.spread(symptoms, min(e.max-len(chosen), maxSymptoms))...)
	out := make([]Evidence, 0, len(chosen))
	for _, ev := range chosen {
		out = append(out, Evidence{Source: ev.Kind.String(), Path: ev.Path, Offset: ev.Offset, Time: ev.Time, Text: ev.Text})
	}
	slices.SortStableFunc(out, func(a, b Evidence) int {
		return a.Time.Truncate(time.Second).Compare(b.Time.Truncate(time.Second))
	})
	return out
}

// maxSymptoms bounds the symptom lines of one cause: past a few, more of
// the same line prove nothing new.
const maxSymptoms = 6

// spread returns n records of evs: the first half of n from its start, the
// rest evenly spaced after them, ending with the last record. Of a list
// that kept a sample of its records, a record it did not keep is the one
// read back (e.back), or, not read, the sampled record before it.
func (e evidenceSet) spread(evs list, n int) []record {
	if evs.n <= n {
		return evs.head(evs.n)
	}
	if n <= 0 {
		return nil
	}
	head := (n + 1) / 2
	out := append([]record(nil), evs.head(head)...)
	rest, tail := n-head, evs.n-head
	for i := 1; i <= rest; i++ {
		out = append(out, e.at(evs, head+i*tail/rest-1))
	}
	return out
}

// at returns the record at position p of l: kept, or read back (asked for
// when not read yet), or else the sampled record before it.
func (e evidenceSet) at(l list, p int) record {
	if r, ok := l.exact(p); ok {
		return r
	}
	if g, q := l.where(p); e.back != nil && g != 0 {
		k := groupPos{g, q}
		if r := e.back.want[k]; r.Event != nil {
			return r
		}
		if !e.back.done {
			e.back.want[k] = record{}
			if near, ok := l.around(p); ok {
				e.back.near[k] = near
			}
		}
	}
	return l.record(p)
}

// around returns the records l kept around position p, which it did not
// keep (nearby); false when it kept none of p's group before p.
func (l list) around(p int) (nearby, bool) {
	i := sort.Search(len(l.at), func(i int) bool { return l.at[i] > p })
	if i == 0 {
		return nearby{}, false
	}
	g, _ := l.where(p)
	bg, bq := l.where(l.at[i-1])
	if bg != g || l.kept[i-1].Event == nil {
		return nearby{}, false
	}
	near := nearby{before: l.kept[i-1], at: bq}
	if i < len(l.at) {
		if ag, _ := l.where(l.at[i]); ag == g {
			near.until = l.kept[i].Time
		}
	}
	return near, true
}

// readBackRecords reads the records back wants: the window's error-log
// records [from, to) classified again, counted by group as collected
// counted them. Only the nginx error log is read when every record wanted
// is of its signals (an outage's lists); else every event of the window.
//
// Each record is read alone, between the records its list kept around it
// (back.near): counted in its group from the one kept before it, whose
// position the list knows, up to the instant of the one kept after it,
// and no further once found. A list samples one record in stride, so a
// record wanted is a few seconds' read, where counting from the window's
// start read the window's error lines (an outage's hundreds of thousands)
// once more, whole (without a kept record before it, as no list leaves
// one out, it is counted from the window's start).
func readBackRecords(r Reader, from, to time.Time, back *readBack) error {
	nginxOnly := true
	wanted := make([]groupPos, 0, len(back.want))
	for k := range back.want {
		s := signalOf(k.g)
		nginxOnly = nginxOnly && s >= sigTimeout && s <= sigTLS
		wanted = append(wanted, k)
	}
	slices.SortFunc(wanted, func(a, b groupPos) int { return cmp.Or(cmp.Compare(a.g, b.g), cmp.Compare(a.p, b.p)) })
	events := fieldsOf(r)
	if nginxOnly {
		events = func(from, to time.Time, fn func(*patterns.Event) error) error {
			return r.EventsOf(patterns.KindNginxError, from, to, fn)
		}
	}
	for _, k := range wanted {
		if back.want[k].Event != nil {
			continue
		}
		near, anchored := back.near[k]
		start, end := from, to
		if anchored {
			if near.before.Time.After(start) {
				start = near.before.Time
			}
			if u := near.until.Add(time.Nanosecond); !near.until.IsZero() && u.Before(end) {
				end = u
			}
		}
		found, err := readBackOne(events, start, end, k, near, anchored)
		if errors.Is(err, errAmbiguous) {
			found, err = readBackOne(events, from, to, k, nearby{}, false)
		}
		if err != nil {
			return fmt.Errorf("cannot read back the evidence's records: %w", err)
		}
		if found.Event == nil {
			return errors.New("cannot read back the evidence's records: the store no longer holds them all (was it pruned meanwhile? analyze again)")
		}
		back.want[k] = found
	}
	return nil
}

// errFound ends a read that found what it read for.
var errFound = errors.New("found")

// errAmbiguous ends a read that met two records of the group at the
// anchor's instant, file and offset: the lines of a file renamed and of
// the new one, read under one path, can be (their texts, keyed apart,
// differ), and which of the two the list kept is unknown. The record is
// then counted from the window's start.
var errAmbiguous = errors.New("two records at the anchor's place")

// readBackOne reads the record at position k.p of group k.g in [from, to)
// of events: counted from the group's record near.before, at position
// near.at, when anchored; else from the range's start, at position 0.
func readBackOne(events func(from, to time.Time, fn func(*patterns.Event) error) error, from, to time.Time, k groupPos, near nearby, anchored bool) (record, error) {
	var found record
	pos := 0 // the position of the group's next record; -1: the anchor not met yet
	if anchored {
		pos = -1
	}
	a := near.before
	read := func(ev *patterns.Event) error {
		if found.Event != nil && !ev.Time.Equal(a.Time) {
			return errFound // past the anchor's instant: no record alike can come
		}
		if ev.Access != nil || ev.Slow != nil {
			return nil
		}
		s := classify(ev)
		if s == sigNone || !inGroup(k.g, s, ev) {
			return nil
		}
		at := anchored && ev.Kind == a.Kind && ev.Offset == a.Offset && ev.Time.Equal(a.Time) && ev.Path == a.Path
		switch {
		case pos < 0:
			if at {
				pos = near.at + 1
			}
			return nil
		case at:
			return errAmbiguous
		}
		if pos == k.p && found.Event == nil {
			found = record{Event: &patterns.Event{Kind: ev.Kind, Path: strings.Clone(ev.Path)}, Time: ev.Time, Offset: ev.Offset}
			if !anchored || !ev.Time.Equal(a.Time) {
				return errFound
			}
		}
		pos++
		return nil
	}
	if err := events(from, to, read); err != nil && !errors.Is(err, errFound) {
		return record{}, err // errAmbiguous among them
	}
	return found, nil
}

// inGroup reports whether an event classified s is among the records of
// group g, as collected counts them: its signal's, the half splits puts
// it in, a trace's holder's.
func inGroup(g groupID, s signal, ev *patterns.Event) bool {
	rec := record{Event: ev, FPM: ev.FPM}
	if g == groupOf(s, -1) {
		return true
	}
	if split, h := splits(s, rec); split && g == groupOf(s, h) {
		return true
	}
	return s == sigTrace && g == traceGroup(holderOf(rec))
}
