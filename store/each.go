package store

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Each calls fn with every key the store holds and its value, in key
// order: what two stores hold can be compared byte for byte. fn must not
// keep them.
func (s *Store) Each(fn func(key, value []byte) error) error {
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			if err := item.Value(func(v []byte) error { return fn(item.Key(), v) }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot read the store in %s: %w", s.dir, err)
	}
	return nil
}
