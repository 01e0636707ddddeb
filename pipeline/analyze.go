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
// returned in problems, with the report of what was read; err is set when
// there is no report to give.
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
	res, err = analyze.Analyze(st, analyze.TimeRange{Start: first, End: last}, cfg)
	if err != nil {
		return res, nil, err
	}
	held, err := st.Sources()
	if err != nil {
		return res, nil, fmt.Errorf("cannot read the store's sources: %w", err)
	}
	res.Sources = covered(loaded.Sources, held)
	return res, loaded.Problems, nil
}

// covered lists what the store holds of each file: those just read (as the
// store has them) in the order read, then the others, by path. A file
// read now whose content the store holds under another name is listed
// under that name.
func covered(read, held []timeline.Source) []analyze.Source {
	byPath := make(map[string]timeline.Source, len(held))
	for _, s := range held {
		byPath[s.Path] = s
	}
	out := make([]analyze.Source, 0, len(held))
	add := func(s timeline.Source) {
		out = append(out, analyze.Source{
			Path: s.Path, Format: s.Format, Records: s.Records, Unparsed: s.Unparsed,
			TZ: s.TZ, Samples: s.Samples, Error: s.Error,
		})
	}
	for _, s := range read {
		h, ok := byPath[s.Path]
		switch {
		case ok:
			add(h)
			delete(byPath, s.Path)
		case s.Records > 0 || s.Error != "":
			add(s)
		}
	}
	for _, s := range held {
		if _, ok := byPath[s.Path]; ok {
			add(s)
		}
	}
	return out
}
