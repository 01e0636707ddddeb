package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/patterns"
)

// A temporary store (OpenTemp) keeps a slow log's entries by the block:
// many entries under one Badger key instead of one key each, the block
// itself in a file of its own. Badger's fixed cost of a key — its
// transaction entry, skiplist node, write-ahead record, value-log header
// and table entry, ~1.5 µs — was the slow log's largest cost after the
// parse: 300,000 entries, ~0.45 s of CPU of a 1 s load; and its value log
// copied each entry twice more, into a buffer and into the file's mapping
// (docs/benchmarks.md, "Slow-log blocks"). A persistent store keeps one key
// per entry, as it always did: blocks are only ever written to a store that
// the process that wrote it reads, and removes.
//
//	b | the block's last entry's key, less its prefix → uvarint offset | uvarint length, of the block in blocksFile
//	block: entries, each: entry key (eventKeyLen) | uvarint len(value) | value
//
// A block's entries are events as any other (their keys and values are
// those eventKey and encodeEvent give: the writer keeps the events, and
// encodes them into the block as it writes it), in key order. Blocks never overlap:
// each holds entries whose keys are all past those of every block written
// before it (slowBlocks.high). The entries of a batch that are not — a
// second slow log of the same hours, a log read again — are written one key
// each, as in any store: the readers merge both in key order, and take the
// key's own entry over a block's equal one (it was written later).
const prefixBlock = 'b'

// blocksFile is the file of a temporary store's blocks, in its directory;
// written by write(2) (no mapping: its pages are the kernel's cache, not
// the process's memory), read by pread(2).
const blocksFile = "slow-blocks"

// blockBytes bounds a block: reading an entry reads its block.
const blockBytes = 64 << 10

// slowBlocks is a temporary store's blocks.
type slowBlocks struct {
	f     *os.File
	mu    sync.Mutex // held from a write's partition to its commit
	size  int64      // of f
	high  []byte     // the greatest entry key in a block; nil: none yet
	buf   []byte     // the blocks of the last write, kept for the next
	value []byte     // an entry's encoding, the same
}

func openBlocks(dir string) (*slowBlocks, error) {
	f, err := os.OpenFile(filepath.Join(dir, blocksFile), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot create the temporary store's file of slow-log entries: %w (set TMPDIR to a writable directory, or pass --store DIR)", err)
	}
	return &slowBlocks{f: f}, nil
}

// blockEntries are the slow-log entries a Writer holds for blocks: their
// keys and the events, encoded as their block is written.
type blockEntries struct {
	keys [][]byte
	evs  []*patterns.Event
}

func (b *blockEntries) add(k []byte, ev *patterns.Event) {
	b.keys = append(b.keys, k)
	b.evs = append(b.evs, ev)
}

func (b *blockEntries) len() int { return len(b.keys) }

func (b *blockEntries) reset() {
	clear(b.keys)
	clear(b.evs)
	b.keys, b.evs = b.keys[:0], b.evs[:0]
}

// put writes the entries sorted by key: those past the last block in new
// blocks, appended to the file, each named by a key set writes; the
// others one key each, with set. Of equal keys, the last handed. The
// caller holds s.mu from put to commit, which records the blocks written:
// call it only when set's writes are committed.
func (s *slowBlocks) put(e *blockEntries, set func(k, v []byte) error) (commit func(), err error) {
	sorted := make([]int, 0, e.len())
	for i := range e.len() {
		sorted = append(sorted, i)
	}
	slices.SortStableFunc(sorted, func(a, b int) int { return bytes.Compare(e.keys[a], e.keys[b]) })
	idx := sorted[:0]
	for j, i := range sorted {
		if j+1 < len(sorted) && bytes.Equal(e.keys[i], e.keys[sorted[j+1]]) {
			continue // handed again later: the later one, as Badger keeps
		}
		idx = append(idx, i)
	}
	for len(idx) > 0 && s.high != nil && bytes.Compare(e.keys[idx[0]], s.high) <= 0 {
		v, err := encodeEvent(e.evs[idx[0]])
		if err == nil {
			err = set(e.keys[idx[0]], v)
		}
		if err != nil {
			return nil, err
		}
		idx = idx[1:]
	}
	if len(idx) == 0 {
		return func() {}, nil
	}
	type block struct {
		last       []byte
		start, end int
	}
	var blocks []block
	buf := s.buf[:0]
	for _, k := range idx {
		if len(blocks) == 0 || len(buf)-blocks[len(blocks)-1].start >= blockBytes {
			blocks = append(blocks, block{start: len(buf)})
		}
		var err error
		if s.value, err = appendEvent(s.value[:0], e.evs[k]); err != nil {
			return nil, err
		}
		buf = appendBytes(append(buf, e.keys[k]...), s.value)
		b := &blocks[len(blocks)-1]
		b.last, b.end = e.keys[k], len(buf)
	}
	s.buf = buf
	at := s.size
	if _, err := s.f.WriteAt(buf, at); err != nil { // at the known end: a write that failed half way is overwritten
		return nil, fmt.Errorf("cannot write slow-log entries to %s: %w (is the disk full?)", s.f.Name(), err)
	}
	s.size += int64(len(buf))
	for _, b := range blocks {
		ptr := binary.AppendUvarint(binary.AppendUvarint(nil, uint64(at+int64(b.start))), uint64(b.end-b.start))
		if err := set(append([]byte{prefixBlock}, b.last[1:]...), ptr); err != nil {
			return nil, err
		}
	}
	high := slices.Clone(blocks[len(blocks)-1].last) // not the writer's memory
	return func() { s.high = high }, nil
}

