package store

import (
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// TestTempStoreKeepsLevelZero: a temporary store writes its tables
// uncompressed and takes them all at level 0, uncompacted, and reads them
// back merged in time order (written newest first here, so that every table spans the
// others' times).
func TestTempStoreKeepsLevelZero(t *testing.T) {
	s, err := OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 60_000 // ~48 MB of events: three 16 MiB memtables
	text := strings.Repeat("x", 800)
	for batch := range 6 {
		w := s.NewWriter()
		for i := range n / 6 {
			sec := n - 1 - (batch*n/6 + i)
			ev := &patterns.Event{Time: t0.Add(time.Duration(sec) * time.Second), Kind: patterns.KindNginxError, Path: "error.log",
				Offset: int64(sec), Text: text, Error: &patterns.NginxError{Level: "error"}}
			if err := w.Event(ev); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	var prev int64 = -1
	count := 0
	err = s.Events(t0, t0.Add(n*time.Second), func(ev *patterns.Event) error {
		if ev.Offset <= prev {
			t.Fatalf("event at offset %d after %d", ev.Offset, prev)
		}
		prev = ev.Offset
		count++
		return nil
	})
	if err != nil || count != n {
		t.Fatalf("read %d events (%v), want %d", count, err, n)
	}
	var size int64
	for _, l := range s.db.Levels() {
		size += l.Size
		if l.Level > 0 && l.NumTables > 0 {
			t.Errorf("level %d holds %d tables: a temporary store should not compact", l.Level, l.NumTables)
		}
	}
	if size < 16<<20 { // at least one memtable's worth flushed, as it was: 800 x's compress to nothing
		t.Errorf("the tables hold %d bytes: a temporary store should not compress", size)
	}
}
