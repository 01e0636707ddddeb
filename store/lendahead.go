package store

import (
	"errors"
	"sync"
	"time"

	"github.com/logcause/logcause/patterns"
)

// An outage's explanation reads ~900,000 events of four incidents' windows
// back, and half of its CPU was the store's (the merge of the streams, the
// cursors' reads, decodeLent), the other half the reader's, one after the
// other on one goroutine for each incident. lendAhead reads on a goroutine
// of its own, and decodes on another, a few batches ahead of the reader:
// an incident explained alone (the last of an outage's, or the only one)
// uses two cores, not one. Reading and decoding were one goroutine until
// the store's part was more than the reader's, in the outage's longest
// incident (its 240,000 PHP-FPM lines: ~0.23 s of CPU against the
// reader's ~0.16 s), which, explained last and alone, waited on it
// (docs/benchmarks.md, "Reading and decoding apart").
//
// The events of a batch are lent as EventsBare lends them, until the
// reader has read the batch: each is decoded into a place of the batch's
// own, its strings the batch's copy of its entry's bytes (the cursors'
// windows and Badger's values are reused as the scan goes on). The reader
// hands the batch back to be read into again; a scan has aheadBatches
// of them, so what it holds is bounded whatever its range.

const (
	// aheadFirst is how many events a scan's first batch holds, each
	// batch twice the one before up to aheadEvents: a reader that stops
	// after a few events (analyze's read back of a record near a list's
	// cap) is spared the decoding of large batches it would not read.
	aheadFirst = 32
	// aheadEvents bounds the events of a batch: enough that handing a
	// batch over costs nothing to speak of against decoding it.
	aheadEvents = 256
	// aheadBytes bounds the entries' bytes a batch copies (but for an
	// entry larger, which has a batch of its own).
	aheadBytes = 64 << 10
	// aheadBatches is how many batches a scan has: one being scanned,
	// one being decoded, one being read, one waiting between.
	aheadBatches = 4
)

// lentBatch is events read and decoded ahead of their reader.
type lentBatch struct {
	entries []aheadEntry // as the scan handed them, their bytes in bytes
	evs     []*patterns.Event
	places  []lent // where its lent events are decoded: as many as it may hold
	bytes   []byte // its entries' keys and values, copied: their lent strings are these bytes
	err     error  // set in a scan's last batch: why it ended, nil when it read its range
}

// aheadEntry is an entry a scan handed: its key and value, of its
// batch's bytes, bytes[the entry before's end:v] and bytes[v:end] (the
// entries are copied one after the other).
type aheadEntry struct {
	v, end  int
	path    string // a block entry's stream's
	inBlock bool
}

// errStopped ends a scan whose reader has stopped reading.
var errStopped = errors.New("the reader stopped")

// lendAhead is EventsBare with the events read and decoded on goroutines
// of their own, ahead of fn, which is called on the caller's.
func (s *Store) lendAhead(from, to time.Time, bare func(*patterns.Event) bool, fn func(*patterns.Event) error) error {
	scan := func(entry func(k []byte, v storedValue) error) error {
		return s.scanEvents(from, to, allKinds, nil, entry)
	}
	return lendAhead(&s.lentBatches, scan, bare, fn)
}

// lendAhead calls scan on a goroutine of its own, which copies the entries
// scan hands into batches, decodes them as decodeLent does on another
// goroutine, and calls fn with each event in scan's order on the caller's
// goroutine. It returns fn's first error, else the first entry's that
// could not be decoded, else scan's; when fn stops, or an entry could not
// be decoded, the entry function returns errStopped to scan, which must
// return then. The goroutines have ended when lendAhead returns, whether
// it read all, fn stopped, scan or the decoding failed, or fn panicked.
// pool holds batches made before (*lentBatch), and is given them back.
//
// The scan (the merge of a store's streams, the reads and decompression
// of their frames) and the decoding are each about as much work as an
// incident's reader: on a goroutine each, an incident explained alone (an
// outage's last) keeps both cores busy.
func lendAhead(pool *sync.Pool, scan func(entry func(k []byte, v storedValue) error) error, bare func(*patterns.Event) bool, fn func(*patterns.Event) error) error {
	var (
		scanned = make(chan *lentBatch, aheadBatches) // scanned, to decode; closed after the last
		full    = make(chan *lentBatch, aheadBatches) // decoded, for the reader; closed after the last
		free    = make(chan *lentBatch, aheadBatches) // read, to scan into again
		stop    = make(chan struct{})                 // closed when the reader returns
		wg      sync.WaitGroup
	)
	for range aheadBatches {
		b, _ := pool.Get().(*lentBatch)
		if b == nil {
			b = &lentBatch{}
		}
		free <- b
	}
	sc := aheadScanner{free: free, scanned: scanned, stop: stop, limit: aheadFirst}
	dec := aheadDecoder{scanned: scanned, full: full, stop: stop}
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(scanned)
		err := scan(sc.add)
		if errors.Is(err, errStopped) {
			return
		}
		if sc.b == nil && !sc.take() {
			return
		}
		sc.b.err = err
		sc.send()
	}()
	go func() {
		defer wg.Done()
		defer close(full)
		dec.run(bare)
	}()
	var held *lentBatch // the batch being read
	defer func() {
		close(stop)
		wg.Wait()
		// Every batch is back: in free, scanned (not decoded), full
		// (unread), the scanner's or the decoder's, or the one being
		// read.
		for _, b := range []*lentBatch{sc.b, dec.b, held} {
			if b != nil {
				free <- b
			}
		}
		for b := range scanned {
			free <- b
		}
		for b := range full {
			free <- b
		}
		close(free)
		for b := range free {
			clear(b.evs) // the fresh events among them: not kept
			clear(b.entries)
			b.entries, b.evs, b.bytes, b.err = b.entries[:0], b.evs[:0], b.bytes[:0], nil
			pool.Put(b)
		}
	}()
	for b := range full {
		held = b
		for _, ev := range b.evs {
			if err := fn(ev); err != nil {
				return err
			}
		}
		if b.err != nil {
			return b.err
		}
		held = nil
		free <- b // never waits: the scan's batches are as many as free holds
	}
	return nil
}

