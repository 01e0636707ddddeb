package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/logcause/logcause/patterns"
)

// Linking the error log to the access log.
//
// A rule tells how many of a spike's gateway errors one of its error-log
// lists explains (linked): of the access log's gateway errors, those an
// error line of the list names by connection number (when the access log
// carries $connection; the error log's *CID is the same number), else by
// client and request line within a second. The lists rules ask about are
// declared (linkSets), so that explain links them while it reads the
// events, in time order, holding only the lines of the last few seconds
// (linker), instead of holding every access line and error line of the
// spike.

// half is which of a signal's records a group holds: all of them, or one
// half of split's.
type half uint8

const (
	wholeSignal half = iota
	fastcgiHalf      // those whose upstream is FastCGI (split's first)
	otherHalf        // the others (split's second)
)

// group is the records of one signal, or of one half of them.
type group struct {
	sig  signal
	half half
}

// holds reports whether a record classified s, its upstream FastCGI or
// not (fcgi), is one of g's.
func (g group) holds(s signal, fcgi bool) bool {
	return s == g.sig && (g.half == wholeSignal || (g.half == fastcgiHalf) == fcgi)
}

// linkSet names one list of error lines a rule links (linkSets).
type linkSet uint8

const (
	linkUnreachable  linkSet = iota // backend_down: a proxied backend did not accept connections
	linkBackendDown                 // backend_down: those, and `no live upstreams`
	linkFPMDown                     // fpm_down: nothing listened on the PHP-FPM socket
	linkFPMResets                   // PHP-FPM's connections reset: fpm_down's reload, fpm_request_terminated, worker_crash
	linkBacklogFull                 // fpm_worker_exhaustion: the socket's listen queue was full
	linkTimeouts                    // upstream_timeout, fpm_worker_exhaustion
	linkExhaustion                  // fpm_worker_exhaustion: the queue full, and the timeouts
	linkInvalid                     // invalid_upstream_response: invalid answers, a proxied backend's resets
	linkDNS                         // dns_failure
	linkPermission                  // socket_permission
	linkHeaderTooBig                // upstream_header_too_big
	linkTLS                         // upstream_tls
	numLinkSets
)

// linkSets are the groups of each linkSet: a table, never written to.
// A rule's list is the records of its set's groups, and the set reads only
// signals the rule reads (rule.reads).
var linkSets = [numLinkSets][]group{
	linkUnreachable:  {{sigRefused, otherHalf}, {sigNoSocket, otherHalf}, {sigUnreachable, wholeSignal}},
	linkBackendDown:  {{sigRefused, otherHalf}, {sigNoSocket, otherHalf}, {sigUnreachable, wholeSignal}, {sigNoLive, wholeSignal}},
	linkFPMDown:      {{sigRefused, fastcgiHalf}, {sigNoSocket, fastcgiHalf}},
	linkFPMResets:    {{sigReset, fastcgiHalf}},
	linkBacklogFull:  {{sigBacklogFull, wholeSignal}},
	linkTimeouts:     {{sigTimeout, wholeSignal}},
	linkExhaustion:   {{sigBacklogFull, wholeSignal}, {sigTimeout, wholeSignal}},
	linkInvalid:      {{sigInvalidResponse, wholeSignal}, {sigReset, otherHalf}},
	linkDNS:          {{sigDNS, wholeSignal}},
	linkPermission:   {{sigPermission, wholeSignal}},
	linkHeaderTooBig: {{sigHeaderTooBig, wholeSignal}},
	linkTLS:          {{sigTLS, wholeSignal}},
}

// setMask is a set of linkSets, a bit each.
type setMask uint16

// setsOf is the linkSets whose groups hold a record of each signal, its
// upstream FastCGI ([1]) or not ([0]): linkSets read the other way, made
// once, never written to, so that a record's sets are one lookup.
var setsOf = func() (m [numSignals][2]setMask) {
	for s := range m {
		for fcgi := range m[s] {
			for set, groups := range linkSets {
				for _, g := range groups {
					if g.holds(signal(s), fcgi == 1) {
						m[s][fcgi] |= 1 << set
					}
				}
			}
		}
	}
	return m
}()

