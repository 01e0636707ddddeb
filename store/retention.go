package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// days lists the UTC days that hold keys of the given prefix, in order.
func (s *Store) days(prefix byte) ([]uint32, error) {
	var out []uint32
	err := s.db.View(func(txn *badger.Txn) error {
		opts := badger.IteratorOptions{Prefix: []byte{prefix}}
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek([]byte{prefix}); it.Valid(); {
			k := it.Item().Key()
			if len(k) < timeKeyLen {
				it.Next()
				continue
			}
			d := dayOf(keyTime(k))
			out = append(out, d)
			it.Seek(dayPrefix(prefix, d+1)) // skip to the next day
		}
		return nil
	})
	return out, err
}

// Prune drops the events, rollups, gaps and incident states of the UTC days before the last
// keepDays days (today, as now gives it, is one of them), and reclaims
// their disk space. It blocks writes while it runs: run it off-peak.
// It returns the number of days dropped. Once ctx is done it goes no
// further: Badger drops the days in one step, then reclaims their space one
// value-log file at a time.
func (s *Store) Prune(ctx context.Context, keepDays int, now time.Time) (int, error) {
	if keepDays < 1 {
		return 0, fmt.Errorf("cannot prune the store: keep at least 1 day (asked %d)", keepDays)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("cannot prune the store in %s: stopped before it began: %w", s.dir, err)
	}
	cutoff := dayOf(now) - uint32(keepDays-1)
	var prefixes [][]byte
	dropped := map[uint32]bool{}
	for _, p := range []byte{prefixEvent, prefixSecond, prefixMinute, prefixSlow, prefixGap, prefixIncident} {
		days, err := s.days(p)
		if err != nil {
			return 0, fmt.Errorf("cannot list the days in the store: %w", err)
		}
		for _, d := range days {
			if d < cutoff {
				prefixes = append(prefixes, dayPrefix(p, d))
				dropped[d] = true
			}
		}
	}
	if len(prefixes) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("cannot prune the store in %s: stopped before it dropped a day: %w", s.dir, err)
	}
	if err := s.db.DropPrefix(prefixes...); err != nil {
		return 0, fmt.Errorf("cannot drop old days from the store in %s: %w", s.dir, err)
	}
	for { // rewrite value-log files until nothing is left to reclaim
		if err := ctx.Err(); err != nil {
			return len(dropped), fmt.Errorf("cannot finish pruning the store in %s: stopped after it dropped %d day(s), before it reclaimed all their disk space: %w", s.dir, len(dropped), err)
		}
		err := s.db.RunValueLogGC(0.5)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
			break
		}
		if err != nil {
			return len(dropped), fmt.Errorf("cannot reclaim disk space in %s: %w", s.dir, err)
		}
	}
	return len(dropped), nil
}

// DiskUsage returns the bytes the store's files take on disk.
func (s *Store) DiskUsage() (int64, error) {
	var n int64
	err := filepath.WalkDir(s.dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			n += st.Blocks * 512 // sparse files: count what is allocated
		} else {
			n += fi.Size()
		}
		return nil
	})
	return n, err
}

// PruneDir prunes the existing store in dir (OpenExisting, Prune) and
// returns the days dropped and the store's size on disk before and after.
func PruneDir(ctx context.Context, dir string, keepDays int, now time.Time) (days int, before, after int64, err error) {
	st, err := OpenExisting(dir)
	if err != nil {
		return 0, 0, 0, err
	}
	defer st.Close()
	before, _ = st.DiskUsage()
	if days, err = st.Prune(ctx, keepDays, now); err != nil {
		return days, before, before, err
	}
	after, _ = st.DiskUsage()
	return days, before, after, nil
}
