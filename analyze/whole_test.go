package analyze

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/internal/numfmt"
	"github.com/logcause/logcause/patterns"
)

// The rules' answers of the records they read all of, as they were
// computed of the whole lists before the aggregates (whole.go): the
// references the aggregates must equal.

type wholeClass struct {
	fingerprint string
	entries     []record
	total       float64
}

func wholeQueryClasses(slow []record) []*wholeClass {
	byID := map[string]*wholeClass{}
	var classes []*wholeClass
	for _, ev := range slow {
		c := byID[ev.Slow.QueryID]
		if c == nil {
			c = &wholeClass{fingerprint: ev.Slow.Fingerprint}
			byID[ev.Slow.QueryID] = c
			classes = append(classes, c)
		}
		c.entries = append(c.entries, ev)
		c.total += ev.Slow.QueryTime
	}
	slices.SortStableFunc(classes, func(a, b *wholeClass) int { return cmp.Compare(b.total, a.total) })
	return classes
}

func wholeCovered(start, end time.Time, slow []record) float64 {
	secs := int(end.Sub(start) / time.Second)
	if secs <= 0 {
		return 0
	}
	covered := 0
	for i := range secs {
		from := start.Add(time.Duration(i) * time.Second)
		for _, ev := range slow {
			if ranDuring(ev.Event, from, from.Add(time.Second)) {
				covered++
				break
			}
		}
	}
	return float64(covered) / float64(secs)
}

type wholeTraces struct {
	all []record
	by  [numHolders][]record
}

func wholeTracesOf(all []record) wholeTraces {
	t := wholeTraces{all: all}
	for _, ev := range all {
		h := holderOf(ev)
		t.by[h] = append(t.by[h], ev)
	}
	return t
}

func (t wholeTraces) dominant(h holder) bool {
	n := len(t.by[h])
	if n == 0 || 3*n < len(t.all) {
		return false
	}
	for o := holdDBConnect; o < numHolders; o++ {
		if len(t.by[o]) > n || (len(t.by[o]) == n && o < h) {
			return false
		}
	}
	if h != holdOwn && len(t.by[holdOwn]) > n {
		return false
	}
	return true
}

func (t wholeTraces) share(h holder, verb string) string {
	evs := t.by[h]
	var places []place
	for _, ev := range evs {
		where := "(no frame)"
		if fs := ev.FPMSlow.Frames; len(fs) > 0 {
			where = fmt.Sprintf("`%s()` (%s:%d)", fs[0].Function, fs[0].File, fs[0].Line)
		}
		if i := slices.IndexFunc(places, func(p place) bool { return p.where == where }); i >= 0 {
			places[i].n++
		} else {
			places = append(places, place{where, 1})
		}
	}
	slices.SortStableFunc(places, func(a, b place) int { return cmp.Compare(b.n, a.n) })
	s := fmt.Sprintf("%s of %s traced requests (PHP-FPM slow log) %s %s", numfmt.Int(len(evs)), numfmt.Int(len(t.all)), verb, places[0].where)
	if len(places) > 1 {
		s += fmt.Sprintf(" and %s other place(s)", numfmt.Int(len(places)-1))
	}
	return s
}

func wholeKilled(kills, others []record) []record {
	var matched []record
	for _, ev := range others {
		for _, k := range kills {
			if ev.child() == k.Syslog.VictimPID && strings.Contains(ev.FPM.Message, "signal 9") {
				matched = append(matched, ev)
			}
		}
	}
	return matched
}

func wholeCrashed(others []record) []record {
	var recs []record
	for _, r := range others {
		if !strings.Contains(r.FPM.Message, "signal 3 ") {
			recs = append(recs, r)
		}
	}
	return recs
}

// Records as the keeper keeps them.

func slowLogEntry(i int, stamp time.Time, seconds float64, class int) *patterns.Event {
	fp := fmt.Sprintf("select * from t%d where id = ?", class)
	return &patterns.Event{Time: stamp, Kind: patterns.KindMySQLSlow, Path: "slow.log", Offset: int64(i), Text: fmt.Sprintf("# Query_time: %g", seconds),
		Slow: &patterns.SlowQuery{QueryTime: seconds, Fingerprint: fp, QueryID: patterns.QueryID(fp)}}
}

var traceFrames = []patterns.Frame{
	{Function: "PDOStatement->execute", File: "/var/www/lib/db.php", Line: 40},
	{Function: "execute", File: "/var/www/lib/db.php", Line: 41},
	{Function: "__construct", File: "/var/www/lib/db.php", Line: 9},
	{Function: "session_start", File: "/var/www/index.php", Line: 2},
	{Function: "curl_exec", File: "/var/www/lib/api.php", Line: 77},
	{Function: "flock", File: "/var/www/lib/cache.php", Line: 12},
	{Function: "usleep", File: "/var/www/page.php", Line: 5},
	{Function: "render", File: "/var/www/page.php", Line: 50},
}

