// Package pipeline answers one question: how do log files become what the
// store keeps? It finds the logs under the paths given and their formats,
// reads them (batch: every file whole, oldest first; the daemon follows
// them with ingest.Follower), and runs every record through one Step —
// parse, count, keep or roll up — into a Sink. For stamps that carry no
// zone it infers the zone from the access logs read with them.
package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// Progress hears how a batch load advances, in bytes of the files as
// stored (compressed bytes for archives).
type Progress interface {
	Start(totalBytes int64, files int)
	File(path string, n int) // the n-th file (from 1) begins
	Add(bytes int64)
	Finish()
}

type noProgress struct{}

func (noProgress) Start(int64, int) {}
func (noProgress) File(string, int) {}
func (noProgress) Add(int64)        {}
func (noProgress) Finish()          {}

// BatchSink is where a batch load writes: a Sink that keeps, with the
// counts, how far each file was read (a mark, opaque to it), and gives
// the marks back to the next load. store.Writer is one.
type BatchSink interface {
	Sink
	// Held returns the marks of the files loaded before, by key, and
	// their sources.
	Held() (marks map[string][]byte, sources []timeline.Source, err error)
	// Due reports whether the sink holds what one Checkpoint should write.
	Due() bool
	// Checkpoint writes what the sink was given since the last one with
	// src, what is known of the file being read (none when src.Path is
	// empty), and the file's mark, all or nothing.
	Checkpoint(src timeline.Source, key string, mark []byte) error
	// Source records what is known of a file that could not be read,
	// written by Flush.
	Source(timeline.Source)
	Flush() error
}

// writeBehind is a BatchSink that can write its checkpoints on a goroutine
// of its own while the load parses on (store.Writer): stop waits for them
// to be written, ends the goroutine and returns the first error. Flush
// waits for them too.
type writeBehind interface {
	WriteBehind() (stop func() error)
}

// Result is what loading a set of paths produced.
type Result struct {
	// Sources are the files under the paths, in the order read; what
	// the sink holds of each, the loads before this one included.
	Sources  []timeline.Source
	Records  int64   // records read by this load: those the sink did not hold
	Problems []error // files that could not be read completely, or not at all
}

// errSink is an error of the sink: the load stops.
type errSink struct{ err error }

func (e errSink) Error() string { return e.err.Error() }
func (e errSink) Unwrap() error { return e.err }

// Load reads every log file under paths into sink: of the files the sink
// holds already (see BatchSink.Held), only what is new — the lines
// appended since, the files never read, wherever rotation put the others
// (see mark). A file that cannot be read does not stop the others: it is
// reported in Problems. What Load writes, it writes in checkpoints that
// hold the counts of a file's records with the mark just after them: when
// a load is interrupted (a crash, a full disk), the next one resumes at
// the last checkpoint and counts nothing twice.
func Load(ctx context.Context, paths []string, sink BatchSink, opts Options) (res Result, err error) {
	files, problems, err := Discover(paths, opts)
	res.Problems = problems
	if err != nil {
		return res, err
	}
	// Access logs first: their stamps carry the server's UTC offset, which
	// the zoneless logs of the same server share; then nginx's error logs,
	// whose lines name the requests of the access log (see zoneEvidence).
	slices.SortStableFunc(files, func(a, b File) int { return cmp.Compare(readOrder(a), readOrder(b)) })
	watch := opts.Progress
	if watch == nil {
		watch = noProgress{}
	}
	var total int64
	for _, f := range files {
		if fi, err := os.Stat(f.Path); err == nil {
			total += fi.Size()
		}
	}
	held, err := newLedger(sink)
	if err != nil {
		return res, err
	}
	if wb, ok := sink.(writeBehind); ok {
		stop := wb.WriteBehind()
		defer func() {
			if serr := stop(); serr != nil && err == nil {
				err = fmt.Errorf("cannot load %v: %w (what was read before is kept: run again to read the rest)", paths, serr)
			}
		}()
	}
	watch.Start(total, len(files))
	defer watch.Finish()
	zones := newZoneEvidence()
	for i, f := range files {
		watch.File(f.Path, i+1)
		if err := ctx.Err(); err != nil {
			return res, err
		}
		src, n, err := held.read(ctx, f, opts, sink, zones, watch)
		res.Records += n
		if ctx.Err() != nil {
			return res, ctx.Err() // stopped: not a problem of the file's; what was read is kept
		}
		if errors.As(err, new(errSink)) {
			return res, fmt.Errorf("cannot load %s: %w (what was read before is kept: run again to read the rest)", f.Path, err)
		}
		if err != nil {
			src.Error = err.Error()
			res.Problems = append(res.Problems, err)
			sink.Source(src)
		}
		res.Sources = append(res.Sources, src)
	}
	return res, sink.Flush()
}

func readOrder(f File) int {
	switch f.Format.Kind {
	case patterns.KindNginxAccess:
		return 0
	case patterns.KindNginxError:
		return 1
	}
	return 2
}

// ZoneLabel names a zone in reports.
func ZoneLabel(loc *time.Location) string {
	if loc == time.Local {
		name, off := time.Now().In(loc).Zone()
		return fmt.Sprintf("Local (%s, %s)", name, formatOffset(off))
	}
	return loc.String()
}

