package store

import (
	"fmt"
)

// OpenQuiet opens the store for a daemon that is idle most of the time
// (`logcause watch`). Badger's compaction workers poll every 50 ms whether
// or not anything was written: ~0.6% of a core for an idle daemon
// (BenchmarkWatchTenFiles). A quiet store starts none; Commit compacts
// level 0 itself once it holds NumLevelZeroTables tables, so that writes
// never reach the stall (NumLevelZeroTablesStall), and an idle daemon
// costs nothing. Batch ingest keeps the workers (Open): it writes fast.
func OpenQuiet(dir string) (*Store, error) {
	s, err := openWith(dir, badgerOptions(dir).WithNumCompactors(0))
	if err != nil {
		return nil, err
	}
	s.quiet = true
	return s, nil
}

// compactLevel0 compacts the tree when level 0 is full, in a quiet store.
func (s *Store) compactLevel0() error {
	if !s.quiet {
		return nil
	}
	for _, l := range s.db.Levels() {
		if l.Level == 0 && l.NumTables >= s.db.Opts().NumLevelZeroTables {
			if err := s.db.Flatten(2); err != nil {
				return fmt.Errorf("cannot compact the store in %s: %w", s.dir, err)
			}
			return nil
		}
	}
	return nil
}
