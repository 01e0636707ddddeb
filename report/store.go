package report

import (
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/logcause/logcause/timeline"
)

// StoreStats writes what a store holds, for `logcause store stats`, fitted
// to width columns as Text is.
func StoreStats(w io.Writer, s timeline.Stats, width int) error {
	p := &printer{w: w, width: columns(width)}
	p.line(2, "store %s: %s MiB on disk", clean(s.Dir), strconv.FormatFloat(float64(s.DiskBytes)/(1<<20), 'f', 1, 64))
	if s.First.IsZero() {
		p.f("empty\n")
		return p.err
	}
	p.f("%s to %s UTC, %s\n", s.First.Format(time.DateTime), s.Last.Format(time.DateTime), plural(s.Days, "day"))
	p.f("%s requests counted in %s seconds of rollups\n", thousands(s.Requests), thousands(s.Seconds))
	kinds := make([]string, 0, len(s.Events))
	for k := range s.Events {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		p.f("%s %s records kept in full\n", thousands(s.Events[k]), k)
	}
	if len(s.Sources) > 0 {
		rows := make([][]string, 0, len(s.Sources))
		for _, src := range s.Sources {
			rows = append(rows, []string{clean(src.Path), src.Format, thousands(src.Records), thousands(src.Unparsed), clean(src.TZ)})
		}
		p.table(sourceColumns(), rows)
	}
	return p.err
}
