package store

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Meta returns the value PutMeta kept under name, and false when there is
// none.
func (s *Store) Meta(name string) ([]byte, bool, error) {
	var v []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(metaKey(name))
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cannot read %s from the store in %s: %w", name, s.dir, err)
	}
	return v, true, nil
}

// PutMeta keeps v under name: state of the store's user that lives as long
// as the store (the last run of each scheduled report). Retention never
// drops it. The name "schema" is the store's own.
func (s *Store) PutMeta(name string, v []byte) error {
	if name == string(schemaKey[1:]) {
		return fmt.Errorf("cannot write %s into the store: the name is the store's own", name)
	}
	err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(metaKey(name), v) })
	if err != nil {
		return fmt.Errorf("cannot write %s into the store in %s: %w", name, s.dir, err)
	}
	return nil
}

func metaKey(name string) []byte { return append([]byte{prefixMeta}, name...) }
