package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// Writer batches events and request counts until Flush, Checkpoint or
// Commit writes them; it never writes by itself, so that what it writes
// goes with the position it reaches. Due says when it holds enough. It is
// not safe for concurrent use.
type Writer struct {
	s       *Store
	keys    [][]byte     // the events' keys
	values  [][]byte     // and their values, encoded when handed: not on the writing goroutine
	blocks  blockEntries // a temporary store's events, for its blocks (blocks.go)
	buf     []byte       // where Event encodes keys and values (appendEncoded), one after the other
	chunks  [][]byte     // behind: the buffers of encodeChunk bytes buf was of, given back once written
	evBytes int
	seconds map[int64]*rollup
	slow    map[int64]slowRollup // by minute
	secSize int                  // the pending rollups' size, estimated
	gaps    []timeline.Gap
	sources []timeline.Source
	marks   map[string][]byte
	bg      *behind // nil: Checkpoint writes before it returns
	byPath  bool    // KeepPathsApart
}

// What a Writer holds before Due says to write it: well within one Badger
// transaction (15% of the 16 MiB memtable), rollups merged with what the
// store holds included; and bounded memory.
//
// A quiet store's memtables are 8 MiB (OpenQuiet): one transaction takes
// 1.2 MiB, its values counted whole (no value log below 1 MiB). Its callers
// add a unit at a time and ask Due after it: a fleet message of records,
// up to 256 KiB of them and the record that crossed that bound (up to
// ingest's MaxRecord, 256 KiB more). Due then says so at 512 KiB, so that
// what it let in and one more unit fit (TestQuietStoreTakesWhatDueLetsIn).
const (
	dueBytes      = 768 << 10
	quietDueBytes = 512 << 10
	dueSeconds    = 1024
)

// NewWriter returns a Writer that writes to s.
func (s *Store) NewWriter() *Writer {
	return &Writer{s: s, seconds: make(map[int64]*rollup)}
}

// KeepPathsApart makes the Writer key each event by its path too: records
// of different paths are kept apart even when their instant, kind, offset
// and text are equal. For a store of several hosts' records, each path
// naming its host (`logcause fleet`); a host's own store keys a record
// by what it is (eventKey), whatever the name it was read under.
func (w *Writer) KeepPathsApart() { w.byPath = true }

// appendKeyOf appends ev's key to b (appendEventKey); with byPath
// (KeepPathsApart), its hash is of its path and text, not of its text
// alone.
func appendKeyOf(b []byte, ev *patterns.Event, byPath bool) []byte {
	if !byPath {
		return appendEventKey(b, ev)
	}
	return appendEventKeyHash(b, ev, xxhash.Sum64String(ev.Path+"\x00"+ev.Text))
}

// Due reports whether the Writer holds enough to be written now, in one
// transaction (Checkpoint, Commit); more may not fit one.
func (w *Writer) Due() bool {
	return w.evBytes+w.secSize >= w.dueAt() || len(w.seconds)+len(w.slow) >= dueSeconds
}

// dueAt is the size at which Due says to write: dueBytes, or
// quietDueBytes in a quiet store.
func (w *Writer) dueAt() int {
	if w.s.quiet {
		return quietDueBytes
	}
	return dueBytes
}

// Request counts one access-log request of the given status at t,
// answered by upstream: $upstream_addr as logged (the last address of a
// list is the one that answered), or nil when the log has none.
func (w *Writer) Request(t time.Time, status int, upstream []byte) error {
	return w.Requests(t, status, upstream, 1)
}

// Requests counts n requests as Request counts one.
func (w *Writer) Requests(t time.Time, status int, upstream []byte, n int64) error {
	sec := t.Unix()
	r := w.seconds[sec]
	if r == nil {
		r = newRollup()
		w.seconds[sec] = r
		w.secSize += 64
	}
	keys := len(r.status) + len(r.up)
	r.add(status, upstream, n)
	if len(r.status)+len(r.up) != keys {
		w.secSize += 16 + len(upstream)
	}
	return nil
}

