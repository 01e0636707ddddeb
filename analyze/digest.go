package analyze

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// QueryClass is one class of the slow-query digest: the slow-log entries of
// the analysis range that share a fingerprint, as pt-query-digest groups
// them (same fingerprint, same query id). Times are in seconds.
type QueryClass struct {
	QueryID      string      `json:"query_id"`
	Fingerprint  string      `json:"fingerprint"`
	Count        int64       `json:"count"`
	TotalTime    float64     `json:"total_time"` // the sum of the query times
	P50Time      float64     `json:"p50_time"`   // nearest-rank percentiles of the query times
	P95Time      float64     `json:"p95_time"`
	MaxTime      float64     `json:"max_time"`
	LockTime     float64     `json:"lock_time"` // the sum of the lock times
	RowsSent     int64       `json:"rows_sent"`
	RowsExamined int64       `json:"rows_examined"`
	FirstSeen    time.Time   `json:"first_seen"`
	LastSeen     time.Time   `json:"last_seen"`
	Sample       QuerySample `json:"sample"` // the worst entry: the longest query time, the first of equals
}

// QuerySample is one slow-log entry, its statement cut to maxSampleQuery
// bytes.
type QuerySample struct {
	Time      time.Time `json:"time"`
	QueryTime float64   `json:"query_time"`
	Schema    string    `json:"schema"`
	Query     string    `json:"query"`
	Path      string    `json:"path"`
	Offset    int64     `json:"offset"`
}

// ClassCount is how many entries of one query class ran during an
// incident's window.
type ClassCount struct {
	QueryID     string  `json:"query_id"`
	Fingerprint string  `json:"fingerprint"`
	Count       int64   `json:"count"`
	TotalTime   float64 `json:"total_time"`
}

const (
	// maxDigest bounds the classes a result lists; Result.SlowQueriesMore
	// counts the others.
	maxDigest = 20
	// maxSampleQuery bounds the statement of a class's sample, in bytes.
	maxSampleQuery = 500
	// maxTimes bounds the query times kept per class for its percentiles.
	maxTimes = 10000
	// maxIncidentClasses bounds the classes an incident lists.
	maxIncidentClasses = 5
)

// slowRollups is a Reader that keeps the digest's accumulators as it
// writes the slow log, by bucket of time (the store: a minute): the digest
// of a range merges those instead of reading every entry back.
type slowRollups interface {
	// SlowClasses calls fn with the classes of every bucket wholly inside
	// [from, to), in time order, and returns the span [start, end) of
	// those buckets (start == end: none); the entries of [from, start)
	// and [end, to) are left to EventsOf. A class's Times and Worst are
	// valid only during fn's call.
	SlowClasses(from, to time.Time, fn func(timeline.SlowClass) error) (start, end time.Time, err error)
	// SlowEntry returns the entry a class's Worst refers to.
	SlowEntry(ref []byte) (*patterns.Event, error)
}

// slowDigest is the slow-query digest of [from, to): from r's rollups
// where it keeps them, the edges of the range from its entries; else from
// every entry. Both give the same classes, counts, sums and worst entries.
func slowDigest(r Reader, from, to time.Time) (classes []QueryClass, more int, err error) {
	d := newDigest()
	add := func(ev *patterns.Event) error { d.add(ev); return nil }
	sr, ok := r.(slowRollups)
	if !ok {
		if err := r.EventsOf(patterns.KindMySQLSlow, from, to, add); err != nil {
			return nil, 0, fmt.Errorf("cannot read the slow-query log: %w", err)
		}
		return d.result(nil)
	}
	var head []*patterns.Event // the entries before the first bucket come first
	start, end, err := sr.SlowClasses(from, to, func(c timeline.SlowClass) error { d.addClass(c); return nil })
	if err == nil {
		err = r.EventsOf(patterns.KindMySQLSlow, from, start, func(ev *patterns.Event) error { head = append(head, ev); return nil })
	}
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read the slow-query log: %w", err)
	}
	if len(head) > 0 { // rare: a range that does not begin on a minute; keep time order
		buckets := d
		d = newDigest()
		for _, ev := range head {
			d.add(ev)
		}
		d.merge(buckets)
	}
	if err := r.EventsOf(patterns.KindMySQLSlow, end, to, add); err != nil {
		return nil, 0, fmt.Errorf("cannot read the slow-query log: %w", err)
	}
	return d.result(sr.SlowEntry)
}

// digest accumulates the slow-query classes of a stream of entries, or of
// the store's rollups of them, in time order. Per class it keeps the sums
// (times in microseconds, as the logs write them, so that the sums do not
// depend on the order of addition), the extremes, the worst entry and at
// most maxTimes query times: up to maxTimes entries the percentiles are
// exact; beyond, the times kept are a uniform reservoir sample (Vitter's
// algorithm R, with a fixed seed so that an analysis is reproducible) and
// p50/p95 are those of the sample. Count, totals and max stay exact.
type digest struct {
	classes map[string]*classAcc
	order   []string // the classes in the order met
	rng     *rand.Rand
}

type classAcc struct {
	QueryClass
	sums      timeline.SlowClass // count, sums, first and last
	seen      int64              // the times offered to the sample
	times     []int64
	worstTime float64
	worst     *patterns.Event // the worst entry, or
	worstRef  []byte          // the rollups' reference to it
}

func newDigest() *digest {
	return &digest{classes: map[string]*classAcc{}, rng: rand.New(rand.NewPCG(11, 4))}
}