// records returns the records of set as e holds them, one group after
// the other.
func (e evidenceSet) records(set linkSet) list {
	var lists []list
	for _, g := range linkSets[set] {
		l := e.sig[g.sig]
		switch g.half {
		case fastcgiHalf:
			l, _ = e.split(g.sig)
		case otherHalf:
			_, l = e.split(g.sig)
		}
		lists = append(lists, l)
	}
	return join(lists...)
}

// linked counts the spike's gateway errors in the access log that one of
// set's error lines names: the same connection number (when the access
// log carries $connection), or the same client and request line within a
// second. Each access line is linked once. Without access lines to link
// to, or when no line of the set names its request (lines cut at 2048
// bytes), it counts the set's lines, at most the gateway errors. A set
// explain did not link (a rule's test's) is counted so.
func (e evidenceSet) linked(set linkSet) int {
	if e.links != nil {
		return e.links[set]
	}
	return min(e.records(set).n, int(e.gateway))
}

// linkHorizon is how long before an access line an error line of its
// connection may be to link to it. nginx writes the error line that fails
// a request (connect() failed, upstream timed out, …) and then, as it
// finalizes the request with the 502/504, its access line: mostly within
// the same turn of its event loop, so with the same cached time, or the
// next second when the turn straddles one; the access line can come
// later when nginx lingers on the client's connection to read the rest
// of its body before freeing the request (lingering_timeout: 5 s by
// default). Earlier error lines of the same request (one per upstream
// tried, proxy_next_upstream) or of the requests before it on a
// keep-alive connection are not its own. Ten seconds leaves a margin, and
// bounds what a linker holds.
const linkHorizon = 10

// linkRing is how many seconds of error lines a linker keeps: those of
// the horizon before an access line's second, its own and the next.
const linkRing = linkHorizon + 2

// A linker links, as explain reads the events in time order, the
// spike's gateway errors in the access log (request) to the error lines
// of each linkSet (line), holding only the last seconds of them:
//
//   - An access line of second t is linked once every line of second t+1
//     has been read: when a line of second t+2 or later comes, or at the
//     end (done). Access lines are linked in the order they came.
//   - It is linked by connection to the earliest line of its connection,
//     not linked before, from second t-linkHorizon to t+1; failing that, to
//     a line naming its client and request line of second t, then t-1,
//     then t+1, not linked by request before. (A line linked by
//     connection may still be linked by request by another access line,
//     and the other way round: the two are counted apart.)
//
// Linking the whole spike's lines at once (every access line against every
// error line, its connection's anywhere in the spike) gives the same
// counts whenever the lines of one connection are no more than
// linkHorizon seconds apart and none of them is more than a second after
// an access line of the connection; past the horizon a connection's line
// is not linked, and after t+1 it is linked only to the later access
// lines.
//
// It holds the access lines of two seconds and, per set, the error lines
// of linkRing seconds: what it holds does not grow with the spike.
type linker struct {
	sets    [numLinkSets]setLinks
	pending []accessLine // the access lines not yet linked, in the order they came
	next    int          // pending[next:] are not linked yet
	now     int64        // the second of the last line given
	started bool
	access  int // the access lines given
}

// setLinks are a linker's lines of one linkSet.
//
// Their connections are indexed (byConn, and each second's) only once an
// access line to link names one: until then the seconds list them
// (linkSecond.conns), one append a line where the index took three map
// writes, and dropping a second forgets them at once. An access log
// without $connection (nginx's combined format) never has them indexed.
// Nothing is linked before they are, and the index then made of the
// seconds' lists is the one made as they came (its from, each
// connection's earliest second in ring, is what linking finds first).
type setLinks struct {
	ring    [linkRing]linkSecond // the lines of a second, at second % linkRing
	byConn  map[int64]connLines  // once indexed, the lines in ring by connection, not linked
	indexed bool                 // the connections are indexed: byConn and each second's
	started bool                 // a line that names a connection or request was given
	oldest  int64                // the earliest second in ring
	lines   int                  // the set's lines given
	named   int                  // those that name a client and a request line
	matched int                  // the access lines linked
}

// connLines are a set's lines of one connection not linked yet: how
// many, and a second no later than the earliest's (where linking one
// looks from).
type connLines struct {
	n    int32
	from int64
}

// linkSecond is a set's lines of one second, not linked yet.
type linkSecond struct {
	second int64
	used   bool
	conns  []int64          // until the set is indexed, the lines' connections, in the order they came
	byConn map[int64]int32  // once it is, their count by connection
	byReq  map[uint32]int32 // by request (names)
}

