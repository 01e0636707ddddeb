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
