package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/report"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/store"
)

// stepper drives a watcher deterministically: each follower waits on its
// own channel and says when it starts waiting; the test wakes it.
type stepper struct {
	mu      sync.Mutex
	wake    map[string]chan struct{}
	waiting chan string
	commits chan string
	done    chan struct{}
}

func newStepper() *stepper {
	return &stepper{wake: map[string]chan struct{}{}, waiting: make(chan string, 1000),
		commits: make(chan string, 1000), done: make(chan struct{}, 10)}
}

func (s *stepper) waker(path string) ingest.Waker {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := make(chan struct{}, 1)
	s.wake[path] = c
	return ingest.WakerFunc(func(ctx context.Context) error {
		s.waiting <- path
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c:
			return nil
		}
	})
}

// await wakes the followers of paths each time they wait, until each has
// committed (records of multi-line logs are handed on after quiet rounds).
// awaitRead waits until d committed every line of its logs: a follower
// that read a file in more commits than one was awaited for, or that
// holds its last line until a quiet round shows no continuation comes,
// is woken until it has committed it all.
func (s *stepper) awaitRead(t *testing.T, d *daemon.Daemon) {
	t.Helper()
	deadline := time.After(20 * time.Second) // a bound, not a pace
	for {
		var behind []string
		for _, f := range d.Status().Files {
			if f.Behind > 0 {
				behind = append(behind, f.Path)
			}
		}
		if len(behind) == 0 {
			return
		}
		s.mu.Lock()
		for _, p := range behind {
			select {
			case s.wake[p] <- struct{}{}: // buffered: taken at its next wait
			default:
			}
		}
		s.mu.Unlock()
		select {
		case <-s.commits:
		case <-s.waiting:
		case <-deadline:
			t.Fatalf("the logs were not read: %+v", d.Status().Files)
		}
	}
}

