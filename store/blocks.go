package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/patterns"
)

// A temporary store (OpenTemp) keeps its events by the block: many
// events one after the other in a file of the store's own, instead of one
// Badger key each. Badger's cost of a key — its transaction entry,
// skiplist node, write-ahead record, value-log header and copies, table
// entry, and the merge of every level-0 table to read it back — was most
// of what an outage-heavy log's ~925,000 kept lines cost past their parse,
// and a slow log's 300,000 entries (docs/benchmarks.md, "Slow-log blocks"
// and "Every event in blocks"). A persistent store keeps one key per
// event, as it always did: blocks are only ever written to a store that
// the process that wrote it reads, and removes.
//
//	block: frames, each s2.Encode(entries) (frames.go)
//	entries: each: shared (1) | key[shared:] | uvarint len(body) | body
//
// shared is how many of the entry's key's first bytes are the key's before
// it in the frame (0 for the frame's first): a stream's keys in order
// mostly share their prefix, day, instant (many to a second), kind and
// the high bytes of their offset, ~20 bytes of the 30 of an outage's keys.
//
// A block's entries are events as any other, in key order: their keys are
// those eventKey gives, their bodies the values encodeEvent gives but for
// the path (appendEventBody). Each file an event was read from (its path)
// has its own stream of blocks, which holds the path once (in memory, the
// key of the stream): repeated in each entry, it was ~12% of an outage's
// ~360 MB of blocks. Badger's values, a persistent store's and a
// temporary store's out-of-order keys, keep their path. A log is in time
// order, mostly, so each block of a stream holds keys past those of every
// block of the stream before it (stream.high), whatever the other files,
// loaded before, after or at the same time, hold. The events of a batch
// that do not come after their stream's blocks — a line a few
// milliseconds out of order across two batches, a log read again — are
// written one Badger key each, as in any store. The readers merge the
// streams and Badger's keys in key order (scanEvents); of equal keys the
// one written last is read, as Badger would keep it.
//
// The index of the blocks (each one's first and last key, where it and
// its frames are in the file, which kinds it holds) is in memory: ~180
// bytes a block of up to 64 KiB of entries, ~3 MB for a GB of events.

// blocksFile is the file of a temporary store's blocks, in its directory;
// written by write(2) (no mapping: its pages are the kernel's cache, not
// the process's memory), read by pread(2).
const blocksFile = "event-blocks"

// blockBytes bounds a block's entries (the index's unit: its first and
// last key, its kinds), but for its last one.
const blockBytes = 64 << 10

// blocks is a temporary store's blocks.
type blocks struct {
	f  *os.File
	mu sync.Mutex // held from a write's partition to its commit
	// Written under mu:
	size  int64  // of f
	buf   []byte // the blocks of the last write, kept for the next
	z     []byte // and their frames compressed (pack), the same
	value []byte // an entry's encoding, the same
	puts  uint64 // the writes committed

	idx     sync.RWMutex       // the streams, for the readers
	streams map[string]*stream // by path

	window int          // how many bytes of entries a frame holds at most (cursorWindow)
	crc    *crc32.Table // CRC-32C's, of the frames (frames.go)
}

// cursorWindow is how much of its block a cursor holds: a frame's entries
// (frames.go), decoded. A scan merges a cursor per file whose blocks
// overlap its range, and a whole block each (64 KiB and its entries) made
// a scan over a thousand vhosts' logs of the same hours hold ~75 MB. A
// window of 16 KiB holds ~40 of an outage's lines; an entry larger than
// the window is a frame of its own, read whole.
const cursorWindow = 16 << 10

// stream is the blocks of the events of one file, in key order.
type stream struct {
	high   []byte     // the greatest key of its blocks; nil: none yet
	blocks []blockRef // appended to, never changed: a reader keeps the slice it saw
}

