package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
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
