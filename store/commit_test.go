package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

func TestCommitWritesEventsRollupsAndPositionsTogether(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		w := s.NewWriter()
		w.Request(t0, 200, nil)
		w.Request(t0, 502, nil)
		w.Event(&patterns.Event{Time: t0, Kind: patterns.KindNginxError, Path: "e.log", Offset: 7, Error: &patterns.NginxError{}})
		if err := w.Commit(map[string][]byte{"/var/log/nginx/access.log": []byte(`{"offset":123}`)}); err != nil {
			t.Fatal(err)
		}
		w.Request(t0, 502, nil)
		if err := w.Commit(map[string][]byte{"/var/log/nginx/access.log": []byte(`{"offset":456}`)}); err != nil {
			t.Fatal(err)
		}
		pos, err := s.Positions()
		if err != nil || string(pos["/var/log/nginx/access.log"]) != `{"offset":456}` {
			t.Fatalf("positions %q, %v", pos, err)
		}
		secs, _ := s.Seconds(t0, t0.Add(time.Second))
		if len(secs) != 1 || secs[0].Count(502) != 2 || secs[0].Count(200) != 1 {
			t.Errorf("rollups %+v", secs)
		}
		n := 0
		s.Events(t0, t0.Add(time.Second), func(*patterns.Event) error { n++; return nil })
		if n != 1 {
			t.Errorf("%d events", n)
		}
	})
}

// TestCommitIsAllOrNothing: a commit that fails leaves neither its rollups
// nor its position behind.
func TestCommitIsAllOrNothing(t *testing.T) {
	s := open(t)
	w := s.NewWriter()
	w.Request(t0, 200, nil)
	if err := w.Commit(map[string][]byte{"a": []byte("1")}); err != nil {
		t.Fatal(err)
	}
	// A batch far larger than a transaction takes (a few MiB of keys and small values).
	for i := range 100000 {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		w.Event(&patterns.Event{Time: at, Kind: patterns.KindNginxError, Path: "e.log",
			Offset: int64(i), Text: "connect() failed (111: Connection refused)", Error: &patterns.NginxError{}})
		w.Request(at, 502, nil)
	}
	err := w.Commit(map[string][]byte{"a": []byte("2")})
	if !errors.Is(err, ErrBatchTooBig) {
		t.Fatalf("err = %v", err)
	}
	pos, _ := s.Positions()
	secs, _ := s.Seconds(t0, t0.Add(time.Hour))
	if string(pos["a"]) != "1" || len(secs) != 1 || secs[0].Count(502) != 0 {
		t.Errorf("a failed commit left a trace: position %q, rollups %+v", pos["a"], secs)
	}
}

// Gaps commit with the positions they explain, come back in time order,
// and are dropped with their day.
func TestGapsCommitAndPrune(t *testing.T) {
	s := open(t)
	day := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	w := s.NewWriter()
	w.Gap(timeline.Gap{Time: day.Add(time.Hour), Path: "/var/log/nginx/error.log", Offset: 4096, Reason: "the saved position is in no file any more"})
	w.Gap(timeline.Gap{Time: day, Path: "/var/log/nginx/access.log", Offset: 10, Reason: "forced switch"})
	w.Gap(timeline.Gap{Time: day.Add(72 * time.Hour), Path: "/var/log/php8.2-fpm.log", Offset: 0, Reason: "truncated"})
	if err := w.Commit(map[string][]byte{"/var/log/nginx/error.log": []byte("pos")}); err != nil {
		t.Fatal(err)
	}
	gaps, err := s.Gaps(day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 2 || gaps[0].Path != "/var/log/nginx/access.log" || gaps[1].Offset != 4096 || !gaps[1].Time.Equal(day.Add(time.Hour)) {
		t.Fatalf("gaps = %+v", gaps)
	}
	if n, err := s.Prune(context.Background(), 2, day.Add(72*time.Hour)); err != nil || n != 1 {
		t.Fatalf("Prune: %d days, %v", n, err)
	}
	gaps, _ = s.Gaps(day, day.Add(100*time.Hour))
	if len(gaps) != 1 || gaps[0].Path != "/var/log/php8.2-fpm.log" {
		t.Errorf("after pruning: %+v", gaps)
	}
}

// TestCheckpointWritesCountsSourceAndMarkTogether: a batch load's
// checkpoint writes the counts, the file's source and its mark in one
// transaction, and Held gives back the last of each.
func TestCheckpointWritesCountsSourceAndMarkTogether(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		w := s.NewWriter()
		w.Request(t0, 502, nil)
		if err := w.Checkpoint(timeline.Source{Path: "access.log", Records: 1}, "k1", []byte("at 1")); err != nil {
			t.Fatal(err)
		}
		w.Request(t0, 200, nil)
		if err := w.Checkpoint(timeline.Source{Path: "access.log", Records: 2}, "k1", []byte("at 2")); err != nil {
			t.Fatal(err)
		}
		marks, sources, err := w.Held()
		if err != nil || len(marks) != 1 || string(marks["k1"]) != "at 2" || len(sources) != 1 || sources[0].Records != 2 {
			t.Fatalf("held %q %+v %v", marks, sources, err)
		}
		if secs, _ := s.Seconds(t0, t0.Add(time.Second)); len(secs) != 1 || secs[0].Requests() != 2 {
			t.Errorf("rollups %+v", secs)
		}
	})
}

