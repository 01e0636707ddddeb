package daemon_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
	"github.com/logcause/logcause/timeline"
)

// TestBatchAndFollowStoreTheSame feeds the same logs through a batch load
// and through the daemon's followers: both go through pipeline.Step, and
// the stores they fill must hold the same rollups, events, gaps and
// per-file counts (unparsed records and their samples included). The logs
// are the slow-queries capture of real nginx, php-fpm and MariaDB (five
// formats, multi-line slow-log and FPM records), with lines that parse as
// nothing put among them.
func TestBatchAndFollowStoreTheSame(t *testing.T) {
	dir := t.TempDir()
	src := "../testdata/scenarios/slow-queries"
	junk := map[string]string{
		"access.log":      "this is no request\n",
		"error.log":       "garbage \x00\x01 between records\n",
		"mysql-error.log": "no stamp, no record\n",
	}
	for _, name := range []string{"access.log", "error.log", "php-fpm.log", "mysql-error.log", "mysql-slow.log"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if j := junk[name]; j != "" { // in the middle, and last
			lines := strings.SplitAfter(string(b), "\n")
			mid := len(lines) / 2
			b = []byte(strings.Join(lines[:mid], "") + j + strings.Join(lines[mid:], "") + j)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zone := time.FixedZone("CET", 3600)
	opts := pipeline.Options{Zone: zone, Limits: ingest.DefaultLimits}

	batch, err := store.Open(filepath.Join(t.TempDir(), "batch"))
	if err != nil {
		t.Fatal(err)
	}
	defer batch.Close()
	loaded, err := pipeline.Load(context.Background(), []string{dir}, batch.NewWriter(), opts)
	if err != nil || len(loaded.Problems) > 0 {
		t.Fatal(err, loaded.Problems)
	}
	for _, s := range loaded.Sources {
		// A junk line in a log of multi-line records continues the record
		// before it; in the access log each is a record that does not parse.
		if filepath.Base(s.Path) == "access.log" && (s.Unparsed != 2 || len(s.Samples) != 2) {
			t.Fatalf("access.log: %d unparsed records, samples %q; want the 2 junk lines", s.Unparsed, s.Samples)
		}
	}

	followed, err := store.Open(filepath.Join(t.TempDir(), "follow"))
	if err != nil {
		t.Fatal(err)
	}
	defer followed.Close()
	files, err := pipeline.LiveFiles([]string{dir}, opts)
	if err != nil || len(files) != 5 {
		t.Fatalf("%v %v", files, err)
	}
	s := newStepper()
	d := daemon.New(followed, daemon.Config{Files: files, Zone: zone, Limits: ingest.DefaultLimits, FromStart: true,
		Ticks: make(chan time.Time), Waker: s.waker, OnCommit: func(p string) { s.commits <- p }})
	stop := run(t, d)
	// Multi-line records are handed on after quiet rounds: wake the
	// followers until each has committed what the batch load read.
	want := map[string]int64{}
	for _, s := range loaded.Sources {
		want[s.Path] = s.Records
	}
	for round := 0; ; round++ {
		var behind []string
		got, err := followed.Sources()
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]int64{}
		for _, s := range got {
			have[s.Path] = s.Records
		}
		for p, n := range want {
			if have[p] < n {
				behind = append(behind, p)
			}
		}
		if len(behind) == 0 {
			break
		}
		if round == 20 {
			t.Fatalf("after %d rounds the followers have not read %v: %v of %v", round, behind, have, want)
		}
		s.await(t, behind...)
	}
	stop()

	a, b := dump(t, batch), dump(t, followed)
	if !reflect.DeepEqual(a.seconds, b.seconds) {
		t.Errorf("rollups differ: batch %d seconds, follow %d", len(a.seconds), len(b.seconds))
	}
	if len(a.events) != len(b.events) {
		t.Errorf("batch kept %d events, follow %d", len(a.events), len(b.events))
	}
	for i := range min(len(a.events), len(b.events)) {
		if !reflect.DeepEqual(a.events[i], b.events[i]) {
			t.Errorf("event %d differs:\nbatch  %s\nfollow %s", i, a.events[i].AppendJSON(nil), b.events[i].AppendJSON(nil))
			break
		}
	}
	if !reflect.DeepEqual(a.gaps, b.gaps) {
		t.Errorf("gaps differ: %+v\n%+v", a.gaps, b.gaps)
	}
	if !reflect.DeepEqual(a.sources, b.sources) {
		t.Errorf("sources differ:\nbatch  %+v\nfollow %+v", a.sources, b.sources)
	}
	if len(a.events) == 0 || len(a.seconds) == 0 {
		t.Errorf("nothing to compare: %d events, %d seconds", len(a.events), len(a.seconds))
	}
}

// contents is what a store holds, positions left out.
type contents struct {
	seconds []timeline.Second
	events  []*patterns.Event
	gaps    []timeline.Gap
	sources []timeline.Source
}

func dump(t *testing.T, st *store.Store) contents {
	t.Helper()
	var c contents
	first, last, ok, err := st.Range()
	if err != nil || !ok {
		t.Fatalf("empty store: %v", err)
	}
	from, to := first.Add(-time.Hour), last.Add(time.Hour)
	if c.seconds, err = st.Seconds(from, to); err != nil {
		t.Fatal(err)
	}
	if err = st.Events(from, to, func(ev *patterns.Event) error { c.events = append(c.events, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	if c.gaps, err = st.Gaps(from, to); err != nil {
		t.Fatal(err)
	}
	if c.sources, err = st.Sources(); err != nil {
		t.Fatal(err)
	}
	return c
}
