package daemon_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/store"
)

// TestMain fails the package when a test leaves a goroutine running: every
// goroutine a Daemon starts must end with Run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// utcAccess writes 3 requests a second of /a.php with the given status,
// from second from to second to of 14:00 UTC.
func utcAccess(from, to, status int) string { return requestLines("+0000", "/a.php", from, to, status) }

// clock is a daemon's clock that the test sets.
type clock struct{ unix atomic.Int64 }

func (c *clock) set(t time.Time) { c.unix.Store(t.Unix()) }
func (c *clock) now() time.Time  { return time.Unix(c.unix.Load(), 0).UTC() }
func at(sec int) time.Time {
	return time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC).Add(time.Duration(sec) * time.Second)
}

// lifecycle runs a daemon following access on st, its clock and ticks in
// the test's hands; updates are what its hook heard.
type lifecycle struct {
	t       *testing.T
	s       *stepper
	clock   *clock
	ticks   chan time.Time
	mu      sync.Mutex
	updates []daemon.Update
	stop    func()
	access  string
	st      *store.Store
}

func startLifecycle(t *testing.T, st *store.Store, access string, cfg daemon.Config, more ...string) *lifecycle {
	files, err := pipeline.LiveFiles(append([]string{access}, more...), pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits})
	if err != nil {
		t.Fatal(err)
	}
	l := &lifecycle{t: t, s: newStepper(), clock: &clock{}, ticks: make(chan time.Time), access: access, st: st}
	l.clock.set(at(0))
	cfg.Files, cfg.Ticks, cfg.Waker, cfg.Now = files, l.ticks, l.s.waker, l.clock.now
	cfg.Hook = func(u daemon.Update) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.updates = append(l.updates, u)
	}
	cfg.OnCommit = func(p string) { l.s.commits <- p }
	cfg.OnAnalyzed = func() { l.s.done <- struct{}{} }
	l.stop = run(t, daemon.New(st, cfg))
	return l
}

// since returns the updates heard after the first n.
func (l *lifecycle) since(n int) []daemon.Update {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.updates[n:])
}

func (l *lifecycle) heard() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.updates)
}

// tick sends the instant sec and returns what the hook heard of it.
func (l *lifecycle) tick(sec int) []daemon.Update {
	l.t.Helper()
	n := l.heard()
	l.clock.set(at(sec))
	l.ticks <- at(sec)
	<-l.s.done
	return l.since(n)
}

// write appends text at the clock's sec, and returns what the hook heard
// once it is committed (and analyzed, when it holds a new gateway error).
func (l *lifecycle) write(sec int, text string) []daemon.Update {
	l.t.Helper()
	return l.writeTo(l.access, sec, text)
}

// writeTo is write to another log: it returns once every line of text is
// committed (a follower may read an append in two batches).
func (l *lifecycle) writeTo(path string, sec int, text string) []daemon.Update {
	l.t.Helper()
	n := l.heard()
	l.clock.set(at(sec))
	want := l.lines() + int64(strings.Count(text, "\n"))
	appendTo(l.t, path, text)
	for i := 0; i < 10 && (i == 0 || l.lines() < want); i++ {
		l.s.await(l.t, path)
	}
	if got := l.lines(); got != want {
		l.t.Fatalf("the store holds %d lines, want %d", got, want)
	}
	return l.since(n)
}

// lines counts the lines the store holds: requests, and records of error
// logs.
func (l *lifecycle) lines() int64 {
	l.t.Helper()
	n := storeRequests(l.t, l.st)
	err := l.st.Events(at(-3600), at(3600), func(ev *patterns.Event) error {
		if ev.Access == nil {
			n++
		}
		return nil
	})
	if err != nil {
		l.t.Fatal(err)
	}
	return n
}

// healthyStore returns an access log of 40 s of healthy traffic and a
// store, closed when the test ends.
func healthyStore(t *testing.T) (string, *store.Store) {
	t.Helper()
	access := filepath.Join(t.TempDir(), "access.log")
	appendTo(t, access, utcAccess(0, 40, 200))
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return access, st
}

