package store

import (
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// PutIncident keeps (replaces) the state of the incident that started at
// start: opaque to the store (the daemon's record of what it announced),
// kept by the day of its start and dropped with it by Prune.
func (s *Store) PutIncident(start time.Time, state []byte) error {
	err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(timeKey(prefixIncident, start), state) })
	if err != nil {
		return fmt.Errorf("cannot keep an incident's state in the store in %s: %w (is the disk full?)", s.dir, err)
	}
	return nil
}

// Incidents returns the states kept of the incidents that started in
// [from, to), in the order of their starts.
func (s *Store) Incidents(from, to time.Time) ([][]byte, error) {
	var out [][]byte
	err := s.scan(prefixIncident, from, to, nil, func(_, v []byte) error {
		out = append(out, append([]byte(nil), v...))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read the incidents kept in %s: %w", s.dir, err)
	}
	return out, nil
}