// TestCheckpointIsAllOrNothing: a checkpoint that cannot be written leaves
// neither its counts nor its mark, and the Writer drops them: they are
// read again from the last mark.
func TestCheckpointIsAllOrNothing(t *testing.T) {
	s := open(t)
	w := s.NewWriter()
	w.Request(t0, 200, nil)
	if err := w.Checkpoint(timeline.Source{Path: "e.log", Records: 1}, "k", []byte("1")); err != nil {
		t.Fatal(err)
	}
	for i := range 100000 { // far more than Due allows
		at := t0.Add(time.Duration(i) * time.Millisecond)
		w.Event(&patterns.Event{Time: at, Kind: patterns.KindNginxError, Path: "e.log", Offset: int64(i), Text: "connect() failed", Error: &patterns.NginxError{}})
		w.Request(at, 502, nil)
	}
	if err := w.Checkpoint(timeline.Source{Path: "e.log", Records: 100001}, "k", []byte("2")); !errors.Is(err, ErrBatchTooBig) {
		t.Fatalf("err = %v", err)
	}
	marks, sources, _ := w.Held()
	secs, _ := s.Seconds(t0, t0.Add(time.Hour))
	if string(marks["k"]) != "1" || sources[0].Records != 1 || len(secs) != 1 || secs[0].Count(502) != 0 {
		t.Errorf("a failed checkpoint left a trace: mark %q, sources %+v, rollups %+v", marks["k"], sources, secs)
	}
	if w.Due() || len(w.keys) > 0 || len(w.seconds) > 0 {
		t.Errorf("the Writer still holds what the failed checkpoint counted")
	}
}

// TestDueBatchFitsATransaction: what a Writer holds when Due first says
// so fits one transaction, in the worst cases: seconds naming as many
// upstreams as a rollup keeps, with long addresses, over seconds the store
// holds already in the same shape; and events of the longest lines.
func TestDueBatchFitsATransaction(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		addr := func(sec, i int) []byte {
			return fmt.Appendf(nil, "unix:/run/php/php8.2-fpm-pool-number-%02d-of-site-%04d.sock", i, sec)
		}
		fill := s.NewWriter()
		for sec := range dueSeconds {
			for i := range maxUpstreams + 8 {
				fill.Request(t0.Add(time.Duration(sec)*time.Second), 500+i%5, addr(sec, i+100))
			}
		}
		if err := fill.Flush(); err != nil {
			t.Fatal(err)
		}
		w := s.NewWriter()
		n := 0
		for sec := 0; !w.Due(); sec++ {
			for i := range maxUpstreams + 8 {
				w.Request(t0.Add(time.Duration(sec)*time.Second), 200+i%7, addr(sec, i))
			}
			n++
		}
		if err := w.Checkpoint(timeline.Source{Path: "access.log"}, "a", []byte("x")); err != nil {
			t.Fatalf("%d seconds of %d upstreams: %v", n, maxUpstreams+8, err)
		}
		line := strings.Repeat("x", 64<<10)
		for i := 0; !w.Due(); i++ {
			w.Event(&patterns.Event{Time: t0, Kind: patterns.KindNginxError, Path: "e.log", Offset: int64(i) << 17, Text: line, Error: &patterns.NginxError{}})
		}
		if err := w.Checkpoint(timeline.Source{Path: "e.log"}, "e", []byte("x")); err != nil {
			t.Fatal(err)
		}
	})
}
