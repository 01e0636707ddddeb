package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/bench/loggen"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/store"
	"github.com/logcause/logcause/timeline"
)

// entriesOnly is the store as analysis reads it without the slow-query
// rollups: the digest reads every entry back.
type entriesOnly struct{ st *store.Store }

func (e entriesOnly) Seconds(from, to time.Time) ([]timeline.Second, error) {
	return e.st.Seconds(from, to)
}
func (e entriesOnly) Events(from, to time.Time, fn func(*patterns.Event) error) error {
	return e.st.Events(from, to, fn)
}
func (e entriesOnly) EventsOf(k patterns.Kind, from, to time.Time, fn func(*patterns.Event) error) error {
	return e.st.EventsOf(k, from, to, fn)
}
func (e entriesOnly) Gaps(from, to time.Time) ([]timeline.Gap, error) { return e.st.Gaps(from, to) }

// countingSlow is the store, counting the slow-log entries read back.
type countingSlow struct {
	*store.Store
	read int
}

func (c *countingSlow) EventsOf(k patterns.Kind, from, to time.Time, fn func(*patterns.Event) error) error {
	return c.Store.EventsOf(k, from, to, func(ev *patterns.Event) error { c.read++; return fn(ev) })
}

// TestSlowDigestFromRollups loads two slow logs of bench/loggen (MySQL 8 and
// MariaDB, 300 classes) and a captured one in several loads, and requires
// the digest that the store's per-minute rollups give to equal, for ranges
// cut anywhere, the digest of every entry read back — classes, counts,
// sums, percentiles, worst entries — while reading back only the entries
// of the minutes the range cuts.
func TestSlowDigestFromRollups(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, d := range []loggen.Dialect{loggen.MySQL8, loggen.MariaDB} {
		p := filepath.Join(dir, d.String()+"-slow.log")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := (loggen.Slow{Seed: 3, Queries: 6000, Dialect: d}).Write(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	paths = append(paths, "../testdata/scenarios/slow-queries/mysql-slow.log")
	st, err := store.OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, p := range paths { // a load each: rollups of one minute merged from several writes
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
		res, err := Load(context.Background(), []string{p}, st.NewWriter(), Options{Limits: ingest.DefaultLimits})
		if err != nil || len(res.Problems) > 0 {
			t.Fatal(err, res.Problems)
		}
	}
	first, last, _, err := st.Range()
	if err != nil {
		t.Fatal(err)
	}
	whole := analyze.TimeRange{Start: first, End: last}
	for _, rng := range []analyze.TimeRange{
		whole,
		{Start: first.Add(37*time.Minute + 1234*time.Millisecond), End: last.Add(-5*time.Hour - 17*time.Second)},
		{Start: first.Truncate(time.Minute).Add(3 * time.Hour), End: first.Truncate(time.Minute).Add(9*time.Hour - time.Second)},
		{Start: first.Add(2*time.Hour + 10*time.Second), End: first.Add(2*time.Hour + 50*time.Second)}, // inside a minute
	} {
		want, err := analyze.Analyze(entriesOnly{st}, rng, analyze.DefaultConfig)
		if err != nil {
			t.Fatal(err)
		}
		c := &countingSlow{Store: st}
		got, err := analyze.Analyze(c, rng, analyze.DefaultConfig)
		if err != nil {
			t.Fatal(err)
		}
		if len(want.SlowQueries) == 0 {
			t.Fatalf("%v: no class", rng)
		}
		if !reflect.DeepEqual(got.SlowQueries, want.SlowQueries) || got.SlowQueriesMore != want.SlowQueriesMore {
			t.Errorf("%v: from the rollups (%d more)\n%+v\nfrom the entries (%d more)\n%+v", rng, got.SlowQueriesMore, got.SlowQueries, want.SlowQueriesMore, want.SlowQueries)
		}
		// 12,000 entries over a day: ~17 a minute; the edges are two minutes at most.
		if c.read > 100 {
			t.Errorf("%v: %d entries read back for the digest", rng, c.read)
		}
	}
}
