package daemon_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
)

// bound is how long a test waits for the daemon before it fails: a bound,
// not a pace; the scheduler's own waits are the fake clock's.
const bound = 20 * time.Second

// fakeClock is the scheduler's clock: Now reads the instant the test set,
// and each After hands the test the wait asked, to fire when it likes.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan timer
}

type timer struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, waits: make(chan timer, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	fire := make(chan time.Time, 1)
	c.waits <- timer{d, fire}
	return fire
}

// wait returns the next wait the scheduler asked for.
func (c *fakeClock) wait(t *testing.T) timer {
	t.Helper()
	return receive(t, c.waits, "the scheduler asked for no wait")
}

// receive returns the next value of ch, failing the test after bound.
func receive[T any](t *testing.T, ch <-chan T, fail string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(bound):
		t.Fatal(fail)
		var zero T
		return zero
	}
}

// advance sets the clock to now and fires the wait w.
func (c *fakeClock) advance(w timer, now time.Time) {
	c.set(now)
	w.fire <- now
}

// fakeSender hands the test each send, and returns what the test answers.
type fakeSender struct {
	calls   chan send
	answers chan error
	// seen, when set, is called with each send's window before it is
	// handed on.
	seen func(since, until time.Time) int64
}

type send struct {
	job          config.Report
	since, until time.Time
	requests     int64 // what seen said
}

func newFakeSender() *fakeSender {
	return &fakeSender{calls: make(chan send, 100), answers: make(chan error, 100)}
}

