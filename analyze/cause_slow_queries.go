package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/logcause/logcause/patterns"
)

// slowQueries: slow SQL held the PHP workers. Slow-log entries whose run
// overlaps the spike, ranked by query class; strong only while the PHP-FPM
// pool was saturated.
var slowQueries = rule{
	kind:     SlowQueries,
	describe: "slow database queries held the PHP workers",
	advice: []string{
		"Index or rewrite the slow query classes listed in the evidence (EXPLAIN them), and cap them with max_execution_time.",
	},
	reads: []signal{sigSlowQuery, sigMaxChildren, sigBacklogFull, sigTimeout},
	match: func(e evidenceSet) *Cause {
		slow := e.sig[sigSlowQuery]
		if len(slow) == 0 {
			return nil
		}
		classes := queryClasses(slow)
		covered := e.coveredBySlowQueries(slow)
		top := classes[0]
		summary := fmt.Sprintf("%d slow queries in %d class(es) ran during the spike (%.0f%% of its seconds had one running); the top class `%s` ran %d times, %.1f s on average",
			len(slow), len(classes), 100*covered, cutQuery(top.fingerprint, 120+len("…")), len(top.entries), top.total/float64(len(top.entries)))
		conf := 0.2 + 0.3*covered
		// The PHP workers were saturated: the pool said so, its socket's
		// backlog overflowed, or FastCGI requests timed out.
		fcgiTimeouts, _ := e.split(sigTimeout)
		if e.n(sigMaxChildren)+e.n(sigBacklogFull)+len(fcgiTimeouts) > 0 {
			conf = 0.45 + 0.45*covered
			summary += "; meanwhile the PHP-FPM pool was full or requests timed out: the workers were waiting on the database"
		}
		evidence := top.entries
		slices.SortStableFunc(evidence, func(a, b *patterns.Event) int { return cmp.Compare(b.Slow.QueryTime, a.Slow.QueryTime) })
		return &Cause{Confidence: round2(conf), Summary: summary, Evidence: e.pick(evidence[:min(len(evidence), 4)], nil)}
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		return quoteDatabase(c, cfg), nil
	},
}

// queryClass is the slow-log entries of one fingerprint.
type queryClass struct {
	fingerprint string
	entries     []*patterns.Event
	total       float64 // seconds of query time
}

// queryClasses groups slow-log entries by fingerprint, the class with the
// most query time first.
func queryClasses(slow []*patterns.Event) []*queryClass {
	byID := map[string]*queryClass{}
	var classes []*queryClass
	for _, ev := range slow {
		c := byID[ev.Slow.QueryID]
		if c == nil {
			c = &queryClass{fingerprint: ev.Slow.Fingerprint}
			byID[ev.Slow.QueryID] = c
			classes = append(classes, c)
		}
		c.entries = append(c.entries, ev)
		c.total += ev.Slow.QueryTime
	}
	slices.SortStableFunc(classes, func(a, b *queryClass) int { return cmp.Compare(b.total, a.total) })
	return classes
}

// coveredBySlowQueries is the share of the spike's seconds during which at
// least one of the slow queries was running.
func (e evidenceSet) coveredBySlowQueries(slow []*patterns.Event) float64 {
	secs := int(e.end.Sub(e.start) / time.Second)
	if secs <= 0 {
		return 0
	}
	covered := 0
	for i := range secs {
		from := e.start.Add(time.Duration(i) * time.Second)
		for _, ev := range slow {
			if ranDuring(ev, from, from.Add(time.Second)) {
				covered++
				break
			}
		}
	}
	return float64(covered) / float64(secs)
}