func (s *stepper) await(t *testing.T, paths ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, p := range paths {
		want[p] = true
	}
	wake := func(p string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		select {
		case s.wake[p] <- struct{}{}: // buffered: a follower busy reading takes it on its next wait
		default:
		}
	}
	for p := range want {
		wake(p) // it may be waiting since before: its signal was taken by an earlier await
	}
	deadline := time.After(20 * time.Second) // a bound, not a pace: the test never waits on the clock otherwise
	for len(want) > 0 {
		select {
		case p := <-s.commits:
			delete(want, p)
		case p := <-s.waiting:
			if want[p] {
				wake(p)
			}
		case <-deadline:
			t.Fatalf("no commit of %v", want)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(text)
	f.Close()
}

// accessLines writes 3 requests a second of /slow.php with the given
// status, from second from to second to of 14:00 at +01:00.
func accessLines(from, to, status int) string {
	return requestLines("+0100", "/slow.php", from, to, status)
}

// requestLines writes 3 requests a second of uri with the given status,
// from second from to second to of 14:00 at the UTC offset zone.
func requestLines(zone, uri string, from, to, status int) string {
	var b strings.Builder
	for s := from; s < to; s++ {
		for i := 0; i < 3; i++ {
			fmt.Fprintf(&b, "127.0.0.1 - - [23/Nov/2026:14:%02d:%02d %s] \"GET %s?i=%d HTTP/1.1\" %d 150 \"-\" \"curl/7.88.1\"\n", s/60, s%60, zone, uri, i, status)
		}
	}
	return b.String()
}

// TestWatchFollowsReportsAndResumes: watch reads what is appended, reports
// an incident once, and after a restart goes on where it stopped, counting
// no line twice.
func TestWatchFollowsReportsAndResumes(t *testing.T) {
	dir := t.TempDir()
	access, errlog, fpm := filepath.Join(dir, "access.log"), filepath.Join(dir, "error.log"), filepath.Join(dir, "php-fpm.log")
	appendTo(t, access, accessLines(0, 40, 200))
	appendTo(t, errlog, "2026/11/23 14:00:00 [notice] 100#100: start worker processes\n")
	appendTo(t, fpm, "[23-Nov-2026 14:00:00] NOTICE: fpm is running, pid 99\n")
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	zone := time.FixedZone("CET", 3600)
	root := t.TempDir() // the server's configuration: the pool nginx's errors point at
	os.MkdirAll(filepath.Join(root, "etc/php/8.2/fpm"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/php/8.2/fpm/php-fpm.conf"), []byte("[www]\nlisten = /tmp/php-fpm.sock\npm = static\npm.max_children = 4\n"), 0o644)
	files, err := pipeline.LiveFiles([]string{dir}, pipeline.Options{Zone: zone, Limits: ingest.DefaultLimits})
	if err != nil || len(files) != 3 {
		t.Fatalf("%v %v", files, err)
	}

	now := time.Date(2026, 11, 23, 13, 1, 30, 0, time.UTC) // the daemon's clock: after the lines
	var d *daemon.Daemon
	start := func(fromStart bool) (*stepper, *syncBuffer, chan time.Time, func()) {
		s := newStepper()
		out := &syncBuffer{}
		ticks := make(chan time.Time)
		d = daemon.New(st, daemon.Config{Files: files, Zone: zone, Limits: ingest.DefaultLimits, FromStart: fromStart,
			Now:   func() time.Time { return now },
			Ticks: ticks, Waker: s.waker, Hook: printOpened(out),
			Stack:    func() *stackconf.Config { return stackconf.Read(os.DirFS(root), root) },
			OnCommit: func(p string) { s.commits <- p }, OnAnalyzed: func() { s.done <- struct{}{} }})
		return s, out, ticks, run(t, d)
	}

	s, out, ticks, stop := start(true)
	s.await(t, access, errlog, fpm) // the lines there at the start
	appendTo(t, fpm, "[23-Nov-2026 14:00:49] WARNING: [pool www] server reached pm.max_children setting (4), consider raising it\n")
	var nginxErr strings.Builder
	for s := 50; s < 60; s++ {
		for i := 0; i < 3; i++ {
			fmt.Fprintf(&nginxErr, "2026/11/23 14:00:%02d [error] 100#100: *%d connect() to unix:/tmp/php-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET /slow.php?i=%d HTTP/1.1\", upstream: \"fastcgi://unix:/tmp/php-fpm.sock:\", host: \"h\"\n", s, s*3+i, i)
		}
	}
	appendTo(t, errlog, nginxErr.String())
	appendTo(t, access, accessLines(40, 50, 200)+accessLines(50, 60, 502)+accessLines(60, 70, 200))
	s.await(t, access, errlog, fpm)
	s.awaitRead(t, d) // a log read in two commits: the first one ended the await

	ticks <- now
	<-s.done
	// Opened by the access log's 502s (at once: the error log may not be
	// read yet), explained by the error log's lines (an update, or the
	// resolution: the clock is 30 s past its end).
	if got := out.String(); !strings.Contains(got, "logcause: incident opened") || !strings.Contains(got, "Root cause:  fpm_worker_exhaustion") {
		t.Fatalf("no incident reported:\n%s", got)
	}
	if got := out.String(); !strings.Contains(got, "[www] pm.max_children = 4 (/etc/php/8.2/fpm/php-fpm.conf:4)") {
		t.Errorf("the incident does not quote the pool's configuration:\n%s", got)
	}
	ticks <- now.Add(10 * time.Second)
	<-s.done
	if n := strings.Count(out.String(), "logcause: incident opened"); n != 1 {
		t.Errorf("the incident was opened %d times", n)
	}
	stop()

	// Written while watch was down, then a restart: resumed, nothing twice.
	appendTo(t, access, accessLines(70, 80, 200))
	counted := func() (requests, gateway int64) {
		secs, err := st.Seconds(now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range secs {
			requests += sec.Requests()
			gateway += sec.Count(502)
		}
		return requests, gateway
	}
	s, _, _, stop = start(false)
	// The first batch after a restart may carry only the "resumed" notice.
	for i := 0; i < 5; i++ {
		if n, _ := counted(); n >= 240 {
			break
		}
		s.await(t, access)
	}
	stop()
	if requests, gateway := counted(); requests != 240 || gateway != 30 {
		t.Errorf("the store counted %d requests (%d 502s); the logs hold 240 (30)", requests, gateway)
	}
}

// TestWatchRecordsGaps: a log replaced while watch was down holds the saved
// position no more; the restart records a gap in the store, and analysis
// reports it.
func TestWatchRecordsGaps(t *testing.T) {
	dir := t.TempDir()
	errlog := filepath.Join(dir, "error.log")
	line := func(sec int) string {
		return fmt.Sprintf("2026/11/23 14:00:%02d [error] 100#100: *%d upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: _, request: \"GET /a HTTP/1.1\", upstream: \"fastcgi://127.0.0.1:9000\", host: \"h\"\n", sec, sec)
	}
	appendTo(t, errlog, line(1)+line(2)+line(3))
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	files, err := pipeline.LiveFiles([]string{errlog}, pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits})
	if err != nil || len(files) != 1 {
		t.Fatalf("%v %v", files, err)
	}
	noticed := time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)
	follow := func(fromStart bool) {
		s := newStepper()
		d := daemon.New(st, daemon.Config{Files: files, Zone: time.UTC, FromStart: fromStart, Ticks: make(chan time.Time), Waker: s.waker,
			Now: func() time.Time { return noticed }, OnCommit: func(p string) { s.commits <- p }})
		stop := run(t, d)
		s.await(t, errlog)
		stop()
	}
	follow(true)
	if gaps, _ := st.Gaps(noticed.Add(-time.Hour), noticed.Add(time.Hour)); len(gaps) != 0 {
		t.Fatalf("gaps before any: %+v", gaps)
	}
	// Replaced while watch was down: rotated away and the old file gone.
	if err := os.Remove(errlog); err != nil {
		t.Fatal(err)
	}
	appendTo(t, errlog, line(40))
	follow(false)
	gaps, err := st.Gaps(noticed.Add(-time.Hour), noticed.Add(time.Hour))
	if err != nil || len(gaps) != 1 || gaps[0].Path != errlog || !gaps[0].Time.Equal(noticed) || !strings.Contains(gaps[0].Reason, "may be missing") {
		t.Fatalf("gaps = %+v, %v; want one for %s at %s", gaps, err, errlog, noticed)
	}
	res, err := analyze.Analyze(st, analyze.TimeRange{Start: noticed.Add(-time.Minute), End: noticed.Add(time.Minute)}, analyze.DefaultConfig)
	if err != nil || len(res.Gaps) != 1 || res.Gaps[0].Offset != gaps[0].Offset {
		t.Errorf("analysis gaps = %+v, %v", res.Gaps, err)
	}
}

// TestWatchPrunesOldDays: the daemon holds the store, so it keeps the
// retention itself: at its first tick, and once a day after.
func TestWatchPrunesOldDays(t *testing.T) {
	dir := t.TempDir()
	errlog := filepath.Join(dir, "error.log")
	appendTo(t, errlog, "2026/11/23 14:00:00 [notice] 100#100: start worker processes\n")
	st, err := store.OpenQuiet(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	today := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	w := st.NewWriter()
	for _, at := range []time.Time{today.AddDate(0, 0, -5), today.AddDate(0, 0, -1), today} {
		w.Request(at, 200, nil)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	days := func() int {
		secs, err := st.Seconds(today.AddDate(0, 0, -10), today.AddDate(0, 0, 10))
		if err != nil {
			t.Fatal(err)
		}
		return len(secs)
	}
	files, err := pipeline.LiveFiles([]string{errlog}, pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits})
	if err != nil {
		t.Fatal(err)
	}
	s := newStepper()
	ticks := make(chan time.Time)
	stop := run(t, daemon.New(st, daemon.Config{Files: files, Retention: 2, Ticks: ticks, Waker: s.waker, OnAnalyzed: func() { s.done <- struct{}{} }}))
	ticks <- today
	<-s.done
	if n := days(); n != 2 {
		t.Errorf("after the first tick the store holds %d of the 3 days' seconds, want 2 (retention 2 days)", n)
	}
	ticks <- today.AddDate(0, 0, 1)
	<-s.done
	if n := days(); n != 1 {
		t.Errorf("a day later the store holds %d seconds, want 1", n)
	}
	stop()
}

// run runs d until the returned stop is called, which closes d and checks
// that Run returned without error.
func run(t *testing.T, d *daemon.Daemon) (stop func()) {
	t.Helper()
	stopped := make(chan error, 1)
	go func() { stopped <- d.Run(context.Background()) }()
	return func() {
		t.Helper()
		d.Close()
		if err := <-stopped; err != nil {
			t.Errorf("run: %v", err)
		}
	}
}

// printOpened prints the incidents as they open, are updated and
// resolve, as `logcause watch` does.
func printOpened(w io.Writer) func(daemon.Update) {
	return func(u daemon.Update) {
		for _, ev := range []struct {
			name string
			incs []analyze.Incident
		}{{report.EventOpen, u.Opened}, {report.EventUpdate, u.Updated}, {report.EventResolve, u.Resolved}} {
			for _, inc := range ev.incs {
				report.Event(w, "text", ev.name, inc, 1000) // wide enough that no phrase the tests look for is wrapped
			}
		}
	}
}
