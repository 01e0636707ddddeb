// Package store answers one question: what has been ingested so far? It keeps
// events, per-second request rollups and per-source statistics in an embedded
// Badger database, and serves them back by time range.
//
// Not every access-log line is stored: each one is counted in its second's
// rollup, and only the lines that matter to analysis (gateway errors, every
// error-log record) are kept in full. See Writer.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// ErrLocked is wrapped by Open when another process holds the store; the
// error says which, when the holder file names it (holder.go).
var ErrLocked = errors.New("store is locked by another process")

// Store is an open store. It is safe for concurrent use.
type Store struct {
	db      *badger.DB
	dir     string
	removal bool // remove dir on Close (temporary store)
	// quiet: Badger's compactors are not running (OpenQuiet); Commit
	// compacts level 0 itself, and gives back the mapped pages once level
	// 0 changed (level0: its tables when it last did).
	quiet  bool
	level0 atomic.Int64
	// holder: this process wrote the holder file, removed on Close.
	holder bool
	// release gives back the temporary store's mapped table pages
	// (mapped.go); nil for the others.
	release *releaser
	tick    *time.Ticker
	// blocks: a temporary store keeps its events by the block
	// (blocks.go); nil for the others.
	blocks *blocks
	// written: the rollups a temporary store may hold (written.go); nil
	// for the others.
	written *written
	// lentBatches: lendAhead's batches (*lentBatch), for the scans
	// after the one that made them.
	lentBatches sync.Pool
}

// Open opens (creating if needed) the store in dir. When another process
// has it open, the error wraps ErrLocked.
func Open(dir string) (*Store, error) { return openWith(dir, badgerOptions(dir)) }

func openWith(dir string, opt badger.Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("cannot create the store directory %s: %w", dir, err)
	}
	if err := checkSpace(dir); err != nil {
		return nil, fmt.Errorf("cannot open the store: %w", err)
	}
	db, err := badger.Open(opt)
	if err != nil {
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			slog.Debug("the store is locked", "path", dir, "err", err)
			return nil, lockedError(dir)
		}
		return nil, fmt.Errorf("cannot open the store in %s: %w", dir, err)
	}
	s := &Store{db: db, dir: dir}
	if err := s.checkSchema(); err != nil {
		db.Close()
		return nil, err
	}
	if err := writeHolder(dir); err != nil {
		slog.Debug("cannot write the store's holder file", "path", dir, "err", err) // it only informs
	} else {
		s.holder = true
	}
	return s, nil
}

// checkSchema records the schema of a new store, and refuses a store
// written with another key layout.
func (s *Store) checkSchema() error {
	return s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(schemaKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			it := txn.NewIterator(badger.IteratorOptions{})
			it.Rewind()
			empty := !it.Valid()
			it.Close()
			if !empty {
				return fmt.Errorf("cannot open the store in %s: it was written by an older version of logcause; rebuild the store: remove the directory (or give --store another one) and read the logs again", s.dir)
			}
			return txn.Set(schemaKey, []byte(schemaVersion))
		}
		if err != nil {
			return fmt.Errorf("cannot read the store in %s: %w", s.dir, err)
		}
		return item.Value(func(v []byte) error {
			if string(v) != schemaVersion {
				return fmt.Errorf("cannot open the store in %s: it has schema %s, this logcause reads schema %s; rebuild the store: remove the directory (or give --store another one) and read the logs again", s.dir, v, schemaVersion)
			}
			return nil
		})
	})
}

// ErrNoStore is wrapped by OpenExisting when the directory holds no store.
var ErrNoStore = errors.New("no logcause store")

// OpenExisting opens the store in dir for a command that reads or prunes
// a store, and so must not create one: a directory that does not exist,
// or holds no store, is an error wrapping ErrNoStore, and nothing is
// created.
func OpenExisting(dir string) (*Store, error) {
	const hint = "give --store the directory where `logcause analyze --store` or `logcause watch` keeps one"
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("cannot open the store in %s: %w: no such directory; %s", dir, ErrNoStore, hint)
	case err != nil:
		return nil, fmt.Errorf("cannot open the store in %s: %w", dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("cannot open the store in %s: %w: it is not a directory; %s", dir, ErrNoStore, hint)
	}
	// MANIFEST is the first file Badger writes in a new store.
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cannot open the store in %s: %w in this directory; %s", dir, ErrNoStore, hint)
	} else if err != nil {
		return nil, fmt.Errorf("cannot open the store in %s: %w", dir, err)
	}
	return Open(dir)
}

