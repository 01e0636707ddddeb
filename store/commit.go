package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// ErrBatchTooBig is wrapped by Commit when what the Writer holds does not
// fit one transaction: commit smaller batches.
var ErrBatchTooBig = errors.New("batch too big for one transaction")

// Commit writes what the Writer holds together with the given positions
// (one opaque value per followed path) in one transaction: after a crash,
// the store holds either all of it or none, so a follower that restarts
// from the committed positions neither loses nor counts twice. Rollup
// increments are not idempotent: this is why they must commit with the
// positions. Flush remains the faster way for batch ingest.
func (w *Writer) Commit(positions map[string][]byte) error {
	if err := checkSpace(w.s.dir); err != nil {
		return fmt.Errorf("cannot write to the store: %w", err)
	}
	err := w.s.db.Update(func(txn *badger.Txn) error {
		for _, ev := range w.events {
			v, err := encodeEvent(ev)
			if err != nil {
				return err
			}
			if err := txn.Set(eventKey(ev), v); err != nil {
				return err
			}
		}
		for sec, counts := range w.seconds {
			if err := addSecond(txn, sec, counts); err != nil {
				return err
			}
		}
		for _, g := range w.gaps {
			v, err := json.Marshal(g)
			if err != nil {
				return err
			}
			if err := txn.Set(gapKey(g), v); err != nil {
				return err
			}
		}
		for _, src := range w.sources {
			v, err := json.Marshal(src)
			if err != nil {
				return err
			}
			if err := txn.Set(sourceKey(src.Path), v); err != nil {
				return err
			}
		}
		for path, pos := range positions {
			if err := txn.Set(append([]byte{prefixPos}, path...), pos); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, badger.ErrTxnTooBig) {
		return fmt.Errorf("cannot commit to the store: %w (%d events, %d seconds)", ErrBatchTooBig, len(w.events), len(w.seconds))
	}
	if err != nil {
		return fmt.Errorf("cannot commit to the store in %s: %w (is the disk full?)", w.s.dir, err)
	}
	clear(w.events)
	w.events, w.evBytes = w.events[:0], 0
	clear(w.seconds)
	w.gaps, w.sources = w.gaps[:0], w.sources[:0]
	return w.s.compactLevel0()
}

// Positions returns the committed follow positions, by path.
func (s *Store) Positions() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixPos}, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().Key()[1:])] = v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read the follow positions in %s: %w", s.dir, err)
	}
	return out, nil
}
