package store

import (
	"hash/crc32"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/s2"
)

// A block's entries are written in frames, each compressed on its own
// (s2's block format: no stream header, no history shared with the frame
// before): an outage day's 277 MB of blocks took ~53 MB of the file,
// and as many bytes of the kernel's page cache — the RAM of a TMPDIR on
// tmpfs — and of its copies in and out (pwrite, pread).
//
// A frame holds whole entries, up to blocks.window bytes of them, or one
// entry larger, alone; its first entry's key shares nothing with the key
// before it. A cursor reads and decodes a frame at a time: it holds no
// more of its block than a window of it, as when blocks were not
// compressed (cursorWindow), and the frame as read from the file, which
// it needs only while decoding it, is in a buffer that all the cursors of
// a scan share.
//
// Where a block's frames end in the file, how many bytes each decodes to
// and its CRC-32C are in the index (blockRef.frames, 12 bytes a frame): a
// damaged frame, its bytes or its length, is told apart from a good one
// before it is decoded (errCorruptBlock), whatever s2 would make of it.

// frame is one of a block's frames, as the index knows it.
type frame struct {
	end uint32 // where it ends in the file, from its block's offset
	raw uint32 // the bytes of its entries, decoded
	sum uint32 // CRC-32C of its bytes in the file
}

// span is a frame's entries in a write's buffer, [lo, hi).
type span struct{ lo, hi int }

// pack compresses each frame of raw (spans, in order) on its own, and
// returns them one after the other (s.z, kept for the next write), and
// each one's end in it and its checksum.
//
// The frames are independent: the caller's goroutine and up to
// GOMAXPROCS-1 others compress them, each taking the next frame not taken
// until none is left, so that the writing goroutine — a load's serial
// step, which the parse waits for — does not do it all when a core is
// free, and does not wait for a goroutine that has none. Each frame is
// compressed into a place of its own in s.z, as large as the frame may
// compress to (s2.MaxEncodedLen), and moved down to follow the one before
// once all are done. The goroutines have ended when pack returns.
func (s *blocks) pack(raw []byte, spans []span) (z []byte, ends []int, sums []uint32) {
	n := len(spans)
	at := make([]int, n+1) // frame j's place in z: [at[j], at[j+1])
	for j, sp := range spans {
		at[j+1] = at[j] + s2.MaxEncodedLen(sp.hi-sp.lo)
	}
	z = slices.Grow(s.z[:0], at[n])[:at[n]]
	size := make([]int, n)
	sums = make([]uint32, n)
	var next atomic.Int64
	work := func() {
		for {
			j := int(next.Add(1) - 1)
			if j >= n {
				return
			}
			out := s2.Encode(z[at[j]:at[j+1]:at[j+1]], raw[spans[j].lo:spans[j].hi])
			size[j], sums[j] = len(out), crc32.Checksum(out, s.crc)
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	// Each frame's end written over where its place ended, once read.
	used, from := 0, 0
	for j := range n {
		lo := from
		from = at[j+1]
		used += copy(z[used:], z[lo:lo+size[j]])
		at[j+1] = used
	}
	s.z = z
	return z[:used], at[1:], sums
}

// unpack decodes the frame fr, read from the file as z, into buf, grown
// to its size: errCorruptBlock when z is not what was written.
func (s *blocks) unpack(z []byte, fr frame, buf []byte) ([]byte, error) {
	if crc32.Checksum(z, s.crc) != fr.sum {
		return buf, errCorruptBlock
	}
	if n, err := s2.DecodedLen(z); err != nil || n != int(fr.raw) {
		return buf, errCorruptBlock
	}
	buf = slices.Grow(buf[:0], int(fr.raw))[:fr.raw]
	if _, err := s2.Decode(buf, z); err != nil {
		return buf, errCorruptBlock
	}
	return buf, nil
}
