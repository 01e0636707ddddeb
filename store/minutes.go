package store

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/timeline"
)

// A temporary store (OpenTemp) keeps the request rollups of a minute's
// seconds under one key, the minute's (prefixMinute), not a key each
// (prefixSecond): Badger's cost is per key — its transaction entry,
// skiplist node, table entry, and the merge of every level-0 table to
// read it back — and two weeks of logs have 1.2 M seconds with requests,
// ~20,000 minutes. Its value is the number of the minute's seconds that
// hold requests, then for each, in order, its offset in the minute (one
// byte, 0–59), the length of its rollup (uvarint) and the rollup as a
// second's key holds it (rollup.encode). A store that lives keeps a key
// per second: its layout is on users' disks, and the fleet's publisher
// reads what changed of it by the second (ChangedSeconds).

// minuteRollups is the pending rollups of one minute's seconds, by offset.
type minuteRollups [60]*rollup

// clampSecond is the Unix second whose key holds the rollup of sec: the
// key's range clamps the others (timeKey).
func clampSecond(sec int64) int64 { return min(max(sec, 0), maxKeyTime.Unix()) }

// minuteOf is the first second of the minute of sec (clamped).
func minuteOf(sec int64) int64 {
	sec = clampSecond(sec)
	return sec - mod(sec, 60)
}

// byMinute groups a Writer's pending rollups by minute. Seconds clamped
// to one key are merged into a new rollup: those of seconds are not
// changed.
func byMinute(seconds map[int64]*rollup) map[int64]*minuteRollups {
	out := make(map[int64]*minuteRollups, len(seconds)/16+1)
	for sec, r := range seconds {
		start := minuteOf(sec)
		m := out[start]
		if m == nil {
			m = new(minuteRollups)
			out[start] = m
		}
		off := clampSecond(sec) - start
		if have := m[off]; have != nil {
			r = have.merged(r)
		}
		m[off] = r
	}
	return out
}

// secondsInto puts the rollups of the minutes back, by second, into seconds.
func (m *minuteRollups) secondsInto(start int64, seconds map[int64]*rollup) {
	for off, r := range m {
		if r != nil {
			seconds[start+int64(off)] = r
		}
	}
}

// addMinute adds the counts of a minute's seconds to its stored rollups,
// in txn, as addSecond does a second's. It merges into copies: m stays as
// it was, whatever becomes of txn. A minute a temporary store never wrote
// it sets without reading the store (written).
func (s *Store) addMinute(txn *badger.Txn, start int64, m *minuteRollups) error {
	k := timeKey(prefixMinute, time.Unix(start, 0))
	if s.written.requestMinute(start) { // written before, perhaps: merge with what it holds
		item, err := txn.Get(k)
		switch {
		case err == nil:
			var v []byte
			err = item.Value(func(raw []byte) error {
				var stored [60][]byte
				err := eachOfMinute(start, raw, func(sec int64, r []byte) error {
					stored[sec-start] = r
					return nil
				})
				if err == nil {
					v, err = encodeMinute(m, &stored)
				}
				return err
			})
			if err != nil {
				return err
			}
			return txn.Set(k, v)
		case !errors.Is(err, badger.ErrKeyNotFound):
			return err
		}
	}
	v, err := encodeMinute(m, nil)
	if err != nil {
		return err
	}
	return txn.Set(k, v)
}

// encodeMinute encodes the rollups of a minute's seconds: those of m,
// merged with those stored (as a minute's value holds them; nil: none).
func encodeMinute(m *minuteRollups, stored *[60][]byte) ([]byte, error) {
	var enc [60][]byte
	n := 0
	for off, r := range m {
		var old []byte
		if stored != nil {
			old = stored[off]
		}
		switch {
		case r == nil:
			enc[off] = old
		case old == nil:
			enc[off] = r.encode()
		default:
			have, err := decodeRollup(old)
			if err != nil {
				return nil, err
			}
			enc[off] = have.merged(r).encode()
		}
		if enc[off] != nil {
			n++
		}
	}
	size := 1
	for _, e := range enc {
		if e != nil {
			size += 2 + binary.MaxVarintLen32 + len(e)
		}
	}
	b := binary.AppendUvarint(make([]byte, 0, size), uint64(n))
	for off, e := range enc {
		if e != nil {
			b = append(b, byte(off))
			b = binary.AppendUvarint(b, uint64(len(e)))
			b = append(b, e...)
		}
	}
	return b, nil
}

// eachOfMinute calls fn, in order, for each second of a minute's value
// (the minute that starts at start), with its Unix second and its
// rollup's bytes, valid only during the call.
func eachOfMinute(start int64, v []byte, fn func(sec int64, r []byte) error) error {
	d := decoder{v: v}
	n := d.uvarint()
	if d.err != nil || n == 0 || n > 60 {
		return errCorruptRollup
	}
	last := -1
	for range n {
		if len(d.v) == 0 || int(d.v[0]) <= last || d.v[0] >= 60 {
			return errCorruptRollup
		}
		last = int(d.v[0])
		d.v = d.v[1:]
		size := d.uvarint()
		if d.err != nil || size > uint64(len(d.v)) {
			return errCorruptRollup
		}
		if err := fn(start+int64(last), d.v[:size]); err != nil {
			return err
		}
		d.v = d.v[size:]
	}
	if len(d.v) > 0 {
		return errCorruptRollup
	}
	return nil
}

// eachMinuteSecond is eachSecond of a temporary store: the seconds in
// [from, to) of the minutes that overlap it. A second is in it as its
// key would be in a scan of second keys: from and to clamped to the keys'
// range, and truncated to their second.
func (s *Store) eachMinuteSecond(from, to time.Time, fn func(timeline.Second) error) error {
	lo, hi := keySecond(from), keySecond(to)
	if lo >= hi {
		return nil
	}
	return s.scan(prefixMinute, time.Unix(minuteOf(lo), 0), time.Unix(hi, 0), nil, func(k, v []byte) error {
		return eachOfMinute(keyTime(k).Unix(), v, func(sec int64, r []byte) error {
			if sec < lo || sec >= hi {
				return nil
			}
			one, err := decodeSecond(sec, r)
			if err != nil {
				return err
			}
			return fn(one)
		})
	})
}

// keySecond is the Unix second of t as a second's key holds it.
func keySecond(t time.Time) int64 { return clampSecond(t.Unix()) }

// minuteEdge is, for edges, the first (or the last) second a minute's
// key holds.
func minuteEdge(item *badger.Item, last bool) (time.Time, error) {
	var at int64
	found := false
	err := item.Value(func(v []byte) error {
		return eachOfMinute(keyTime(item.Key()).Unix(), v, func(sec int64, _ []byte) error {
			if !found || last {
				at, found = sec, true
			}
			return nil
		})
	})
	return time.Unix(at, 0).UTC(), err
}
