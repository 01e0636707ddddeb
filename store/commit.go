package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/timeline"
)

// ErrBatchTooBig is wrapped by Commit and Checkpoint when what the Writer
// holds does not fit one transaction: commit smaller batches (see Due).
var ErrBatchTooBig = errors.New("batch too big for one transaction")

// Commit writes what the Writer holds together with the given positions
// (one opaque value per followed path) in one transaction: after a crash,
// the store holds either all of it or none, so a follower that restarts
// from the committed positions neither loses nor counts twice. Rollup
// increments are not idempotent: this is why they must commit with the
// positions. Marks (see Mark) go in the same transaction.
func (w *Writer) Commit(positions map[string][]byte) error {
	if err := w.drain(); err != nil {
		w.reset()
		return err
	}
	if err := w.write(func(txn *badger.Txn) error {
		for path, pos := range positions {
			if err := txn.Set(append([]byte{prefixPos}, path...), pos); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return w.s.compactLevel0()
}

// Checkpoint writes what the Writer holds, with src (what is known of the
// file being read; none when src.Path is empty) and the file's mark
// (opaque: how far it was read, see Marks), in one transaction: after a crash the store holds all of it or
// none, so a batch load that resumes at the marks neither loses nor
// counts twice. The Writer must hold no more than one transaction takes:
// write when Due says so. When it fails, nothing was written and what the
// Writer held is dropped: the records it counted must be read again from
// the last mark.
func (w *Writer) Checkpoint(src timeline.Source, key string, mark []byte) error {
	if src.Path != "" {
		w.Source(src)
	}
	w.Mark(key, mark)
	if w.bg != nil {
		return w.handOn()
	}
	err := w.write(noMore)
	if err != nil {
		w.reset()
	}
	return err
}

// Mark records (replaces) the mark of one file with what the Writer
// holds: Checkpoint or Commit writes it with the counts it covers.
func (w *Writer) Mark(key string, mark []byte) {
	if w.marks == nil {
		w.marks = map[string][]byte{}
	}
	w.marks[key] = mark
}

// write writes what the Writer holds, and what more does, in one
// transaction, and empties the Writer when it is written.
func (w *Writer) write(more func(txn *badger.Txn) error) error {
	if err := checkSpace(w.s.dir); err != nil {
		return fmt.Errorf("cannot write to the store: %w", err)
	}
	commit := func(*badger.DB) {}
	if w.blocks.len() > 0 {
		w.s.blocks.mu.Lock()
		defer w.s.blocks.mu.Unlock()
	}
	if len(w.seconds) > 0 {
		defer w.s.written.lockMinutes()()
	}
	err := w.s.db.Update(func(txn *badger.Txn) error {
		if w.blocks.len() > 0 {
			var err error
			if commit, err = w.s.blocks.put(&w.blocks, txn.Set); err != nil {
				return err
			}
		}
		for i, k := range w.keys {
			if err := txn.Set(k, w.values[i]); err != nil {
				return err
			}
		}
		if err := w.s.addSeconds(txn, w.seconds); err != nil {
			return err
		}
		for minute, classes := range w.slow {
			if err := w.s.addSlowMinute(txn, minute, classes); err != nil {
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
		for key, m := range w.marks {
			if err := txn.Set(append([]byte{prefixMark}, key...), m); err != nil {
				return err
			}
		}
		return more(txn)
	})
	if errors.Is(err, badger.ErrTxnTooBig) {
		return fmt.Errorf("cannot commit to the store: %w (%d events, %d seconds)", ErrBatchTooBig, len(w.keys), len(w.seconds))
	}
	if err != nil {
		return fmt.Errorf("cannot commit to the store in %s: %w (is the disk full?)", w.s.dir, err)
	}
	commit(w.s.db)
	w.reset()
	return nil
}

func noMore(*badger.Txn) error { return nil }

// reset empties the Writer.
func (w *Writer) reset() {
	clear(w.keys)
	clear(w.values)
	w.keys, w.values, w.evBytes = w.keys[:0], w.values[:0], 0
	w.blocks.reset()
	clear(w.seconds)
	clear(w.slow)
	w.secSize = 0
	w.gaps, w.sources = w.gaps[:0], w.sources[:0]
	clear(w.marks)
}

// Marks returns the marks of the files read into the store (Checkpoint's
// and Commit's), by key.
func (s *Store) Marks() (map[string][]byte, error) {
	out, err := s.prefixed(prefixMark)
	if err != nil {
		return nil, fmt.Errorf("cannot read what the store in %s holds of each file: %w", s.dir, err)
	}
	return out, nil
}

// Held returns what the store holds of the files read into it: their
// marks, by key, and their sources.
func (w *Writer) Held() (map[string][]byte, []timeline.Source, error) {
	marks, err := w.s.Marks()
	if err != nil {
		return nil, nil, err
	}
	sources, err := w.s.Sources()
	return marks, sources, err
}

// Positions returns the committed follow positions, by path.
func (s *Store) Positions() (map[string][]byte, error) {
	out, err := s.prefixed(prefixPos)
	if err != nil {
		return nil, fmt.Errorf("cannot read the follow positions in %s: %w", s.dir, err)
	}
	return out, nil
}

// prefixed returns the values of the keys with the given prefix, by the
// rest of the key.
func (s *Store) prefixed(prefix byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefix}, PrefetchValues: true})
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
	return out, err
}
