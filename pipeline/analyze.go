package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/timeline"
)

// Store is what a batch analysis reads of the store it loads into.
type Store interface {
	analyze.Reader
	Range() (first, last time.Time, ok bool, err error)
	Sources() ([]timeline.Source, error)
}

// Analyze loads the logs under paths into sink, a writer of st, and
// explains the gateway errors of everything st holds: the report's range
// and sources are the store's, the files under paths first, in the order
// read, then those read into it before. Files that could not be read are
// returned in problems, with the report of what was read, whose sources
// list them with their error; err is set when there is no report to give.
func Analyze(ctx context.Context, paths []string, sink BatchSink, st Store, opts Options, cfg analyze.Config) (res analyze.Result, problems []error, err error) {
	loaded, err := Load(ctx, paths, sink, opts)
	if err != nil {
		return res, loaded.Problems, err
	}
	var records int64 // of the files under paths, read now or before
	for _, s := range loaded.Sources {
		records += s.Records
	}
	if records == 0 {
		return res, nil, errors.Join(append(loaded.Problems, fmt.Errorf("no log records found in %v: the files are empty", paths))...)
	}
	first, last, ok, err := st.Range()
	if err != nil {
		return res, nil, fmt.Errorf("cannot read the store: %w", err)
	}
	if !ok {
		return res, nil, errors.Join(append(loaded.Problems, fmt.Errorf("no record in %v could be parsed; see the unparsed samples with `logcause parse`", paths))...)
	}
	res, before, err := explain(st, window(first, last, opts.Since, opts.Until), cfg, loaded.Sources)
	if err != nil {
		return res, nil, err
	}
	read := map[string]bool{}
	for _, s := range loaded.Sources {
		read[s.Path] = true
	}
	for _, p := range loaded.Problems { // the files that could not be read at all
		var fe *FileError
		if errors.As(p, &fe) && !read[fe.Path] {
			read[fe.Path] = true
			res.Sources = append(res.Sources, analyze.Source{Path: fe.Path, Error: p.Error()})
		}
	}
	res.Sources = append(res.Sources, before...)
	return res, loaded.Problems, nil
}

// ErrEmptyStore is Report's error for a store that holds no record.
var ErrEmptyStore = errors.New("the store holds no record yet")

// Report explains the gateway errors that st holds in [since, until), with
// no log read: the report's sources are all those the store has recorded.
func Report(st Store, since, until time.Time, cfg analyze.Config) (analyze.Result, error) {
	first, last, ok, err := st.Range()
	if err != nil {
		return analyze.Result{}, fmt.Errorf("cannot read the store: %w", err)
	}
	if !ok {
		return analyze.Result{}, ErrEmptyStore
	}
	res, held, err := explain(st, window(first, last, since, until), cfg, nil)
	if err != nil {
		return res, err
	}
	res.Sources = held
	if res.Sources == nil {
		res.Sources = []analyze.Source{}
	}
	return res, nil
}

// explain analyzes st in rng and lists what the store holds of each file:
// of those just read (res.Sources, as covered says), and of the others
// (before).
func explain(st Store, rng analyze.TimeRange, cfg analyze.Config, read []timeline.Source) (res analyze.Result, before []analyze.Source, err error) {
	res, err = analyze.Analyze(st, rng, cfg)
	if err != nil {
		return res, nil, err
	}
	held, err := st.Sources()
	if err != nil {
		return res, nil, fmt.Errorf("cannot read the store's sources: %w", err)
	}
	res.Sources, before = covered(read, held)
	return res, before, nil
}

// window is the range analysed of a store that holds [first, last]:
// [since, until) where they are given, the store's ends where not.
// analyze.TimeRange's end is its last second, the one before until.
func window(first, last, since, until time.Time) analyze.TimeRange {
	rng := analyze.TimeRange{Start: first, End: last}
	if !since.IsZero() {
		rng.Start = since.UTC()
	}
	if !until.IsZero() {
		rng.End = until.Add(-time.Second).UTC()
	}
	if rng.End.Before(rng.Start) { // since after all the store holds: an empty window, not an inverted one
		rng.End = rng.Start
	}
	return rng
}

// covered returns what the store holds of each file: of those just read
// (as the store has them), in the order read, and of the others, by path.
// A file read now whose content the store holds under another name is
// listed under that name.
func covered(read, held []timeline.Source) (now, before []analyze.Source) {
	byPath := make(map[string]timeline.Source, len(held))
	for _, s := range held {
		byPath[s.Path] = s
	}
	source := func(s timeline.Source) analyze.Source {
		return analyze.Source{
			Path: s.Path, Format: s.Format, Records: s.Records, Unparsed: s.Unparsed,
			TZ: s.TZ, Samples: s.Samples, Error: s.Error,
		}
	}
	for _, s := range read {
		h, ok := byPath[s.Path]
		switch {
		case ok:
			now = append(now, source(h))
			delete(byPath, s.Path)
		case s.Records > 0 || s.Error != "":
			now = append(now, source(s))
		}
	}
	for _, s := range held {
		if _, ok := byPath[s.Path]; ok {
			before = append(before, source(s))
		}
	}
	return now, before
}