// read reads what sink does not hold yet of one file, until ctx is done,
// and returns what is known of it (the loads before included) and the
// number of records read. A read error is the file's; an errSink stops
// the load.
func (l *ledger) read(ctx context.Context, f File, opts Options, sink BatchSink, zones *zoneEvidence, watch Progress) (timeline.Source, int64, error) {
	prior, known := l.sources[f.Path]
	prior.Path, prior.Format, prior.Error = f.Path, f.Format.Kind.String(), ""
	fi, err := os.Stat(f.Path)
	if err != nil {
		return prior, 0, fmt.Errorf("cannot read %s: %w", f.Path, err)
	}
	keys, whole, err := l.find(f.Path, fi)
	if err != nil {
		return prior, 0, err
	}
	if whole { // an archive read to its end before: nothing new
		zones.add(l.marks[keys[0]].Offsets)
		watch.Add(fi.Size())
		return prior, 0, nil
	}
	r, key, from, err := l.open(ctx, f, opts.Limits, keys)
	if err != nil {
		return prior, 0, err
	}
	defer r.Close()
	if from == nil {
		key = l.newKey(fi)
	}
	zones.add(from.offsets())
	configured := cmp.Or(f.Zone, opts.Zone) != nil
	zone, label, learned := from.zoneOf()
	if configured || !learned {
		zone, label = zones.zoneFor(ctx, f, opts)
		learned = !configured && zone != time.Local
	}
	step, err := NewStep(f, zone, label, prior, sink)
	if err != nil {
		return prior, 0, err
	}
	step.zones = zones
	defer step.classifyAhead()()
	offsets := maps.Clone(zones.offsets)
	var reported int64
	tell := func() {
		if c := r.Consumed(); c > reported {
			watch.Add(c - reported)
			reported = c
		}
	}
	defer tell()
	last := prior
	// checkpoint writes what the sink holds with the mark of pos, the
	// reader's position just after the last record handed to the sink,
	// and st, the reader's counts then.
	checkpoint := func(end bool, pos ingest.Position, st ingest.Stats) error {
		if err := step.Settle(); err != nil {
			return errSink{err}
		}
		src := step.Source()
		src.Cut = prior.Cut + st.CutLines + st.CutRecords
		m := mark{Pos: pos, Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), Compressed: st.Compression != "", End: end}
		if learned {
			_, off := time.Unix(0, 0).In(zone).Zone()
			m.Zone, m.TZ = &off, label
		}
		m.Offsets = maps.Clone(from.offsets())
		for off, n := range zones.offsets { // this file's, since it began
			if n -= offsets[off]; n > 0 {
				if m.Offsets == nil {
					m.Offsets = map[int]int64{}
				}
				m.Offsets[off] += n
			}
		}
		last = src
		if src.Records == prior.Records && !known && src.Error == "" {
			src = timeline.Source{} // nothing of it under this name: no source
		}
		b, err := json.Marshal(m)
		if err != nil {
			return errSink{fmt.Errorf("cannot encode how far %s was read: %w", f.Path, err)}
		}
		if err := sink.Checkpoint(src, key, b); err != nil {
			return errSink{err}
		}
		l.put(key, &m)
		if src.Path != "" {
			l.sources[src.Path] = src
		}
		return nil
	}
	var (
		pos ingest.Position // the last checkpoint's: just after the last record handed to the sink
		st  ingest.Stats
	)
	if step.parallel() && opts.workers() > 1 {
		blocks := 0
		pos, st, err = readBlocks(ctx, r, f, step, opts.workers(), opts.aheadBlocks(), func(b *block) error {
			if blocks++; blocks%16 == 1 { // from the first block, then every 1 MB
				tell()
			}
			if sink.Due() {
				return checkpoint(false, b.pos, b.stats)
			}
			return nil
		})
	} else {
		err = r.Records(f.Format.StartsRecord, func(rec []byte, off int64) error {
			if step.src.Records%16384 == 16383 {
				tell()
			}
			if err := step.Record(f.Path, rec, off); err != nil {
				return errSink{err}
			}
			if sink.Due() {
				return checkpoint(false, r.Position(), r.Stats())
			}
			return nil
		})
		pos, st = r.Position(), r.Stats()
	}
	switch {
	case errors.As(err, new(errSink)):
	case ctx.Err() != nil: // stopped: what was read is kept, for the next load
		if cerr := checkpoint(false, pos, st); cerr != nil {
			err = cerr
		}
	case err != nil:
		step.src.Error = err.Error()
		if cerr := checkpoint(false, pos, st); cerr != nil {
			err = cerr
		}
	default:
		err = checkpoint(true, pos, st)
	}
	return last, last.Records - prior.Records, err
}

// open opens f at the first of the marks keys that holds it, or from its
// start when none does (from is nil then).
func (l *ledger) open(ctx context.Context, f File, limits ingest.Limits, keys []string) (*ingest.Reader, string, *mark, error) {
	for i, k := range keys {
		r, ok, err := ingest.OpenAt(ctx, f.Path, limits, l.marks[k].Pos)
		switch {
		case err != nil:
			return nil, "", nil, err
		case ok:
			return r, k, l.marks[k], nil
		case i == len(keys)-1:
			return r, "", nil, nil // read from its start
		}
		r.Close()
	}
	r, err := ingest.OpenContext(ctx, f.Path, limits)
	return r, "", nil, err
}
