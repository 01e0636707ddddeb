package analyze

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// linkInput is what a linker is given: the spike's gateway errors in the
// access log and error lines, in time order.
type linkInput struct {
	events []linkEvent
}

type linkEvent struct {
	at     time.Time
	access *accessLine // an access line, or
	sig    signal      // an error line of signal sig
	line   record
}

// fastcgi's and a proxied backend's error lines, alike but for the upstream.
var (
	fcgiReset  = &patterns.Event{Kind: patterns.KindNginxError, Error: &patterns.NginxError{Message: "recv() failed (104: Connection reset by peer)", Upstream: fpmSock}}
	proxyReset = &patterns.Event{Kind: patterns.KindNginxError, Error: &patterns.NginxError{Message: "recv() failed (104: Connection reset by peer)", Upstream: "http://10.0.0.9:8080/"}}
)

// randomLinkInput makes seeded requests on connections of several
// requests each (keep-alive), at most span seconds apart, with few
// clients and request lines (the same key on many requests), some access
// lines without $connection (noConn of them), each failed request with
// zero, one or two error lines in its second or the one before (the turn
// straddling a second), FastCGI's or a proxied backend's, some cut before
// their client and request (2048 bytes: one in cut), and requests that did not fail
// in the access log (no access line: a body-phase error) that still left
// an error line.
func randomLinkInput(rng *rand.Rand, conns, span int, noConn float64, cut int) linkInput {
	var in linkInput
	for c := int64(1); c <= int64(conns); c++ {
		t := rng.IntN(60)
		for range 1 + rng.IntN(4) {
			t += rng.IntN(span + 1)
			at := at(t).Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
			key := requestKey{request: uint32(1 + rng.IntN(9)), second: at.Unix()} // of 3 clients and 3 request lines
			failed := rng.IntN(5) > 0
			if failed {
				a := accessLine{key: key, conn: c}
				if rng.Float64() < noConn {
					a.conn = 0
				}
				in.events = append(in.events, linkEvent{at: at, access: &a})
			}
			for range rng.IntN(3) {
				when := at.Add(-time.Duration(rng.IntN(1500)) * time.Millisecond) // before the access line, a second apart at most
				ev := fcgiReset
				if rng.IntN(3) == 0 {
					ev = proxyReset
				}
				request := key.request
				if rng.IntN(cut) == 0 {
					request = 0 // cut at 2048 bytes
				}
				r := nginxLine(ev, c, request)
				r.Time = when
				in.events = append(in.events, linkEvent{at: when, sig: sigReset, line: r})
			}
		}
	}
	slices.SortStableFunc(in.events, func(a, b linkEvent) int { return a.at.Compare(b.at) })
	return in
}

// run gives in to a linker and returns its counts.
func (in linkInput) run(t *testing.T, gateway int64) *[numLinkSets]int {
	t.Helper()
	var l linker
	in.feed(t, &l, func(linkEvent) bool { return true })
	return l.done(gateway)
}