// OpenOrTemp opens the store in dir as Open does or, when dir is "", a
// new temporary one (OpenTemp).
func OpenOrTemp(dir string) (*Store, error) {
	if dir == "" {
		return OpenTemp()
	}
	return Open(dir)
}

// OpenTemp opens a new store in a temporary directory that Close removes.
func OpenTemp() (*Store, error) {
	dir, err := os.MkdirTemp("", "logcause-store-")
	if err != nil {
		return nil, fmt.Errorf("cannot create a temporary store: %w (set TMPDIR to a writable directory, or pass --store DIR)", err)
	}
	s, err := openWith(dir, scratchOptions(dir))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.removal, s.written = true, &written{}
	if s.blocks, err = openBlocks(dir); err != nil {
		s.Close()
		return nil, err
	}
	s.tick = time.NewTicker(releaseEvery)
	s.release = startReleasing(dir, s.tick.C)
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Close closes the store, and removes it if it is temporary.
func (s *Store) Close() error {
	if s.release != nil { // before Badger unmaps its tables
		s.tick.Stop()
		s.release.Stop()
	}
	if s.holder { // before Badger's lock is released: the next holder's file stays
		os.Remove(filepath.Join(s.dir, holderFile))
	}
	err := s.db.Close()
	if s.blocks != nil {
		s.blocks.f.Close()
	}
	if s.removal {
		if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("cannot close the store in %s: %w", s.dir, err)
	}
	return nil
}

// badgerOptions is the small-footprint profile measured in
// shared/docs/dependencies.md.
func badgerOptions(dir string) badger.Options {
	return badger.DefaultOptions(dir).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBlockCacheSize(16 << 20).
		WithIndexCacheSize(16 << 20).
		WithValueLogFileSize(64 << 20).
		WithNumCompactors(2).
		WithCompression(options.ZSTD).
		WithDetectConflicts(false).
		WithMetricsEnabled(false).
		WithLogger(slogLogger{slog.Default()})
}

// scratchOptions is the profile of a temporary store (OpenTemp): one batch
// analysis writes it once, reads it back and removes it. Compaction buys
// nothing there but CPU, and ZSTD's ratio little but CPU: an outage-heavy
// log (625 k events) spent three quarters of its time compressing tables
// and decompressing them again to compact them. Level 0 takes every table
// the batch writes instead, read back merged; Snappy keeps the tables, which
// Badger maps into memory and so count in the process's RSS, at about half
// their size for a fraction of ZSTD's CPU (docs/benchmarks.md: 412 MB
// peak against 760 MB uncompressed, 2 s more CPU).
//
// Its memory is sized for the batch (docs/benchmarks.md, "Flat memory"):
// 8 MiB memtables, the smallest that take the writer's largest batch (at 4
// MiB Badger refuses it as too big for one transaction), halve the
// skiplists and the table builders' buffers of a flush (the 300,000-query
// slow log: 244 → 161 MB peak); a block and an index cache of 4 MiB each
// (16 MiB live) are enough for reading the store back once, in key order
// (161 → 151 MB), at no cost in CPU measured.
func scratchOptions(dir string) badger.Options {
	return badgerOptions(dir).
		WithCompression(options.Snappy).
		WithNumLevelZeroTables(1 << 10).
		WithNumLevelZeroTablesStall(1 << 11).
		WithMemTableSize(8 << 20).
		WithBlockCacheSize(4 << 20).
		WithIndexCacheSize(4 << 20).
		WithValueThreshold(scratchValueThreshold)
}

// scratchValueThreshold: a temporary store keeps in its tables the keys
// and the values of at most 128 bytes (rollups, sources), and writes the
// events it keeps a key each (those out of order in their file: the
// others are in its blocks, blocks.go), hundreds of bytes each, to the
// value log, appended as they come, uncompressed, never rewritten: the
// memtables, their flushes and the tables then carry ~40 bytes per event
// instead of ~500. When every event had a key, the outage-heavy log: 25%
// less CPU, the heap's live peak 129 → 114 MiB (docs/benchmarks.md, "Flat
// memory").
const scratchValueThreshold = 128

// slogLogger routes Badger's log to slog at Debug, whatever Badger's
// level (kept in badger_level): its errors and warnings ("While running
// doCompact … Unable to fill tables") are its own business, retried or
// returned by the call that failed, so a user never reads them; a debug
// log (--verbose) shows them. Badger's own debug lines, several per
// write, go below Debug (LevelBadgerDebug).
type slogLogger struct{ l *slog.Logger }

// LevelBadgerDebug is the slog level of Badger's debug lines: below
// slog.LevelDebug, shown only by a handler that asks for it.
const LevelBadgerDebug = slog.LevelDebug - 4

func (s slogLogger) log(l slog.Level, badgerLevel, f string, a []any) {
	ctx := context.Background()
	if !s.l.Enabled(ctx, l) {
		return
	}
	s.l.Log(ctx, l, strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "badger", "badger_level", badgerLevel)
}

func (s slogLogger) Errorf(f string, a ...any)   { s.log(slog.LevelDebug, "error", f, a) }
func (s slogLogger) Warningf(f string, a ...any) { s.log(slog.LevelDebug, "warning", f, a) }
func (s slogLogger) Infof(f string, a ...any)    { s.log(slog.LevelDebug, "info", f, a) }
func (s slogLogger) Debugf(f string, a ...any)   { s.log(LevelBadgerDebug, "debug", f, a) }

// PutSource records (replaces) what is known of one source.
func (s *Store) PutSource(src timeline.Source) error {
	v, err := json.Marshal(src)
	if err != nil {
		return fmt.Errorf("cannot encode source %s: %w", src.Path, err)
	}
	return s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(sourceKey(src.Path), v)
	})
}

