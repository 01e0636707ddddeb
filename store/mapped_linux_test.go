package store

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// TestReleaserGivesBackMappedPages: the files a store wrote and read back
// (its value log, its tables) stay mapped, resident; one tick of the
// releaser gives their pages back, and the store still reads every event.
func TestReleaserGivesBackMappedPages(t *testing.T) {
	dir := t.TempDir()
	s, err := openWith(dir, scratchOptions(dir)) // no releaser of OpenTemp's: this test ticks its own
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 100_000
	w := s.NewWriter()
	for i := range n { // ~60 MB of texts that do not compress away
		text := fmt.Sprintf("%d %x %x %x", i, i*7919, i*104729, uint64(i)*0x9e3779b97f4a7c15) + strings.Repeat(fmt.Sprintf(" %x", uint64(i+1)*0x9e3779b97f4a7c15), 36)
		if err := w.Event(&patterns.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Kind: patterns.KindNginxError, Path: "error.log",
			Offset: int64(i), Text: text, Error: &patterns.NginxError{Level: "error"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	read := func() {
		t.Helper()
		count := 0
		if err := s.Events(t0, t0.Add(n*time.Millisecond), func(*patterns.Event) error { count++; return nil }); err != nil || count != n {
			t.Fatalf("read %d events (%v), want %d", count, err, n)
		}
	}
	read()
	before := mappedRSS(t, dir)
	if before < 16<<20 {
		t.Fatalf("%d bytes of the store's files resident after reading them: want what it read", before)
	}
	tick := make(chan time.Time)
	r := startReleasing(dir, tick)
	tick <- time.Now()
	r.Stop()
	after := mappedRSS(t, dir)
	t.Logf("the store's files resident: %d bytes before the release, %d after", before, after)
	if after > before/10 {
		t.Errorf("%d bytes of the store's files resident after a release, %d before: want them given back", after, before)
	}
	read()
}

// mappedRSS is the resident size of dir's Badger files mapped into this
// process (/proc/self/smaps).
func mappedRSS(t *testing.T, dir string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var total int64
	table := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) > 0 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			table = len(fields) >= 6 && strings.HasPrefix(fields[5], dir+"/") && badgerFile(fields[5])
		case table && len(fields) == 3 && fields[0] == "Rss:":
			var kb int64
			fmt.Sscan(fields[1], &kb)
			total += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

// TestQuietStoreGivesBackWhatItWrote: a daemon's store (OpenQuiet) writes
// its memtables out as tables and compacts them on Commit, and the pages
// of the tables written and read stay mapped, resident: a daemon that read
// an outage's backlog from the start held ~100 MB of them for good
// (docs/benchmarks.md, "The daemon catching up a backlog"). Once level 0
// changed, Commit gives them back; the store still reads every event.
func TestQuietStoreGivesBackWhatItWrote(t *testing.T) {
	s, dir := openSmallQuiet(t)
	n := fillQuiet(t, s)
	var tables int64
	for _, l := range s.db.Levels() {
		tables += l.Size
	}
	resident := mappedRSS(t, dir)
	t.Logf("the store's files resident after its commits: %d bytes; its tables: %d bytes", resident, tables)
	if tables < 16<<20 {
		t.Fatalf("the store's tables hold %d bytes: the test needs more than its memtables", tables)
	}
	// What was written since level 0 last changed stays: the memtables'
	// logs, and a table written out since the last commit.
	if limit := int64(8 << 20); resident > limit {
		t.Errorf("%d bytes of the store's files resident after its commits, %d in its tables: want at most %d", resident, tables, limit)
	}
	if got := countEvents(t, s); got != n {
		t.Errorf("read %d events, want %d", got, n)
	}
}

// TestQuietStoreGivesBackWhatItRead: reads through Reading (the daemon's
// explanations) leave no more of the store's files resident than its
// commits did; plain reads leave what they read.
func TestQuietStoreGivesBackWhatItRead(t *testing.T) {
	s, dir := openSmallQuiet(t)
	n := fillQuiet(t, s)
	if got := countEvents(t, s); got != n {
		t.Fatalf("read %d events, want %d", got, n)
	}
	plain := mappedRSS(t, dir)
	if err := pageOut(dir); err != nil {
		t.Fatal(err)
	}
	var got int
	if err := s.Reading(func() error { got = countEvents(t, s); return nil }); err != nil || got != n {
		t.Fatalf("read %d events (%v), want %d", got, err, n)
	}
	released := mappedRSS(t, dir)
	t.Logf("the store's files resident after a plain read: %d bytes; after a read through Reading: %d", plain, released)
	if plain < 16<<20 {
		t.Fatalf("a plain read left %d bytes resident: the test needs a read of more", plain)
	}
	if limit := int64(8 << 20); released > limit {
		t.Errorf("%d bytes of the store's files resident after a read through Reading: want at most %d", released, limit)
	}
}

// fillQuiet commits ~40 MB of events to s (texts that compress to half),
// and returns how many.
func fillQuiet(t *testing.T, s *Store) int {
	t.Helper()
	const commits, each = 400, 100
	for c := range commits {
		w := s.NewWriter()
		for j := range each {
			i := c*each + j
			var text strings.Builder
			for k := range 60 {
				fmt.Fprintf(&text, " %x", uint64(i*61+k+1)*0x9e3779b97f4a7c15)
			}
			if err := w.Event(&patterns.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Kind: patterns.KindNginxError, Path: "error.log",
				Offset: int64(i), Text: text.String(), Error: &patterns.NginxError{Level: "error"}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Commit(map[string][]byte{"error.log": fmt.Append(nil, c)}); err != nil {
			t.Fatal(err)
		}
	}
	return commits * each
}

// countEvents reads every event fillQuiet committed, and counts them.
func countEvents(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	if err := s.Events(t0, t0.Add(time.Hour), func(*patterns.Event) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}
