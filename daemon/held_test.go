package daemon_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/internal/testarchive"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
	"github.com/logcause/logcause/timeline"
)

// numberedLines are access-log lines from..to-1 (one a second; every
// seventh a 502, kept in full by the store).
func numberedLines(from, to int) string {
	var b strings.Builder
	t0 := time.Date(2026, 11, 23, 14, 0, 0, 0, time.FixedZone("", 3600))
	for i := from; i < to; i++ {
		status := 200
		if i%7 == 0 {
			status = 502
		}
		fmt.Fprintf(&b, "127.0.0.1 - - [%s] \"GET /page.php?n=%d HTTP/1.1\" %d 150 \"-\" \"curl/7.88.1\"\n",
			t0.Add(time.Duration(i)*time.Second).Format("02/Jan/2006:15:04:05 -0700"), i, status)
	}
	return b.String()
}

// holds is what a store holds as analysis reads it: rollups, the events
// by time and text (the name of a file changes with rotation), and the
// records its sources add up to.
type holds struct {
	seconds []timeline.Second
	events  []string
	records int64
}

func holding(t *testing.T, st *store.Store) holds {
	t.Helper()
	c := dump(t, st)
	h := holds{seconds: c.seconds}
	for _, ev := range c.events {
		h.events = append(h.events, ev.Time.String()+" "+ev.Text)
	}
	slices.Sort(h.events)
	for _, s := range c.sources {
		h.records += s.Records
	}
	return h
}

func (h holds) requests() (n int64) {
	for _, s := range h.seconds {
		n += s.Requests()
	}
	return n
}

// watchUntilCaughtUp runs a daemon on st over the live logs of dir, waking
// its followers until each has waited quiet rounds in a row without a
// commit (rotation and multi-line records wait for quiet rounds too):
// rounds, not the clock, say when it is done.
func watchUntilCaughtUp(t *testing.T, st *store.Store, dir string, fromStart bool) {
	t.Helper()
	files, err := pipeline.LiveFiles([]string{dir}, pipeline.Options{Limits: ingest.DefaultLimits})
	if err != nil {
		t.Fatal(err)
	}
	s := newStepper()
	d := daemon.New(st, daemon.Config{Files: files, Limits: ingest.DefaultLimits, FromStart: fromStart,
		Ticks: make(chan time.Time), Waker: s.waker, OnCommit: func(p string) { s.commits <- p }})
	stop := run(t, d)
	defer stop()
	quiet := map[string]int{}
	for _, f := range files {
		quiet[f.Path] = 0
	}
	for {
		select {
		case p := <-s.commits:
			quiet[p] = -1 // the wait that follows a commit is not a quiet one
		case p := <-s.waiting:
			quiet[p]++
			caught := true
			for _, n := range quiet {
				caught = caught && n >= 6
			}
			if caught {
				return
			}
			s.mu.Lock()
			s.wake[p] <- struct{}{}
			s.mu.Unlock()
		}
	}
}

func batchLoad(t *testing.T, st *store.Store, dir string) pipeline.Result {
	t.Helper()
	res, err := pipeline.Load(context.Background(), []string{dir}, st.NewWriter(), pipeline.Options{Limits: ingest.DefaultLimits})
	if err != nil || len(res.Problems) > 0 {
		t.Fatal(err, res.Problems)
	}
	return res
}

// TestBatchAndWatchTakeTurnsWithoutCountingTwice: analyze --store and
// watch on one store, in turns, over logs that grow and rotate (renamed,
// then gzipped), hold every line once: each starts where the other left
// the files it read from their start.
func TestBatchAndWatchTakeTurnsWithoutCountingTwice(t *testing.T) {
	for _, fromStart := range []bool{false, true} {
		t.Run(fmt.Sprintf("from-start=%v", fromStart), func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "access.log")
			st, err := store.Open(filepath.Join(t.TempDir(), "store"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()

			appendTo(t, log, numberedLines(0, 100))
			batchLoad(t, st, dir)
			appendTo(t, log, numberedLines(100, 150)) // between the batch and watch: read by watch
			watchUntilCaughtUp(t, st, dir, fromStart)
			if got := holding(t, st).requests(); got != 150 {
				t.Fatalf("after analyze then watch: %d requests, want 150", got)
			}

			// Watch again after lines were written and the log rotated
			// (renamed): it reads them in the rotated file, then the new one.
			appendTo(t, log, numberedLines(150, 170))
			os.Rename(log, log+".1")
			appendTo(t, log, numberedLines(170, 200))
			watchUntilCaughtUp(t, st, dir, fromStart)
			if got := holding(t, st).requests(); got != 200 {
				t.Fatalf("after the rotation: %d requests, want 200", got)
			}

			// The rotated file is gzipped; a batch load reads only the new lines.
			old, _ := os.ReadFile(log + ".1")
			os.WriteFile(log+".2.gz", testarchive.Gzip(t, old), 0o644)
			os.Remove(log + ".1")
			appendTo(t, log, numberedLines(200, 230))
			if res := batchLoad(t, st, dir); res.Records != 30 {
				t.Errorf("analyze after watch read %d records, want the 30 new ones", res.Records)
			}

			// Watch resumes where the batch load left the live file, not
			// where it stopped itself.
			appendTo(t, log, numberedLines(230, 250))
			watchUntilCaughtUp(t, st, dir, fromStart)

			got := holding(t, st)
			fresh, err := store.Open(filepath.Join(t.TempDir(), "fresh"))
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close()
			batchLoad(t, fresh, dir)
			want := holding(t, fresh)
			if got.requests() != 250 || want.requests() != 250 || !reflect.DeepEqual(got.seconds, want.seconds) || !reflect.DeepEqual(got.events, want.events) || got.records != want.records {
				t.Errorf("the store holds %d requests, %d events, %d records; one load of the logs: %d, %d, %d",
					got.requests(), len(got.events), got.records, want.requests(), len(want.events), want.records)
			}
		})
	}
}