func sourceKey(path string) []byte { return append([]byte{prefixSource}, path...) }

// Sources returns every recorded source, ordered by path.
func (s *Store) Sources() ([]timeline.Source, error) {
	var out []timeline.Source
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		p := []byte{prefixSource}
		for it.Seek(p); it.ValidForPrefix(p); it.Next() {
			var src timeline.Source
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &src) }); err != nil {
				return fmt.Errorf("cannot decode source %q: %w", it.Item().Key()[1:], err)
			}
			out = append(out, src)
		}
		return nil
	})
	return out, err
}

// Seconds returns the rollups of the seconds in [from, to), in time order.
func (s *Store) Seconds(from, to time.Time) ([]timeline.Second, error) {
	var out []timeline.Second
	err := s.eachSecond(from, to, func(sec timeline.Second) error {
		out = append(out, sec)
		return nil
	})
	return out, err
}

// eachSecond calls fn with the rollup of each second in [from, to), in
// time order, holding none of them (Stats counts a store's every second).
func (s *Store) eachSecond(from, to time.Time, fn func(timeline.Second) error) error {
	if s.written != nil { // a temporary store: by the minute (minutes.go)
		return s.eachMinuteSecond(from, to, fn)
	}
	return s.scan(prefixSecond, from, to, nil, func(k, v []byte) error {
		sec, err := decodeSecond(keyTime(k).Unix(), v)
		if err != nil {
			return err
		}
		return fn(sec)
	})
}

// Events calls fn for each stored event with a time in [from, to), in time
// order. The event passed to fn is fresh: fn may keep it.
func (s *Store) Events(from, to time.Time, fn func(*patterns.Event) error) error {
	return s.scanEvents(from, to, allKinds, nil, func(k []byte, v storedValue) error {
		ev, err := decodeEventBare(k, v, nil, nil)
		if err != nil {
			return fmt.Errorf("cannot decode a stored event: %w (the store may be from another version of logcause: remove it and ingest again)", err)
		}
		return fn(ev)
	})
}

// EventsBare is Events, but the access, nginx error and PHP-FPM events
// that bare accepts (it sees each event's fields, not its text) come
// without their text, and are lent: fn may read such an event, not keep
// it nor any of its strings (it copies what it keeps), for the place it
// is decoded into and the bytes its strings are will be another event's
// once fn has returned. A reader that reads the fields of most events, as
// analysis does of an outage's hundreds of thousands of access, error and
// PHP-FPM lines, is spared a copy of every line and of every field. The
// other events are fresh, as Events's; the events of one file share their
// path.
//
// With more than one processor, the events are read on a goroutine of
// their own and decoded on another, a few batches ahead of fn (lendAhead),
// which is called on the caller's: bare is called on the decoding one.
// Both have ended when EventsBare returns.
func (s *Store) EventsBare(from, to time.Time, bare func(*patterns.Event) bool, fn func(*patterns.Event) error) error {
	if runtime.GOMAXPROCS(0) > 1 {
		return s.lendAhead(from, to, bare, fn)
	}
	return s.lendInPlace(from, to, bare, fn)
}