// one checks that u is one update with the given numbers of opened,
// updated and resolved incidents, and returns the incident.
func one(t *testing.T, what string, u []daemon.Update, opened, updated, resolved int) analyze.Incident {
	t.Helper()
	if len(u) != 1 || len(u[0].Opened) != opened || len(u[0].Updated) != updated || len(u[0].Resolved) != resolved {
		t.Fatalf("%s: %+v, want %d opened, %d updated, %d resolved", what, u, opened, updated, resolved)
	}
	return slices.Concat(u[0].Opened, u[0].Updated, u[0].Resolved)[0]
}

// TestIncidentsOpenUpdateAndResolve: a gateway error opens an incident at
// once (no tick in the way); it is updated when it grew by half, at most
// once per UpdateEvery; resolved once it stayed quiet for ResolveAfter;
// an analysis that changes nothing tells the hook nothing.
func TestIncidentsOpenUpdateAndResolve(t *testing.T) {
	access, st := healthyStore(t)
	l := startLifecycle(t, st, access, daemon.Config{FromStart: true, UpdateEvery: 10 * time.Second})
	defer l.stop()
	l.s.await(t, access)
	if u := l.tick(41); len(u) != 0 {
		t.Fatalf("healthy traffic: %+v", u)
	}

	opened := one(t, "after the first 502s", l.write(56, utcAccess(40, 50, 200)+utcAccess(50, 55, 502)), 1, 0, 0)
	if !opened.Start.Equal(at(50)) || !opened.End.Equal(at(55)) || opened.Status["502"] != 15 {
		t.Errorf("opened %s–%s with %v", opened.Start, opened.End, opened.Status)
	}
	if u := l.tick(57); len(u) != 0 {
		t.Errorf("a tick after the opening: %+v", u)
	}

	// More 502s: within the open incident, analyzed at the tick; grown by
	// more than half, but told only UpdateEvery after the opening.
	if u := l.write(59, utcAccess(55, 58, 502)); len(u) != 0 {
		t.Errorf("502s within the open incident, before a tick: %+v", u)
	}
	if u := l.tick(59); len(u) != 0 {
		t.Errorf("3 s after the opening: %+v", u)
	}
	inc := one(t, "UpdateEvery after the opening", l.tick(66), 0, 1, 0)
	if !inc.Start.Equal(at(50)) || !inc.End.Equal(at(58)) || inc.Status["502"] != 24 {
		t.Errorf("updated %s–%s with %v", inc.Start, inc.End, inc.Status)
	}

	// Quiet, but not for long enough yet; then for ResolveAfter (the
	// analysis's merge gap, 30 s) after its end.
	if u := l.tick(58 + 29); len(u) != 0 {
		t.Errorf("29 s after the last 502: %+v", u)
	}
	inc = one(t, "30 s after the last 502", l.tick(58+30), 0, 0, 1)
	if !inc.End.Equal(at(58)) || inc.RootCause != analyze.Unknown {
		t.Errorf("resolved %s–%s, %s", inc.Start, inc.End, inc.RootCause)
	}
	// New healthy traffic: analyzed, nothing to tell.
	l.write(100, utcAccess(90, 100, 200))
	if u := l.tick(101); len(u) != 0 {
		t.Errorf("after the incident: %+v", u)
	}
}

