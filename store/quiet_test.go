package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// A quiet store runs no compaction workers, yet sustained writes never
// stall: Commit compacts level 0 before it fills. With 1 MiB memtables,
// 16 MB of events make ~16 level-0 tables, twice the stall threshold.
func TestQuietStoreCompactsOnCommit(t *testing.T) {
	dir := t.TempDir()
	s, err := openWith(dir, badgerOptions(dir).WithNumCompactors(0).WithMemTableSize(1<<20).WithValueThreshold(1<<10))
	if err != nil {
		t.Fatal(err)
	}
	s.quiet = true
	defer s.Close()
	done := make(chan error, 1)
	go func() {
		t0 := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
		text := strings.Repeat("x", 900)
		for c := range 160 {
			w := s.NewWriter()
			for i := range 100 {
				n := c*100 + i
				w.Event(&patterns.Event{Time: t0.Add(time.Duration(n) * time.Millisecond), Kind: patterns.KindNginxError, Path: "error.log",
					Offset: int64(n), Text: text, Error: &patterns.NginxError{Message: fmt.Sprint(n)}})
			}
			if err := w.Commit(map[string][]byte{"error.log": fmt.Append(nil, c)}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute): // a bound, not a pace: a stalled store never returns
		t.Fatal("writes stalled: level 0 filled with no compaction")
	}
	for _, l := range s.db.Levels() {
		if l.Level == 0 && l.NumTables > badgerOptions(dir).NumLevelZeroTablesStall {
			t.Errorf("level 0 holds %d tables", l.NumTables)
		}
	}
	n := 0
	if err := s.Events(time.Time{}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), func(*patterns.Event) error { n++; return nil }); err != nil || n != 16000 {
		t.Errorf("%d events read back (%v), want 16000", n, err)
	}
}

// What a daemon's store takes in one transaction: a Writer that Due says
// is not full yet, and then one more unit of what its callers hand at
// once before they ask Due again — a fleet message of records (up to 256
// KiB of them, and the record that crossed the bound: ingest's MaxRecord,
// 256 KiB), or a follower's batch (as much). Records of a few KiB each (a
// slow log's long statements) fill Due with little overhead: at Due's
// 768 KiB of the other stores, the transaction held ~1.3 MiB of values,
// more than Badger takes with 8 MiB memtables (ErrBatchTooBig, at every
// delivery of the same messages: the fleet's consumer stuck).
func TestQuietStoreTakesWhatDueLetsIn(t *testing.T) {
	s, err := OpenQuiet(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	w := s.NewWriter()
	n := 0
	add := func(size int) {
		t.Helper()
		ev := &patterns.Event{Time: t0.Add(time.Duration(n) * time.Millisecond), Kind: patterns.KindNginxError, Path: "web1:error.log",
			Offset: int64(n), Text: strings.Repeat("x", size), Error: &patterns.NginxError{Message: fmt.Sprint(n)}}
		if err := w.Event(ev); err != nil {
			t.Fatal(err)
		}
		n++
	}
	for {
		add(20 << 10)
		if w.Due() {
			t.Fatal("the test's events overshot Due")
		}
		if w.evBytes+(20<<10)+256 >= w.dueAt() { // one more would make it due
			break
		}
	}
	for range 12 { // a message of records: ~250 KiB
		add(20 << 10)
	}
	add(256 << 10) // and the record that crossed its bound
	if err := w.Commit(map[string][]byte{"fleet/stream": []byte("1")}); err != nil {
		t.Fatalf("a Writer not due, and one more message (%d events in all): %v", n, err)
	}
}
