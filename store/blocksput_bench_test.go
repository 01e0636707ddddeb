package store

import (
	"errors"
	"testing"
)

// BenchmarkBlocksPut: one write of a temporary store's blocks, as its
// writing goroutine does it (blocks.put and its commit): streamsInput's
// three files, ~17,800 events, ~3 MB of block bodies, about a load's
// batch. Each write goes over the last one (the file's pages are warm:
// the kernel's cost of fresh pages is not measured here) into streams
// emptied, so that none of its events is late.
func BenchmarkBlocksPut(b *testing.B) {
	files, _ := streamsInput()
	s := openTemp(b)
	var e blockEntries
	var size int64
	for _, batches := range files {
		for _, batch := range batches {
			for _, ev := range batch {
				v, err := appendBlockBody(nil, ev)
				if err != nil {
					b.Fatal(err)
				}
				k := eventKey(ev)
				e.add(k, v, ev)
				size += int64(len(k) + len(v))
			}
		}
	}
	set := func(k, v []byte) error { return errors.New("an event late for its stream: none expected") }
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		s.blocks.mu.Lock()
		s.blocks.size = 0
		clear(s.blocks.streams)
		commit, err := s.blocks.put(&e, set)
		s.blocks.mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
		commit(s.db)
	}
}
