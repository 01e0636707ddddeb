package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// slowBucket is the width of a slow-query rollup: a minute. The digest of a
// range reads the rollups of the minutes wholly inside it, and the entries
// of the (at most two) minutes it cuts.
const slowBucket = 60

// slowRollup is the slow-query classes of one minute being written.
type slowRollup map[string]*timeline.SlowClass

// addSlow counts a slow-log entry (not a server's header) in its minute's
// rollup; key is its event key.
func (w *Writer) addSlow(ev *patterns.Event, key []byte) {
	q := ev.Slow
	sec := ev.Time.Unix()
	if ev.Time.Before(minKeyTime) || ev.Time.After(maxKeyTime) {
		sec = keyTime(timeKey(prefixSlow, ev.Time)).Unix() // clamped as the event's key is
	}
	minute := sec - mod(sec, slowBucket)
	if w.slow == nil {
		w.slow = map[int64]slowRollup{}
	}
	b := w.slow[minute]
	if b == nil {
		b = slowRollup{}
		w.slow[minute] = b
		w.secSize += 64
	}
	us := timeline.Micros(q.QueryTime)
	one := timeline.SlowClass{QueryID: q.QueryID, Count: 1, QueryMicros: us, LockMicros: timeline.Micros(q.LockTime),
		RowsSent: q.RowsSent, RowsExamined: q.RowsExamined, First: ev.Time, Last: ev.Time, WorstTime: q.QueryTime, Worst: key}
	c := b[q.QueryID]
	if c == nil {
		c = &timeline.SlowClass{QueryID: q.QueryID, WorstTime: q.QueryTime, Worst: key}
		b[q.QueryID] = c
		w.secSize += 96 + len(q.QueryID)
	}
	add(c, &one)
	c.Times = append(c.Times, us)
	w.secSize += 4
}

// add adds o to c: its count, sums, span and worst entry (the longest
// query, the first of equals in key order). Not its times.
func add(c, o *timeline.SlowClass) {
	c.Add(o)
	if o.WorstTime > c.WorstTime || (o.WorstTime == c.WorstTime && bytes.Compare(o.Worst, c.Worst) < 0) {
		c.WorstTime, c.Worst = o.WorstTime, o.Worst
	}
}

func mod(a, b int64) int64 { return ((a % b) + b) % b }

// merge adds o's classes to r's (r's entries first, in the order read).
func (r slowRollup) merge(o slowRollup) {
	for id, c := range o {
		have := r[id]
		if have == nil {
			r[id] = c
			continue
		}
		add(have, c)
		have.Times = append(have.Times, c.Times...)
	}
}

// encode writes the classes ordered by id: per class its id, count, sums,
// first and last instants (Unix nanoseconds), worst time (8 bytes) and
// reference, and its times — strings as uvarint length and bytes, numbers
// as varints.
func (r slowRollup) encode() []byte {
	ids := make([]string, 0, len(r))
	for id := range r {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b := binary.AppendUvarint(make([]byte, 0, 64*len(r)), uint64(len(ids)))
	for _, id := range ids {
		c := r[id]
		b = appendString(b, id)
		for _, n := range []int64{c.Count, c.QueryMicros, c.LockMicros, c.RowsSent, c.RowsExamined, c.First.UnixNano(), c.Last.UnixNano()} {
			b = binary.AppendVarint(b, n)
		}
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(c.WorstTime))
		b = append(binary.AppendUvarint(b, uint64(len(c.Worst))), c.Worst...)
		b = binary.AppendUvarint(b, uint64(len(c.Times)))
		for _, t := range c.Times {
			b = binary.AppendVarint(b, t)
		}
	}
	return b
}

var errCorruptSlow = errors.New("corrupt slow-query rollup in the store (remove the store and ingest again)")

// decodeSlow decodes what encode wrote, calling fn for each class. It does
// not keep v; each class is fn's to keep.
func decodeSlow(v []byte, fn func(*timeline.SlowClass) error) error {
	return decodeSlowInto(v, nil, fn)
}

// slowScratch is what decodeSlowInto reuses from class to class: the
// classes' ids by their bytes, a class and its times.
type slowScratch struct {
	ids   map[string]string
	class timeline.SlowClass
}

