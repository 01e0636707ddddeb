package store

import (
	"hash/crc32"
	"slices"

	"github.com/klauspost/compress/s2"
)

// A block's entries are written in frames, each compressed on its own
// (s2's block format: no stream header, no history shared with the frame
// before): an outage day's 277 MB of blocks took ~63 MB of the file,
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
// On the writing goroutine, though it is a load's serial step: the same
// compression shared with a goroutine per write on the other core, each
// taking the next frame not taken, cost more CPU and wall time on the
// outage day (docs/benchmarks.md, "The temporary store's blocks
// compressed").
func (s *blocks) pack(raw []byte, spans []span) (z []byte, ends []int, sums []uint32) {
	z = s.z[:0]
	ends, sums = make([]int, len(spans)), make([]uint32, len(spans))
	for j, sp := range spans {
		at := len(z)
		z = slices.Grow(z, s2.MaxEncodedLen(sp.hi-sp.lo))
		out := s2.Encode(z[at:cap(z)], raw[sp.lo:sp.hi]) // into z: it has room for the most it may take
		z = z[:at+len(out)]
		ends[j], sums[j] = len(z), crc32.Checksum(out, s.crc)
	}
	s.z = z
	return z, ends, sums
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