func traceEntry(i int, stamp time.Time, frame int) *patterns.Event {
	ev := &patterns.Event{Time: stamp, Kind: patterns.KindFPMSlow, Path: "php-fpm.slow.log", Offset: int64(i), Text: fmt.Sprintf("[pool www] pid %d", i),
		FPMSlow: &patterns.FPMSlow{Pool: "www", PID: i}}
	if frame >= 0 {
		ev.FPMSlow.Frames = []patterns.Frame{traceFrames[frame], {Function: "main", File: "/var/www/index.php", Line: 3}}
	}
	return ev
}

func childExit(i int, stamp time.Time, child int, sig string) *patterns.Event {
	msg := fmt.Sprintf("[pool www] child %d exited on signal %s after 3.5 seconds from start", child, sig)
	return &patterns.Event{Time: stamp, Kind: patterns.KindFPMError, Path: "php-fpm.log", Offset: int64(i), Text: "WARNING: " + msg,
		FPM: &patterns.FPMError{Level: "WARNING", Pool: "www", Child: child, Message: msg}}
}

func oomKillOf(i int, stamp time.Time, pid int, comm string) *patterns.Event {
	return &patterns.Event{Time: stamp, Kind: patterns.KindSyslog, Path: "kern.log", Offset: int64(i), Text: "kernel: Out of memory",
		Syslog: &patterns.Syslog{Program: "kernel", VictimPID: pid, Comm: comm, AnonRSSKB: 1 << 20}}
}

var childSignals = []string{"9 (SIGKILL)", "11 (SIGSEGV)", "3 (SIGQUIT)", "15 (SIGTERM)"}

