package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"go.uber.org/goleak"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestWriteBehindWritesCheckpointsInOrder: checkpoints handed to the
// goroutine are all written, in order, each with its counts and mark.
func TestWriteBehindWritesCheckpointsInOrder(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		w := s.NewWriter()
		stop := w.WriteBehind()
		for i := range 50 {
			w.Request(t0, 200, nil)
			w.Event(&patterns.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Kind: patterns.KindNginxError, Path: "e.log", Offset: int64(i), Text: "x", Error: &patterns.NginxError{}})
			if err := w.Checkpoint(timeline.Source{Path: "e.log", Records: int64(i + 1)}, "k", []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if err := stop(); err != nil {
			t.Fatalf("stop again: %v", err)
		}
		marks, sources, err := w.Held()
		if err != nil || len(marks["k"]) != 1 || marks["k"][0] != 49 || len(sources) != 1 || sources[0].Records != 50 {
			t.Fatalf("held %v %+v %v", marks, sources, err)
		}
		secs, _ := s.Seconds(t0, t0.Add(time.Second))
		n := 0
		if err := s.Events(t0, t0.Add(time.Second), func(*patterns.Event) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if len(secs) != 1 || secs[0].Requests() != 50 || n != 50 {
			t.Errorf("rollups %+v, %d events; want 50 of each", secs, n)
		}
	})
}

// TestWriteBehindEncodesIntoWrittenBuffers: a Writer written behind
// encodes a batch into the buffers of a batch written before it (the
// first batch's are taken again by the fourth: the third Checkpoint waits
// for the first to be written), and every event reads back as it was
// handed: no buffer is given back while its batch is still to be written.
func TestWriteBehindEncodesIntoWrittenBuffers(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		const batches, perBatch = 12, 120 // ~70 KB a batch: three buffers
		text := func(i int) string { return fmt.Sprintf("line %d %s", i, strings.Repeat(string(rune('a'+i%26)), 550)) }
		w := s.NewWriter()
		stop := w.WriteBehind()
		var first *byte
		reused := false
		for b := range batches {
			for j := range perBatch {
				i := b*perBatch + j
				if err := w.Event(&patterns.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Kind: patterns.KindNginxError, Path: "e.log",
					Offset: int64(i), Text: text(i), Error: &patterns.NginxError{Level: "error", Message: text(i)[:12]}}); err != nil {
					t.Fatal(err)
				}
			}
			switch {
			case b == 0:
				first = unsafe.SliceData(w.chunks[0])
			case b >= 3:
				for _, c := range w.chunks {
					reused = reused || unsafe.SliceData(c) == first
				}
			}
			if err := w.Checkpoint(timeline.Source{Path: "e.log"}, "k", []byte{byte(b)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if !reused {
			t.Error("no batch encoded into the first batch's buffers once it was written")
		}
		n := 0
		err := s.Events(t0, t0.Add(time.Hour), func(ev *patterns.Event) error {
			if want := text(int(ev.Offset)); ev.Text != want || ev.Error == nil || ev.Error.Message != want[:12] {
				t.Fatalf("event at %d reads %.40q, %+v; want %.40q", ev.Offset, ev.Text, ev.Error, want)
			}
			n++
			return nil
		})
		if err != nil || n != batches*perBatch {
			t.Errorf("%d events read back (%v), want %d", n, err, batches*perBatch)
		}
	})
}

// TestWriteBehindStopsAtAFailedCheckpoint: a checkpoint that cannot be
// written leaves no trace, nor does any handed after it; the error comes
// back by stop (and by Flush), and the marks written are those before it.
func TestWriteBehindStopsAtAFailedCheckpoint(t *testing.T) {
	for _, end := range []string{"stop", "flush"} {
		s := open(t)
		w := s.NewWriter()
		stop := w.WriteBehind()
		w.Request(t0, 200, nil)
		if err := w.Checkpoint(timeline.Source{Path: "e.log", Records: 1}, "k", []byte("1")); err != nil {
			t.Fatal(err)
		}
		for i := range 100000 { // far more than one transaction takes
			at := t0.Add(time.Duration(i) * time.Millisecond)
			w.Event(&patterns.Event{Time: at, Kind: patterns.KindNginxError, Path: "e.log", Offset: int64(i), Text: "connect() failed", Error: &patterns.NginxError{}})
			w.Request(at, 502, nil)
		}
		if err := w.Checkpoint(timeline.Source{Path: "e.log", Records: 100001}, "k", []byte("2")); err != nil {
			t.Fatalf("handed: %v", err)
		}
		w.Request(t0, 504, nil)
		_ = w.Checkpoint(timeline.Source{Path: "e.log", Records: 100002}, "k", []byte("3")) // the failure, or handed and dropped
		var err error
		if end == "flush" {
			err = w.Flush()
			if serr := stop(); serr != nil {
				t.Errorf("stop after Flush: %v", serr)
			}
		} else {
			err = stop()
		}
		if !errors.Is(err, ErrBatchTooBig) {
			t.Fatalf("%s: err = %v", end, err)
		}
		marks, sources, _ := w.Held()
		secs, _ := s.Seconds(t0, t0.Add(time.Hour))
		if string(marks["k"]) != "1" || sources[0].Records != 1 || len(secs) != 1 || secs[0].Count(502) != 0 || secs[0].Count(504) != 0 {
			t.Errorf("%s: a failed checkpoint or one after it left a trace: mark %q, sources %+v, rollups %+v", end, marks["k"], sources, secs)
		}
	}
}
