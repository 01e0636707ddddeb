package daemon_test

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/store"
)

// explanations counts the incidents a daemon explained (OnExplained).
type explanations struct {
	mu sync.Mutex
	n  int
}

func (e *explanations) hook(analyze.Incident) { e.mu.Lock(); e.n++; e.mu.Unlock() }
func (e *explanations) count() int            { e.mu.Lock(); defer e.mu.Unlock(); return e.n }

// logBound is how many explanations an incident whose gateway errors grew
// from first to last may take: one at its opening, one each time they grew
// by half (twice: once when they grew, once more when that is announced
// UpdateEvery later), one for its final report.
func logBound(first, last int64) int { return 2 + 2*growths(first, last) }

// growths is how many times a count may grow by half from first to last.
func growths(first, last int64) int {
	return int(math.Ceil(math.Log(float64(last)/float64(first)) / math.Log(1.5)))
}

// fresh checks that inc, told at sec, is what an analysis of all the
// records the store holds at sec tells of it.
func fresh(t *testing.T, st *store.Store, what string, sec int, inc analyze.Incident) {
	t.Helper()
	res, err := analyze.Analyze(st, analyze.TimeRange{Start: at(sec).Add(-15 * time.Minute), End: at(sec)}, analyze.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range res.Incidents {
		if want.Start.Equal(inc.Start) {
			got, _ := json.Marshal(inc)
			w, _ := json.Marshal(want)
			if string(got) != string(w) {
				t.Errorf("%s at %d: told\n%s\nan analysis of all its records tells\n%s", what, sec, got, w)
			}
			return
		}
	}
	t.Errorf("%s at %d: told %s–%s, which an analysis of all the records does not show: %+v", what, sec, inc.Start, inc.End, res.Incidents)
}

// TestALongIncidentIsExplainedLogTimes: an open incident is not explained
// again at every tick, its records all read, but when it grew by half (and
// when it is told): a number of times that grows with the logarithm of its
// length. Every announcement (its opening, its updates, its resolution)
// carries an explanation of all its records then.
func TestALongIncidentIsExplainedLogTimes(t *testing.T) {
	access, st := healthyStore(t)
	var ex explanations
	l := startLifecycle(t, st, access, daemon.Config{FromStart: true, UpdateEvery: 10 * time.Second, OnExplained: ex.hook})
	defer l.stop()
	l.s.await(t, access)
	opened := one(t, "the opening", l.write(42, utcAccess(40, 42, 502)), 1, 0, 0)
	fresh(t, st, "opened", 42, opened)
	if n := ex.count(); n != 1 {
		t.Fatalf("the opening explained %d incidents, want 1", n)
	}
	const ticks = 120
	updates := 0
	for sec := 42; sec < 42+ticks; sec++ {
		if u := l.write(sec+1, utcAccess(sec, sec+1, 502)); len(u) != 0 {
			t.Fatalf("502s within the open incident, before a tick: %+v", u)
		}
		for _, u := range l.tick(sec + 1) {
			if len(u.Opened)+len(u.Resolved) != 0 {
				t.Fatalf("at %d: %+v", sec+1, u)
			}
			for _, inc := range u.Updated {
				fresh(t, st, "updated", sec+1, inc)
				updates++
			}
		}
	}
	end := 42 + ticks
	if updates < 5 {
		t.Errorf("an incident that grew from 6 to %d gateway errors was updated %d times", 3*(end-40), updates)
	}
	resolved := one(t, "the resolution", l.tick(end+30), 0, 0, 1)
	fresh(t, st, "resolved", end+30, resolved)
	if resolved.Status["502"] != int64(3*(end-40)) {
		t.Errorf("resolved with %v, want %d 502s", resolved.Status, 3*(end-40))
	}
	if n, most := ex.count(), logBound(6, int64(3*(end-40))); n > most {
		t.Errorf("%d ticks explained the incident %d times, want at most %d", ticks+1, n, most)
	}
}

// TestAnUnknownCauseIsExplainedWhenItsEvidenceComes: while an incident's
// cause is unknown, the records that may tell it, stamped where its
// explanation reads them, explain it again at once (no tick in the way)
// when they are the first since its last explanation, then each time they
// are half as many again; those stamped elsewhere do not. An outage whose
// logs keep writing such lines that do not explain it is not explained at
// every one of them.
func TestAnUnknownCauseIsExplainedWhenItsEvidenceComes(t *testing.T) {
	for name, c := range map[string]struct {
		line  func(sec int) string // written to the log at each tick
		fpm   bool                 // to php-fpm's log, not nginx's error log
		most  func(gateway int64) int
		known bool // the cause's lines after them are told at once
	}{
		// Another upstream's timeouts, stamped ten minutes before: not read
		// by its explanation, not counted.
		"stamped elsewhere": {
			line: func(sec int) string {
				return fmt.Sprintf("2026/11/23 13:50:%02d [error] 100#100: *%d upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: _, request: \"GET /b HTTP/1.1\", upstream: \"http://10.0.0.9:80/b\", host: \"h\"\n", sec%60, sec)
			},
			most:  func(g int64) int { return 1 + growths(6, g) },
			known: true,
		},
		// php-fpm saying it is ready, each second of the incident: read by
		// its explanation, no cause told.
		"stamped within": {
			line: func(sec int) string {
				return fmt.Sprintf("[23-Nov-2026 14:%02d:%02d] NOTICE: ready to handle connections\n", sec/60, sec%60)
			},
			fpm:  true,
			most: func(g int64) int { return 1 + growths(6, g) + growths(1, 60) },
		},
	} {
		t.Run(name, func(t *testing.T) {
			access, st := healthyStore(t)
			dir := t.TempDir()
			errlog, fpm := filepath.Join(dir, "error.log"), filepath.Join(dir, "php-fpm.log")
			appendTo(t, errlog, "2026/11/23 14:00:00 [notice] 100#100: start worker processes\n")
			appendTo(t, fpm, "[23-Nov-2026 14:00:00] NOTICE: fpm is running, pid 99\n")
			var ex explanations
			l := startLifecycle(t, st, access, daemon.Config{FromStart: true, UpdateEvery: time.Hour, OnExplained: ex.hook}, errlog, fpm)
			defer l.stop()
			l.s.await(t, access, errlog, fpm)
			one(t, "the opening", l.write(42, utcAccess(40, 42, 502)), 1, 0, 0)
			to := errlog
			if c.fpm {
				to = fpm
			}
			const ticks = 60
			for sec := 42; sec < 42+ticks; sec++ {
				l.writeTo(to, sec+1, c.line(sec))
				l.write(sec+1, utcAccess(sec, sec+1, 502))
				if u := l.tick(sec + 1); len(u) != 0 {
					t.Fatalf("at %d: %+v", sec+1, u)
				}
			}
			end := 42 + ticks
			if n, most := ex.count(), c.most(int64(3*(end-40))); n > most {
				t.Errorf("%d ticks with a line each explained the incident %d times, want at most %d", ticks, n, most)
			}
			if !c.known {
				return
			}
			// The lines that tell its cause: an update at once.
			var lines strings.Builder
			for sec := end - 3; sec < end; sec++ {
				fmt.Fprintf(&lines, "2026/11/23 14:%02d:%02d [error] 100#100: *%d connect() to unix:/run/php/php8.2-fpm.sock failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET /a.php?i=0 HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"h\"\n", sec/60, sec%60, 1000+sec)
			}
			inc := one(t, "the error log's lines of its cause", l.writeTo(errlog, end+1, lines.String()), 0, 1, 0)
			if inc.RootCause != analyze.FPMDown {
				t.Errorf("updated with %s, want %s", inc.RootCause, analyze.FPMDown)
			}
		})
	}
}

// TestARestartExplainsAgain: the last explanation is not kept in the
// store: after a restart, the open incident's first analysis explains it,
// its records all read, and the later ones reuse that explanation.
func TestARestartExplainsAgain(t *testing.T) {
	access, st := healthyStore(t)
	var ex explanations
	cfg := daemon.Config{FromStart: true, UpdateEvery: time.Second, OnExplained: ex.hook}
	l := startLifecycle(t, st, access, cfg)
	l.s.await(t, access)
	one(t, "the opening", l.write(46, utcAccess(40, 46, 502)), 1, 0, 0) // 18
	l.write(47, utcAccess(46, 47, 502))                                 // 21: grown by less than half
	if u := l.tick(47); len(u) != 0 {
		t.Fatalf("grown by a sixth: %+v", u)
	}
	if n := ex.count(); n != 1 {
		t.Errorf("before the restart: %d explanations, want 1 (the opening)", n)
	}
	l.stop()

	l = startLifecycle(t, st, access, cfg)
	defer l.stop()
	l.write(48, utcAccess(47, 48, 502)) // 24: grown by a third since the opening
	if u := l.tick(48); len(u) != 0 {
		t.Fatalf("after the restart: %+v", u)
	}
	if n := ex.count(); n != 2 {
		t.Errorf("the first tick after the restart: %d explanations in all, want 2", n)
	}
	l.write(49, utcAccess(48, 49, 502)) // 27: grown by half since the opening
	inc := one(t, "grown by half after the restart", l.tick(49), 0, 1, 0)
	fresh(t, st, "updated", 49, inc)
	l.write(50, utcAccess(49, 50, 502)) // 30: grown by a ninth since
	if u := l.tick(50); len(u) != 0 {
		t.Fatalf("grown by a ninth: %+v", u)
	}
	if n := ex.count(); n != 3 {
		t.Errorf("after the update: %d explanations in all, want 3", n)
	}
}
