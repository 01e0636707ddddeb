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
// other on one goroutine for each incident. lendAhead reads and decodes on
// a goroutine of its own, a few batches ahead of the reader: an incident
// explained alone (the last of an outage's, or the only one) uses two
// cores, not one.
//
// The events of a batch are lent as EventsBare lends them, until the
// reader has read the batch: each is decoded into a place of the batch's
// own, its strings the batch's copy of its entry's bytes (the cursors'
// windows and Badger's values are reused as the scan goes on). The reader
// hands the batch back to be decoded into again; a scan has aheadBatches
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
	// aheadBatches is how many batches a scan has: one being decoded, one
	// being read, one waiting between.
	aheadBatches = 3
)

// lentBatch is events decoded ahead of their reader.
type lentBatch struct {
	evs    []*patterns.Event
	places []lent // where its lent events are decoded: as many as it may hold
	bytes  []byte // its events' entries, copied: their lent strings are these bytes
	err    error  // set in a scan's last batch: why it ended, nil when it read its range
}

// errStopped ends a scan whose reader has stopped reading.
var errStopped = errors.New("the reader stopped")

// lendAhead is EventsBare with the events read and decoded on a goroutine
// of its own, ahead of fn, which is called on the caller's.
func (s *Store) lendAhead(from, to time.Time, bare func(*patterns.Event) bool, fn func(*patterns.Event) error) error {
	scan := func(entry func(k []byte, v storedValue) error) error {
		return s.scanEvents(from, to, allKinds, nil, entry)
	}
	return lendAhead(&s.lentBatches, scan, bare, fn)
}

// lendAhead calls scan on a goroutine of its own, which decodes each entry
// scan hands as decodeLent does, into batches, and calls fn with each
// event in scan's order on the caller's goroutine. It returns fn's first
// error, else scan's (an entry it could not decode among them); when fn
// stops, the entry function returns errStopped to scan, which must return
// then. The goroutine has ended when lendAhead returns, whether it read
// all, fn stopped, scan failed, or fn panicked. pool holds batches made
// before (*lentBatch), and is given them back.
func lendAhead(pool *sync.Pool, scan func(entry func(k []byte, v storedValue) error) error, bare func(*patterns.Event) bool, fn func(*patterns.Event) error) error {
	var (
		full = make(chan *lentBatch, aheadBatches) // decoded, for the reader; closed after the last
		free = make(chan *lentBatch, aheadBatches) // read, to decode into again
		stop = make(chan struct{})                 // closed when the reader returns
		wg   sync.WaitGroup
	)
	for range aheadBatches {
		b, _ := pool.Get().(*lentBatch)
		if b == nil {
			b = &lentBatch{}
		}
		free <- b
	}
	d := aheadDecoder{free: free, full: full, stop: stop, limit: aheadFirst}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(full)
		err := scan(func(k []byte, v storedValue) error { return d.decode(k, v, bare) })
		if errors.Is(err, errStopped) {
			return
		}
		if d.b == nil && !d.take() {
			return
		}
		d.b.err = err
		d.send()
	}()
	var held *lentBatch // the batch being read
	defer func() {
		close(stop)
		wg.Wait()
		// Every batch is back: in free, in full (unread), the
		// decoder's, or the one being read.
		for _, b := range []*lentBatch{d.b, held} {
			if b != nil {
				free <- b
			}
		}
		for b := range full {
			free <- b
		}
		close(free)
		for b := range free {
			clear(b.evs) // the fresh events among them: not kept
			b.evs, b.bytes, b.err = b.evs[:0], b.bytes[:0], nil
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

// aheadDecoder is lendAhead's goroutine's: the batch it decodes into, and
// where it hands it.
type aheadDecoder struct {
	free, full chan *lentBatch
	stop       chan struct{}
	b          *lentBatch // nil: none taken
	limit      int        // of events in the batch taken
	path       string
	paths      scanPaths
}

// take takes a batch read, to decode into; false when the reader stopped.
func (d *aheadDecoder) take() bool {
	select {
	case d.b = <-d.free:
		d.b.evs, d.b.bytes = d.b.evs[:0], d.b.bytes[:0]
		return true
	case <-d.stop:
		return false
	}
}

// send hands the batch to the reader; false when the reader stopped.
func (d *aheadDecoder) send() bool {
	select {
	case d.full <- d.b:
		d.b = nil
		d.limit = min(2*d.limit, aheadEvents)
		return true
	case <-d.stop:
		return false
	}
}

// decode decodes the entry of key k and value v into the batch, the batch
// handed to the reader first when it is full.
func (d *aheadDecoder) decode(k []byte, v storedValue, bare func(*patterns.Event) bool) error {
	if d.b != nil && (len(d.b.evs) == d.limit || len(d.b.bytes)+len(v.b) > cap(d.b.bytes)) && !d.send() {
		return errStopped
	}
	if d.b == nil && !d.take() {
		return errStopped
	}
	b := d.b
	if len(b.places) < d.limit {
		b.places = make([]lent, d.limit)
	}
	if len(b.bytes)+len(v.b) > cap(b.bytes) { // the batch is empty: its first entry is larger than its bytes
		b.bytes = make([]byte, 0, max(len(v.b), aheadBytes))
	}
	at := len(b.bytes)
	b.bytes = append(b.bytes, v.b...)
	v.b = b.bytes[at:len(b.bytes):len(b.bytes)]
	ev, err := decodeLent(k, v, bare, &d.path, &d.paths, &b.places[len(b.evs)])
	if err != nil {
		return decodeError(err)
	}
	b.evs = append(b.evs, ev)
	return nil
}
