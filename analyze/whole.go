package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/logcause/logcause/patterns"
)

// The rules read every slow-log entry, PHP-FPM trace, OOM kill and crashed
// child of a spike, and lists kept them whole; a database in trouble
// writes hundreds of thousands of slow-log entries in one incident's
// window, a PHP-FPM slow log a trace per request. What the rules read of
// them is computed here as the records come, and is bounded however many
// come:
//
//   - slow_queries (cause_slow_queries.go) reads of the slow-log entries
//     (the sigSlowQuery list: counted, no record kept) their count; per
//     query class (QueryID), in the order the classes first came, the
//     fingerprint of its first entry, its count, the sum of its query
//     times (added in the records' order: the same float) and, as its
//     evidence when the class has the most query time, its four longest
//     entries (longest first, ties in their order); and the share of the
//     spike's seconds one of them ran during (ranDuring), counted per
//     second as they come (slowAgg.cover). Its state evidence is those
//     four; its symptoms, the traces that waited in a query (below).
//   - the holder rules (holders.go: db_unresponsive, session_lock,
//     slow_external_call, slow_queries without entries) and
//     fpm_worker_exhaustion read of the traces (sigTrace: counted) their
//     count; per holder (holderOf), its count, and the places (the
//     innermost frame, as share writes it) its traces waited in, each
//     with its count, in the order they first came; and the traces of
//     the holder as evidence: the first ones (the state, holderCause), or
//     a spread over all of them (slow_queries' symptoms). Those are a
//     capped list per holder (traceAgg.by) of their file, instant and
//     offset (the texts of the evidence are read back, rereadTexts),
//     whose records past its cap the evidence picks are read back
//     (readBackRecords) as other lists'.
//   - oom_kill reads of the kills (sigOOMKill: a plain capped list) their
//     count, the first five victims, the first ones as state evidence,
//     the victims' names (oomVictim: any of them starts with "php",
//     "mysqld", …) and their pids: the children php-fpm logged killed by
//     signal 9 whose pid is a victim's are matched, once per kill of that
//     pid (oomAgg).
//   - worker_crash, fpm_down, fpm_request_terminated (childExits) read of
//     the crashed children (the second half of sigChildSignal, SIGQUIT
//     left out) their count, the first one and the first ones as state
//     evidence: a capped list (childAgg.crashed); oom_kill reads those
//     killed by signal 9, matched to the kills and spread as its
//     symptoms (childAgg.killed).
//   - mysql_down reads of the restarts (sigMySQLRestart: a plain capped
//     list) their count, the first one and the first ones as state
//     evidence.
//
// Exact but past caps no incident of the tests and scenarios comes near:
// more than wholeCap distinct victim pids or names of the OOM killer, or
// more than wholeCap children killed by signal 9, in one incident
// (oomAgg, childAgg). Past them a later kill's pid or name is not
// remembered, and a child killed by signal 9 is kept only if its kill was
// read before it (the kernel logs the kill before php-fpm reaps the
// child). The query classes and the places traces waited in are as many
// as the distinct queries and lines of code: they grow with the
// application, not with the incident.
type aggregates struct {
	slow     *slowAgg
	traces   *traceAgg
	children *childAgg
	oom      *oomAgg
}

// wholeCap bounds the OOM killer's distinct victims and the children
// killed by signal 9 remembered of one spike.
const wholeCap = headCap

// of returns the aggregates a rule that reads sigs sees.
func (a *aggregates) of(sigs []signal) *aggregates {
	out := &aggregates{}
	if a == nil {
		return out
	}
	for _, s := range sigs {
		switch s {
		case sigSlowQuery:
			out.slow = a.slow
		case sigTrace:
			out.traces = a.traces
		case sigChildSignal:
			out.children = a.children
		case sigOOMKill:
			out.oom = a.oom
		}
	}
	return out
}

// slowAgg is what slow_queries reads of a spike's slow-log entries.
type slowAgg struct {
	byID    map[string]*queryClass
	classes []*queryClass // in the order they first came
	start   time.Time     // the spike's first second
	secs    int           // its seconds
	cover   []int32       // per second, the entries that began running then less those that stopped the second before (a difference array)
}

// queryClass is the slow-log entries of one fingerprint.
type queryClass struct {
	fingerprint string
	n           int
	total       float64  // seconds of query time
	longest     []record // its classEvidence longest entries, longest first
}

// classEvidence is how many of its longest entries the top class quotes.
const classEvidence = 4

func newSlowAgg(start, end time.Time) *slowAgg {
	a := &slowAgg{start: start, secs: int(end.Sub(start) / time.Second)}
	if a.secs > 0 {
		a.cover = make([]int32, a.secs+1)
	}
	return a
}

// add adds a slow-log entry (its Event its own).
func (a *slowAgg) add(r record) {
	q := r.Slow
	c := a.byID[q.QueryID]
	if c == nil {
		if a.byID == nil {
			a.byID = map[string]*queryClass{}
		}
		c = &queryClass{fingerprint: strings.Clone(q.Fingerprint)}
		a.byID[strings.Clone(q.QueryID)] = c
		a.classes = append(a.classes, c)
	}
	c.n++
	c.total += q.QueryTime
	// After those as long: a stable sort's order.
	i, _ := slices.BinarySearchFunc(c.longest, q.QueryTime, func(e record, t float64) int {
		if e.Slow.QueryTime >= t {
			return -1
		}
		return 1
	})
	if i < classEvidence {
		c.longest = slices.Insert(c.longest, i, r)
		if len(c.longest) > classEvidence {
			clear(c.longest[classEvidence:])
			c.longest = c.longest[:classEvidence]
		}
	}
	a.mark(r)
}