// TestABehindDaemonDoesNotResolve: a daemon behind its logs (an analysis
// of a long outage held its committer up) does not resolve an incident on
// a quiet it has not read: the lines still to read hold more of its
// gateway errors. Once they are read, the incident goes on, and resolves
// ResolveAfter after its new end. Meanwhile its ticks do not explain it
// again with the servers' configuration for a final report: an analysis
// of a long outage takes seconds, and would take twice as long.
func TestABehindDaemonDoesNotResolve(t *testing.T) {
	access, st := healthyStore(t)
	var stackReads atomic.Int64
	stack := func() *stackconf.Config { stackReads.Add(1); return &stackconf.Config{} }
	l := startLifecycle(t, st, access, daemon.Config{FromStart: true, Stack: stack})
	defer l.stop()
	l.s.await(t, access)
	one(t, "the opening", l.write(56, utcAccess(40, 50, 200)+utcAccess(50, 55, 502)), 1, 0, 0)

	appendTo(t, access, utcAccess(55, 90, 502)) // written, not read yet
	reads := stackReads.Load()
	if u := l.tick(86); len(u) != 0 {
		t.Fatalf("31 s after the end read, the log not read to its end: %+v", u)
	}
	if n := stackReads.Load() - reads; n != 0 {
		t.Errorf("the tick read the servers' configuration %d times, for a resolution not due", n)
	}
	l.clock.set(at(90))
	l.s.await(t, access)
	// Analyzed at this tick: grown by more than half, told as an update.
	if inc := one(t, "29 s after the new end", l.tick(90+29), 0, 1, 0); !inc.End.Equal(at(90)) {
		t.Errorf("updated %s–%s", inc.Start, inc.End)
	}
	inc := one(t, "30 s after the new end", l.tick(90+30), 0, 0, 1)
	if !inc.Start.Equal(at(50)) || !inc.End.Equal(at(90)) || inc.Status["502"] != 120 {
		t.Errorf("resolved %s–%s with %v", inc.Start, inc.End, inc.Status)
	}
}

// TestOneLogBehindHoldsTheResolution: another log read to now does not
// show the quiet of the incident's log, still to be read (a small log's
// follower commits between two analyses, the outage's log waits).
func TestOneLogBehindHoldsTheResolution(t *testing.T) {
	access, st := healthyStore(t)
	other := filepath.Join(t.TempDir(), "other.access.log")
	appendTo(t, other, utcAccess(0, 40, 200))
	l := startLifecycle(t, st, access, daemon.Config{FromStart: true}, other)
	defer l.stop()
	l.s.await(t, access, other)
	one(t, "the opening", l.write(56, utcAccess(40, 50, 200)+utcAccess(50, 55, 502)), 1, 0, 0)
	l.writeTo(other, 86, utcAccess(40, 86, 200))
	appendTo(t, access, utcAccess(55, 86, 502)) // written, not read yet
	if u := l.tick(86); len(u) != 0 {
		t.Fatalf("the other log read to now, the incident's not: %+v", u)
	}
}

// TestAQuietReadResolves: what is still to read after the incident's
// quiet does not hold its resolution. On a busy site a log is seldom read
// to its end at a tick: requests read ResolveAfter past the incident's
// end show the quiet all the same. A last line without newline (being
// written, or left so by a writer that died) is no line still to read.
func TestAQuietReadResolves(t *testing.T) {
	for name, c := range map[string]struct {
		read   bool   // requests read 30 s past the end
		unread string // written after them, not read
	}{
		"busy":              {true, utcAccess(86, 87, 200)},
		"a line unfinished": {false, `127.0.0.1 - - [23/Nov/2026:14:01:26 +0000] "GET /never-ended`},
	} {
		t.Run(name, func(t *testing.T) {
			access, st := healthyStore(t)
			l := startLifecycle(t, st, access, daemon.Config{FromStart: true})
			defer l.stop()
			l.s.await(t, access)
			one(t, "the opening", l.write(56, utcAccess(40, 50, 200)+utcAccess(50, 55, 502)), 1, 0, 0)
			if c.read {
				l.write(86, utcAccess(55, 86, 200))
			}
			appendTo(t, access, c.unread)
			if inc := one(t, "30 s after the end", l.tick(86), 0, 0, 1); !inc.End.Equal(at(55)) {
				t.Errorf("resolved %s–%s", inc.Start, inc.End)
			}
		})
	}
}