// TestAggregatesAnswerAsTheWholeLists: what the rules read of the
// slow-log entries, traces, OOM kills and crashed children, computed as
// they come, is what they read of the whole lists, below and past the
// lists' caps: the classes (their fingerprint, count, total time and
// longest entries), the share of the spike's seconds covered, the
// holders' counts, places and first traces, the children matched to the
// kills and the crashed children.
func TestAggregatesAnswerAsTheWholeLists(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	start, end := at(100), at(160)
	for _, n := range []int{0, 1, 7, 300, headCap + sampleCap + 500, 20_000} {
		var strs shared
		var who names
		k := keeper{strs: &strs, names: &who}
		c := newCollected()
		c.window(start, end)
		var slow, traces, kills, others []record
		for i := range n {
			// Stamps around the spike, to the nanosecond; query times with
			// ties, some to the second, some reaching across its edges.
			stamp := start.Add(time.Duration(rng.Int64N(int64(100*time.Second))) - 20*time.Second)
			if rng.IntN(4) == 0 {
				stamp = stamp.Truncate(time.Second)
			}
			seconds := []float64{0.5, 1, 2, 2.5, 10, rng.Float64() * 30}[rng.IntN(6)]
			r := k.keep(slowLogEntry(i, stamp, seconds, rng.IntN(1+n/50)), sigSlowQuery)
			c.add(sigSlowQuery, r)
			slow = append(slow, r)

			r = k.keep(traceEntry(i, stamp, rng.IntN(len(traceFrames)+1)-1), sigTrace)
			c.add(sigTrace, r)
			traces = append(traces, r)

			if rng.IntN(8) == 0 {
				r = k.keep(oomKillOf(i, stamp, 100+rng.IntN(50), []string{"php-fpm8.2", "mysqld", "node"}[rng.IntN(3)]), sigOOMKill)
				c.add(sigOOMKill, r)
				kills = append(kills, r)
			}
			r = k.keep(childExit(i, stamp, 100+rng.IntN(100), childSignals[rng.IntN(len(childSignals))]), sigChildSignal)
			c.add(sigChildSignal, r)
			if _, h := splits(sigChildSignal, r); h == 1 {
				others = append(others, r)
			}
		}
		e := c.set()
		e.start, e.end, e.max = start, end, DefaultConfig.Evidence

		sq := e.only(slowQueries.reads)
		if sq.n(sigSlowQuery) != n {
			t.Errorf("%d entries: counted %d", n, sq.n(sigSlowQuery))
		}
		got, want := sq.agg.slow.ranked(), wholeQueryClasses(slow)
		if len(got) != len(want) {
			t.Fatalf("%d entries: %d classes, want %d", n, len(got), len(want))
		}
		for i, w := range want {
			longest := slices.Clone(w.entries)
			slices.SortStableFunc(longest, func(a, b record) int { return cmp.Compare(b.Slow.QueryTime, a.Slow.QueryTime) })
			longest = longest[:min(len(longest), 4)]
			g := got[i]
			if g.fingerprint != w.fingerprint || g.n != len(w.entries) || g.total != w.total || !slices.Equal(offsets(g.longest), offsets(longest)) {
				t.Errorf("%d entries, class %d: %q ×%d %v s, longest %v; want %q ×%d %v s, longest %v", n, i, g.fingerprint, g.n, g.total, offsets(g.longest),
					w.fingerprint, len(w.entries), w.total, offsets(longest))
			}
		}
		if g, w := sq.agg.slow.covered(), wholeCovered(start, end, slow); g != w {
			t.Errorf("%d entries: %v of the seconds covered, want %v", n, g, w)
		}

		tr, wt := sq.traces(), wholeTracesOf(traces)
		if tr.n != len(wt.all) {
			t.Errorf("%d traces: counted %d", n, tr.n)
		}
		for h := range numHolders {
			b := tr.by[h]
			if b.recs.n != len(wt.by[h]) || tr.dominant(h) != wt.dominant(h) {
				t.Errorf("%d traces, holder %d: %d, dominant %v; want %d, %v", n, h, b.recs.n, tr.dominant(h), len(wt.by[h]), wt.dominant(h))
			}
			if b.recs.n > 0 && tr.share(h, "waited in") != wt.share(h, "waited in") {
				t.Errorf("%d traces, holder %d: %q, want %q", n, h, tr.share(h, "waited in"), wt.share(h, "waited in"))
			}
			for _, k := range []int{1, 4, headCap} {
				if !slices.Equal(offsets(b.recs.head(k)), offsets(wt.by[h][:min(k, len(wt.by[h]))])) {
					t.Errorf("%d traces, holder %d: the first %d differ", n, h, k)
				}
			}
			if len(wt.by[h]) <= headCap+sampleCap {
				for k := range 9 {
					if g, w := offsets(e.spread(b.recs, k)), offsets(plainSpread(wt.by[h], k)); !slices.Equal(g, w) {
						t.Errorf("%d traces, holder %d: spread of %d %v, want %v", n, h, k, g, w)
					}
				}
			}
		}

		oom := e.only(oomKill.reads)
		if g, w := offsets(oom.killedChildren()), offsets(wholeKilled(kills, others)); !slices.Equal(g, w) {
			t.Errorf("%d kills and %d children: matched %v, want %v", len(kills), len(others), g, w)
		}
		for _, p := range [][]string{{"php"}, {"mysqld", "mariadbd"}, {"apache"}} {
			want := slices.ContainsFunc(kills, func(k record) bool {
				return slices.ContainsFunc(p, func(p string) bool { return strings.HasPrefix(k.Syslog.Comm, p) })
			})
			if oom.oomVictim(p...) != want {
				t.Errorf("%d kills: a victim %v: %v", len(kills), p, !want)
			}
		}
		crashed, _ := e.only(workerCrash.reads).childExits()
		wc := wholeCrashed(others)
		if crashed.n != len(wc) || !slices.Equal(offsets(crashed.head(DefaultConfig.Evidence)), offsets(wc[:min(len(wc), DefaultConfig.Evidence)])) {
			t.Errorf("%d crashed children: %d, first %v", len(wc), crashed.n, offsets(crashed.head(DefaultConfig.Evidence)))
		}
		if none := e.only([]signal{sigReset}); none.traces().n != 0 || none.agg.slow != nil || none.oomVictim("php") || none.killedChildren() != nil {
			t.Error("a rule that reads neither the traces, the slow log nor the kills sees them")
		}
	}
}

// TestSlowQueryCoverageAtTheEdges: a query counts for a second of the
// spike exactly when ranDuring says it ran then, to the nanosecond.
func TestSlowQueryCoverageAtTheEdges(t *testing.T) {
	start, end := at(10), at(20)
	for _, tc := range []struct {
		stamp   time.Time
		seconds float64
	}{
		{at(9), 1}, {at(9).Add(-time.Nanosecond), 1}, {at(20), 0}, {at(20), 0.000000001}, {at(21), 1}, {at(21), 1.000000001},
		{at(15).Add(500 * time.Millisecond), 0}, {at(5), 100}, {at(10), 0}, {at(0), 10}, {at(0), 9.999999999}, {at(19).Add(999999999), 0},
	} {
		a := newSlowAgg(start, end)
		r := record{Event: slowLogEntry(0, tc.stamp, tc.seconds, 0)}
		r.Time = tc.stamp
		a.add(r)
		if got, want := a.covered(), wholeCovered(start, end, []record{r}); got != want {
			t.Errorf("a query of %v s stamped %s: %v of the spike covered, want %v", tc.seconds, tc.stamp.Sub(start), got, want)
		}
	}
}

