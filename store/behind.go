package store

import (
	"sync"
)

// behind writes a Writer's checkpoints on a goroutine of its own (see
// Writer.WriteBehind): one batch written, one waiting, at most.
type behind struct {
	todo chan *Writer
	done chan struct{}
	free chan []byte // the encode buffers of the batches written, for the next (Writer.appendEncoded)
	mu   sync.Mutex
	err  error // the first write that failed; nothing after it is written
}

// freeChunks is how many written batches' encode buffers behind keeps for
// the next: about one batch's (Due: 3 MiB of a temporary store's events).
const freeChunks = 96

// chunk returns an empty buffer of encodeChunk bytes: one a batch written
// gave back, else a new one.
func (b *behind) chunk() []byte {
	select {
	case c := <-b.free:
		return c[:0]
	default:
		return make([]byte, 0, encodeChunk)
	}
}

// giveBack keeps the buffers of a batch written for the next batches, as
// many as free has room for: nothing refers to their bytes any more
// (Badger copied what it keeps, the blocks were written).
func (b *behind) giveBack(chunks [][]byte) {
	for _, c := range chunks {
		select {
		case b.free <- c:
		default:
			return
		}
	}
}

// WriteBehind makes Checkpoint hand what the Writer holds, its mark
// included, to a goroutine that writes it in one transaction while the
// caller goes on: the parsing of a batch load does not wait for the store.
// The checkpoints are written in order, each with the counts its mark
// covers, so a mark never claims records that are not written. A write
// that fails is returned by a later Checkpoint, by Flush or by stop, and
// nothing after it is written. At most two checkpoints wait to be
// written; a third Checkpoint waits. Flush and Commit first wait for the
// checkpoints handed. stop waits for them too, ends the goroutine and
// returns the first error; it may be called more than once.
func (w *Writer) WriteBehind() (stop func() error) {
	if w.bg != nil {
		return w.drain
	}
	b := &behind{todo: make(chan *Writer, 1), done: make(chan struct{}), free: make(chan []byte, freeChunks)}
	w.bg = b
	go func() {
		defer close(b.done)
		for batch := range b.todo {
			if b.failed() != nil {
				continue // written after a checkpoint that is not: dropped
			}
			chunks := batch.chunks
			if err := batch.write(noMore); err != nil {
				b.mu.Lock()
				b.err = err
				b.mu.Unlock()
				continue
			}
			b.giveBack(chunks)
		}
	}()
	return w.drain
}

func (b *behind) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// drain waits for the checkpoints handed to be written, ends the
// goroutine of WriteBehind, and returns the first error of their writes.
func (w *Writer) drain() error {
	b := w.bg
	if b == nil {
		return nil
	}
	close(b.todo)
	<-b.done
	w.bg, w.chunks = nil, nil // what w holds is written by w, its buffers not given back
	return b.err
}

// handOn passes what the Writer holds to the goroutine of WriteBehind,
// and empties the Writer.
func (w *Writer) handOn() error {
	if err := w.bg.failed(); err != nil {
		w.reset()
		w.chunks = nil
		return err
	}
	batch := &Writer{s: w.s, keys: w.keys, values: w.values, blocks: w.blocks, seconds: w.seconds, slow: w.slow, gaps: w.gaps, sources: w.sources, marks: w.marks, chunks: w.chunks}
	*w = Writer{s: w.s, bg: w.bg, byPath: w.byPath, seconds: make(map[int64]*rollup, len(w.seconds)),
		keys: make([][]byte, 0, cap(w.keys)), values: make([][]byte, 0, cap(w.values)),
		blocks: w.blocks.emptied()}
	w.bg.todo <- batch
	return nil
}
