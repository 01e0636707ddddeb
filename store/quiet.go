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
//
// A daemon runs for months, and its memory must stay where it starts
// (the soak, cmd/logcause/soak_test.go): a quiet store's memtables, mapped
// files whose written pages count in the process's RSS, are 8 MiB (the
// smallest that take the writer's largest batch, Due saying so sooner
// there: quietDueBytes), and its block and index
// caches 8 MiB each, which fill in the daemon's first minutes and then
// stay. A daemon writes a few thousand records a second at most: the
// smaller memtables cost it more level-0 tables, compacted by Commit.
//
// Every level's tables are of the base size (2 MiB; Badger doubles it per
// level by default): Commit's compaction (Flatten) merges level 0 into the
// tables of the level below that its keys overlap, and a table builder
// holds its whole table in memory, several at once. A first start that
// reads an outage's logs from the start (450 MB, --from-start) took
// 107 s and peaked at 402 MB with doubling tables, 59 s and 308 MB
// without.
func OpenQuiet(dir string) (*Store, error) {
	opt := badgerOptions(dir).
		WithNumCompactors(0).
		WithMemTableSize(8 << 20).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(8 << 20)
	opt.TableSizeMultiplier = 1
	s, err := openWith(dir, opt)
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
