package store

import (
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// Stats counts what the store holds. It reads every key but decodes only
// the rollups.
func (s *Store) Stats() (timeline.Stats, error) {
	st := timeline.Stats{Dir: s.dir, Events: map[string]int64{}}
	var err error
	if st.DiskBytes, err = s.DiskUsage(); err != nil {
		return st, fmt.Errorf("cannot measure the store in %s: %w", s.dir, err)
	}
	var ok bool
	if st.First, st.Last, ok, err = s.Range(); err != nil || !ok {
		st.Sources, _ = s.Sources()
		return st, err
	}
	days := map[uint32]bool{}
	count := func(k []byte) bool {
		if len(k) > timeKeyLen {
			st.Events[patterns.Kind(k[timeKeyLen]).String()]++
			days[dayOf(keyTime(k))] = true
		}
		return false // the key is enough
	}
	if s.blocks != nil { // a temporary store's events are in blocks
		err = s.scanEvents(minKeyTime, maxKeyTime, allKinds, count, nil)
	} else {
		err = s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixEvent}})
			for it.Rewind(); it.Valid(); it.Next() {
				count(it.Item().Key())
			}
			it.Close()
			return nil
		})
	}
	if err != nil {
		return st, err
	}
	// Counted as they are read: a store of a year holds 31 M seconds.
	err = s.eachSecond(st.First, st.Last.Add(time.Second), func(sec timeline.Second) error {
		st.Seconds++
		st.Requests += sec.Requests()
		days[dayOf(sec.Time)] = true
		return nil
	})
	if err != nil {
		return st, err
	}
	st.Days = len(days)
	st.Sources, err = s.Sources()
	return st, err
}

// StatsOf counts what the existing store in dir holds (OpenExisting,
// Stats).
func StatsOf(dir string) (timeline.Stats, error) {
	st, err := OpenExisting(dir)
	if err != nil {
		return timeline.Stats{}, err
	}
	defer st.Close()
	stats, err := st.Stats()
	if err != nil {
		return stats, fmt.Errorf("cannot read the store in %s: %w", dir, err)
	}
	return stats, nil
}