// read reads the block a block key's value points to into buf.
func (s *slowBlocks) read(ptr, buf []byte) ([]byte, error) {
	d := &fieldReader{v: ptr}
	off, n := d.uvarint(), d.uvarint()
	if d.err != nil || len(d.v) > 0 || n > 1<<30 {
		return buf, errCorruptBlock
	}
	buf = slices.Grow(buf[:0], int(n))[:n]
	if _, err := s.f.ReadAt(buf, int64(off)); err != nil {
		return buf, fmt.Errorf("cannot read slow-log entries from %s: %w (the temporary store's file was cut or removed while in use: run the analysis again, with TMPDIR on a disk nothing cleans meanwhile, or pass --store DIR)", s.f.Name(), err)
	}
	return buf, nil
}

func appendBytes(b, v []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

var errCorruptBlock = errors.New("corrupt block of slow-log entries in the store (remove the store and ingest again)")

// blockEntry is one entry of a decoded block: slices of the block's value.
type blockEntry struct{ k, v []byte }

// decodeBlock appends the entries of block to out; they refer to block.
func decodeBlock(block []byte, out []blockEntry) ([]blockEntry, error) {
	d := &fieldReader{v: block}
	for len(d.v) > 0 {
		if len(d.v) < eventKeyLen {
			return out, errCorruptBlock
		}
		k := d.v[:eventKeyLen:eventKeyLen]
		d.v = d.v[eventKeyLen:]
		v := d.bytes()
		if d.err != nil {
			return out, errCorruptBlock
		}
		out = append(out, blockEntry{k, v})
	}
	return out, nil
}

// blockCursor walks the entries of the blocks of [start, end) (event time
// keys) in key order.
type blockCursor struct {
	s       *slowBlocks
	it      *badger.Iterator
	start   []byte
	end     []byte
	buf     []byte
	entries []blockEntry
	i       int
	err     error
}

func (s *slowBlocks) cursor(txn *badger.Txn, start, end []byte) *blockCursor {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte{prefixBlock}
	opts.PrefetchValues = false
	c := &blockCursor{s: s, it: txn.NewIterator(opts), start: start, end: end}
	seek := append([]byte{prefixBlock}, start[1:]...) // the first block whose last entry is at start or past it
	c.it.Seek(seek)
	c.load()
	for c.valid() && bytes.Compare(c.key()[:timeKeyLen], start) < 0 {
		c.next()
	}
	return c
}

// load decodes the block the iterator is at, if any.
func (c *blockCursor) load() {
	c.entries, c.i = c.entries[:0], 0
	if !c.it.Valid() {
		return
	}
	c.err = c.it.Item().Value(func(ptr []byte) error {
		var err error
		c.buf, err = c.s.read(ptr, c.buf)
		return err
	})
	if c.err == nil {
		c.entries, c.err = decodeBlock(c.buf, c.entries)
	}
}

func (c *blockCursor) valid() bool {
	return c.err == nil && c.i < len(c.entries) && bytes.Compare(c.entries[c.i].k[:timeKeyLen], c.end) < 0
}

func (c *blockCursor) key() []byte   { return c.entries[c.i].k }
func (c *blockCursor) value() []byte { return c.entries[c.i].v }

func (c *blockCursor) next() {
	c.i++
	if c.i < len(c.entries) {
		return
	}
	c.it.Next()
	c.load()
}

func (c *blockCursor) close() { c.it.Close() }

// blockEntryOf looks up the entry of key k in the blocks.
func (s *slowBlocks) entryOf(txn *badger.Txn, k []byte) ([]byte, error) {
	c := s.cursor(txn, k[:timeKeyLen], allTime())
	defer c.close()
	for ; c.valid(); c.next() {
		switch bytes.Compare(c.key(), k) {
		case 0:
			return c.value(), c.err
		case 1:
			return nil, badger.ErrKeyNotFound
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	return nil, badger.ErrKeyNotFound
}

// firstInBlocks returns the instant of the first entry of the first
// block.
func (s *slowBlocks) first(txn *badger.Txn) (time.Time, error) {
	c := s.cursor(txn, timeKey(prefixEvent, minKeyTime), allTime())
	defer c.close()
	if !c.valid() {
		return time.Time{}, cmp.Or(c.err, errCorruptBlock)
	}
	return keyTime(c.key()), nil
}

// allTime returns a time key past every event's.
func allTime() []byte {
	return []byte{prefixEvent, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
}

// scanEvents is scan of the events, in a temporary store the blocks'
// entries merged in: every event of [from, to) in key order, an event's
// own key taken over a block's entry of the same key.
func (s *Store) scanEvents(from, to time.Time, keep func(k []byte) bool, fn func(k, v []byte) error) error {
	if s.blocks == nil {
		return s.scan(prefixEvent, from, to, keep, fn)
	}
	start, end := timeKey(prefixEvent, from), timeKey(prefixEvent, to)
	return s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte{prefixEvent}
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		it.Seek(start)
		b := s.blocks.cursor(txn, start, end)
		defer b.close()
		for {
			var k []byte
			if it.Valid() && string(it.Item().Key()[:timeKeyLen]) < string(end) {
				k = it.Item().Key()
			}
			if !b.valid() {
				if b.err != nil {
					return b.err
				}
				if k == nil {
					return nil
				}
			} else if c := bytes.Compare(b.key(), k); k == nil || c < 0 {
				if keep == nil || keep(b.key()) {
					if err := fn(b.key(), b.value()); err != nil {
						return err
					}
				}
				b.next()
				continue
			} else if c == 0 {
				b.next() // the key's own entry, written later, is the one
			}
			if keep == nil || keep(k) {
				if err := it.Item().Value(func(v []byte) error { return fn(k, v) }); err != nil {
					return err
				}
			}
			it.Next()
		}
	})
}