// TestWholeListsHeldStayFlat: the slow-log entries, traces, OOM kills and
// children killed or crashed inside one incident hold about as many bytes
// at 100,000 of each as at 1,000,000: what the rules read of them is
// aggregated as they come.
func TestWholeListsHeldStayFlat(t *testing.T) {
	start := t0
	held := func(n int) uint64 {
		before := liveHeap()
		var strs shared
		var who names
		k := keeper{strs: &strs, names: &who}
		c := newCollected()
		c.window(start, start.Add(time.Hour))
		for i := range n {
			stamp := start.Add(time.Duration(i) * time.Hour / time.Duration(n))
			c.add(sigSlowQuery, k.keep(slowLogEntry(i, stamp, float64(1+i%7), i%40), sigSlowQuery))
			c.add(sigTrace, k.keep(traceEntry(i, stamp, i%len(traceFrames)), sigTrace))
			c.add(sigChildSignal, k.keep(childExit(i, stamp, 1000+i, childSignals[i%2]), sigChildSignal))
			if i%10 == 0 {
				c.add(sigOOMKill, k.keep(oomKillOf(i, stamp, 1000+i, "php-fpm8.2"), sigOOMKill))
			}
		}
		grown := liveHeap() - min(before, liveHeap())
		runtime.KeepAlive(c)
		e := c.set()
		if e.n(sigSlowQuery) != n || e.traces().n != n || e.agg.children.crashed.n != n || e.n(sigOOMKill) != (n+9)/10 {
			t.Fatalf("%d of each: counted %d entries, %d traces, %d crashed, %d kills", n, e.n(sigSlowQuery), e.traces().n, e.agg.children.crashed.n, e.n(sigOOMKill))
		}
		return grown
	}
	wantFlat(t, "slow-log entries, traces and crashed children (each)", held, 100_000, 1_000_000, 0.25, 16<<20)
}

// TestTraceEvidencePastTheCapIsTheWholeList: slow_queries quotes, past
// the cap of the traces that waited in a query, the traces a spread of
// the whole list picks: those past the cap are read back.
func TestTraceEvidencePastTheCapIsTheWholeList(t *testing.T) {
	f := exhausted()
	for i := range 12 {
		f.slow(28+i%3, 10+float64(i%5), "SELECT * FROM orders WHERE id = 42", "select * from orders where id = ?")
	}
	var waited []*patterns.Event
	for i := range headCap + 3*sampleCap {
		f.trace(20+i%6, "PDOStatement->execute", "/var/www/lib/db.php", 40+i%3)
		waited = append(waited, f.events[len(f.events)-1])
		if i%10 == 0 {
			f.trace(20+i%6, "curl_exec", "/var/www/lib/api.php", 7)
		}
	}
	res, err := Analyze(f, TimeRange{t0, at(3600)}, DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	inc := onlyIncident(t, res)
	i := slices.IndexFunc(inc.Causes, func(c Cause) bool { return c.Kind == SlowQueries })
	if i < 0 {
		t.Fatalf("no slow_queries among %+v", inc.Causes)
	}
	c := inc.Causes[i]
	var entries []record
	for _, ev := range f.events {
		if ev.Slow != nil {
			entries = append(entries, record{Event: ev, Time: ev.Time, Offset: ev.Offset})
		}
	}
	slices.SortStableFunc(entries, func(a, b record) int { return cmp.Compare(b.Slow.QueryTime, a.Slow.QueryTime) })
	state := entries[:min(4, DefaultConfig.Evidence/3)]
	var traced []record
	for _, ev := range waited {
		traced = append(traced, record{Event: ev, Time: ev.Time, Offset: ev.Offset})
	}
	slices.SortStableFunc(traced, func(a, b record) int { return a.Time.Compare(b.Time) }) // as the store gives them
	want := offsets(append(slices.Clone(state), plainSpread(traced, min(DefaultConfig.Evidence-len(state), maxSymptoms))...))
	var got []int64
	for _, ev := range c.Evidence {
		got = append(got, ev.Offset)
		if ev.Text != f.events[ev.Offset].Text {
			t.Errorf("evidence at %d: %q, want %q", ev.Offset, ev.Text, f.events[ev.Offset].Text)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if more := min(4, len(entries)) + len(traced) - len(want); !slices.Equal(got, want) || c.EvidenceMore != more {
		t.Errorf("evidence at %v, %d more; want %v, %d more", got, c.EvidenceMore, want, more)
	}
	if !strings.Contains(c.Summary, fmt.Sprintf("%s of %s traced requests (PHP-FPM slow log) waited in `PDOStatement->execute()` (/var/www/lib/db.php:40) and 2 other place(s)", numfmt.Int(len(waited)), numfmt.Int(len(waited)+(len(waited)+9)/10))) {
		t.Errorf("summary: %s", c.Summary)
	}
}
