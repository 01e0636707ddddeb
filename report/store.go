package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/logcause/logcause/internal/numfmt"
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
	p.f("%s requests counted in %s seconds of rollups\n", numfmt.Thousands(s.Requests), numfmt.Thousands(s.Seconds))
	kinds := make([]string, 0, len(s.Events))
	for k := range s.Events {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		p.f("%s %s records kept in full\n", numfmt.Thousands(s.Events[k]), k)
	}
	if len(s.Sources) > 0 {
		rows := make([][]string, 0, len(s.Sources))
		for _, src := range s.Sources {
			rows = append(rows, []string{clean(src.Path), src.Format, numfmt.Thousands(src.Records), numfmt.Thousands(src.Unparsed), clean(src.TZ)})
		}
		p.table(sourceColumns(), rows)
	}
	return p.err
}

// StoreStatsJSON writes what a store holds as JSON, for `logcause store
// stats --format json`.
func StoreStatsJSON(w io.Writer, s timeline.Stats) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Pruned writes what a prune did: the days it dropped, and the store's
// size on disk after and before it.
func Pruned(w io.Writer, days int, after, before int64) error {
	_, err := fmt.Fprintf(w, "dropped %d day(s); the store takes %s, was %s\n", days, size(after), size(before))
	return err
}

// size is n bytes in KiB (below 1 MiB, rounded down) or MiB.
func size(n int64) string {
	if n < 1<<20 {
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}

// Size writes n bytes as the store's size is written: in KiB below 1 MiB,
// else in MiB.
func Size(n int64) string { return size(n) }