// lendInPlace is EventsBare on the caller's goroutine: each event decoded
// into one place, its strings the bytes the scan hands.
func (s *Store) lendInPlace(from, to time.Time, bare func(*patterns.Event) bool, fn func(*patterns.Event) error) error {
	var (
		path string
		ps   scanPaths
		l    lent
	)
	return s.scanEvents(from, to, allKinds, nil, func(k []byte, v storedValue) error {
		ev, err := decodeLent(k, v, bare, &path, &ps, &l)
		if err != nil {
			return decodeError(err)
		}
		return fn(ev)
	})
}

// decodeError is the error of an event that cannot be decoded.
func decodeError(err error) error {
	return fmt.Errorf("cannot decode a stored event: %w (the store may be from another version of logcause: remove it and ingest again)", err)
}

// EventsOf calls fn for each stored event of the given kind in [from, to),
// in time order; the others are skipped by their key, not decoded.
func (s *Store) EventsOf(kind patterns.Kind, from, to time.Time, fn func(*patterns.Event) error) error {
	ofKind := func(k []byte) bool { return len(k) > timeKeyLen && patterns.Kind(k[timeKeyLen]) == kind }
	return s.scanEvents(from, to, kindsOf(kind), ofKind, func(k []byte, v storedValue) error {
		ev, err := decodeEventBare(k, v, nil, nil)
		if err != nil {
			return fmt.Errorf("cannot decode a stored event: %w (the store may be from another version of logcause: remove it and ingest again)", err)
		}
		return fn(ev)
	})
}

// scan calls fn for the keys of prefix in [from, to) that keep accepts
// (nil: every one), with their values; the others' values are not read.
func (s *Store) scan(prefix byte, from, to time.Time, keep func(k []byte) bool, fn func(k, v []byte) error) error {
	start, end := timeKey(prefix, from), timeKey(prefix, to)
	return s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte{prefix}
		opts.PrefetchValues = false // read each value where it is (the tables, or a temporary store's value log) when asked: none fetched ahead for keys keep skips
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(start); it.Valid(); it.Next() {
			item := it.Item()
			k := item.Key()
			if string(k[:timeKeyLen]) >= string(end) {
				return nil
			}
			if keep != nil && !keep(k) {
				continue
			}
			if err := item.Value(func(v []byte) error { return fn(k, v) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// Range returns the earliest and latest instants stored (events and
// rollups), and false when the store is empty.
func (s *Store) Range() (first, last time.Time, ok bool, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		for _, p := range []byte{prefixSecond, prefixMinute, prefixEvent, 0} {
			var f, l time.Time
			var found bool
			switch {
			case p == prefixMinute: // a temporary store's rollups: their first and last seconds
				var err error
				if f, l, found, err = edges(txn, p, minuteEdge); err != nil {
					return fmt.Errorf("cannot read the store's first and last seconds: %w", err)
				}
			case p != 0:
				f, l, found, _ = edges(txn, p, keyEdge)
			case s.blocks != nil:
				f, l, found = s.blocks.edges()
			}
			if !found {
				continue
			}
			if !ok || f.Before(first) {
				first = f
			}
			if !ok || l.After(last) {
				last = l
			}
			ok = true
		}
		return nil
	})
	return first, last, ok, err
}

// edges returns the instants at (the first, or the last) gives the first
// and the last keys of prefix, and false when there is none.
func edges(txn *badger.Txn, prefix byte, at func(item *badger.Item, last bool) (time.Time, error)) (first, last time.Time, ok bool, err error) {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = []byte{prefix}
	it := txn.NewIterator(opts)
	it.Seek([]byte{prefix})
	if !it.Valid() {
		it.Close()
		return first, last, false, nil
	}
	first, err = at(it.Item(), false)
	it.Close()
	if err != nil {
		return first, last, false, err
	}
	opts.Reverse = true
	it = txn.NewIterator(opts)
	defer it.Close()
	it.Seek([]byte{prefix, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	if it.Valid() {
		if last, err = at(it.Item(), true); err != nil {
			return first, last, false, err
		}
	}
	return first, last, true, nil
}

// keyEdge is, for edges, the instant of a time-ordered key.
func keyEdge(item *badger.Item, _ bool) (time.Time, error) { return keyTime(item.Key()), nil }