// feed gives l the events of in, up to the first that want refuses.
func (in linkInput) feed(t *testing.T, l *linker, want func(linkEvent) bool) {
	t.Helper()
	for _, ev := range in.events {
		if !want(ev) {
			return
		}
		var err error
		if ev.access != nil {
			err = l.request(ev.at, *ev.access)
		} else {
			err = l.line(ev.at, ev.sig, ev.line)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// split returns the access lines, and the error lines to FastCGI (or the
// others).
func (in linkInput) split(fcgi bool) (access []accessLine, lines []record) {
	for _, ev := range in.events {
		switch {
		case ev.access != nil:
			access = append(access, *ev.access)
		case (ev.line.Event == fcgiReset) == fcgi:
			lines = append(lines, ev.line)
		}
	}
	return access, lines
}

// check fails t unless a linker given in counts, for FastCGI's resets
// (one set) and a proxied backend's (another), what want counts of the
// set's lines; it returns of how many sets wholeWindowLink's count differs.
func (in linkInput) check(t *testing.T, seed uint64, gateway int64, want func(access []accessLine, lines []record, gateway int64) int) (differs int) {
	t.Helper()
	got := in.run(t, gateway)
	for _, c := range []struct {
		set  linkSet
		fcgi bool
	}{{linkFPMResets, true}, {linkInvalid, false}} {
		access, lines := in.split(c.fcgi)
		if w := want(access, lines, gateway); got[c.set] != w {
			t.Fatalf("seed %d, set %d: linked %d, want %d", seed, c.set, got[c.set], w)
		}
		if got[c.set] != wholeWindowLink(access, lines, gateway) {
			differs++
		}
	}
	return differs
}

// wholeWindowLink is how analysis linked before it linked while reading:
// every access line of the spike against every error line of the list,
// by connection anywhere in the spike, else by client and request line
// within a second.
func wholeWindowLink(access []accessLine, lines []record, gateway int64) int {
	byConn := map[int64]int{}
	byReq := map[requestKey]int{}
	named := 0
	for _, l := range lines {
		if c := l.conn(); c > 0 {
			byConn[c]++
		}
		if l.request() != 0 {
			byReq[requestKey{l.request(), l.Time.Unix()}]++
			named++
		}
	}
	if len(access) == 0 || named == 0 {
		return min(len(lines), int(gateway))
	}
	n := 0
	for _, a := range access {
		if a.conn > 0 && byConn[a.conn] > 0 {
			byConn[a.conn]--
			n++
			continue
		}
		for _, d := range []int64{0, -1, 1} {
			k := a.key
			k.second += d
			if byReq[k] > 0 {
				byReq[k]--
				n++
				break
			}
		}
	}
	return n
}

// horizonLink is the linker's rule written plainly: each access line, in
// order, to the earliest line of its connection not linked before from
// linkHorizon seconds before its second to the next second, else by
// client and request line within a second.
func horizonLink(access []accessLine, lines []record, gateway int64) int {
	byConn := make([]bool, len(lines)) // linked by connection
	byReq := make([]bool, len(lines))  // linked by request
	named := 0
	for _, l := range lines {
		if l.request() != 0 {
			named++
		}
	}
	if len(access) == 0 || named == 0 {
		return min(len(lines), int(gateway))
	}
	n := 0
	for _, a := range access {
		t := a.key.second
		first := -1
		for i, l := range lines {
			s := l.Time.Unix()
			if a.conn > 0 && l.conn() == a.conn && !byConn[i] && s >= t-linkHorizon && s <= t+1 && (first < 0 || s < lines[first].Time.Unix()) {
				first = i
			}
		}
		if first >= 0 {
			byConn[first] = true
			n++
			continue
		}
	keys:
		for _, d := range []int64{0, -1, 1} {
			for i, l := range lines {
				if !byReq[i] && l.request() == a.key.request && l.request() != 0 && l.Time.Unix() == t+d {
					byReq[i] = true
					n++
					break keys
				}
			}
		}
	}
	return n
}

// TestLinkerLinksAsTheWholeWindow: on requests whose connection's lines
// are all within the horizon and none after a failed request of the
// connection by more than a second, linking while reading counts what
// linking the whole spike at once counted, for FastCGI's half (one set)
// and a proxied backend's (another), with and without $connection in the
// access log, and when the lines are too few for the gateway errors.
func TestLinkerLinksAsTheWholeWindow(t *testing.T) {
	byConn, byKey := 0, 0
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 1))
		cut := 6
		if seed%5 == 0 {
			cut = 1 // every line cut: the lines are counted
		}
		in := randomLinkInput(rng, 40+rng.IntN(80), 3, []float64{0, 0.3, 1}[seed%3], cut)
		in = withinHorizon(in)
		gateway := int64(rng.IntN(200))
		in.check(t, seed, gateway, wholeWindowLink)
		access, lines := in.split(true)
		byKey += wholeWindowLink(withoutConn(access), lines, gateway)
		byConn += wholeWindowLink(access, lines, gateway)
	}
	if byConn == 0 || byKey == 0 {
		t.Fatalf("linked %d by connection, %d by request: the inputs link neither", byConn, byKey)
	}
}

// TestLinkerKeepsTheHorizon: with connections of requests up to 30
// seconds apart, linking while reading counts what its rule (horizonLink)
// says; the inputs are those where it differs from the whole window's.
func TestLinkerKeepsTheHorizon(t *testing.T) {
	differs := 0
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 2))
		in := randomLinkInput(rng, 20+rng.IntN(60), 30, []float64{0, 0.3}[seed%2], 6)
		gateway := int64(rng.IntN(200))
		differs += in.check(t, seed, gateway, horizonLink)
	}
	if differs == 0 {
		t.Fatal("no input where the horizon changes the count: the test proves nothing the other does not")
	}
}

