package store

import (
	"fmt"
	"path/filepath"
	"strconv"
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

// PHP-FPM's traces are stored with their frames beside their text (a form
// of JSON fields): about twice their text. Due counts what they take, so
// that a quiet store's Writer not due yet, and one more fleet message of
// traces (256 KiB of their text), still fit one transaction.
func TestQuietStoreTakesTracesDueLetsIn(t *testing.T) {
	s, err := OpenQuiet(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	n := 0
	trace := func() *patterns.Event {
		n++
		return fpmTrace(t0.Add(time.Duration(n)*time.Millisecond), int64(n), 20)
	}
	one := trace()
	if v, err := encodeEvent(one); err != nil || len(v) < 2*len(one.Text) {
		t.Fatalf("a trace's value is %d bytes (%v): the test needs one twice its text", len(v), err)
	}
	w := s.NewWriter()
	add := func() int {
		t.Helper()
		ev := trace()
		if err := w.Event(ev); err != nil {
			t.Fatal(err)
		}
		return len(ev.Text) + 512 // as the fleet's Pump bounds a message
	}
	// Traces until one makes the Writer due: that one is the first of the
	// message Due was asked after.
	for !w.Due() {
		add()
	}
	for size := len(one.Text) + 512; size < 256<<10; size += add() {
	}
	if err := w.Commit(map[string][]byte{"fleet/stream": []byte("1")}); err != nil {
		t.Fatalf("%d traces: %v", n, err)
	}
}

// The largest batch a follower gives the daemon (ingest.FollowConfig's
// defaults: 256 KiB of record text, and the record that crosses it, up
// to ingest.DefaultLimits.MaxRecord, 256 KiB) is committed in one
// transaction with its position: PHP-FPM traces, stored at about twice
// their text, are the largest. A batch refused as too big would be refused
// again at every restart: the daemon stuck.
func TestQuietStoreTakesTheDaemonsLargestBatch(t *testing.T) {
	s, err := OpenQuiet(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	n := 0
	trace := func(frames int) *patterns.Event {
		n++
		return fpmTrace(t0.Add(time.Duration(n)*time.Second), int64(n), frames)
	}
	w := s.NewWriter()
	text := 0
	for text < 256<<10 { // the batch's bound
		ev := trace(20)
		text += len(ev.Text)
		if err := w.Event(ev); err != nil {
			t.Fatal(err)
		}
	}
	big := trace(1900) // and the record that crossed it, at MaxRecord
	if len(big.Text) > 256<<10 || len(big.Text) < 200<<10 {
		t.Fatalf("the crossing trace is %d bytes: the test needs one near 256 KiB", len(big.Text))
	}
	if err := w.Event(big); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(map[string][]byte{"/var/log/php8.2-fpm-slow.log": []byte("position")}); err != nil {
		t.Fatalf("%d traces, %d bytes of text: %v", n, text+len(big.Text), err)
	}
}

// fpmTrace is a PHP-FPM slow-log trace of the given frames, at t, at
// offset off of its log.
func fpmTrace(t time.Time, off int64, frames int) *patterns.Event {
	var text strings.Builder
	fs := &patterns.FPMSlow{Pool: "www", PID: 1234, Script: "/var/www/shop/index.php"}
	text.WriteString("[24-Nov-2026 03:00:00]  [pool www] pid 1234\nscript_filename = /var/www/shop/index.php\n")
	for i := range frames {
		f := patterns.Frame{Function: fmt.Sprintf(`App\Service\Catalog\Repository->findAllBy%d`, i), File: fmt.Sprintf("/var/www/shop/vendor/app/src/Service/Catalog/Repository%d.php", i), Line: 100 + i}
		fs.Frames = append(fs.Frames, f)
		fmt.Fprintf(&text, "[0x00007f%010x] %s() %s:%d\n", i, f.Function, f.File, f.Line)
	}
	return &patterns.Event{Time: t, Kind: patterns.KindFPMSlow, Path: "/var/log/php8.2-fpm-slow.log", Offset: off, Text: text.String(), FPMSlow: fs}
}

// TestQuietStoreRewritesABacklogOnce: a daemon reading a backlog commits
// each log at its own instant — the error log's events of one hour, the
// access log's of another, their positions —, so that every level-0 table
// spans nearly all the store, and a compaction rewrites it. Compacting at
// every second table, a quiet store wrote each of its tables ~12 times
// over (a 1.1 GB backlog: ~700 tables written for 60, 323–346 MB of RSS
// in their builders, docs/benchmarks.md, "The daemon catching up a
// backlog"); at quietLevelZeroTables, a table is written out from its
// memtable, and compacted about once.
func TestQuietStoreRewritesABacklogOnce(t *testing.T) {
	s, dir := openSmallQuiet(t)
	t0 := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	const commits, each = 1000, 50
	for c := range commits {
		w := s.NewWriter()
		for j := range each {
			i := c*each + j
			for f, at := range []time.Time{t0, t0.Add(12 * time.Hour)} { // the two logs' instants
				var text strings.Builder
				for k := range 30 {
					fmt.Fprintf(&text, " %x", uint64(i*61+k+1+f<<40)*0x9e3779b97f4a7c15)
				}
				if err := w.Event(&patterns.Event{Time: at.Add(time.Duration(i) * time.Millisecond), Kind: patterns.KindNginxError, Path: fmt.Sprint("log", f),
					Offset: int64(i), Text: text.String(), Error: &patterns.NginxError{Level: "error"}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Commit(map[string][]byte{"log0": fmt.Append(nil, c), "log1": fmt.Append(nil, c)}); err != nil {
			t.Fatal(err)
		}
	}
	written, kept := tablesWritten(t, dir)
	t.Logf("%d tables written, %d kept", written, kept)
	if written > 3*kept { // 66 and 33 here; 240 and 20 compacting at every second table
		t.Errorf("%d tables written for the %d kept: want each written out and compacted about once", written, kept)
	}
	n := 0
	if err := s.Events(t0, t0.Add(13*time.Hour), func(*patterns.Event) error { n++; return nil }); err != nil || n != 2*commits*each {
		t.Errorf("read %d events (%v), want %d", n, err, 2*commits*each)
	}
}

// openSmallQuiet opens a quiet store in a new directory, with 1 MiB
// memtables: a few MB of commits write out and compact many tables. The
// test's end closes it.
func openSmallQuiet(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := openWith(dir, quietOptions(dir).WithMemTableSize(1<<20).WithValueThreshold(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	s.quiet = true
	t.Cleanup(func() { s.Close() })
	return s, dir
}

// tablesWritten reports how many tables a store in dir wrote since it was
// created (their numbers count up from 1), and how many it holds.
func tablesWritten(t *testing.T, dir string) (written, kept int) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		id, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(n), ".sst"))
		if err != nil {
			t.Fatal(err)
		}
		written = max(written, id)
	}
	return written, len(names)
}
