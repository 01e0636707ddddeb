package store

import (
	"bytes"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// prefixPublished keys what the fleet's publisher last published of a
// second (the rollup's bytes as they were then):
//
//	h | day (4) | unix seconds (8) → a rollup (as r)
//
// Only the fleet's Pump writes it (PutFleetState), and prunes it
// (PruneFleetPublished): a key of its own, no change of meaning of the
// others, so no new schema.
const prefixPublished = 'h'

// FleetSnapshot is the store as one commit version sees it, for the
// fleet's publisher: what changed since another version (Badger's commit
// versions: each key keeps the version of the transaction that last wrote
// it). Close it.
type FleetSnapshot struct {
	txn *badger.Txn
}

// FleetSnapshot opens a snapshot of the store as it is.
func (s *Store) FleetSnapshot() *FleetSnapshot {
	return &FleetSnapshot{txn: s.db.NewTransaction(false)}
}

// Version is the snapshot's commit version: every commit at it or before
// is in it, none after.
func (f *FleetSnapshot) Version() uint64 { return f.txn.ReadTs() }

// Close releases the snapshot.
func (f *FleetSnapshot) Close() { f.txn.Discard() }

// changed calls fn for the keys of prefix with instants in [from, to),
// after the key after (nil: from from on), last written at a version in
// (since, upTo], in key order. Tables written before since are not read.
func (f *FleetSnapshot) changed(prefix byte, from, to time.Time, after []byte, since, upTo uint64, fn func(k []byte, item *badger.Item) error) error {
	start, end := timeKey(prefix, from), timeKey(prefix, to)
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte{prefix}
	opts.PrefetchValues = false
	opts.SinceTs = since
	it := f.txn.NewIterator(opts)
	defer it.Close()
	seek := start
	if after != nil && bytes.Compare(after, start) >= 0 {
		seek = append(bytes.Clone(after), 0) // the next key
	}
	for it.Seek(seek); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		if bytes.Compare(k[:timeKeyLen], end) >= 0 {
			return nil
		}
		if v := item.Version(); v <= since || v > upTo {
			continue
		}
		if err := fn(k, item); err != nil {
			return err
		}
	}
	return nil
}

// ChangedSeconds calls fn, in time order, for the seconds in [from, to)
// whose rollup was last committed at a version in (since, upTo]: the
// second as it is, as PutFleetState last kept it published (no counts when
// never), and the rollup's bytes to keep as published.
// A store that lives only: a temporary store keeps its rollups by the
// minute (minutes.go), and has none of these keys.
func (f *FleetSnapshot) ChangedSeconds(from, to time.Time, since, upTo uint64, fn func(now, published timeline.Second, raw []byte) error) error {
	return f.changed(prefixSecond, from, to, nil, since, upTo, func(k []byte, item *badger.Item) error {
		unix := keyTime(k).Unix()
		raw, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		now, err := decodeSecond(unix, raw)
		if err != nil {
			return err
		}
		pub := timeline.Second{Time: now.Time}
		old, err := f.txn.Get(timeKey(prefixPublished, now.Time))
		switch {
		case err == badger.ErrKeyNotFound:
		case err != nil:
			return err
		default:
			if err := old.Value(func(v []byte) error {
				pub, err = decodeSecond(unix, v)
				return err
			}); err != nil {
				return err
			}
		}
		return fn(now, pub, raw)
	})
}

// ChangedEvents calls fn, in time order, for the records with instants in
// [from, to), after the key after (nil: from from on), last committed at
// a version in (since, upTo], with their keys (to resume after one).
func (f *FleetSnapshot) ChangedEvents(from, to time.Time, after []byte, since, upTo uint64, fn func(key []byte, ev *patterns.Event) error) error {
	return f.changed(prefixEvent, from, to, after, since, upTo, func(k []byte, item *badger.Item) error {
		var ev *patterns.Event
		if err := item.Value(func(v []byte) (err error) {
			ev, err = decodeEvent(k, v)
			return err
		}); err != nil {
			return fmt.Errorf("cannot decode a stored event: %w (the store may be from another version of logcause: remove it and ingest again)", err)
		}
		return fn(bytes.Clone(k), ev)
	})
}

// PutFleetState writes, in one transaction, the fleet publisher's meta
// values (as PutMeta) and what it published of seconds: each second's
// rollup bytes (ChangedSeconds' raw) as published.
func (s *Store) PutFleetState(meta map[string][]byte, published map[int64][]byte) error {
	err := s.db.Update(func(txn *badger.Txn) error {
		for name, v := range meta {
			if err := txn.Set(metaKey(name), v); err != nil {
				return err
			}
		}
		for unix, v := range published {
			if err := txn.Set(timeKey(prefixPublished, time.Unix(unix, 0)), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot write the fleet's state into the store in %s: %w", s.dir, err)
	}
	return nil
}

// PruneFleetPublished drops what PutFleetState kept of the days before
// that of before (the store's own retention dropped those seconds).
func (s *Store) PruneFleetPublished(before time.Time) error {
	days, err := s.days(prefixPublished)
	if err != nil {
		return fmt.Errorf("cannot list the days of the fleet's state in the store in %s: %w", s.dir, err)
	}
	var prefixes [][]byte
	for _, d := range days {
		if d < dayOf(before) {
			prefixes = append(prefixes, dayPrefix(prefixPublished, d))
		}
	}
	if len(prefixes) == 0 {
		return nil
	}
	if err := s.db.DropPrefix(prefixes...); err != nil {
		return fmt.Errorf("cannot drop the fleet's old state from the store in %s: %w", s.dir, err)
	}
	return nil
}
