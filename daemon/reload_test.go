package daemon_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
)

// notes records the sd_notify messages a daemon sends.
type notes struct{ c chan string }

func newNotes() *notes { return &notes{c: make(chan string, 1000)} }

func (n *notes) Notify(state string) error {
	n.c <- state
	return nil
}

// until returns the messages up to the first that holds want (a bound,
// not a pace).
func (n *notes) until(t *testing.T, want string) []string {
	t.Helper()
	var got []string
	timeout := time.After(20 * time.Second)
	for {
		select {
		case m := <-n.c:
			got = append(got, m)
			if strings.Contains(m, want) {
				return got
			}
		case <-timeout:
			t.Fatalf("no message %q; got %q", want, got)
		}
	}
}

// reloading is a daemon watching directories, reloaded by the test.
type reloading struct {
	t        *testing.T
	s        *stepper
	f        *follows
	notes    *notes
	hup      chan os.Signal
	rescans  chan time.Time
	mu       sync.Mutex
	settings daemon.Settings
	err      error
	reloaded chan config.Config
	st       *store.Store
	refuse   error // what OnReload returns
}

func startReloading(t *testing.T, watch ...string) (*reloading, func()) {
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	r := &reloading{t: t, s: newStepper(), f: newFollows(), notes: newNotes(), hup: make(chan os.Signal), rescans: make(chan time.Time),
		reloaded: make(chan config.Config, 10), st: st}
	opts := pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits}
	r.settings = daemon.Settings{Watch: watch, Options: opts}
	stop := run(t, daemon.New(st, daemon.Config{Watch: watch, Options: opts, Rescans: r.rescans, Ticks: make(chan time.Time),
		Waker: r.s.waker, OnFollow: r.f.hook, OnCommit: func(p string) { r.s.commits <- p },
		Lifecycle: daemon.Lifecycle{Hangups: r.hup, Notify: r.notes, Monotonic: func() time.Duration { return 1500 * time.Millisecond },
			OnReload: func(c config.Config) error {
				r.reloaded <- c
				r.mu.Lock()
				defer r.mu.Unlock()
				return r.refuse
			},
			Load: func() (daemon.Settings, error) {
				r.mu.Lock()
				defer r.mu.Unlock()
				return r.settings, r.err
			}}}))
	return r, func() {
		stop()
		st.Close()
	}
}

// reload sends SIGHUP with s the settings to read (or err), and returns
// the messages told systemd until the reload was done.
func (r *reloading) reload(s daemon.Settings, err error) []string {
	r.t.Helper()
	r.mu.Lock()
	r.settings, r.err = s, err
	r.mu.Unlock()
	r.hup <- syscall.SIGHUP
	return r.notes.until(r.t, "READY=1")
}

// noNewFollower fails if a rescan starts a follower, or a reload was
// told OnReload since the last one heard.
func (r *reloading) noNewFollower(why string) {
	r.t.Helper()
	rescan(r.rescans)
	select {
	case e := <-r.f.events:
		r.t.Errorf("followed %s: %s", e, why)
	case c := <-r.reloaded:
		r.t.Errorf("OnReload heard %+v: %s", c, why)
	default:
	}
}

// captureLog makes slog's default logger write to a buffer until the test
// ends, and returns what it holds.
func captureLog(t *testing.T) (logged func() string) {
	var logs bytes.Buffer
	var mu sync.Mutex
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return logs.String()
	}
}