// mark counts the seconds of the spike the entry ran during: second i,
// [start+i s, start+(i+1) s), when ranDuring says so, that is when
// stamp−d < start+(i+1) s and stamp+d ≥ start+i s: i from ⌊(stamp−d−start)/s⌋
// to ⌊(stamp+d−start)/s⌋.
func (a *slowAgg) mark(r record) {
	if a.secs <= 0 {
		return
	}
	d := time.Duration(r.Slow.QueryTime * float64(time.Second))
	from := floorSeconds(r.Time.Add(-d).Sub(a.start))
	to := floorSeconds(r.Time.Add(d).Sub(a.start))
	from, to = max(from, 0), min(to, int64(a.secs-1))
	if from > to {
		return
	}
	a.cover[from]++
	a.cover[to+1]--
}

// floorSeconds is ⌊d / 1 s⌋.
func floorSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second < 0 {
		s--
	}
	return s
}

// covered is the share of the spike's seconds during which at least one
// of the entries was running.
func (a *slowAgg) covered() float64 {
	if a == nil || a.secs <= 0 {
		return 0
	}
	covered, running := 0, int32(0)
	for _, d := range a.cover[:a.secs] {
		running += d
		if running > 0 {
			covered++
		}
	}
	return float64(covered) / float64(a.secs)
}

// ranked returns the classes, the one with the most query time first
// (ties in the order they came).
func (a *slowAgg) ranked() []*queryClass {
	if a == nil {
		return nil
	}
	out := slices.Clone(a.classes)
	slices.SortStableFunc(out, func(x, y *queryClass) int { return cmp.Compare(y.total, x.total) })
	return out
}

// traceAgg is what the rules read of a spike's PHP-FPM traces.
type traceAgg struct {
	n     int
	by    [numHolders]heldBy
	files map[string]*patterns.Event // the Event (kind and file) the traces of a file share in the lists
}

// heldBy is the traces of one holder.
type heldBy struct {
	recs   list    // capped, plain: read back past the cap (traceGroup)
	places []place // where they waited, in the order they first came
	at     map[string]int
}

// place is where traces waited (their innermost frame), and how many.
type place struct {
	where string
	n     int
}

func newTraceAgg() *traceAgg {
	t := &traceAgg{}
	for h := range t.by {
		t.by[h].recs = list{plain: true, gid: traceGroup(holder(h))}
	}
	return t
}

// add adds a trace (its Event its own). The holder's list keeps of it
// what the evidence quotes: its file, instant and offset (its text is
// read back, rereadTexts), not its frames.
func (t *traceAgg) add(r record) {
	t.n++
	b := &t.by[holderOf(r)]
	where := "(no frame)"
	if fs := r.FPMSlow.Frames; len(fs) > 0 {
		where = fmt.Sprintf("`%s()` (%s:%d)", fs[0].Function, fs[0].File, fs[0].Line)
	}
	file := t.files[r.Path]
	if file == nil {
		if t.files == nil {
			t.files = map[string]*patterns.Event{}
		}
		file = &patterns.Event{Kind: r.Kind, Path: strings.Clone(r.Path)}
		t.files[file.Path] = file
	}
	b.recs.add(record{Event: file, Time: r.Time, Offset: r.Offset})
	if i, ok := b.at[where]; ok {
		b.places[i].n++
		return
	}
	if b.at == nil {
		b.at = map[string]int{}
	}
	b.at[where] = len(b.places)
	b.places = append(b.places, place{where, 1})
}

// capped reports whether a holder's list left traces out.
func (t *traceAgg) capped() bool {
	for h := range t.by {
		if t.by[h].recs.capped() {
			return true
		}
	}
	return false
}

// traceGroup is the group of the traces of h, past the signals' groups
// (groupOf).
func traceGroup(h holder) groupID { return groupID(3*int(numSignals) + 1 + int(h)) }

// numGroups is how many groups there are: the signals', then the traces'
// per holder.
const numGroups = 3*int(numSignals) + int(numHolders)

// signalOf returns the signal of the records of group g.
func signalOf(g groupID) signal {
	if int(g) > 3*int(numSignals) {
		return sigTrace
	}
	return signal((g - 1) / 3)
}

// childAgg is what the rules read of the children that exited on a signal
// php-fpm did not send to end them (sigChildSignal's second half).
type childAgg struct {
	crashed list // but SIGQUIT, a graceful stop
	killed  list // by signal 9 (whole, of wholeCap records at most)
}

func newChildAgg() *childAgg { return &childAgg{killed: list{whole: true}} }

// sigkill is how php-fpm's message of a child's exit names SIGKILL.
const sigkill = "signal 9"

func (c *childAgg) add(r record, kills *oomAgg) {
	if !strings.Contains(r.FPM.Message, "signal 3 ") {
		c.crashed.add(r)
	}
	if strings.Contains(r.FPM.Message, sigkill) && (c.killed.n < wholeCap || kills.pids[r.child()] > 0) {
		c.killed.add(r)
	}
}

// oomAgg is what the rules read of the OOM killer's victims beyond the
// kills' list: their pids (and how many kills each) and names.
type oomAgg struct {
	pids  map[int]int
	comms map[string]struct{}
}

func (o *oomAgg) add(r record) {
	s := r.Syslog
	if o.pids == nil {
		o.pids, o.comms = map[int]int{}, map[string]struct{}{}
	}
	if _, ok := o.pids[s.VictimPID]; ok || len(o.pids) < wholeCap {
		o.pids[s.VictimPID]++
	}
	if len(o.comms) < wholeCap {
		o.comms[strings.Clone(s.Comm)] = struct{}{}
	}
}
