package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// TestKeepPathsApart: the same record (instant, kind, offset, text) under
// two paths is one record for a host's store, two for a fleet's.
func TestKeepPathsApart(t *testing.T) {
	at := time.Date(2026, 12, 6, 4, 22, 7, 0, time.UTC)
	rec := func(path string) *patterns.Event {
		return &patterns.Event{Time: at, Kind: patterns.KindNginxError, Path: path, Offset: 42, Text: "connect() failed"}
	}
	for _, c := range []struct {
		apart bool
		want  int
	}{{false, 1}, {true, 2}} {
		s, err := Open(filepath.Join(t.TempDir(), "store"))
		if err != nil {
			t.Fatal(err)
		}
		w := s.NewWriter()
		if c.apart {
			w.KeepPathsApart()
		}
		w.Event(rec("web1:/var/log/nginx/error.log"))
		w.Event(rec("web2:/var/log/nginx/error.log"))
		if err := w.Commit(nil); err != nil {
			t.Fatal(err)
		}
		n := 0
		if err := s.Events(at, at.Add(time.Second), func(*patterns.Event) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n != c.want {
			t.Errorf("apart=%t: %d records, want %d", c.apart, n, c.want)
		}
		s.Close()
	}
}

// TestKeepPathsApartAfterACheckpointWrittenBehind: a Writer that writes
// its checkpoints behind keeps the records of different paths apart in
// every checkpoint, not only in the first.
func TestKeepPathsApartAfterACheckpointWrittenBehind(t *testing.T) {
	at := time.Date(2026, 12, 6, 4, 22, 7, 0, time.UTC)
	rec := func(path string, off int64) *patterns.Event {
		return &patterns.Event{Time: at, Kind: patterns.KindNginxError, Path: path, Offset: off, Text: "connect() failed"}
	}
	s := open(t)
	w := s.NewWriter()
	w.KeepPathsApart()
	stop := w.WriteBehind()
	for off := range int64(3) {
		w.Event(rec("web1:/var/log/nginx/error.log", off))
		w.Event(rec("web2:/var/log/nginx/error.log", off))
		if err := w.Checkpoint(timeline.Source{}, "k", []byte{byte(off)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := s.Events(at, at.Add(time.Second), func(*patterns.Event) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Errorf("%d records, want 6 (3 checkpoints of the same record under 2 paths)", n)
	}
}
