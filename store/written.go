package store

import "sync"

// written records the rollups a temporary store may hold, so that a
// rollup written for the first time is set without reading the store
// first: in a store whose tables all stay at level 0 (scratchOptions), a
// Get of a key it does not hold consults every table, and an analysis of
// 14 daily logs spent a quarter of its CPU in such Gets. A rollup is
// marked before its transaction sets it, in that transaction (addMinute,
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
	// minutes is held by a transaction that writes request rollups, from
	// its start to its commit (lockMinutes): the seconds of one minute
	// share a key, read, merged and set again, and two Writers' seconds
	// of one minute, written at once, would otherwise each set the minute
	// without the other's (Badger's transactions detect no conflicts:
	// DetectConflicts is off).
	minutes  sync.Mutex
	mu       sync.Mutex
	requests bitSet // request rollups, by Unix minute (second ÷ 60): a key holds a minute's seconds (minutes.go)
	slow     bitSet // slow-query rollups, by Unix minute
}

// requestMinute marks the request rollups of the minute that starts at
// the Unix second start, as its key holds it (of clamped seconds,
// clampSecond), and reports whether the store may hold them already:
// always for a nil written (a persistent store).
func (w *written) requestMinute(start int64) bool {
	if w == nil {
		return true
	}
	return w.mark(&w.requests, start/60)
}

// minute is requestMinute for the slow-query rollup of the minute that
// starts at start; the seconds of one minute share a mark (a mark shared
// only costs a Get).
func (w *written) minute(start int64) bool {
	if w == nil {
		return true
	}
	return w.mark(&w.slow, start/slowBucket)
}

// lockMinutes locks minutes, and returns its unlock; a nil written (a
// persistent store, a key per second) locks nothing.
func (w *written) lockMinutes() (unlock func()) {
	if w == nil {
		return func() {}
	}
	w.minutes.Lock()
	return w.minutes.Unlock
}

func (w *written) mark(set *bitSet, n int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return set.testAndSet(n)
}

// bitSet is a set of int64, a bitmap per chunk of chunkBits consecutive
// numbers, allocated when the chunk's first number is added: 520 bytes or
// so per chunk (its 512 and the map's share); for minutes, a chunk covers
// ~2.8 days, ~70 KB a year.
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