// Event stores ev in full, and counts a slow-log entry in its minute's
// slow-query rollup. The Writer encodes ev at once and keeps no reference
// to it — but for a slow-log entry of a temporary store (encodeLater),
// which it encodes as it writes its block, and keeps until then.
func (w *Writer) Event(ev *patterns.Event) error {
	if encodeLater(ev, w.s.blocks != nil) {
		w.take(ev, appendKeyOf(make([]byte, 0, eventKeyLen), ev, w.byPath), nil)
		return nil
	}
	k, v, err := w.appendEncoded(ev)
	if err != nil {
		return err
	}
	w.take(ev, k, v)
	return nil
}

// Keeps reports whether Event may keep an event of the kind, or any of
// its strings, past its return: a temporary store's slow-log entries
// (encodeLater). Every other event it encodes — copies — before Event
// returns, so that the caller may reuse its struct and the bytes of its
// text and fields (a batch load lends it its blocks' events).
func (w *Writer) Keeps(kind patterns.Kind) bool {
	return w.s.blocks != nil && kind == patterns.KindMySQLSlow
}

// encodeLater reports whether ev is encoded only as its block of a
// temporary store is written (blocks.go), on the writing goroutine: a
// slow-log entry, not a server's header, with none but its slow fields,
// whose form cannot fail to encode, and which the slow log's parse hands
// fresh (the Writer may keep it). Every other event is encoded when
// handed.
func encodeLater(ev *patterns.Event, blocks bool) bool {
	return blocks && ev.Kind == patterns.KindMySQLSlow && ev.Slow != nil && !ev.Slow.Restart &&
		(eventFields{ev.Access, ev.Error, ev.FPM, ev.FPMSlow, ev.Slow, ev.MySQL, ev.Syslog, ev.Apache, ev.HAProxy} == eventFields{Slow: ev.Slow})
}

// Preparer returns a function that does, for a batch of events, the part
// of Event's work that needs nothing of the Writer — their keys and
// encoding — and may run on another goroutine while the Writer is used.
// What it returns, called where the Writer is used, takes the batch as
// Event takes each of its events, in order, and returns the error Event
// would have.
func (w *Writer) Preparer() func([]*patterns.Event) (take func() error) {
	byPath, blocks := w.byPath, w.s.blocks != nil
	return func(evs []*patterns.Event) func() error {
		keys, values := make([][]byte, 0, len(evs)), make([][]byte, 0, len(evs))
		// The batch's keys and values in a few allocations, not two each.
		var arena, k, v []byte
		var err error
		for _, ev := range evs {
			if arena, k, v, err = encodeInto(arena, arenaBytes, ev, byPath, blocks, encodeLater(ev, blocks)); err != nil {
				break
			}
			keys, values = append(keys, k), append(values, v)
		}
		return func() error {
			for i, k := range keys {
				w.take(evs[i], k, values[i])
			}
			return err
		}
	}
}

// blockShare: an event of a temporary store's blocks counts for this
// fraction of its size in what Due weighs. One transaction takes nothing
// of it (but for the few out of order, a key each); the writer holds it
// (encoded, or a slow-log entry whole: ~0.8 KB) until its checkpoint is
// written, three checkpoints at most (WriteBehind): ~10 MB. A slow log's
// load checkpoints 3× less often, and so waits 3× less often for its
// classifying goroutine (Step.Settle).
const blockShare = 4

// arenaBytes is the size of the allocations Preparer encodes into.
const arenaBytes = 64 << 10

// take keeps ev, encoded as v (a temporary store's: its block body,
// appendBlockBody), under key k; v is nil for an event encoded when its
// block is written (encodeLater).
func (w *Writer) take(ev *patterns.Event, k, v []byte) {
	if ev.Kind == patterns.KindMySQLSlow && ev.Slow != nil && !ev.Slow.Restart {
		w.addSlow(ev, k)
	}
	if w.s.blocks != nil {
		w.blocks.add(k, v, ev)
		if v == nil {
			w.evBytes += (len(ev.Text) + 256) / blockShare
		} else {
			w.evBytes += (len(k) + len(v) + 64) / blockShare
		}
		return
	}
	// A value larger than its text (a form of JSON fields beside it:
	// PHP-FPM's traces, about twice their text) counts whole: what one
	// transaction takes is the values' size (Due).
	w.evBytes += max(len(ev.Text)+256, len(k)+len(v)+64)
	w.keys = append(w.keys, k)
	w.values = append(w.values, v)
}

