package analyze

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/logcause/logcause/patterns"
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

// digest accumulates the slow-query classes of a stream of events in one
// pass. Per class it keeps the sums, the extremes, the worst entry and at
// most maxTimes query times: up to maxTimes entries the percentiles are
// exact; beyond, the times kept are a uniform reservoir sample (Vitter's
// algorithm R, with a fixed seed so that an analysis is reproducible) and
// p50/p95 are those of the sample. Count, totals and max stay exact.
type digest struct {
	classes map[string]*classAcc
	rng     *rand.Rand
}

type classAcc struct {
	QueryClass
	times []float64
	worst *patterns.Event
}

func newDigest() *digest {
	return &digest{classes: map[string]*classAcc{}, rng: rand.New(rand.NewPCG(11, 4))}
}

// add counts ev when it is a slow-log entry (server headers are not).
func (d *digest) add(ev *patterns.Event) {
	q := ev.Slow
	if q == nil || q.Restart {
		return
	}
	c := d.classes[q.QueryID]
	if c == nil {
		c = &classAcc{QueryClass: QueryClass{QueryID: q.QueryID, Fingerprint: q.Fingerprint, FirstSeen: ev.Time, LastSeen: ev.Time}}
		d.classes[q.QueryID] = c
	}
	c.Count++
	c.TotalTime += q.QueryTime
	c.LockTime += q.LockTime
	c.RowsSent += q.RowsSent
	c.RowsExamined += q.RowsExamined
	if ev.Time.Before(c.FirstSeen) {
		c.FirstSeen = ev.Time
	}
	if ev.Time.After(c.LastSeen) {
		c.LastSeen = ev.Time
	}
	if c.worst == nil || q.QueryTime > c.worst.Slow.QueryTime {
		c.worst = ev
	}
	if len(c.times) < maxTimes {
		c.times = append(c.times, q.QueryTime)
	} else if j := d.rng.Int64N(c.Count); j < maxTimes {
		c.times[j] = q.QueryTime
	}
}

// result lists the classes by total time, the longest first (then the most
// frequent, then by id), at most maxDigest of them, and how many more there
// are.
func (d *digest) result() (classes []QueryClass, more int) {
	all := make([]*classAcc, 0, len(d.classes))
	for _, c := range d.classes {
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
		c.MaxTime = w.Slow.QueryTime
		c.Sample = QuerySample{Time: w.Time, QueryTime: w.Slow.QueryTime, Schema: w.Slow.Schema, Query: cutQuery(w.Slow.Query, maxSampleQuery), Path: w.Path, Offset: w.Offset}
		classes = append(classes, c.QueryClass)
	}
	return classes, len(all) - len(classes)
}

// nearestRank is the p-th percentile of sorted values by the nearest-rank
// method: the smallest value with at least p% of the values at or below
// it, the value of rank ⌈p/100 × n⌉.
func nearestRank(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	r := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(r, 1), len(sorted))-1]
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
