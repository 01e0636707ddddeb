package daemon_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
)

// TestMain fails the package when a test leaves a goroutine running: every
// goroutine a Daemon starts must end with Run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// utcAccess writes 3 requests a second of /a.php with the given status,
// from second from to second to of 14:00 UTC.
func utcAccess(from, to, status int) string { return requestLines("+0000", "/a.php", from, to, status) }

// TestIncidentsOpenUpdateAndResolve: the hook hears of an incident once
// when it opens, again as it grows, and once when it has stayed quiet for
// ResolveAfter; an analysis that changes nothing tells it nothing.
func TestIncidentsOpenUpdateAndResolve(t *testing.T) {
	dir := t.TempDir()
	access := filepath.Join(dir, "access.log")
	appendTo(t, access, utcAccess(0, 40, 200))
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	files, err := pipeline.LiveFiles([]string{access}, pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits})
	if err != nil {
		t.Fatal(err)
	}
	s := newStepper()
	ticks := make(chan time.Time)
	var updates []daemon.Update
	stop := run(t, daemon.New(st, daemon.Config{Files: files, FromStart: true, Ticks: ticks, Waker: s.waker,
		Hook:     func(u daemon.Update) { updates = append(updates, u) },
		OnCommit: func(p string) { s.commits <- p }, OnAnalyzed: func() { s.done <- struct{}{} }}))
	defer stop()
	at := func(sec int) time.Time {
		return time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC).Add(time.Duration(sec) * time.Second)
	}
	tick := func(sec int) []daemon.Update {
		t.Helper()
		n := len(updates)
		ticks <- at(sec)
		<-s.done
		return updates[n:]
	}
	s.await(t, access)
	if u := tick(41); len(u) != 0 {
		t.Fatalf("healthy traffic: %+v", u)
	}

	appendTo(t, access, utcAccess(40, 50, 200)+utcAccess(50, 55, 502))
	s.await(t, access)
	u := tick(56)
	if len(u) != 1 || len(u[0].Opened) != 1 || len(u[0].Updated)+len(u[0].Resolved) != 0 {
		t.Fatalf("after the first 502s: %+v", u)
	}
	opened := u[0].Opened[0]
	if !opened.Start.Equal(at(50)) || !opened.End.Equal(at(55)) || opened.Status["502"] != 15 {
		t.Errorf("opened %s–%s with %v", opened.Start, opened.End, opened.Status)
	}

	appendTo(t, access, utcAccess(55, 58, 502))
	s.await(t, access)
	u = tick(59)
	if len(u) != 1 || len(u[0].Updated) != 1 || len(u[0].Opened)+len(u[0].Resolved) != 0 {
		t.Fatalf("after more 502s: %+v", u)
	}
	if inc := u[0].Updated[0]; !inc.Start.Equal(at(50)) || !inc.End.Equal(at(58)) || inc.Status["502"] != 24 {
		t.Errorf("updated %s–%s with %v", inc.Start, inc.End, inc.Status)
	}

	// Quiet, but not for long enough yet; then for ResolveAfter (the
	// analysis's merge gap, 30 s) after its end.
	if u := tick(58 + 29); len(u) != 0 {
		t.Errorf("29 s after the last 502: %+v", u)
	}
	u = tick(58 + 30)
	if len(u) != 1 || len(u[0].Resolved) != 1 || len(u[0].Opened)+len(u[0].Updated) != 0 {
		t.Fatalf("30 s after the last 502: %+v", u)
	}
	if inc := u[0].Resolved[0]; !inc.End.Equal(at(58)) || inc.RootCause != analyze.Unknown {
		t.Errorf("resolved %s–%s, %s", inc.Start, inc.End, inc.RootCause)
	}
	// New healthy traffic: analyzed, nothing to tell.
	appendTo(t, access, utcAccess(90, 100, 200))
	s.await(t, access)
	if u := tick(101); len(u) != 0 {
		t.Errorf("after the incident: %+v", u)
	}
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
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	files, err := pipeline.LiveFiles([]string{p}, pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits})
	if err != nil {
		t.Fatal(err)
	}
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