// blockRef is where a block is, and what it holds.
type blockRef struct {
	first, last [eventKeyLen]byte
	off         int64   // where its frames are in the file
	frames      []frame // in order
	kinds       kindSet
	// put orders the blocks of different writes (the greater, the
	// later); ts is Badger's read timestamp once its write was
	// committed: a key of Badger with a version above it was written
	// after the block.
	put, ts uint64
}

// kindSet is a set of event kinds, a bit each.
type kindSet uint32

const allKinds = ^kindSet(0)

func kindsOf(k patterns.Kind) kindSet { return 1 << (k & 31) }

func openBlocks(dir string) (*blocks, error) {
	f, err := os.OpenFile(filepath.Join(dir, blocksFile), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot create the temporary store's file of events: %w (set TMPDIR to a writable directory, or pass --store DIR)", err)
	}
	return &blocks{f: f, streams: map[string]*stream{}, window: cursorWindow, crc: crc32.MakeTable(crc32.Castagnoli)}, nil
}

// blockEntries are the events a Writer holds for blocks: their keys, and
// their block bodies (appendBlockBody) or, for those encoded as their
// block is written (encodeLater), the events.
type blockEntries struct {
	keys   [][]byte
	values [][]byte // nil: evs's, encoded later
	evs    []*patterns.Event
	paths  []string
}

func (b *blockEntries) add(k, v []byte, ev *patterns.Event) {
	b.keys = append(b.keys, k)
	b.values = append(b.values, v)
	b.paths = append(b.paths, ev.Path)
	if v != nil {
		ev = nil // encoded: not kept
	}
	b.evs = append(b.evs, ev)
}

func (b *blockEntries) len() int { return len(b.keys) }

// emptied returns empty entries with b's capacity, for the next batch.
func (b *blockEntries) emptied() blockEntries {
	return blockEntries{keys: make([][]byte, 0, cap(b.keys)), values: make([][]byte, 0, cap(b.values)),
		evs: make([]*patterns.Event, 0, cap(b.evs)), paths: make([]string, 0, cap(b.paths))}
}

func (b *blockEntries) reset() {
	clear(b.keys)
	clear(b.values)
	clear(b.evs)
	clear(b.paths)
	b.keys, b.values, b.evs, b.paths = b.keys[:0], b.values[:0], b.evs[:0], b.paths[:0]
}

// body returns entry i's block body (appendBlockBody), encoding it into
// s.value when it was left for later.
func (s *blocks) body(e *blockEntries, i int) ([]byte, error) {
	if e.values[i] != nil {
		return e.values[i], nil
	}
	var err error
	s.value, err = appendBlockBody(s.value[:0], e.evs[i])
	return s.value, err
}

// badgerValue returns entry i's value as Badger keeps it (appendEvent),
// a value of its own: its event encoded again, from its block body when
// it was encoded.
func (e *blockEntries) badgerValue(i int) ([]byte, error) {
	ev := e.evs[i]
	if ev == nil {
		var err error
		if ev, err = decodeEventBare(e.keys[i], storedValue{b: e.values[i], path: e.paths[i], inBlock: true}, nil, nil); err != nil {
			return nil, err
		}
	}
	return encodeEvent(ev)
}

