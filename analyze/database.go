package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/logcause/logcause/patterns"
)

// queryClass is the slow-log entries of one fingerprint.
type queryClass struct {
	fingerprint string
	entries     []*patterns.Event
	total       float64 // seconds of query time
}

// databaseCauses explains a spike by the database: slow queries that held
// the PHP workers, a database that was down or restarted, or one that
// refused connections.
func (e evidenceSet) databaseCauses() []Cause {
	var out []Cause
	// The PHP workers were saturated: the pool said so, its socket's backlog
	// overflowed, or FastCGI requests timed out.
	fcgiTimeouts, _ := e.split(sigTimeout)
	saturated := e.n(sigMaxChildren)+e.n(sigBacklogFull)+len(fcgiTimeouts) > 0

	if slow := e.sig[sigSlowQuery]; len(slow) > 0 {
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
		covered := e.coveredBySlowQueries(slow)
		top := classes[0]
		summary := fmt.Sprintf("%d slow queries in %d class(es) ran during the spike (%.0f%% of its seconds had one running); the top class `%s` ran %d times, %.1f s on average",
			len(slow), len(classes), 100*covered, shorten(top.fingerprint, 120), len(top.entries), top.total/float64(len(top.entries)))
		conf := 0.2 + 0.3*covered
		if saturated {
			conf = 0.45 + 0.45*covered
			summary += "; meanwhile the PHP-FPM pool was full or requests timed out: the workers were waiting on the database"
		}
		evidence := top.entries
		slices.SortStableFunc(evidence, func(a, b *patterns.Event) int { return cmp.Compare(b.Slow.QueryTime, a.Slow.QueryTime) })
		out = append(out, Cause{
			Kind: SlowQueries, Confidence: round2(conf), Summary: summary,
			Evidence: e.pick(evidence[:min(len(evidence), 4)], nil), Recommendations: recommendations[SlowQueries],
		})
	}

	if restarts, gone := e.sig[sigMySQLRestart], e.sig[sigMySQLGone]; len(restarts)+len(gone) > 0 {
		var parts []string
		conf := 0.3
		if len(restarts) > 0 {
			parts = append(parts, fmt.Sprintf("the database server restarted at %s", clock(restarts[0].Time)))
			conf += 0.25
		}
		if len(gone) > 0 {
			parts = append(parts, fmt.Sprintf("PHP reported %d connection failures to it ([2002] / server has gone away)", len(gone)))
			conf += 0.25
		}
		out = append(out, Cause{Kind: MySQLDown, Confidence: round2(conf), Summary: strings.Join(parts, "; "),
			Evidence: e.pick(restarts, gone), Recommendations: recommendations[MySQLDown]})
	}

	if refused := e.sig[sigTooManyConns]; len(refused) > 0 {
		out = append(out, Cause{Kind: MySQLTooManyConnections, Confidence: round2(0.4 + 0.4*min(1, float64(len(refused))/float64(max(e.gateway, 1)))),
			Summary:  fmt.Sprintf("PHP reported %d times that the database refused a connection ([1040] Too many connections)", len(refused)),
			Evidence: e.pick(nil, refused), Recommendations: recommendations[MySQLTooManyConnections]})
	}
	return out
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

// oomCauses explains a spike by the kernel's OOM killer.
func (e evidenceSet) oomCauses() []Cause {
	kills := e.sig[sigOOMKill]
	if len(kills) == 0 {
		return nil
	}
	var victims []string
	for _, k := range kills {
		victims = append(victims, fmt.Sprintf("%s (pid %d, %d MiB resident)", k.Syslog.Comm, k.Syslog.VictimPID, k.Syslog.AnonRSSKB>>10))
	}
	summary := fmt.Sprintf("the kernel's OOM killer killed %s", strings.Join(victims[:min(len(victims), 5)], ", "))
	conf := 0.5
	var matched []*patterns.Event
	for _, ev := range e.sig[sigChildSignal] {
		for _, k := range kills {
			if ev.FPM.Child == k.Syslog.VictimPID && strings.Contains(ev.FPM.Message, "signal 9") {
				matched = append(matched, ev)
			}
		}
	}
	switch {
	case len(matched) > 0:
		conf = 0.95
		summary += fmt.Sprintf("; php-fpm logged %d of these children as killed by SIGKILL", len(matched))
	case e.oomVictim("php") && e.n(sigReset)+e.n(sigRefused) > 0, e.oomVictim("mysqld", "mariadbd") && e.n(sigMySQLGone) > 0:
		conf = 0.8
	}
	return []Cause{{Kind: OOMKill, Confidence: conf, Summary: summary, Evidence: e.pick(kills, matched), Recommendations: recommendations[OOMKill]}}
}

// oomVictim reports whether the OOM killer killed a process whose name
// starts with one of prefixes.
func (e evidenceSet) oomVictim(prefixes ...string) bool {
	for _, k := range e.sig[sigOOMKill] {
		for _, p := range prefixes {
			if strings.HasPrefix(k.Syslog.Comm, p) {
				return true
			}
		}
	}
	return false
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