func (s *fakeSender) SendReport(ctx context.Context, job config.Report, since, until time.Time) error {
	c := send{job: job, since: since, until: until}
	if s.seen != nil {
		c.requests = s.seen(since, until)
	}
	s.calls <- c
	select {
	case err := <-s.answers:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next returns the next send.
func (s *fakeSender) next(t *testing.T) send {
	t.Helper()
	return receive(t, s.calls, "no report was sent")
}

// none checks that nothing was sent: call it once the scheduler asked for
// a wait, which it does only after a send's turn.
func (s *fakeSender) none(t *testing.T, when string) {
	t.Helper()
	select {
	case c := <-s.calls:
		t.Errorf("%s: a report was sent for [%s, %s)", when, c.since, c.until)
	default:
	}
}

func nightly(t *testing.T, since string) config.Report {
	t.Helper()
	cfg, err := config.Parse("test", []byte("reports:\n  - name: nightly\n    schedule: \"0 7 * * *\"\n    tz: Europe/Paris\n    email: [oncall@example.com]\n    since: "+since+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Reports[0]
}

// december gives instants of December 2026 in the job's zone.
func december(job config.Report) func(d, h, m int) time.Time {
	return func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, job.Zone()) }
}

// accessLog writes 10 seconds of requests into a new access log, to follow.
func accessLog(t *testing.T) (string, []pipeline.File) {
	t.Helper()
	access := filepath.Join(t.TempDir(), "access.log")
	appendTo(t, access, utcAccess(0, 10, 200))
	files, err := pipeline.LiveFiles([]string{access}, pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits})
	if err != nil {
		t.Fatal(err)
	}
	return access, files
}

// scheduler runs a daemon that follows files and sends job, until the
// returned stop.
func scheduler(t *testing.T, st *store.Store, clock *fakeClock, sender daemon.Sender, job config.Report, files []pipeline.File, waker func(string) ingest.Waker, commits chan string) (stop func()) {
	t.Helper()
	cfg := daemon.Config{Files: files, FromStart: true, Ticks: make(chan time.Time), Waker: waker,
		Reports: []config.Report{job}, Sender: sender, Now: clock.Now, After: clock.After}
	if commits != nil {
		cfg.OnCommit = func(p string) { commits <- p }
	}
	return run(t, daemon.New(st, cfg))
}

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestReportSentAtItsRunNotTwice: the report is sent when its run comes,
// not before, with the window before the run; a restart after it sends
// nothing until the next run.
func TestReportSentAtItsRunNotTwice(t *testing.T) {
	job := nightly(t, "24h")
	day := december(job)
	dir := filepath.Join(t.TempDir(), "store")
	st := openStore(t, dir)
	clock := newFakeClock(day(5, 6, 0))
	sender := newFakeSender()
	stop := scheduler(t, st, clock, sender, job, nil, nil, nil)

	w := clock.wait(t)
	if w.d <= 0 || w.d > time.Hour {
		t.Errorf("an hour before the run, the scheduler waits %s", w.d)
	}
	clock.advance(w, day(5, 6, 59).Add(59*time.Second))
	w = clock.wait(t)
	sender.none(t, "a second before the run")
	if w.d != time.Second {
		t.Errorf("a second before the run, the scheduler waits %s", w.d)
	}
	clock.advance(w, day(5, 7, 0))
	c := sender.next(t)
	if c.job.Key() != "nightly" || !c.until.Equal(day(5, 7, 0)) || !c.since.Equal(day(4, 7, 0)) {
		t.Errorf("sent %s for [%s, %s), want the 24 h before 07:00", c.job.Key(), c.since, c.until)
	}
	sender.answers <- nil
	w = clock.wait(t)
	sender.none(t, "after the run was sent")
	clock.advance(w, day(5, 7, 1))
	clock.wait(t)
	sender.none(t, "a minute after the run")
	stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// A restart the same morning: the run was sent.
	st = openStore(t, dir)
	defer st.Close()
	clock.set(day(5, 7, 30))
	stop = scheduler(t, st, clock, sender, job, nil, nil, nil)
	defer stop()
	w = clock.wait(t)
	sender.none(t, "after a restart")
	clock.advance(w, day(6, 7, 0))
	if c := sender.next(t); !c.until.Equal(day(6, 7, 0)) {
		t.Errorf("the next run sent [%s, %s)", c.since, c.until)
	}
	sender.answers <- nil
	clock.wait(t)
	sender.none(t, "after the next run")
}

// TestMissedRunSentOnceAtStart: a report first scheduled owes no run
// before; a daemon stopped across runs sends the latest one it missed,
// once, after its followers read what was written while it was stopped.
func TestMissedRunSentOnceAtStart(t *testing.T) {
	job := nightly(t, "14d") // the log's lines are of 23 November
	day := december(job)
	dir := filepath.Join(t.TempDir(), "store")
	access, files := accessLog(t)
	st := openStore(t, dir)
	clock := newFakeClock(day(1, 9, 0))
	sender := newFakeSender()
	sender.seen = func(since, until time.Time) int64 {
		secs, err := st.Seconds(since, until)
		if err != nil {
			t.Error(err)
		}
		var n int64
		for _, s := range secs {
			n += s.Requests()
		}
		return n
	}
	s := newStepper()
	stop := scheduler(t, st, clock, sender, job, files, s.waker, s.commits)
	s.await(t, access)
	clock.wait(t)
	sender.none(t, "at the first start, after the day's run")
	stop()
	st.Close()

	// Stopped until 5 December, 09:00: the runs of the 2nd to the 5th
	// were missed; the 5th's is sent, with the lines written meanwhile.
	appendTo(t, access, utcAccess(10, 20, 200))
	st = openStore(t, dir)
	defer st.Close()
	clock.set(day(5, 9, 0))
	s = newStepper()
	stop = scheduler(t, st, clock, sender, job, files, s.waker, s.commits)
	defer stop()
	c := sender.next(t)
	if !c.until.Equal(day(5, 7, 0)) || !c.since.Equal(day(5, 7, 0).AddDate(0, 0, -14)) {
		t.Errorf("missed run sent for [%s, %s), want the 14 days before 5 December 07:00", c.since, c.until)
	}
	if c.requests != 60 {
		t.Errorf("the missed run's report saw %d requests, want the 60 of the log", c.requests)
	}
	sender.answers <- nil
	clock.wait(t)
	sender.none(t, "after the missed run")
}

// TestFailedSendRetried: a send that fails is retried, 1 then 2 minutes
// later, while the followers go on committing; a failed run is not
// recorded as sent, and is sent after a restart; Close ends a send in
// flight.
func TestFailedSendRetried(t *testing.T) {
	job := nightly(t, "24h")
	day := december(job)
	dir := filepath.Join(t.TempDir(), "store")
	access, files := accessLog(t)
	st := openStore(t, dir)
	clock := newFakeClock(day(5, 6, 59))
	sender := newFakeSender()
	s := newStepper()
	stop := scheduler(t, st, clock, sender, job, files, s.waker, s.commits)
	s.await(t, access)
	clock.advance(clock.wait(t), day(5, 7, 0))
	sender.next(t) // held: the followers go on
	appendTo(t, access, utcAccess(10, 20, 200))
	s.await(t, access)

	down := errors.New("smtp: connection refused")
	sender.answers <- down
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute} {
		w := clock.wait(t)
		if w.d != want {
			t.Errorf("retry %d after %s, want %s", i+1, w.d, want)
		}
		clock.advance(w, clock.Now().Add(w.d))
		if c := sender.next(t); !c.until.Equal(day(5, 7, 0)) {
			t.Errorf("retry %d sent [%s, %s)", i+1, c.since, c.until)
		}
		if i == 0 {
			sender.answers <- down
		}
	}
	// The second retry is in flight: Close ends it, and it is not
	// recorded as sent.
	stop()
	st.Close()

	st = openStore(t, dir)
	defer st.Close()
	clock.set(day(5, 7, 10))
	stop = scheduler(t, st, clock, sender, job, files, newStepper().waker, nil)
	if c := sender.next(t); !c.until.Equal(day(5, 7, 0)) {
		t.Errorf("after a restart, sent [%s, %s), want the failed run", c.since, c.until)
	}
	sender.answers <- nil
	clock.wait(t)
	sender.none(t, "after the failed run was sent")
	stop()
	goleak.VerifyNone(t, goleak.IgnoreCurrent())
}

// TestReportsChecked: reports without a sender, or with a schedule that
// does not parse, are refused.
func TestReportsChecked(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "store"))
	defer st.Close()
	job := nightly(t, "24h")
	d := daemon.New(st, daemon.Config{Ticks: make(chan time.Time), Reports: []config.Report{job}})
	if err := d.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "nothing sends them") {
		t.Errorf("Run with reports and no sender: %v", err)
	}
	job.Schedule = "0 7 * *"
	d = daemon.New(st, daemon.Config{Ticks: make(chan time.Time), Reports: []config.Report{job}, Sender: newFakeSender()})
	if err := d.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid schedule") {
		t.Errorf("Run with a bad schedule: %v", err)
	}
}