// encodeChunk is the size of the buffers a Writer encodes its events
// into: the largest of Go's small allocations.
const encodeChunk = 32 << 10

// appendEncoded encodes ev's key and value into w.buf (encodeInto): the
// keys and values handed before keep the bytes they point to, and those
// are never written again until they are in the store (Flush).
//
// Written behind (WriteBehind), its buffers are those the writing
// goroutine gave back (behind.chunk) once their batch was written, as
// many as their events' bytes (~360 MB for the 1 GB outage day, each
// allocation zeroed and collected), recycled.
func (w *Writer) appendEncoded(ev *patterns.Event) (k, v []byte, err error) {
	if w.bg != nil {
		if need := eventKeyLen + encodedSize(ev); cap(w.buf)-len(w.buf) < need && need <= encodeChunk {
			w.buf = w.bg.chunk()
			w.chunks = append(w.chunks, w.buf)
		}
	}
	w.buf, k, v, err = encodeInto(w.buf, encodeChunk, ev, w.byPath, w.s.blocks != nil, false)
	return k, v, err
}

// encodeInto appends ev's key (appendKeyOf), and its value but for
// keyOnly — a temporary store's block body (appendBlockBody) when
// blocks —, to buf, or to a new buffer of at least chunk bytes when they
// may not fit what is left of buf: what was cut from buf before keeps its
// bytes. It returns the buffer to append to next, and the key and value,
// each with no room to grow into the other.
func encodeInto(buf []byte, chunk int, ev *patterns.Event, byPath, blocks, keyOnly bool) (next, k, v []byte, err error) {
	need := eventKeyLen
	if !keyOnly {
		need += encodedSize(ev)
	}
	if cap(buf)-len(buf) < need {
		buf = make([]byte, 0, max(chunk, need))
	}
	start := len(buf)
	b := appendKeyOf(buf, ev, byPath)
	mid := len(b)
	if keyOnly {
		return b, b[start:mid:mid], nil, nil
	}
	if blocks {
		b, err = appendBlockBody(b, ev)
	} else {
		b, err = appendEvent(b, ev)
	}
	if err != nil {
		return buf, nil, nil, err
	}
	return b, b[start:mid:mid], b[mid:len(b):len(b)], nil
}

// Flush writes what the Writer holds, in as many transactions as it
// takes: use Checkpoint when the counts must go with a position. It
// refuses, with an error wrapping ErrDiskFull, when the disk is nearly
// full.
func (w *Writer) Flush() error {
	if err := w.drain(); err != nil {
		w.reset()
		return err
	}
	if len(w.marks) > 0 {
		return w.write(noMore) // the marks go with their counts
	}
	if len(w.keys) == 0 && w.blocks.len() == 0 && len(w.seconds) == 0 && len(w.slow) == 0 && len(w.gaps) == 0 && len(w.sources) == 0 {
		return nil
	}
	if err := checkSpace(w.s.dir); err != nil {
		return fmt.Errorf("cannot write to the store: %w", err)
	}
	if err := w.flushEvents(); err != nil {
		return err
	}
	if err := w.flushSeconds(); err != nil {
		return fmt.Errorf("cannot write request counts to the store in %s: %w (is the disk full?)", w.s.dir, err)
	}
	if err := flushRollups(w.s, w.slow, w.s.addSlowMinute); err != nil {
		return fmt.Errorf("cannot write slow-query rollups to the store in %s: %w (is the disk full?)", w.s.dir, err)
	}
	w.secSize = 0
	// What w.buf held is in the store (Badger copied it: its memtable, its
	// value log), the slow rollups' worst entries' keys with it.
	w.buf = w.buf[:0]
	for _, src := range w.sources {
		if err := w.s.PutSource(src); err != nil {
			return err
		}
	}
	w.sources = w.sources[:0]
	return nil
}

// Source records (replaces) what is known of one source with what the
// Writer holds: Commit writes it with the positions its counts reach.
func (w *Writer) Source(src timeline.Source) {
	for i := range w.sources {
		if w.sources[i].Path == src.Path {
			w.sources[i] = src // the last word on a file is its whole story
			return
		}
	}
	w.sources = append(w.sources, src)
}

