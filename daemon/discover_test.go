package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
)

// follows records what a daemon started following, and what it could
// not follow, in order.
type follows struct {
	mu     sync.Mutex
	events chan string // "path" or "path: error"
}

func newFollows() *follows { return &follows{events: make(chan string, 100)} }

func (f *follows) hook(path string, err error) {
	if err != nil {
		f.events <- path + ": " + err.Error()
		return
	}
	f.events <- path
}

// next returns the next follow event (a bound, not a pace).
func (f *follows) next(t *testing.T) string {
	t.Helper()
	select {
	case e := <-f.events:
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no follow event")
		return ""
	}
}

// rescan sends three rescans: once the third is taken, the first one's
// findings have been handled by the daemon.
func rescan(rescans chan time.Time) {
	for range 3 {
		rescans <- time.Time{}
	}
}

func storeRequests(t *testing.T, st *store.Store) int64 {
	t.Helper()
	secs, err := st.Seconds(at(-3600), at(3600))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, s := range secs {
		n += s.Requests()
	}
	return n
}

// TestNewLogsAreFollowedOnRescan: without inotify, the once-a-second
// rescan finds a log that appears under a watched directory and reads it
// from its beginning; a rotated file that appears is no new log; a log
// that goes away and comes back is read again.
func TestNewLogsAreFollowedOnRescan(t *testing.T) {
	dir := t.TempDir()
	access := filepath.Join(dir, "access.log")
	appendTo(t, access, utcAccess(0, 10, 200)) // there before: read from its end
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, f, rescans := newStepper(), newFollows(), make(chan time.Time)
	stop := run(t, daemon.New(st, daemon.Config{Watch: []string{dir}, Options: pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits},
		Rescans: rescans, Ticks: make(chan time.Time), Waker: s.waker, OnFollow: f.hook, OnCommit: func(p string) { s.commits <- p }}))
	defer stop()
	if got := f.next(t); got != access {
		t.Fatalf("followed %q first, want %s", got, access)
	}

	vhost := filepath.Join(dir, "shop.access.log")
	appendTo(t, vhost, utcAccess(10, 12, 200))
	appendTo(t, access+".1", utcAccess(0, 10, 200)) // a rotation's file: the follower of access.log reads it if needed
	rescan(rescans)
	if got := f.next(t); got != vhost {
		t.Fatalf("followed %q, want the new %s", got, vhost)
	}
	s.await(t, vhost)
	if n := storeRequests(t, st); n != 6 {
		t.Errorf("the store counts %d requests, want the new log's 6, read from its beginning", n)
	}

	// Gone, then back with new lines: read again (the follower looks for
	// its path each round).
	if err := os.Remove(vhost); err != nil {
		t.Fatal(err)
	}
	s.await(t, vhost) // the deletion noticed and committed
	appendTo(t, vhost, utcAccess(20, 21, 200))
	for i := 0; i < 5 && storeRequests(t, st) < 9; i++ {
		s.await(t, vhost)
	}
	if n := storeRequests(t, st); n != 9 {
		t.Errorf("after the log came back the store counts %d requests, want 9", n)
	}
	rescan(rescans)
	select {
	case e := <-f.events:
		t.Errorf("followed again: %s", e)
	default:
	}
}

// neverWaker never ends a round: only inotify wakes its follower.
func neverWaker(string) ingest.Waker {
	return ingest.WakerFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
}

// TestInotifyFollowsAtOnce: with inotify, a log that appears is followed
// and read, and a line appended to a followed log is read, with no round
// and no rescan of the daemon's ever ending (its wakers never wake, its
// rescans never come): the kernel's events alone.
func TestInotifyFollowsAtOnce(t *testing.T) {
	dir := t.TempDir()
	access := filepath.Join(dir, "access.log")
	appendTo(t, access, utcAccess(0, 10, 200))
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, commits := newFollows(), make(chan string, 100)
	stop := run(t, daemon.New(st, daemon.Config{Watch: []string{dir}, Options: pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits},
		Inotify: true, Rescans: make(chan time.Time), Ticks: make(chan time.Time), Waker: neverWaker, OnFollow: f.hook,
		OnCommit: func(p string) { commits <- p }}))
	defer stop()
	if got := f.next(t); got != access {
		t.Fatalf("followed %q first", got)
	}
	committed := func(want string) {
		t.Helper()
		select {
		case p := <-commits:
			if p != want {
				t.Fatalf("committed %s, want %s", p, want)
			}
		case <-time.After(20 * time.Second): // a bound, not a pace
			t.Fatalf("no commit of %s", want)
		}
	}
	appendTo(t, access, utcAccess(10, 11, 200))
	committed(access)

	sub := filepath.Join(dir, "vhosts")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	vhost := filepath.Join(sub, "shop.access.log")
	appendTo(t, vhost, utcAccess(11, 12, 200))
	if got := f.next(t); got != vhost {
		t.Fatalf("followed %q, want %s", got, vhost)
	}
	committed(vhost)
	appendTo(t, vhost, utcAccess(12, 13, 200))
	committed(vhost)
	if n := storeRequests(t, st); n != 9 {
		t.Errorf("the store counts %d requests, want 9", n)
	}
}

