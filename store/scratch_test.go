package store

import (
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// TestTempStoreKeepsLevelZero: a temporary store takes every table a
// batch writes at level 0, uncompacted, past the count where a store
// stalls writes until compaction (NumLevelZeroTablesStall), and reads them
// back merged in time order (written newest first here, so that every
// table spans the others' times).
func TestTempStoreKeepsLevelZero(t *testing.T) {
	s, err := OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Values small enough to stay in the tables (scratchValueThreshold):
	// ~130 MB of memtables, more 8 MiB tables than a store stalls at.
	const n = 800_000
	text := strings.Repeat("x", 60)
	const batches = 10
	for batch := range batches {
		w := s.NewWriter()
		for i := range n / batches {
			sec := n - 1 - (batch*n/batches + i)
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
	for _, l := range s.db.Levels() {
		if l.Level == 0 && l.NumTables <= badgerOptions("").NumLevelZeroTablesStall {
			t.Errorf("level 0 holds %d tables: a temporary store should take them all", l.NumTables)
		}
		if l.Level > 0 && l.NumTables > 0 {
			t.Errorf("level %d holds %d tables: a temporary store should not compact", l.Level, l.NumTables)
		}
	}
}