// at moves the linker to second t: it links the access lines that every
// line read from now on is too late for, and forgets the requests of the
// lines no access line to come may link to by request. (A set drops the
// lines of a second no access line may link to by connection as it links
// one, or as it puts the lines of a later second in their place in its
// ring.) Lines must come in time order.
func (l *linker) at(t time.Time) error {
	s := t.Unix()
	switch {
	case !l.started:
		l.now, l.started = s, true
	case s < l.now:
		return fmt.Errorf("cannot link the error log to the access log: a line of %s came after one of %s (the reader must give the events in time order)",
			t.UTC().Format(time.RFC3339), time.Unix(l.now, 0).UTC().Format(time.RFC3339))
	case s > l.now:
		l.link(s - 2)
		for i := range l.sets {
			l.sets[i].forgetRequests(s - 2)
		}
		l.now = s
	}
	return nil
}

// request gives the linker an access line of the spike's gateway errors.
func (l *linker) request(t time.Time, a accessLine) error {
	if err := l.at(t); err != nil {
		return err
	}
	l.access++
	l.pending = append(l.pending, a)
	return nil
}

// line gives the linker an error-log record classified s, of second t:
// the sets of its group keep it.
func (l *linker) line(t time.Time, s signal, r record) error {
	if s >= numSignals {
		return nil
	}
	fcgi := 0
	if fastcgi(r) {
		fcgi = 1
	}
	in := setsOf[s][fcgi]
	if in == 0 {
		return nil
	}
	if err := l.at(t); err != nil {
		return err
	}
	for set := range l.sets {
		if in&(1<<set) != 0 {
			l.sets[set].add(l.now, r)
		}
	}
	return nil
}

// link links the pending access lines of second through or before.
func (l *linker) link(through int64) {
	for ; l.next < len(l.pending) && l.pending[l.next].key.second <= through; l.next++ {
		a := l.pending[l.next]
		for i := range l.sets {
			l.sets[i].link(a)
		}
	}
	if l.next > len(l.pending)/2 { // reuse the front: what it holds stays two seconds' worth
		l.pending = l.pending[:copy(l.pending, l.pending[l.next:])]
		l.next = 0
	}
}

// done links the access lines left and returns each set's count
// (linked), of a spike of gateway errors.
func (l *linker) done(gateway int64) *[numLinkSets]int {
	l.link(l.now + 1)
	var out [numLinkSets]int
	for i, s := range l.sets {
		out[i] = s.matched
		if l.access == 0 || s.named == 0 {
			out[i] = min(s.lines, int(gateway))
		}
	}
	return &out
}

// held is how many entries the linker holds: access lines, and the
// lines of each set by connection and by request.
func (l *linker) held() int {
	n := len(l.pending)
	for _, s := range l.sets {
		n += len(s.byConn)
		for _, sec := range s.ring {
			n += len(sec.conns) + len(sec.byConn) + len(sec.byReq)
		}
	}
	return n
}

// slot returns the ring's place of second s.
func slot(s int64) int { return int((s%linkRing + linkRing) % linkRing) }

func (s *setLinks) add(second int64, r record) {
	s.lines++
	c, request := r.conn(), r.request()
	if c <= 0 && request == 0 {
		return
	}
	sec := &s.ring[slot(second)]
	if !sec.used || sec.second != second {
		s.drop(sec)
		if sec.byReq == nil {
			sec.byReq = map[uint32]int32{}
		}
		if s.indexed && sec.byConn == nil {
			sec.byConn = map[int64]int32{}
		}
		sec.second, sec.used = second, true
		if !s.started {
			s.started, s.oldest = true, second
		}
		s.oldest = min(s.oldest, second)
	}
	if c > 0 {
		if s.indexed {
			s.indexConn(sec, c)
		} else {
			sec.conns = append(sec.conns, c)
		}
	}
	if request != 0 {
		sec.byReq[request]++
		s.named++
	}
}

// indexConn counts a line of connection c in sec, a second of the ring,
// in the set's index.
func (s *setLinks) indexConn(sec *linkSecond, c int64) {
	sec.byConn[c]++
	l := s.byConn[c]
	if l.n == 0 {
		l.from = sec.second
	}
	l.n++
	s.byConn[c] = l
}

