package store

import (
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// OpenQuiet opens the store for a daemon that is idle most of the time
// (`logcause watch`). Badger's compaction workers poll every 50 ms whether
// or not anything was written: ~0.6% of a core for an idle daemon
// (BenchmarkWatchTenFiles). A quiet store starts none; Commit compacts
// level 0 itself once it holds quietLevelZeroTables tables, so that
// writes never reach the stall (twice as many), and an idle daemon costs
// nothing. Batch ingest keeps the workers (Open): it writes fast.
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
	s, err := openWith(dir, quietOptions(dir))
	if err != nil {
		return nil, err
	}
	s.quiet = true
	return s, nil
}

// quietLevelZeroTables is how many level-0 tables (memtables written out,
// 8 MiB each before compression) a quiet store holds before Commit
// compacts them.
//
// Level 0 is compacted into everything below that its keys overlap, and
// while a daemon reads a backlog they overlap nearly all of it: each log
// is read at its own pace, so the events of the error log's latest
// seconds sort far from those of the access log's, and every table of
// level 0 spans both, and the rollups and positions between and after
// them. Each compaction then rewrites most of the store, builders
// running side by side (up to 5 ranges, each table held whole in a
// builder of ~28 MiB that Badger keeps pooled for the next): a daemon
// that compacted at every second table peaked at 323–346 MB and took
// 71–79 s to read an outage's 1.1 GB backlog (docs/benchmarks.md, "The
// daemon catching up a backlog"). At 32 tables, the first compaction of
// a new store goes into an empty level, one builder at a time, and that
// backlog needs no other (98–103 MB, 24–26 s); one twice as large does,
// and peaks higher. A daemon that follows its logs as they are written
// fills level 0 slowly (32 tables are 256 MiB of writes); its reads look
// at up to 32 tables of level 0 instead of 2.
const quietLevelZeroTables = 32

// quietOptions are a quiet store's Badger options (OpenQuiet).
func quietOptions(dir string) badger.Options {
	opt := badgerOptions(dir).
		WithNumCompactors(0).
		WithMemTableSize(8 << 20).
		WithNumLevelZeroTables(quietLevelZeroTables).
		WithNumLevelZeroTablesStall(2 * quietLevelZeroTables).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(8 << 20)
	opt.TableSizeMultiplier = 1
	return opt
}

// compactLevel0 compacts the tree when level 0 is full, in a quiet store,
// and gives back the mapped pages of its files (pageOut) once level 0
// changed: a memtable written out, or the tree compacted, leave the
// pages of the tables written and read resident — as much as the store
// holds after a compaction (~100 MB, for good, once a daemon read an
// outage's backlog).
func (s *Store) compactLevel0() error {
	if !s.quiet {
		return nil
	}
	n := s.level0Tables()
	if n >= s.db.Opts().NumLevelZeroTables {
		if err := s.releasing(func() error { return s.db.Flatten(2) }); err != nil {
			return fmt.Errorf("cannot compact the store in %s: %w", s.dir, err)
		}
		s.level0.Store(int64(s.level0Tables()))
		return nil
	}
	if s.level0.Swap(int64(n)) != int64(n) {
		_ = pageOut(s.dir) // at best effort: a failure leaves the pages where they were
	}
	return nil
}

// releasing runs f, a compaction, giving back the mapped pages of the
// store's files every releaseEvery meanwhile, and once more when it
// returns: a compaction reads much of the store, and writes it again,
// faster than a Commit comes (the first compaction of a daemon that read
// an outage's backlog held ~150 MB of them when it ended).
func (s *Store) releasing(f func() error) error {
	tick := time.NewTicker(releaseEvery)
	r := startReleasing(s.dir, tick.C)
	err := f()
	tick.Stop()
	r.Stop()
	_ = pageOut(s.dir) // at best effort, as the releaser's
	return err
}

// Reading runs f, reads of the store, and in a quiet store gives back the
// mapped pages of its files meanwhile and when f returns (releasing): the
// daemon's explanation of a long outage reads its records, hundreds of
// MB of tables, whose pages would stay resident after it (a live outage
// of ten minutes: 105 of the daemon's 164 MB, docs/benchmarks.md). Other
// stores run f as it is: the temporary store gives its pages back
// itself.
func (s *Store) Reading(f func() error) error {
	if !s.quiet {
		return f()
	}
	return s.releasing(f)
}

// level0Tables counts the tables of level 0.
func (s *Store) level0Tables() int {
	for _, l := range s.db.Levels() {
		if l.Level == 0 {
			return l.NumTables
		}
	}
	return 0
}