// aheadScanner is lendAhead's scanning goroutine's: the batch it copies
// the entries into, and where it hands it.
type aheadScanner struct {
	free, scanned chan *lentBatch
	stop          chan struct{}
	b             *lentBatch // nil: none taken
	limit         int        // of entries in the batch taken
}

// take takes a batch read, to copy into; false when the reader stopped.
func (sc *aheadScanner) take() bool {
	select {
	case sc.b = <-sc.free:
		sc.b.entries, sc.b.evs, sc.b.bytes = sc.b.entries[:0], sc.b.evs[:0], sc.b.bytes[:0]
		return true
	case <-sc.stop:
		return false
	}
}

// send hands the batch to the decoder; false when the reader stopped.
func (sc *aheadScanner) send() bool {
	select {
	case sc.scanned <- sc.b:
		sc.b = nil
		sc.limit = min(2*sc.limit, aheadEvents)
		return true
	case <-sc.stop:
		return false
	}
}

// add copies the entry of key k and value v into the batch, the batch
// handed to the decoder first when it is full.
func (sc *aheadScanner) add(k []byte, v storedValue) error {
	n := len(k) + len(v.b)
	if sc.b != nil && (len(sc.b.entries) == sc.limit || len(sc.b.bytes)+n > cap(sc.b.bytes)) && !sc.send() {
		return errStopped
	}
	if sc.b == nil && !sc.take() {
		return errStopped
	}
	b := sc.b
	if len(b.bytes)+n > cap(b.bytes) { // the batch is empty: its first entry is larger than its bytes
		b.bytes = make([]byte, 0, max(n, aheadBytes))
	}
	b.bytes = append(b.bytes, k...)
	e := aheadEntry{v: len(b.bytes), path: v.path, inBlock: v.inBlock}
	b.bytes = append(b.bytes, v.b...)
	e.end = len(b.bytes)
	b.entries = append(b.entries, e)
	return nil
}

// aheadDecoder is lendAhead's decoding goroutine's: the batch it decodes,
// and where it hands it.
type aheadDecoder struct {
	scanned, full chan *lentBatch
	stop          chan struct{}
	b             *lentBatch // the batch being decoded; nil: none
	path          string
	paths         scanPaths
}

// run decodes each batch scanned, as decodeLent does, and hands it to the
// reader, until the scan has ended, an entry cannot be decoded (its
// batch, then, holds the events before it and the error, and is the
// last), or the reader stops.
func (d *aheadDecoder) run(bare func(*patterns.Event) bool) {
	for {
		select {
		case b, ok := <-d.scanned:
			if !ok {
				return
			}
			d.b = b
		case <-d.stop:
			return
		}
		b := d.b
		if len(b.places) < len(b.entries) {
			b.places = make([]lent, max(len(b.entries), aheadEvents))
		}
		failed, k := false, 0 // k: where the entry's key begins
		for i, e := range b.entries {
			v := storedValue{b: b.bytes[e.v:e.end:e.end], path: e.path, inBlock: e.inBlock}
			ev, err := decodeLent(b.bytes[k:e.v], v, bare, &d.path, &d.paths, &b.places[i])
			if err != nil {
				b.err, failed = decodeError(err), true
				break
			}
			b.evs = append(b.evs, ev)
			k = e.end
		}
		select {
		case d.full <- b:
			d.b = nil
		case <-d.stop:
			return
		}
		if failed {
			return
		}
	}
}