// index indexes the connections of the lines in ring, from the earliest
// second: as add would have, had they been indexed as they came.
func (s *setLinks) index() {
	if s.indexed {
		return
	}
	s.indexed, s.byConn = true, map[int64]connLines{}
	order := make([]*linkSecond, 0, len(s.ring))
	for i := range s.ring {
		if sec := &s.ring[i]; sec.used {
			order = append(order, sec)
		}
	}
	slices.SortFunc(order, func(a, b *linkSecond) int { return cmp.Compare(a.second, b.second) })
	for _, sec := range order {
		sec.byConn = make(map[int64]int32, len(sec.conns))
		for _, c := range sec.conns {
			s.indexConn(sec, c)
		}
	}
	for i := range s.ring {
		s.ring[i].conns = nil
	}
}

// drop forgets the lines of sec.
func (s *setLinks) drop(sec *linkSecond) {
	if !sec.used {
		return
	}
	for c, n := range sec.byConn {
		if l := s.byConn[c]; l.n > n {
			s.byConn[c] = connLines{l.n - n, l.from}
		} else {
			delete(s.byConn, c)
		}
	}
	clear(sec.byConn)
	sec.conns = sec.conns[:0]
	clear(sec.byReq)
	sec.used = false
}

// expire drops the lines of the seconds before from.
func (s *setLinks) expire(from int64) {
	if !s.started || s.oldest >= from {
		return
	}
	s.oldest = from
	for i := range s.ring {
		sec := &s.ring[i]
		if sec.used && sec.second < from {
			s.drop(sec)
		} else if sec.used {
			s.oldest = min(s.oldest, sec.second)
		}
	}
}

// get returns the lines of second, nil when there are none.
func (s *setLinks) get(second int64) *linkSecond {
	sec := &s.ring[slot(second)]
	if !sec.used || sec.second != second {
		return nil
	}
	return sec
}

// link links a to one of the set's lines, if one is left.
func (s *setLinks) link(a accessLine) {
	if !s.started {
		return
	}
	t := a.key.second
	s.expire(t - linkHorizon)
	if a.conn > 0 {
		s.index()
		if l, ok := s.byConn[a.conn]; ok {
			for d := max(l.from, t-linkHorizon); d <= t+1; d++ {
				if sec := s.get(d); sec != nil && take(sec.byConn, a.conn) {
					if l.n == 1 {
						delete(s.byConn, a.conn)
					} else {
						s.byConn[a.conn] = connLines{l.n - 1, d}
					}
					s.matched++
					return
				}
			}
		}
	}
	k := a.key.request
	if k == 0 {
		return
	}
	for _, d := range []int64{0, -1, 1} {
		if sec := s.get(t + d); sec != nil && take(sec.byReq, k) {
			s.matched++
			return
		}
	}
}

// take takes one of k's count in m, if there is one left: the lines
// linked are forgotten.
func take[K comparable](m map[K]int32, k K) bool {
	n := m[k]
	switch {
	case n <= 0:
		return false
	case n == 1:
		delete(m, k)
	default:
		m[k] = n - 1
	}
	return true
}

// forgetRequests forgets the requests of the lines of the seconds before
// from.
func (s *setLinks) forgetRequests(from int64) {
	if !s.started {
		return
	}
	for i := range s.ring {
		if sec := &s.ring[i]; sec.used && sec.second < from {
			clear(sec.byReq)
		}
	}
}

// accessLine is what a linker keeps of a gateway error's access-log line
// until it links it.
type accessLine struct {
	key  requestKey
	conn int64 // $connection, 0 when the log format lacks it
}

// accessLineOf returns the accessLine of ev, its client and request line
// numbered in who (the error lines name them too), the request line
// written into who's buffer after the client: no string is made of them
// unless new.
func accessLineOf(ev *patterns.Event, who *names) accessLine {
	a := ev.Access
	sec := ev.Time.Unix()
	k := who.keyOf(a.RemoteAddr)
	n := len(k)
	if a.Method != "" {
		k = append(append(append(append(append(k, a.Method...), ' '), a.URI...), ' '), a.Protocol...)
	} else {
		k = append(k, a.URI...)
	}
	who.buf = k
	var request uint32
	if a.RemoteAddr != "" && len(k) > n {
		request = who.ofKey(k, sec)
	}
	return accessLine{key: requestKey{request, sec}, conn: a.Connection}
}