// decodeSlowInto is decodeSlow; with scratch, the class passed to fn, its
// Times and its Worst are valid only during the call (a reader that reads
// the rollups of a whole day is spared an allocation of each).
func decodeSlowInto(v []byte, scratch *slowScratch, fn func(*timeline.SlowClass) error) error {
	d := &fieldReader{v: v}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.v)) {
		return errCorruptSlow
	}
	for range n {
		var c *timeline.SlowClass
		if scratch == nil {
			c = &timeline.SlowClass{QueryID: d.string()}
		} else {
			id := d.bytes()
			known, ok := scratch.ids[string(id)]
			if !ok {
				known = string(id)
				scratch.ids[known] = known
			}
			c = &scratch.class
			*c = timeline.SlowClass{QueryID: known, Times: c.Times[:0]}
		}
		var nums [7]int64
		for i := range nums {
			nums[i] = d.varint()
		}
		c.Count, c.QueryMicros, c.LockMicros, c.RowsSent, c.RowsExamined = nums[0], nums[1], nums[2], nums[3], nums[4]
		c.First, c.Last = time.Unix(0, nums[5]).UTC(), time.Unix(0, nums[6]).UTC()
		c.WorstTime = d.float()
		if scratch == nil {
			c.Worst = []byte(d.string())
		} else {
			c.Worst = d.bytes()
		}
		times := d.uvarint()
		if d.err != nil || times > uint64(len(d.v)) {
			return errCorruptSlow
		}
		c.Times = slices.Grow(c.Times[:0], int(times))[:times]
		for i := range c.Times {
			c.Times[i] = d.varint()
		}
		if d.err != nil {
			return errCorruptSlow
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if d.err != nil || len(d.v) > 0 {
		return errCorruptSlow
	}
	return nil
}

// addSlowMinute adds a minute's classes to its stored rollup, in txn; a
// minute a temporary store never wrote it sets without reading the store
// (written).
func (s *Store) addSlowMinute(txn *badger.Txn, minute int64, r slowRollup) error {
	k := timeKey(prefixSlow, time.Unix(minute, 0))
	if !s.written.minute(keyTime(k).Unix()) {
		return txn.Set(k, r.encode())
	}
	merged := slowRollup{}
	item, err := txn.Get(k)
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		return txn.Set(k, r.encode()) // the minute's first: nothing to merge
	case err != nil:
		return err
	}
	err = item.Value(func(v []byte) error {
		return decodeSlow(v, func(c *timeline.SlowClass) error { merged[c.QueryID] = c; return nil })
	})
	if err != nil {
		return err
	}
	for id, c := range r { // a copy: r stays as it was, whatever becomes of txn
		cc := *c
		cc.Times = slices.Clone(c.Times)
		merged.merge(slowRollup{id: &cc})
	}
	return txn.Set(k, merged.encode())
}

// SlowClasses calls fn with the slow-query classes of every minute wholly
// inside [from, to), in time order, and returns the span [start, end) of
// those minutes; start == end when there is none. The entries of
// [from, start) and [end, to) are not counted: read them with EventsOf.
// A class's Times and Worst are valid only during fn's call.
func (s *Store) SlowClasses(from, to time.Time, fn func(timeline.SlowClass) error) (start, end time.Time, err error) {
	first := from.Unix() - mod(from.Unix(), slowBucket)
	if first < from.Unix() || from.Nanosecond() > 0 { // from is past its minute's start
		first += slowBucket
	}
	last := to.Unix() - mod(to.Unix(), slowBucket)
	if first >= last {
		return from, from, nil
	}
	start, end = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
	scratch := &slowScratch{ids: map[string]string{}}
	err = s.scan(prefixSlow, start, end, nil, func(_, v []byte) error {
		return decodeSlowInto(v, scratch, func(c *timeline.SlowClass) error { return fn(*c) })
	})
	if err != nil {
		return from, from, fmt.Errorf("cannot read the slow-query rollups: %w", err)
	}
	return start, end, nil
}

// SlowEntry returns the slow-log entry a SlowClass's Worst refers to.
func (s *Store) SlowEntry(ref []byte) (*patterns.Event, error) {
	var ev *patterns.Event
	err := errCorruptEvent
	if len(ref) == eventKeyLen {
		at := keyTime(ref)
		err = s.scanEvents(at, at.Add(time.Nanosecond), kindsOf(patterns.Kind(ref[timeKeyLen])),
			func(k []byte) bool { return bytes.Equal(k, ref) },
			func(k []byte, v storedValue) (err error) {
				ev, err = decodeEventBare(k, v, nil, nil)
				return err
			})
		if err == nil && ev == nil {
			err = badger.ErrKeyNotFound
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the slowest entry of a query class: %w (the store may be damaged: remove it and ingest again)", err)
	}
	return ev, nil
}