// TestReloadFollowsAddedSourcesAndStopsRemovedOnes: SIGHUP with a config
// whose sources changed: the added directory's log is followed (from its
// end, as on a first start), the removed one's is no longer, and the logs
// of unchanged sources go on untouched; re-added, the removed log resumes
// where it was committed: no line lost, none counted twice.
func TestReloadFollowsAddedSourcesAndStopsRemovedOnes(t *testing.T) {
	dirA, dirB, dirC := t.TempDir(), t.TempDir(), t.TempDir()
	a, b, c := filepath.Join(dirA, "access.log"), filepath.Join(dirB, "access.log"), filepath.Join(dirC, "access.log")
	appendTo(t, a, utcAccess(0, 10, 200))
	appendTo(t, b, utcAccess(0, 10, 200))
	appendTo(t, c, utcAccess(0, 10, 200)) // before it is configured: not read
	r, stop := startReloading(t, dirA, dirB)
	defer stop()
	started := map[string]bool{r.f.next(t): true, r.f.next(t): true}
	if !started[a] || !started[b] {
		t.Fatalf("followed %v", started)
	}
	if got := r.notes.until(t, "READY=1"); got[len(got)-1] != "READY=1\nSTATUS=following 2 logs, 0 open incidents, 0 records read" {
		t.Errorf("told at the start %q", got)
	}
	appendTo(t, a, utcAccess(10, 12, 200))
	appendTo(t, b, utcAccess(10, 12, 200))
	r.s.await(t, a, b)

	opts := r.settings.Options
	got := r.reload(daemon.Settings{Watch: []string{dirB, dirC}, Options: opts, Config: config.Config{Store: "reloaded"}}, nil)
	if got[0] != "RELOADING=1\nMONOTONIC_USEC=1500000" {
		t.Errorf("told before the reload %q, want RELOADING=1 with the monotonic clock", got)
	}
	if next := r.f.next(t); next != c {
		t.Fatalf("after the reload followed %q, want %s", next, c)
	}
	if cfg := <-r.reloaded; cfg.Store != "reloaded" {
		t.Errorf("OnReload heard %+v", cfg)
	}
	r.notes.until(t, "STATUS=following 2 logs") // a's follower ended: b and c followed
	appendTo(t, a, utcAccess(12, 14, 200))      // not followed now: kept for later
	appendTo(t, b, utcAccess(12, 14, 200))
	appendTo(t, c, utcAccess(12, 14, 200))
	r.s.await(t, b, c)
	if n := storeRequests(t, r.st); n != 6+6+6+6 {
		t.Errorf("the store counts %d requests, want 24: the new source read from its end, the removed one not read", n)
	}

	r.reload(daemon.Settings{Watch: []string{dirA, dirB, dirC}, Options: opts}, nil)
	if next := r.f.next(t); next != a {
		t.Fatalf("after the reload followed %q, want %s again", next, a)
	}
	<-r.reloaded
	r.s.await(t, a)
	if n := storeRequests(t, r.st); n != 30 {
		t.Errorf("the store counts %d requests, want 30: the re-added log resumed where it was committed", n)
	}
	r.noNewFollower("a follower of an unchanged source was restarted")
}

// TestReloadRefusedByOnReload: what OnReload refuses (the alerts of the
// new config) is logged; the daemon's own part of the reload stands.
func TestReloadRefusedByOnReload(t *testing.T) {
	logged := captureLog(t)
	r, stop := startReloading(t, t.TempDir())
	defer stop()
	r.notes.until(t, "READY=1") // started
	r.mu.Lock()
	r.refuse = errors.New("alerts: webhook \"chat\": cannot read its URL")
	r.mu.Unlock()
	r.reload(daemon.Settings{Watch: r.settings.Watch, Options: r.settings.Options, Config: config.Config{Store: "reloaded"}}, nil)
	if cfg := <-r.reloaded; cfg.Store != "reloaded" {
		t.Errorf("OnReload heard %+v", cfg)
	}
	if log := logged(); !strings.Contains(log, `cannot reload the alerts: the running ones are kept" err="alerts: webhook \"chat\": cannot read its URL"`) {
		t.Errorf("the refusal is not logged:\n%s", log)
	}
}

// TestReloadWithAChangedFormatFollowsAgain: a source whose format changed
// is followed again with it, from its committed position.
func TestReloadWithAChangedFormatFollowsAgain(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "access.log")
	appendTo(t, a, utcAccess(0, 10, 200))
	r, stop := startReloading(t, dir)
	defer stop()
	r.f.next(t)
	appendTo(t, a, utcAccess(10, 12, 200))
	r.s.await(t, a)

	opts := r.settings.Options
	opts.Overrides = []pipeline.Override{{Pattern: dir, Format: patterns.KindNginxAccess, Zone: time.UTC}}
	r.reload(daemon.Settings{Watch: []string{dir}, Options: opts}, nil)
	if next := r.f.next(t); next != a {
		t.Fatalf("after the reload followed %q, want %s again", next, a)
	}
	appendTo(t, a, utcAccess(12, 14, 200))
	r.s.await(t, a)
	if n := storeRequests(t, r.st); n != 12 {
		t.Errorf("the store counts %d requests, want 12: followed again from where it was committed", n)
	}
}

// TestBrokenReloadKeepsTheRunningConfig: a config that cannot be read, or
// a report schedule that is invalid, is logged at Error and the running
// settings go on.
func TestBrokenReloadKeepsTheRunningConfig(t *testing.T) {
	logged := captureLog(t)

	dir, other := t.TempDir(), t.TempDir()
	a := filepath.Join(dir, "access.log")
	appendTo(t, a, utcAccess(0, 10, 200))
	appendTo(t, filepath.Join(other, "access.log"), utcAccess(0, 10, 200))
	r, stop := startReloading(t, dir)
	defer stop()
	r.f.next(t)
	r.notes.until(t, "READY=1")

	r.reload(daemon.Settings{Watch: []string{other}}, errors.New("cannot read /etc/logcause.yaml: line 3: mapping values are not allowed"))
	bad := daemon.Settings{Watch: []string{other}, Reports: []config.Report{{Name: "nightly", Schedule: "at noon", Email: []string{"ops@example.com"}}},
		Sender: daemon.SenderFunc(nil)}
	r.reload(bad, nil)
	appendTo(t, a, utcAccess(10, 12, 200))
	r.s.await(t, a)
	if n := storeRequests(t, r.st); n != 6 {
		t.Errorf("the store counts %d requests, want the 6 of the log still followed", n)
	}
	r.noNewFollower("the broken config was applied")
	text := logged()
	for _, want := range []string{`level=ERROR msg="cannot reload the config: the running one is kept" err="cannot read /etc/logcause.yaml`,
		`level=ERROR msg="cannot reload the config: the running one is kept" err="report nightly has an invalid schedule`} {
		if !strings.Contains(text, want) {
			t.Errorf("the log does not say %q:\n%s", want, text)
		}
	}
}