// withinHorizon drops the error lines of a connection more than a second
// after one of its access lines, or more than linkHorizon seconds before
// its last one.
func withinHorizon(in linkInput) linkInput {
	first, last := map[int64]int64{}, map[int64]int64{}
	for _, ev := range in.events {
		if a := ev.access; a != nil && a.conn > 0 {
			if _, ok := first[a.conn]; !ok {
				first[a.conn] = a.key.second
			}
			last[a.conn] = a.key.second
		}
	}
	var out linkInput
	for _, ev := range in.events {
		if ev.access == nil {
			s, c := ev.at.Unix(), ev.line.conn()
			if f, ok := first[c]; ok && (s > f+1 || s < last[c]-linkHorizon) {
				continue
			}
		}
		out.events = append(out.events, ev)
	}
	return out
}

func withoutConn(access []accessLine) []accessLine {
	out := slices.Clone(access)
	for i := range out {
		out[i].conn = 0
	}
	return out
}

// TestLinkerHoldsSeconds: a million and a half lines over two hours
// stream through a linker — error lines alone first (the lookback before
// a spike), then each with its gateway error — which holds at any time no
// more than the lines of the seconds it keeps (linkRing), and links them
// all.
func TestLinkerHoldsSeconds(t *testing.T) {
	const perSecond = 250 // access lines, and as many error lines
	var l linker
	most, lines := 0, 0
	conn := int64(0)
	for s := 0; lines < 1_500_000; s++ {
		lookback := lines < 500_000
		for i := range perSecond {
			conn++
			when := at(s).Add(time.Duration(i) * time.Millisecond)
			r := nginxLine(fcgiReset, conn, uint32(1+i%35)) // of 7 clients and 5 request lines
			r.Time = when
			if err := l.line(when, sigReset, r); err != nil {
				t.Fatal(err)
			}
			lines++
			if !lookback {
				if err := l.request(when, accessLine{key: requestKey{uint32(1 + i%35), when.Unix()}, conn: conn}); err != nil {
					t.Fatal(err)
				}
				lines++
			}
			most = max(most, l.held())
		}
	}
	// An error line not linked is held by connection (twice: in its
	// second, and the set's count) for linkRing seconds, and by request
	// for four; an access line until the second after the next, in a
	// slice compacted when half of it is linked.
	if bound := 2*linkRing*perSecond + 4*perSecond + 6*perSecond; most > bound {
		t.Errorf("held %d entries at most, want at most %d (the seconds kept)", most, bound)
	}
	if got := l.done(1 << 40); got[linkFPMResets] != l.access || l.access != 500_000 {
		t.Errorf("linked %d of %d gateway errors, want 500,000", got[linkFPMResets], l.access)
	}
	t.Logf("%d lines, %d entries held at most", lines, most)
}

// TestLinkerWantsTimeOrder: a line earlier than the second of one given
// before is an error, not a wrong count.
func TestLinkerWantsTimeOrder(t *testing.T) {
	var l linker
	r := nginxLine(fcgiReset, 1, 1)
	if err := l.request(at(5), accessLine{key: requestKey{1, at(5).Unix()}, conn: 1}); err != nil {
		t.Fatal(err)
	}
	err := l.line(at(4), sigReset, r)
	if err == nil || !strings.Contains(err.Error(), "time order") {
		t.Fatalf("err = %v, want one about the lines' order", err)
	}
	if err := l.line(at(5).Add(-time.Millisecond), sigReset, r); err == nil {
		t.Fatal("a line of an earlier second than the last, linked")
	}
}

// TestLinkerIndexesConnectionsLate: a set indexes its lines' connections
// only when an access line names one; when the first such line comes
// after seconds of access lines without $connection (and of error lines
// listed unindexed), the linker still counts what its rule says.
func TestLinkerIndexesConnectionsLate(t *testing.T) {
	indexedLate := 0
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 3))
		in := randomLinkInput(rng, 20+rng.IntN(60), []int{3, 30}[seed%2], 0, 6)
		late := at(5 + rng.IntN(60)).Unix() // the access lines before it lack $connection
		for i := range in.events {
			if a := in.events[i].access; a != nil && a.key.second < late {
				c := *a
				c.conn = 0
				in.events[i].access = &c
			}
		}
		in.check(t, seed, int64(rng.IntN(200)), horizonLink)
		var l linker // as check's, up to the first access line naming a connection
		in.feed(t, &l, func(ev linkEvent) bool { return ev.access == nil || ev.access.conn == 0 })
		listed := 0
		for _, sec := range l.sets[linkFPMResets].ring {
			listed += len(sec.conns)
		}
		if !l.sets[linkFPMResets].indexed && listed > 0 {
			indexedLate++
		}
	}
	if indexedLate == 0 {
		t.Fatal("no input whose lines came unindexed before an access line named a connection")
	}
}