func (w *Writer) flushEvents() (err error) {
	if len(w.keys) == 0 && w.blocks.len() == 0 && len(w.gaps) == 0 {
		return nil
	}
	wb := w.s.db.NewWriteBatch()
	defer wb.Cancel()
	if w.blocks.len() > 0 {
		b := w.s.blocks
		b.mu.Lock()
		defer b.mu.Unlock()
		commit, err := b.put(&w.blocks, wb.Set)
		if err != nil {
			return fmt.Errorf("cannot write events to the store: %w", err)
		}
		defer func() {
			if err == nil {
				commit(w.s.db)
			}
		}()
	}
	for _, g := range w.gaps {
		v, err := json.Marshal(g)
		if err != nil {
			return fmt.Errorf("cannot encode a gap of %s: %w", g.Path, err)
		}
		if err := wb.Set(gapKey(g), v); err != nil {
			return fmt.Errorf("cannot write gaps to the store: %w", err)
		}
	}
	for i, k := range w.keys {
		if err := wb.Set(k, w.values[i]); err != nil {
			return fmt.Errorf("cannot write events to the store: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("cannot write events to the store in %s: %w (is the disk full?)", w.s.dir, err)
	}
	clear(w.keys)
	clear(w.values)
	w.blocks.reset()
	w.keys, w.values, w.evBytes, w.gaps = w.keys[:0], w.values[:0], 0, w.gaps[:0]
	return nil
}

// flushRollups merges the pending rollups of m, by the second or the
// minute each key holds, into the stored ones, in as many transactions as
// Badger needs; what is written leaves m.
func flushRollups[V any](s *Store, m map[int64]V, add func(*badger.Txn, int64, V) error) error {
	secs := make([]int64, 0, len(m))
	for sec := range m {
		secs = append(secs, sec)
	}
	slices.Sort(secs)
	for len(secs) > 0 {
		done := 0
		err := s.db.Update(func(txn *badger.Txn) error {
			for _, sec := range secs {
				if err := add(txn, sec, m[sec]); err != nil {
					if errors.Is(err, badger.ErrTxnTooBig) && done > 0 {
						return nil // commit what fits; the rest goes in the next transaction
					}
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, sec := range secs[:done] {
			delete(m, sec)
		}
		secs = secs[done:]
	}
	return nil
}

// flushSeconds writes the pending request rollups (flushRollups): a
// temporary store's by the minute (minutes.go), a key each; what is not
// written stays pending.
func (w *Writer) flushSeconds() error {
	if w.s.written == nil { // a store that lives: a key per second
		return flushRollups(w.s, w.seconds, addSecond)
	}
	minutes := byMinute(w.seconds)
	unlock := w.s.written.lockMinutes()
	err := flushRollups(w.s, minutes, w.s.addMinute)
	unlock()
	clear(w.seconds)
	for start, m := range minutes {
		m.secondsInto(start, w.seconds)
	}
	return err
}

// addSeconds adds the pending request rollups to the stored ones, in txn:
// in a temporary store by the minute (addMinute), in the others by the
// second (addSecond).
func (s *Store) addSeconds(txn *badger.Txn, seconds map[int64]*rollup) error {
	if s.written == nil {
		for sec, counts := range seconds {
			if err := addSecond(txn, sec, counts); err != nil {
				return err
			}
		}
		return nil
	}
	for start, m := range byMinute(seconds) {
		if err := s.addMinute(txn, start, m); err != nil {
			return err
		}
	}
	return nil
}

// addSecond adds counts to the stored rollup of one second, in txn, in a
// store that lives (a temporary store's are by the minute: addMinute). It
// merges into a copy: counts stay as they were, whatever becomes of txn.
func addSecond(txn *badger.Txn, sec int64, counts *rollup) error {
	k := secondKey(sec)
	merged := counts
	item, err := txn.Get(k)
	switch {
	case err == nil:
		err = item.Value(func(v []byte) error {
			stored, err := decodeRollup(v)
			if err == nil {
				merged = stored.merged(counts)
			}
			return err
		})
		if err != nil {
			return err
		}
	case !errors.Is(err, badger.ErrKeyNotFound):
		return err
	}
	return txn.Set(k, merged.encode())
}