// TestGatewayErrorsAddUpAcrossBatches: the gateway errors of several
// batches make the incident that none makes alone, opened as soon as
// the batch that completes it is read.
func TestGatewayErrorsAddUpAcrossBatches(t *testing.T) {
	access, st := healthyStore(t)
	l := startLifecycle(t, st, access, daemon.Config{FromStart: true})
	defer l.stop()
	l.s.await(t, access)
	if u := l.write(41, utcAccess(40, 41, 502)); len(u) != 0 { // 3
		t.Fatalf("3 502s: %+v", u)
	}
	if inc := one(t, "3 more", l.write(42, utcAccess(41, 42, 502)), 1, 0, 0); inc.Status["502"] != 6 {
		t.Errorf("opened with %v", inc.Status)
	}
}

// TestSmallGrowthIsNoUpdate: an incident that grows by less than half,
// its chain the same, is not told again.
func TestSmallGrowthIsNoUpdate(t *testing.T) {
	access, st := healthyStore(t)
	l := startLifecycle(t, st, access, daemon.Config{FromStart: true, UpdateEvery: time.Second})
	defer l.stop()
	l.s.await(t, access)
	one(t, "the opening", l.write(51, utcAccess(40, 46, 200)+utcAccess(46, 50, 502)), 1, 0, 0) // 12 502s
	l.write(52, utcAccess(50, 51, 502))                                                        // 15: +3
	if u := l.tick(60); len(u) != 0 {
		t.Errorf("grown by a quarter: %+v", u)
	}
	l.write(61, utcAccess(51, 53, 502)) // 21: +9, half of 12 and more
	if inc := one(t, "grown by half", l.tick(62), 0, 1, 0); inc.Status["502"] != 21 {
		t.Errorf("updated with %v", inc.Status)
	}
}

// TestUnknownCauseIsRefinedAtOnce: an incident opened by the access log's
// 502s before the error log's lines were read is announced again as soon
// as they explain it, without waiting for UpdateEvery or a tick.
func TestUnknownCauseIsRefinedAtOnce(t *testing.T) {
	dir := t.TempDir()
	access, errlog := filepath.Join(dir, "access.log"), filepath.Join(dir, "error.log")
	appendTo(t, access, utcAccess(0, 40, 200))
	appendTo(t, errlog, "2026/11/23 14:00:00 [notice] 100#100: start worker processes\n")
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l := startLifecycle(t, st, access, daemon.Config{FromStart: true}, errlog)
	defer l.stop()
	l.s.await(t, access, errlog)
	if inc := one(t, "the opening", l.write(51, utcAccess(40, 46, 200)+utcAccess(46, 50, 502)), 1, 0, 0); inc.RootCause != analyze.Unknown {
		t.Fatalf("opened with %s before the error log was read", inc.RootCause)
	}
	var lines strings.Builder
	for sec := 46; sec < 50; sec++ {
		for i := range 3 {
			fmt.Fprintf(&lines, "2026/11/23 14:00:%02d [error] 100#100: *%d connect() to unix:/run/php/php8.2-fpm.sock failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET /a.php?i=%d HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"h\"\n", sec, sec*3+i, i)
		}
	}
	inc := one(t, "the error log read", l.writeTo(errlog, 52, lines.String()), 0, 1, 0)
	if inc.RootCause != analyze.FPMDown {
		t.Errorf("updated with %s, want %s", inc.RootCause, analyze.FPMDown)
	}
}