// TestUnreadableLogIsAGapAndAWarning: a log the daemon may not read is a
// gap in the store and a warning, told once; once it may be read, it is
// followed from its beginning. Run as root, the test runs itself as
// nobody (root reads every file).
func TestUnreadableLogIsAGapAndAWarning(t *testing.T) {
	if os.Geteuid() == 0 {
		runAsNobody(t, "TestUnreadableLogIsAGapAndAWarning")
		return
	}
	var logs bytes.Buffer
	var mu sync.Mutex
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil)))
	defer slog.SetDefault(old)

	dir := t.TempDir()
	access, secret := filepath.Join(dir, "access.log"), filepath.Join(dir, "shop.access.log")
	appendTo(t, access, utcAccess(0, 10, 200))
	appendTo(t, secret, utcAccess(0, 2, 200))
	if err := os.Chmod(secret, 0); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, f, rescans := newStepper(), newFollows(), make(chan time.Time)
	noticed := at(100)
	stop := run(t, daemon.New(st, daemon.Config{Watch: []string{dir}, Options: pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits},
		Rescans: rescans, Ticks: make(chan time.Time), Waker: s.waker, OnFollow: f.hook, Now: func() time.Time { return noticed },
		OnCommit: func(p string) { s.commits <- p }}))
	defer stop()
	events := map[string]bool{f.next(t): true, f.next(t): true}
	if !events[access] || len(events) != 2 {
		t.Fatalf("follow events %v", events)
	}
	for e := range events {
		if e != access && (!strings.HasPrefix(e, secret+": ") || !strings.Contains(e, "permission denied")) {
			t.Errorf("the unreadable log: %q", e)
		}
	}
	gaps, err := st.Gaps(noticed.Add(-time.Second), noticed.Add(time.Second))
	if err != nil || len(gaps) != 1 || gaps[0].Path != secret || !strings.Contains(gaps[0].Reason, "permission denied") {
		t.Fatalf("gaps %+v, %v", gaps, err)
	}
	mu.Lock()
	warned := strings.Count(logs.String(), `level=WARN msg="cannot follow a log`)
	mu.Unlock()
	if warned != 1 {
		t.Errorf("%d warnings about the unreadable log:\n%s", warned, logs.String())
	}
	rescan(rescans) // unchanged: not tried again
	select {
	case e := <-f.events:
		t.Errorf("tried again unchanged: %s", e)
	default:
	}

	if err := os.Chmod(secret, 0o644); err != nil {
		t.Fatal(err)
	}
	rescan(rescans)
	if got := f.next(t); got != secret {
		t.Fatalf("once readable: %q", got)
	}
	s.await(t, secret)
	if n := storeRequests(t, st); n != 6 {
		t.Errorf("the store counts %d requests, want the 6 of the log once readable", n)
	}
	if gaps, _ := st.Gaps(noticed.Add(-time.Second), noticed.Add(time.Second)); len(gaps) != 1 {
		t.Errorf("gaps %+v", gaps)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// runAsNobody runs the test named in a copy of this test binary as nobody,
// and fails with its output when it fails.
func runAsNobody(t *testing.T, name string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "logcause-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "daemon.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+name+"$", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = []string{"TMPDIR=" + dir, "HOME=" + dir, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("cannot run the test as nobody: %v", err)
	}
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

// TestRestartKeepsWhereIdleLogsWereFollowedFrom: a log followed from its
// end and never written to is not read from its start at a restart; a log
// that appeared while the daemon was down is.
func TestRestartKeepsWhereIdleLogsWereFollowedFrom(t *testing.T) {
	dir := t.TempDir()
	busy, idle := filepath.Join(dir, "access.log"), filepath.Join(dir, "shop.access.log")
	appendTo(t, busy, utcAccess(0, 10, 200))
	appendTo(t, idle, utcAccess(0, 10, 200)) // 30 requests from before the first start: never read
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	follow := func(logs int, read ...string) {
		s, f := newStepper(), newFollows()
		stop := run(t, daemon.New(st, daemon.Config{Watch: []string{dir}, Options: pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits},
			Rescans: make(chan time.Time), Ticks: make(chan time.Time), Waker: s.waker, OnFollow: f.hook, OnCommit: func(p string) { s.commits <- p }}))
		defer stop()
		for range logs {
			f.next(t)
		}
		appendTo(t, busy, utcAccess(10, 11, 200))
		s.await(t, read...)
	}
	follow(2, busy)
	appendTo(t, filepath.Join(dir, "new.access.log"), utcAccess(20, 21, 200)) // while down
	follow(3, busy, filepath.Join(dir, "new.access.log"))
	if n := storeRequests(t, st); n != 9 {
		t.Errorf("the store counts %d requests, want 9: 3+3 appended to %s, 3 of the new log", n, busy)
	}
}