// TestHangupWithoutConfigSaysSo: without a config file to read, a SIGHUP
// is told in the log and changes nothing.
func TestHangupWithoutConfigSaysSo(t *testing.T) {
	logged := captureLog(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hup, ticks := make(chan os.Signal), make(chan time.Time)
	analyzed := make(chan struct{})
	stop := run(t, daemon.New(st, daemon.Config{Watch: []string{t.TempDir()}, Rescans: make(chan time.Time), Ticks: ticks,
		Waker: newStepper().waker, OnAnalyzed: func() { analyzed <- struct{}{} }, Lifecycle: daemon.Lifecycle{Hangups: hup}}))
	defer stop()
	hup <- syscall.SIGHUP
	ticks <- time.Now() // taken after the hangup was handled
	<-analyzed
	if text := logged(); !strings.Contains(text, `msg="SIGHUP: there is no config file to reload (no --config): the settings of the command line are kept"`) {
		t.Errorf("the log:\n%s", text)
	}
}

// watchedDir returns a directory holding an access log of 30 requests,
// and a store closed when the test ends.
func watchedDir(t *testing.T) (string, *store.Store) {
	dir := t.TempDir()
	appendTo(t, filepath.Join(dir, "access.log"), utcAccess(0, 10, 200))
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return dir, st
}

// TestSystemdIsToldTheLifecycle: READY=1 with the status once the
// followers started, STATUS= as it changes, WATCHDOG=1 at each of the
// watchdog's ticks that the committing loop takes, STOPPING=1 at the end.
func TestSystemdIsToldTheLifecycle(t *testing.T) {
	dir, st := watchedDir(t)
	n, dog, s, rescans := newNotes(), make(chan time.Time), newStepper(), make(chan time.Time)
	stop := run(t, daemon.New(st, daemon.Config{Watch: []string{dir}, Options: pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits},
		Rescans: rescans, Ticks: make(chan time.Time), Waker: s.waker, OnCommit: func(p string) { s.commits <- p },
		Lifecycle: daemon.Lifecycle{Notify: n, WatchdogTicks: dog}}))
	if got := n.until(t, "READY=1"); len(got) != 1 || got[0] != "READY=1\nSTATUS=following 1 logs, 0 open incidents, 0 records read" {
		t.Errorf("told at the start %q", got)
	}
	dog <- time.Now()
	if got := n.until(t, "WATCHDOG=1"); len(got) != 1 {
		t.Errorf("told %q before the watchdog", got)
	}
	shop := filepath.Join(dir, "shop.access.log")
	appendTo(t, shop, utcAccess(0, 1, 200))
	rescan(rescans)
	if got := n.until(t, "STATUS="); got[0] != "STATUS=following 2 logs, 0 open incidents, 0 records read" {
		t.Errorf("told %q after a new log", got)
	}
	s.await(t, shop) // its 3 lines committed: told with the next ping, not at once
	dog <- time.Now()
	if got := n.until(t, "STATUS="); len(got) != 2 || got[0] != "WATCHDOG=1" || got[1] != "STATUS=following 2 logs, 0 open incidents, 3 records read" {
		t.Errorf("told %q at the watchdog's ping after a commit", got)
	}
	stop()
	if got := n.until(t, "STOPPING=1"); len(got) != 1 {
		t.Errorf("told %q before stopping", got)
	}
}

// TestWatchdogIsPingedByTheCommittingLoop: while the committing loop is
// held (in a hook here; a commit or an analysis that hangs in life), the
// watchdog's tick is not taken and no WATCHDOG=1 is sent: systemd sees the
// hang. Released, the loop pings again.
func TestWatchdogIsPingedByTheCommittingLoop(t *testing.T) {
	dir, st := watchedDir(t)
	n, dog, entered, hold := newNotes(), make(chan time.Time), make(chan string, 100), make(chan struct{})
	stop := run(t, daemon.New(st, daemon.Config{Watch: []string{dir}, Options: pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits},
		FromStart: true, Rescans: make(chan time.Time), Ticks: make(chan time.Time), Waker: newStepper().waker,
		OnCommit: func(p string) {
			entered <- p
			<-hold
		},
		Lifecycle: daemon.Lifecycle{Notify: n, WatchdogTicks: dog}}))
	defer stop()
	<-entered // the loop is held in the hook
	select {
	case dog <- time.Now():
		t.Error("the watchdog's tick was taken while the committing loop was held")
	default:
	}
	close(hold)
	dog <- time.Now()
	n.until(t, "WATCHDOG=1")
}