// TestIncidentsSurviveARestart: the store keeps what was announced: a
// restart announces no incident again, updates and resolves it, and the
// resolution tells its final analysis; a later restart is silent.
func TestIncidentsSurviveARestart(t *testing.T) {
	access, st := healthyStore(t)
	cfg := daemon.Config{FromStart: true, UpdateEvery: 5 * time.Second}
	l := startLifecycle(t, st, access, cfg)
	l.s.await(t, access)
	one(t, "the opening", l.write(51, utcAccess(40, 46, 200)+utcAccess(46, 50, 502)), 1, 0, 0)
	l.stop()

	// Restarted with the incident open: the same lines analyzed again, and
	// more of them (that are not urgent: the open incident covers them).
	l = startLifecycle(t, st, access, cfg)
	if u := l.write(52, utcAccess(50, 51, 200)); len(u) != 0 {
		t.Fatalf("after a restart: %+v", u)
	}
	if u := l.tick(53); len(u) != 0 {
		t.Fatalf("the incident was announced again after a restart: %+v", u)
	}
	l.write(54, utcAccess(51, 54, 502))
	if inc := one(t, "grown after the restart", l.tick(57), 0, 1, 0); !inc.Start.Equal(at(46)) || inc.Status["502"] != 21 {
		t.Errorf("updated %s with %v", inc.Start, inc.Status)
	}
	l.stop()

	// Restarted after it went quiet: resolved at the first tick, with its
	// final analysis.
	l = startLifecycle(t, st, access, cfg)
	inc := one(t, "the first tick after a quiet restart", l.tick(54+30), 0, 0, 1)
	if !inc.Start.Equal(at(46)) || !inc.End.Equal(at(54)) || inc.Status["502"] != 21 {
		t.Errorf("resolved %s–%s with %v", inc.Start, inc.End, inc.Status)
	}
	l.stop()

	l = startLifecycle(t, st, access, cfg)
	l.write(90, utcAccess(54, 60, 200))
	if u := l.tick(91); len(u) != 0 {
		t.Errorf("a restart after the resolution: %+v", u)
	}
	l.stop()
}

// stopWaker is a waker that wakes at once, and counts its Stop calls.
type stopWaker struct {
	mu      sync.Mutex
	stopped map[string]int
}

func (w *stopWaker) waker(path string) ingest.Waker {
	return &pathWaker{w: w, path: path}
}

type pathWaker struct {
	w    *stopWaker
	path string
	n    int
}

func (p *pathWaker) Wait(ctx context.Context) error {
	if p.n++; p.n > 3 {
		<-ctx.Done() // idle from then on
		return ctx.Err()
	}
	return nil
}

func (p *pathWaker) Stop() {
	p.w.mu.Lock()
	defer p.w.mu.Unlock()
	p.w.stopped[p.path]++
}

// TestCloseStopsEverything: Close returns once every follower ended and
// every waker was stopped, with the daemon's own ticker; no goroutine is
// left (goleak).
func TestCloseStopsEverything(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"access.log", "error.log"} {
		p := filepath.Join(dir, name)
		paths = append(paths, p)
	}
	appendTo(t, paths[0], utcAccess(0, 2, 200))
	appendTo(t, paths[1], "2026/11/23 14:00:00 [notice] 100#100: start worker processes\n")
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := pipeline.LiveFiles([]string{dir}, pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits})
	if err != nil || len(files) != 2 {
		t.Fatal(files, err)
	}
	w := &stopWaker{stopped: map[string]int{}}
	commits := make(chan string, 100)
	d := daemon.New(st, daemon.Config{Files: files, FromStart: true, Interval: time.Hour, Waker: w.waker,
		OnCommit: func(p string) { commits <- p }})
	stopped := make(chan error, 1)
	go func() { stopped <- d.Run(context.Background()) }()
	seen := map[string]bool{}
	for len(seen) < 2 {
		seen[<-commits] = true
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if w.stopped[p] != 1 {
			t.Errorf("the waker of %s was stopped %d times, want once", p, w.stopped[p])
		}
	}
	if err := d.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t)
}

// TestRunEndsWithItsContext: a cancelled context ends Run as Close does.
func TestRunEndsWithItsContext(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "error.log")
	os.WriteFile(p, []byte("2026/11/23 14:00:00 [notice] 100#100: start worker processes\n"), 0o644)
	st, files := storeFollowing(t, p)
	w := &stopWaker{stopped: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	commits := make(chan string, 10)
	d := daemon.New(st, daemon.Config{Files: files, FromStart: true, Ticks: make(chan time.Time), Waker: w.waker, OnCommit: func(p string) { commits <- p }})
	stopped := make(chan error, 1)
	go func() { stopped <- d.Run(ctx) }()
	<-commits
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if w.stopped[p] != 1 {
		t.Errorf("waker stopped %d times", w.stopped[p])
	}
}
