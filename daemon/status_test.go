package daemon_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/logcause/logcause/daemon"
)

// TestStatusThroughARotation: Status counts what was committed of a log
// and what is behind it, all of a new file the follower has not switched
// to yet, and whether the daemon runs.
func TestStatusThroughARotation(t *testing.T) {
	dir := t.TempDir()
	access := filepath.Join(dir, "access.log")
	appendTo(t, access, accessLines(0, 10, 200)+"no access line\n")
	st, files := storeFollowing(t, access)
	at := time.Date(2026, 11, 23, 13, 5, 0, 0, time.UTC)
	s := newStepper()
	d := daemon.New(st, daemon.Config{Files: files, FromStart: true, Ticks: make(chan time.Time), Waker: s.waker, Now: func() time.Time { return at },
		OnCommit: func(p string) { s.commits <- p }})
	if got := d.Status(); got.Running || len(got.Files) != 0 || got.Commits != 0 {
		t.Errorf("before Run: %+v", got)
	}
	stop := run(t, d)
	s.await(t, access)
	size := func() int64 {
		fi, err := os.Stat(access)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	got := d.Status()
	if !got.Running || got.Started != at || got.LastCommit != at || got.Store != st.Dir() || len(got.Files) != 1 ||
		got.Files[0] != (daemon.FileStatus{Path: access, Format: "nginx_access", Records: 31, Unparsed: 1, Offset: size(), Size: size()}) {
		t.Fatalf("after the first commit: %+v", got)
	}

	// Rotated, and a new file written: all of it is behind.
	if err := os.Rename(access, access+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, access, accessLines(10, 12, 502))
	if f := d.Status().Files[0]; f.Size != size() || f.Behind != size() || f.Records != 31 {
		t.Errorf("rotated: %+v, want all %d bytes of the new file behind", f, size())
	}
	for i := 0; i < 5 && d.Status().Files[0].Records < 37; i++ {
		s.await(t, access)
	}
	got = d.Status()
	if f := got.Files[0]; f.Records != 37 || f.Unparsed != 1 || f.Behind != 0 || f.Offset != size() || got.GatewayErrors[502] != 6 {
		t.Errorf("read on: %+v, gateway errors %v", f, got.GatewayErrors)
	}
	stop()
	if got := d.Status(); got.Running || got.Err != "" {
		t.Errorf("stopped: running %v, error %q", got.Running, got.Err)
	}
}
