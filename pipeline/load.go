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
	"fmt"
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

// BatchSink is where a batch load writes: a Sink that is told what was
// read of each file, and flushed at the end.
type BatchSink interface {
	Sink
	Source(timeline.Source)
	Flush() error
}

// Result is what loading a set of paths produced.
type Result struct {
	Sources  []timeline.Source
	Records  int64
	Problems []error // files that could not be read completely, or not at all
}

// Load reads every log file under paths into sink. A file that cannot be
// read does not stop the others: it is reported in Problems.
func Load(ctx context.Context, paths []string, sink BatchSink, opts Options) (Result, error) {
	var res Result
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
	watch.Start(total, len(files))
	defer watch.Finish()
	zones := newZoneEvidence()
	for i, f := range files {
		watch.File(f.Path, i+1)
		if err := ctx.Err(); err != nil {
			return res, err
		}
		zone, label := zones.zoneFor(ctx, f, opts)
		src, err := readFile(ctx, f, opts.Limits, zone, label, sink, zones, watch)
		if ctx.Err() != nil {
			return res, ctx.Err() // stopped: not a problem of the file's
		}
		res.Records += src.Records
		if err != nil {
			src.Error = err.Error()
			res.Problems = append(res.Problems, err)
		}
		res.Sources = append(res.Sources, src)
	}
	for _, src := range res.Sources {
		sink.Source(src)
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

// readFile reads one file's records into sink, until ctx is done.
func readFile(ctx context.Context, f File, limits ingest.Limits, zone *time.Location, zoneLabel string, sink Sink, zones *zoneEvidence, watch Progress) (timeline.Source, error) {
	step, err := NewStep(f, zone, zoneLabel, timeline.Source{}, sink)
	if err != nil {
		return timeline.Source{Path: f.Path, Format: f.Format.Kind.String(), TZ: zoneLabel}, err
	}
	step.zones = zones
	r, err := ingest.OpenContext(ctx, f.Path, limits)
	if err != nil {
		return step.Source(), err
	}
	defer r.Close()
	var reported int64
	tell := func() {
		if c := r.Consumed(); c > reported {
			watch.Add(c - reported)
			reported = c
		}
	}
	defer tell()
	err = r.Records(f.Format.StartsRecord, func(rec []byte, off int64) error {
		if step.src.Records%16384 == 16383 {
			tell()
		}
		return step.Record(f.Path, rec, off)
	})
	src := step.Source()
	st := r.Stats()
	src.Cut = st.CutLines + st.CutRecords
	return src, err
}