// put writes the entries sorted by key: those past their stream's last
// block in new blocks, appended to the file; the others one key each, with
// set. Of equal keys, the last handed. The caller holds s.mu from put to
// commit, which records the blocks written: call it only when set's writes
// are committed, with db.
func (s *blocks) put(e *blockEntries, set func(k, v []byte) error) (commit func(db *badger.DB), err error) {
	sorted := make([]int, 0, e.len())
	for i := range e.len() {
		sorted = append(sorted, i)
	}
	// A batch is mostly one file's events, read in key order: checked in
	// one pass, it is left as it is (a stable sort would leave it so),
	// else sorted. The same pass finds whether a key was handed twice.
	inOrder, twice := true, false
	for j := 1; j < len(sorted) && inOrder; j++ {
		c := bytes.Compare(e.keys[j-1], e.keys[j])
		inOrder, twice = c <= 0, twice || c == 0
	}
	if !inOrder {
		slices.SortStableFunc(sorted, func(a, b int) int { return bytes.Compare(e.keys[a], e.keys[b]) })
		twice = true // not known: each key is compared with the next
	}
	// Each stream's entries past its blocks, in key order; the streams in
	// the order of their first entry.
	//
	// The paths are looked up once per run of a path's entries (path,
	// mostly one), not once per entry.
	var (
		order  []string
		byPath = map[string][]int{}
		path   string
		st     *stream // s.streams[path]
		past   bool    // an entry of path's run was past st.high: the later ones are too (sorted)
		run    []int   // byPath[path] when path is in order, appended to first
		inRun  bool    // path's entries are in run
		begun  bool    // path is set
	)
	flush := func() {
		if inRun {
			byPath[path] = run
		}
	}
	for j, i := range sorted {
		if twice && j+1 < len(sorted) && bytes.Equal(e.keys[i], e.keys[sorted[j+1]]) {
			continue // handed again later: the later one, as Badger keeps
		}
		if !begun || e.paths[i] != path {
			flush()
			path, begun = e.paths[i], true
			st, past = s.streams[path], false
			run, inRun = byPath[path]
		}
		if st != nil && !past && bytes.Compare(e.keys[i], st.high) > 0 {
			past = true
		}
		if st != nil && !past {
			// A value of its own: set keeps it until the transaction
			// commits, and s.value is the next entry's.
			v, err := e.badgerValue(i)
			if err == nil {
				err = set(e.keys[i], v)
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		if !inRun {
			order = append(order, path)
			inRun = true
		}
		run = append(run, i)
	}
	flush()
	if len(order) == 0 {
		return func(*badger.DB) {}, nil
	}
	type written struct {
		path   string
		ref    blockRef
		frames int // its first frame, of spans
	}
	var (
		refs  []written
		spans []span // the frames' entries in buf, in order: a block's, then the next's
	)
	buf := s.buf[:0]
	for _, path := range order {
		start := -1
		var prev []byte // the key before, in the frame
		for _, i := range byPath[path] {
			v, err := s.body(e, i)
			if err != nil {
				return nil, err
			}
			k := e.keys[i]
			if start < 0 || len(buf)-start >= blockBytes {
				start = len(buf)
				refs = append(refs, written{path: path, frames: len(spans)})
				copy(refs[len(refs)-1].ref.first[:], k)
				spans = append(spans, span{lo: len(buf)})
				prev = nil
			} else if f := &spans[len(spans)-1]; len(buf)-f.lo+entryBound(len(v)) > s.window {
				// A frame of whole entries, within the window: but for
				// its first, which may be larger.
				spans = append(spans, span{lo: len(buf)})
				prev = nil
			}
			shared := 0
			for shared < len(prev) && prev[shared] == k[shared] {
				shared++
			}
			buf = appendBytes(append(append(buf, byte(shared)), k[shared:]...), v)
			prev = k
			spans[len(spans)-1].hi = len(buf)
			r := &refs[len(refs)-1].ref
			copy(r.last[:], k)
			r.kinds |= kindsOf(patterns.Kind(k[timeKeyLen]))
		}
	}
	s.buf = buf
	z, ends, sums := s.pack(buf, spans)
	frames := make([]frame, len(spans)) // the blocks' frames, in one allocation
	for j, w := range refs {
		last := len(spans)
		if j+1 < len(refs) {
			last = refs[j+1].frames
		}
		base := 0 // where the block starts in z
		if w.frames > 0 {
			base = ends[w.frames-1]
		}
		for f := w.frames; f < last; f++ {
			frames[f] = frame{end: uint32(ends[f] - base), raw: uint32(spans[f].hi - spans[f].lo), sum: sums[f]}
		}
		r := &refs[j].ref
		r.off, r.frames = int64(base), frames[w.frames:last:last]
	}
	at := s.size
	if _, err := s.f.WriteAt(z, at); err != nil { // at the known end: a write that failed half way is overwritten
		return nil, fmt.Errorf("cannot write events to %s: %w (is the disk full?)", s.f.Name(), err)
	}
	s.size += int64(len(z))
	return func(db *badger.DB) {
		txn := db.NewTransaction(false)
		ts := txn.ReadTs() // every write committed so far, this one's included
		txn.Discard()
		s.puts++
		s.idx.Lock()
		defer s.idx.Unlock()
		for _, w := range refs {
			w.ref.off += at
			w.ref.put, w.ref.ts = s.puts, ts
			st := s.streams[w.path]
			if st == nil {
				st = &stream{}
				s.streams[w.path] = st
			}
			st.blocks = append(st.blocks, w.ref)
			st.high = w.ref.last[:]
		}
	}, nil
}

// entryBound is the most bytes an entry of a body of n bytes takes in its
// frame: its key shared with none.
func entryBound(n int) int {
	return 1 + eventKeyLen + uvarintLen(uint64(n)) + n
}

func uvarintLen(x uint64) int {
	return (bits.Len64(x|1) + 6) / 7
}

// read reads the frame f of the block r, as it is in the file, into buf.
func (s *blocks) read(r *blockRef, f int, buf []byte) ([]byte, error) {
	from := 0
	if f > 0 {
		from = int(r.frames[f-1].end)
	}
	n := int(r.frames[f].end) - from
	buf = slices.Grow(buf[:0], n)[:n]
	if _, err := s.f.ReadAt(buf, r.off+int64(from)); err != nil {
		return buf, fmt.Errorf("cannot read events from %s: %w (the temporary store's file was cut or removed while in use: run the analysis again, with TMPDIR on a disk nothing cleans meanwhile, or pass --store DIR)", s.f.Name(), err)
	}
	return buf, nil
}

func appendBytes(b, v []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

var errCorruptBlock = errors.New("corrupt block of events in the temporary store (run the analysis again)")

// blockEntry is one entry of a decoded block: its key, and its body, a
// slice of the block's bytes.
type blockEntry struct {
	k [eventKeyLen]byte
	v []byte
}

// decodeEntries appends the whole entries at the start of a frame's
// entries to out, and returns how many bytes they take: all of them, but
// from an entry cut or corrupt.
func decodeEntries(part []byte, out []blockEntry) ([]blockEntry, int) {
	var prev [eventKeyLen]byte
	first := true
	used := 0
	for used < len(part) {
		rest := part[used:]
		shared := int(rest[0])
		// A frame's first entry shares nothing: it has no key before.
		if shared > eventKeyLen || first && shared > 0 {
			break
		}
		at := 1 + eventKeyLen - shared // the body's length
		if at > len(rest) {
			break
		}
		n, w := binary.Uvarint(rest[at:])
		if w <= 0 || n > uint64(len(rest)-at-w) {
			break
		}
		copy(prev[shared:], rest[1:at])
		out = append(out, blockEntry{k: prev, v: rest[at+w : at+w+int(n)]})
		first = false
		used += at + w + int(n)
	}
	return out, used
}

// edges returns the first and last instants of the blocks' events.
func (s *blocks) edges() (first, last time.Time, ok bool) {
	s.idx.RLock()
	defer s.idx.RUnlock()
	var lo, hi []byte
	for _, st := range s.streams {
		if f := st.blocks[0].first[:]; lo == nil || bytes.Compare(f, lo) < 0 {
			lo = f
		}
		if hi == nil || bytes.Compare(st.high, hi) > 0 {
			hi = st.high
		}
	}
	if lo == nil {
		return first, last, false
	}
	return keyTime(lo), keyTime(hi), true
}

// cursor walks the entries of one stream's blocks in [start, end) (time
// keys) in key order, skipping the blocks that hold none of kinds.
type cursor struct {
	s       *blocks
	path    string     // the stream's: its entries'
	refs    []blockRef // the blocks still to read
	end     []byte
	endHi   uint64 // end's bytes 0–7 and 5–12, big-endian (valid)
	endLo   uint64
	kinds   kindSet
	block   *blockRef // the block being read; nil: none
	frame   int       // its frames read so far
	buf     []byte    // the last of them, decoded: a window of the block (blocks.window), or an entry larger
	z       *[]byte   // the scan's buffer of a frame as read from the file, one for all its cursors
	entries []blockEntry
	i       int
	put, ts uint64 // of the block read
	err     error
}

// cursors returns a cursor for each stream with blocks in [start, end)
// that may hold kinds, at its first entry there.
func (s *blocks) cursors(start, end []byte, kinds kindSet) []*cursor {
	s.idx.RLock()
	var out []*cursor
	z := new([]byte)
	for path, st := range s.streams {
		refs := st.blocks
		refs = refs[sort.Search(len(refs), func(i int) bool { return bytes.Compare(refs[i].last[:], start) >= 0 }):]
		if len(refs) == 0 || bytes.Compare(refs[0].first[:timeKeyLen], end) >= 0 {
			continue
		}
		c := &cursor{s: s, path: path, refs: refs, end: end, kinds: kinds, z: z}
		if len(end) == timeKeyLen {
			c.endHi, c.endLo = binary.BigEndian.Uint64(end), binary.BigEndian.Uint64(end[timeKeyLen-8:])
		}
		out = append(out, c)
	}
	s.idx.RUnlock()
	live := out[:0]
	for _, c := range out {
		c.load()
		for c.valid() && bytes.Compare(c.key()[:timeKeyLen], start) < 0 {
			c.next()
		}
		if c.valid() || c.err != nil {
			live = append(live, c)
		}
	}
	return live
}

// load reads the next window of entries: of the block being read, else
// of the next block that may hold an entry of the cursor's.
func (c *cursor) load() {
	c.entries, c.i = c.entries[:0], 0
	for len(c.entries) == 0 {
		if c.block == nil || c.frame == len(c.block.frames) {
			if len(c.refs) == 0 {
				return
			}
			r := &c.refs[0]
			if bytes.Compare(r.first[:timeKeyLen], c.end) >= 0 {
				c.refs = nil
				return
			}
			c.refs = c.refs[1:]
			if r.kinds&c.kinds == 0 {
				continue
			}
			c.block, c.frame, c.put, c.ts = r, 0, r.put, r.ts
		}
		if c.err = c.window(); c.err != nil {
			return
		}
	}
}

// window reads the next frame of the block being read, and its entries.
func (c *cursor) window() error {
	z, err := c.s.read(c.block, c.frame, *c.z)
	*c.z = z
	if err != nil {
		return err
	}
	if c.buf, err = c.s.unpack(z, c.block.frames[c.frame], c.buf); err != nil {
		return err
	}
	var used int
	if c.entries, used = decodeEntries(c.buf, c.entries[:0]); used != len(c.buf) {
		return errCorruptBlock // the frame ends inside an entry
	}
	c.frame++
	return nil
}

func (c *cursor) valid() bool {
	if c.err != nil || c.i >= len(c.entries) {
		return false
	}
	k := &c.entries[c.i].k
	if len(c.end) != timeKeyLen {
		return bytes.Compare(k[:timeKeyLen], c.end) < 0
	}
	// Its time key before end's, by words: bytes 0–7, then 5–12 (5–7
	// equal when 0–7 are).
	if hi := binary.BigEndian.Uint64(k[:8]); hi != c.endHi {
		return hi < c.endHi
	}
	return binary.BigEndian.Uint64(k[timeKeyLen-8:timeKeyLen]) < c.endLo
}

func (c *cursor) key() []byte { return c.entries[c.i].k[:] }

// keyOf is key, as the array it is.
func (c *cursor) keyOf() *[eventKeyLen]byte { return &c.entries[c.i].k }

// compareKeys is bytes.Compare of two event keys, by words: the heap's
// merge compares two or three for each event it reads.
func compareKeys(a, b *[eventKeyLen]byte) int {
	for _, at := range [...]int{0, 8, 16, eventKeyLen - 8} { // bytes 22–23 compared twice: equal by then
		x, y := binary.BigEndian.Uint64(a[at:]), binary.BigEndian.Uint64(b[at:])
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	}
	return 0
}

func (c *cursor) value() storedValue {
	return storedValue{b: c.entries[c.i].v, path: c.path, inBlock: true}
}

func (c *cursor) next() {
	c.i++
	if c.i < len(c.entries) {
		return
	}
	c.load()
}

// heap is a min-heap of cursors by their key, of equal keys the later
// block's first.
type heap []*cursor

func (h heap) less(i, j int) bool {
	c := compareKeys(h[i].keyOf(), h[j].keyOf())
	return c < 0 || c == 0 && h[i].put > h[j].put
}

func (h heap) down(i int) {
	for {
		m, l := i, 2*i+1
		if l < len(h) && h.less(l, m) {
			m = l
		}
		if l+1 < len(h) && h.less(l+1, m) {
			m = l + 1
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// advance moves the top cursor to its next entry, and takes it off the
// heap when it has none left.
func (h *heap) advance() error {
	c := (*h)[0]
	c.next()
	if !c.valid() {
		if c.err != nil {
			return c.err
		}
		last := len(*h) - 1
		(*h)[0] = (*h)[last]
		*h = (*h)[:last]
	}
	h.down(0)
	return nil
}

// scanEvents calls fn for the events of [from, to) of kinds whose key keep
// accepts (nil: every one) in key order, with their values; the others'
// values are not read. In a temporary store the blocks' entries are merged
// in; of equal keys, the one written last.
func (s *Store) scanEvents(from, to time.Time, kinds kindSet, keep func(k []byte) bool, fn func(k []byte, v storedValue) error) error {
	if s.blocks == nil {
		return s.scan(prefixEvent, from, to, keep, func(k, v []byte) error { return fn(k, storedValue{b: v}) })
	}
	start, end := timeKey(prefixEvent, from), timeKey(prefixEvent, to)
	h := heap(s.blocks.cursors(start, end, kinds))
	for _, c := range h {
		if c.err != nil {
			return c.err
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	emit := func(k []byte, v storedValue) error {
		if keep != nil && !keep(k) {
			return nil
		}
		return fn(k, v)
	}
	return s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte{prefixEvent}
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		var (
			item *badger.Item // Badger's next key in the range; nil: none
			top  [eventKeyLen]byte
		)
		at := func() { // item: where it is, when in the range
			item = nil
			if it.Valid() && string(it.Item().Key()[:timeKeyLen]) < string(end) {
				item = it.Item()
			}
		}
		it.Seek(start)
		at()
		for {
			c := 1 // of the blocks' next key against Badger's
			switch {
			case len(h) == 0 && item == nil:
				return nil
			case len(h) == 0:
			case item == nil:
				c = -1
			default:
				c = bytes.Compare(h[0].key(), item.Key())
			}
			if c > 0 || c == 0 && item.Version() > h[0].ts { // Badger's key, written after the block's equal one
				k := item.Key()
				if keep == nil || keep(k) {
					if err := item.Value(func(v []byte) error { return fn(k, storedValue{b: v}) }); err != nil {
						return err
					}
				}
				it.Next()
				at()
				if c > 0 {
					continue
				}
			} else {
				if err := emit(h[0].key(), h[0].value()); err != nil {
					return err
				}
				if c == 0 {
					it.Next()
					at()
				}
			}
			// The blocks' entries of this key: the first, the latest
			// written, is read or Badger's is; the others were replaced.
			top = *h[0].keyOf()
			for len(h) > 0 && compareKeys(h[0].keyOf(), &top) == 0 {
				if err := h.advance(); err != nil {
					return err
				}
			}
		}
	})
}
