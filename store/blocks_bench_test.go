package store

import (
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// benchEvents is streamsInput's three files, the events in the order a
// load hands them (file by file, batch by batch), and their encoded size.
func benchEvents(b *testing.B) (files [][][]*patterns.Event, n int, size int64) {
	files, _ = streamsInput()
	for _, v := range encodedEvents(b, files) {
		n++
		size += int64(eventKeyLen + len(v))
	}
	return files, n, size
}

// encodedEvents is the values of files' events (encodeEvent), in order.
func encodedEvents(b *testing.B, files [][][]*patterns.Event) (vals [][]byte) {
	for _, batches := range files {
		for _, batch := range batches {
			for _, ev := range batch {
				v, err := encodeEvent(ev)
				if err != nil {
					b.Fatal(err)
				}
				vals = append(vals, v)
			}
		}
	}
	return vals
}

// BenchmarkTempStoreWrite: a temporary store's write path, every event
// into its file's blocks (a Writer a file, checkpoints written behind, as a
// batch load writes), from the Writer's Event to the blocks' file.
func BenchmarkTempStoreWrite(b *testing.B) {
	files, _, size := benchEvents(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		s, err := OpenTemp()
		if err != nil {
			b.Fatal(err)
		}
		for _, batches := range files {
			w := s.NewWriter()
			stop := w.WriteBehind()
			for j, batch := range batches {
				for _, ev := range batch {
					if err := w.Event(ev); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Checkpoint(timeline.Source{}, batch[0].Path, []byte{byte(j)}); err != nil {
					b.Fatal(err)
				}
			}
			if err := stop(); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTempStoreRead: a temporary store's read path, as analysis
// reads an incident's window: every event of three files' streams merged
// in key order, lent (EventsBare): on the reader's goroutine (InPlace) and
// decoded on one of their own (Ahead).
func BenchmarkTempStoreRead(b *testing.B) {
	files, n, size := benchEvents(b)
	s, err := OpenTemp()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, batches := range files {
		w := s.NewWriter()
		for _, batch := range batches {
			for _, ev := range batch {
				if err := w.Event(ev); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	}
	bare := func(*patterns.Event) bool { return true }
	for _, c := range []struct {
		name string
		read func(from, to time.Time, bare func(*patterns.Event) bool, fn func(*patterns.Event) error) error
	}{{"InPlace", s.lendInPlace}, {"Ahead", s.lendAhead}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				got := 0
				if err := c.read(t0, t0.Add(time.Hour), bare, func(*patterns.Event) error { got++; return nil }); err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("read %d events of %d", got, n)
				}
			}
		})
	}
}
