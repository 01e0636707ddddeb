package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
)

// TestRenamedErrorLogAndItsSuccessorKeepTheirLines: error.log renamed by
// rotation, and the new error.log, both read under the path error.log,
// have lines of the same second at the same offsets (nginx's error stamps
// are whole seconds; the soak found the new file's overwriting the renamed
// one's in the store): every line of both is stored, once.
func TestRenamedErrorLogAndItsSuccessorKeepTheirLines(t *testing.T) {
	dir := t.TempDir()
	errLog := filepath.Join(dir, "error.log")
	lines := func(from, to int) string { // connections of as many digits: lines of one length
		var b strings.Builder
		for c := from; c < to; c++ {
			fmt.Fprintf(&b, "2026/11/23 14:00:05 [error] 100#100: *%d connect() to unix:/tmp/php-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET /slow.php HTTP/1.1\", upstream: \"fastcgi://unix:/tmp/php-fpm.sock:\", host: \"h\"\n", c)
		}
		return b.String()
	}
	appendTo(t, errLog, lines(241, 257))
	st, files := storeFollowing(t, errLog)
	at := time.Date(2026, 11, 23, 14, 1, 0, 0, time.UTC)
	s := newStepper()
	d := daemon.New(st, daemon.Config{Files: files, FromStart: true, Ticks: make(chan time.Time), Waker: s.waker, Now: func() time.Time { return at },
		OnCommit: func(p string) { s.commits <- p }})
	stop := run(t, d)
	s.await(t, errLog)
	if err := os.Rename(errLog, errLog+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, errLog, lines(257, 273))
	for i := 0; i < 5 && d.Status().Files[0].Records < 32; i++ {
		s.await(t, errLog)
	}
	stop()
	var conns []int
	second := time.Date(2026, 11, 23, 14, 0, 5, 0, time.UTC)
	if err := st.Events(second, second.Add(time.Second), func(ev *patterns.Event) error {
		conns = append(conns, int(ev.Error.Connection))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(conns)
	want := make([]int, 0, 32)
	for c := 241; c < 273; c++ {
		want = append(want, c)
	}
	if !slices.Equal(conns, want) {
		t.Errorf("stored connections %v, want 241 to 272 once each", conns)
	}
}

// storeFollowing opens a store, closed when the test ends, and the live
// files of paths, their zoneless stamps in UTC.
func storeFollowing(t *testing.T, paths ...string) (*store.Store, []pipeline.File) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files, err := pipeline.LiveFiles(paths, pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits})
	if err != nil {
		t.Fatal(err)
	}
	return st, files
}
