package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/logcause/logcause/analyze"
)

// Store is what a batch analysis reads of the store it loads into.
type Store interface {
	analyze.Reader
	Range() (first, last time.Time, ok bool, err error)
}

// Analyze loads the logs under paths into sink, a writer of st, and
// explains the gateway errors of everything st holds. Files that could not be read are
// returned in problems, with the report of what was read, whose sources
// list them with their error; err is set when there is no report to give.
func Analyze(ctx context.Context, paths []string, sink BatchSink, st Store, opts Options, cfg analyze.Config) (res analyze.Result, problems []error, err error) {
	loaded, err := Load(ctx, paths, sink, opts)
	if err != nil {
		return res, loaded.Problems, err
	}
	if loaded.Records == 0 {
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
	read := map[string]bool{}
	for _, s := range loaded.Sources {
		read[s.Path] = true
		res.Sources = append(res.Sources, analyze.Source{
			Path: s.Path, Format: s.Format, Records: s.Records, Unparsed: s.Unparsed,
			TZ: s.TZ, Samples: s.Samples, Error: s.Error,
		})
	}
	for _, p := range loaded.Problems { // the files that could not be read at all
		var fe *FileError
		if errors.As(p, &fe) && !read[fe.Path] {
			read[fe.Path] = true
			res.Sources = append(res.Sources, analyze.Source{Path: fe.Path, Error: p.Error()})
		}
	}
	return res, loaded.Problems, nil
}
