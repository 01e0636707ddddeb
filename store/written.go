package store

import "sync"

// written records the rollups a temporary store may hold, so that a
// rollup written for the first time is set without reading the store
// first: in a store whose tables all stay at level 0 (scratchOptions), a
// Get of a key it does not hold consults every table, and an analysis of
// 14 daily logs spent a quarter of its CPU in such Gets. A rollup is
// marked before its transaction sets it, in that transaction (addSecond,
// addSlowMinute): whatever a store holds is marked before any
// transaction can read it, so a rollup unmarked is one no committed
// transaction wrote, and setting it whole is what a Get would have
// merged with nothing. A transaction that fails leaves its rollups marked:
// the next to write them reads the store first and finds nothing, a Get
// wasted, no count lost. Marked once committed instead, a rollup
// committed and not yet marked would be set whole by a transaction of
// another Writer begun in between, and what the first one wrote lost
// (TestTempStoreMarksBeforeItCommits). Persistent stores have none (nil):
// they may hold what an earlier process wrote, and read the store each
// time.
//
// It is safe for concurrent use: Writers of one store, and a Writer's
// write-behind goroutine, may write at once.
type written struct {
	mu      sync.Mutex
	seconds bitSet // request rollups, by Unix second
	minutes bitSet // slow-query rollups, by Unix minute (second ÷ 60)
}

// second marks the rollup of the Unix second sec, as its key holds it
// (clamped: keyTime of the key, for every second out of the key's range
// shares a key), and reports whether the store may hold it already:
// always for a nil written (a persistent store).
func (w *written) second(sec int64) bool {
	if w == nil {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seconds.testAndSet(sec)
}

// minute is second for the slow-query rollup of the minute that starts
// at the Unix second start, as its key holds it; the seconds of one
// minute share a mark (a mark shared only costs a Get).
func (w *written) minute(start int64) bool {
	if w == nil {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.minutes.testAndSet(start / slowBucket)
}

// bitSet is a set of int64, a bitmap per chunk of chunkBits consecutive
// numbers, allocated when the chunk's first number is added: 520 bytes or
// so per chunk (its 512 and the map's share); for seconds, ~4 MB for a
// year of them, ~460 bytes per hour; for minutes, a chunk covers ~2.8
// days.
type bitSet map[int64]*[chunkBits / 64]uint64

const chunkBits = 1 << 12

// testAndSet adds n to the set, and reports whether it was in it.
func (b *bitSet) testAndSet(n int64) bool {
	if *b == nil {
		*b = bitSet{}
	}
	chunk := (*b)[n>>12] // floor division, negative numbers included
	if chunk == nil {
		chunk = new([chunkBits / 64]uint64)
		(*b)[n>>12] = chunk
	}
	i := n & (chunkBits - 1)
	word, bit := &chunk[i>>6], uint64(1)<<(i&63)
	had := *word&bit != 0
	*word |= bit
	return had
}