func (d *digest) class(id string) *classAcc {
	c := d.classes[id]
	if c == nil {
		c = &classAcc{QueryClass: QueryClass{QueryID: id}, worstTime: math.Inf(-1)}
		d.classes[id] = c
		d.order = append(d.order, id)
	}
	return c
}

// add counts ev when it is a slow-log entry (server headers are not).
func (d *digest) add(ev *patterns.Event) {
	q := ev.Slow
	if q == nil || q.Restart {
		return
	}
	c := d.class(q.QueryID)
	c.Fingerprint = q.Fingerprint
	c.sums.Add(&timeline.SlowClass{Count: 1, QueryMicros: timeline.Micros(q.QueryTime), LockMicros: timeline.Micros(q.LockTime),
		RowsSent: q.RowsSent, RowsExamined: q.RowsExamined, First: ev.Time, Last: ev.Time})
	if q.QueryTime > c.worstTime {
		c.worstTime, c.worst, c.worstRef = q.QueryTime, ev, nil
	}
	d.sample(c, timeline.Micros(q.QueryTime))
}

// addClass counts the entries of a class that one rollup holds.
func (d *digest) addClass(r timeline.SlowClass) {
	c := d.class(r.QueryID)
	c.sums.Add(&r)
	if r.WorstTime > c.worstTime {
		c.worstTime, c.worst, c.worstRef = r.WorstTime, nil, slices.Clone(r.Worst) // r's is the reader's
	}
	for _, t := range r.Times {
		d.sample(c, t)
	}
}

// merge adds what o counted, after what d did.
func (d *digest) merge(o *digest) {
	for _, id := range o.order {
		oc := o.classes[id]
		c := d.class(id)
		if c.Fingerprint == "" {
			c.Fingerprint = oc.Fingerprint
		}
		c.sums.Add(&oc.sums)
		if oc.worstTime > c.worstTime {
			c.worstTime, c.worst, c.worstRef = oc.worstTime, oc.worst, oc.worstRef
		}
		for _, t := range oc.times { // o's sample, offered again: exact while both hold every time
			d.sample(c, t)
		}
	}
}

// sample offers one query time to a class's reservoir.
func (d *digest) sample(c *classAcc, t int64) {
	c.seen++
	if len(c.times) < maxTimes {
		c.times = append(c.times, t)
	} else if j := d.rng.Int64N(c.seen); j < maxTimes {
		c.times[j] = t
	}
}

// result lists the classes by total time, the longest first (then the most
// frequent, then by id), at most maxDigest of them, and how many more there
// are. entry resolves the rollups' references to the worst entries (nil:
// there are none).
func (d *digest) result(entry func(ref []byte) (*patterns.Event, error)) (classes []QueryClass, more int, err error) {
	all := make([]*classAcc, 0, len(d.classes))
	for _, c := range d.classes {
		c.Count, c.RowsSent, c.RowsExamined, c.FirstSeen, c.LastSeen = c.sums.Count, c.sums.RowsSent, c.sums.RowsExamined, c.sums.First, c.sums.Last
		c.TotalTime, c.LockTime = float64(c.sums.QueryMicros)/1e6, float64(c.sums.LockMicros)/1e6
		all = append(all, c)
	}
	slices.SortFunc(all, func(a, b *classAcc) int {
		return cmp.Or(cmp.Compare(b.TotalTime, a.TotalTime), cmp.Compare(b.Count, a.Count), cmp.Compare(a.QueryID, b.QueryID))
	})
	classes = []QueryClass{}
	for _, c := range all[:min(len(all), maxDigest)] {
		slices.Sort(c.times)
		c.P50Time, c.P95Time = nearestRank(c.times, 50), nearestRank(c.times, 95)
		w := c.worst
		if w == nil {
			if w, err = entry(c.worstRef); err != nil {
				return nil, 0, err
			}
			if w.Slow == nil {
				return nil, 0, fmt.Errorf("cannot read the slowest entry of query class %s: the store holds another record there (remove the store and ingest again)", c.QueryID)
			}
		}
		c.Fingerprint = w.Slow.Fingerprint
		c.MaxTime = w.Slow.QueryTime
		c.Sample = QuerySample{Time: w.Time, QueryTime: w.Slow.QueryTime, Schema: w.Slow.Schema, Query: cutQuery(w.Slow.Query, maxSampleQuery), Path: w.Path, Offset: w.Offset}
		classes = append(classes, c.QueryClass)
	}
	return classes, len(all) - len(classes), nil
}

// nearestRank is the p-th percentile of sorted times (microseconds), in
// seconds, by the nearest-rank method: the smallest value with at least p%
// of the values at or below it, the value of rank ⌈p/100 × n⌉.
func nearestRank(sorted []int64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	r := int(math.Ceil(p / 100 * float64(len(sorted))))
	return float64(sorted[min(max(r, 1), len(sorted))-1]) / 1e6
}

// cutQuery cuts q to at most n bytes, at a character boundary, with "…"
// (a statement or a fingerprint may hold UTF-8 beyond ASCII).
func cutQuery(q string, n int) string {
	if len(q) <= n {
		return q
	}
	i := n - len("…")
	for i > 0 && !utf8.RuneStart(q[i]) {
		i--
	}
	return q[:i] + "…"
}

// incidentClasses lists the classes counted in an incident's window, the
// longest total time first, at most maxIncidentClasses.
func incidentClasses(m map[string]*ClassCount) []ClassCount {
	return ranked(m, maxIncidentClasses, func(a, b ClassCount) int {
		return cmp.Or(cmp.Compare(b.TotalTime, a.TotalTime), cmp.Compare(b.Count, a.Count), cmp.Compare(a.QueryID, b.QueryID))
	})
}
