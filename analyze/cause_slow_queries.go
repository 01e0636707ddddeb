package analyze

import (
	"fmt"
	"slices"

	"github.com/logcause/logcause/internal/numfmt"
)

// slowQueries: slow SQL held the PHP workers. Slow-log entries whose run
// overlaps the spike, ranked by query class; strong only while the PHP-FPM
// pool was saturated.
var slowQueries = rule{
	kind:     SlowQueries,
	describe: "slow database queries held the PHP workers",
	advice:   slowQueriesAdvice,
	reads:    []signal{sigSlowQuery, sigMaxChildren, sigBacklogFull, sigTimeout, sigTrace, sigTooSlow},
	match: func(e evidenceSet) *Cause {
		n := e.n(sigSlowQuery)
		t := e.traces()
		inQueries := t.dominant(holdDBQuery)
		if n == 0 {
			if !inQueries {
				return nil
			}
			// Waits the slow log does not show: the traces are the evidence.
			c := e.holderCause(holdDBQuery, "waited in", "a query, yet the slow log has no entry that ran then: "+lockCaveat)
			c.Recommendations = slices.Concat(lockAdvice, []string{"Enable MariaDB's/MySQL's slow log if it is off (slow_query_log = ON, long_query_time = 1), and give it to logcause with the other logs."})
			return c
		}
		classes := e.agg.slow.ranked()
		covered := e.agg.slow.covered()
		top := classes[0]
		summary := fmt.Sprintf("%s slow queries in %s class(es) ran during the spike (%.0f%% of its seconds had one running); the top class `%s` ran %s times, %.1f s on average",
			numfmt.Int(n), numfmt.Int(len(classes)), 100*covered, cutQuery(top.fingerprint, 120+len("…")), numfmt.Int(top.n), top.total/float64(top.n))
		conf := 0.2 + 0.3*covered
		if e.saturated() {
			conf = 0.45 + 0.45*covered
			summary += "; meanwhile the PHP-FPM pool was full or requests timed out: the workers were waiting on the database"
		}
		var recs []string
		switch {
		case inQueries:
			summary += "; " + t.share(holdDBQuery, "waited in") + " (a query)"
			recs = slices.Concat(lockAdvice, slowQueriesAdvice)
		case t.n > 0:
			// The traces say where the workers waited, and it was not in
			// queries: the slow queries ran beside the cause.
			conf = min(conf, e.holderConfidence(t, holdDBQuery))
		}
		return e.withEvidence(&Cause{Confidence: round2(conf), Summary: summary, Recommendations: recs}, wholeList(top.longest), t.by[holdDBQuery].recs)
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		found = quoteDatabase(c, cfg)
		if !e.traces().dominant(holdDBQuery) || cfg.stack.MySQL == nil {
			return found, nil
		}
		row, meta := setting(cfg.stack.MySQL.Get("innodb_lock_wait_timeout")), setting(cfg.stack.MySQL.Get("lock_wait_timeout"))
		c.Settings = append(c.Settings, row, meta)
		recs = []string{
			fmt.Sprintf("Bound lock waits below nginx's and PHP's timeouts: %s (seconds a query waits for a row lock) and %s (for a table or metadata lock, e.g. behind ALTER TABLE), e.g. innodb_lock_wait_timeout = 5 and lock_wait_timeout = 10 for the web application's user (SET SESSION in its connection).", row.Quote, meta.Quote),
			lockAdvice[1],
		}
		return found, append(recs, slowQueriesAdvice...)
	},
}

var slowQueriesAdvice = []string{
	"Index or rewrite the slow query classes listed in the evidence (EXPLAIN them), and cap them with max_execution_time.",
}

// lockCaveat is why a query that waited on a lock may be missing from the
// slow log.
const lockCaveat = "MariaDB and MySQL leave lock time out of the long_query_time comparison, so queries waiting on a table or metadata lock (behind ALTER TABLE, LOCK TABLES, a long transaction) may never reach the slow log"

// lockAdvice is the fix of queries that wait on locks.
var lockAdvice = []string{
	"Bound lock waits below nginx's and PHP's timeouts: innodb_lock_wait_timeout (row locks, 50 s by default) and lock_wait_timeout (table and metadata locks, 86400 s by default on MariaDB, a year on MySQL), e.g. SET SESSION innodb_lock_wait_timeout = 5, lock_wait_timeout = 10 in the web application's connection.",
	"Find who held the lock: SHOW PROCESSLIST (\"Waiting for table metadata lock\"), information_schema.INNODB_TRX for transactions left open; keep transactions short, and run schema changes with an online tool or outside peak hours.",
}
