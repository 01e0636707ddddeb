package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

func slowAt(at time.Time, id string, qt float64, off int64) *patterns.Event {
	return &patterns.Event{Time: at, Kind: patterns.KindMySQLSlow, Path: "slow.log", Offset: off, Text: "# Query_time: … " + id,
		Slow: &patterns.SlowQuery{QueryID: id, Fingerprint: "select " + id, Query: "SELECT " + id, QueryTime: qt, LockTime: 0.000125, RowsSent: 2, RowsExamined: 7}}
}

func slowClasses(t *testing.T, s *Store, from, to time.Time) (map[string]timeline.SlowClass, time.Time, time.Time) {
	t.Helper()
	out := map[string]timeline.SlowClass{}
	start, end, err := s.SlowClasses(from, to, func(c timeline.SlowClass) error {
		// Its times and worst reference are valid during the call only.
		c.Times, c.Worst = slices.Clone(c.Times), slices.Clone(c.Worst)
		if have, ok := out[c.QueryID]; ok { // several minutes: add them up
			add(&have, &c)
			have.Times = append(have.Times, c.Times...)
			c = have
		}
		out[c.QueryID] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, start, end
}

// TestSlowRollups: a minute's rollup adds up its entries, written in
// several batches; the worst entry is the longest, the first in time of
// equals, whatever the order written; the minutes a range cuts are left
// out; server headers are no query.
func TestSlowRollups(t *testing.T) {
	s := open(t)
	minute := t0.Truncate(time.Minute)
	w := s.NewWriter()
	w.Event(slowAt(minute.Add(30*time.Second), "A", 5, 100))
	w.Event(&patterns.Event{Time: minute.Add(31 * time.Second), Kind: patterns.KindMySQLSlow, Text: "header", Slow: &patterns.SlowQuery{Restart: true}})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	w.Event(slowAt(minute.Add(10*time.Second), "A", 5, 200)) // as slow, earlier: the worst
	w.Event(slowAt(minute.Add(50*time.Second), "A", 3.000001, 300))
	w.Event(slowAt(minute.Add(70*time.Second), "B", 1, 400)) // the next minute
	if err := w.Checkpoint(timeline.Source{Path: "slow.log"}, "k", []byte("m")); err != nil {
		t.Fatal(err)
	}
	got, start, end := slowClasses(t, s, minute, minute.Add(time.Hour))
	a := got["A"]
	if !start.Equal(minute) || !end.Equal(minute.Add(time.Hour)) || len(got) != 2 {
		t.Fatalf("span %v–%v, classes %+v", start, end, got)
	}
	if a.Count != 3 || a.QueryMicros != 13000001 || a.LockMicros != 375 || a.RowsSent != 6 || a.RowsExamined != 21 ||
		!a.First.Equal(minute.Add(10*time.Second)) || !a.Last.Equal(minute.Add(50*time.Second)) ||
		!slices.Equal(a.Times, []int64{5000000, 5000000, 3000001}) || a.WorstTime != 5 {
		t.Errorf("A: %+v", a)
	}
	worst, err := s.SlowEntry(a.Worst)
	if err != nil || worst.Offset != 200 || worst.Slow.Fingerprint != "select A" {
		t.Errorf("A's worst entry: %+v, %v", worst, err)
	}
	if got, start, _ := slowClasses(t, s, minute.Add(time.Nanosecond), minute.Add(time.Hour)); len(got) != 1 || got["B"].Count != 1 || !start.Equal(minute.Add(time.Minute)) {
		t.Errorf("from past the minute's start: %+v from %v", got, start)
	}
	if got, start, end := slowClasses(t, s, minute.Add(time.Second), minute.Add(time.Minute+time.Second)); len(got) != 0 || !start.Equal(end) {
		t.Errorf("a range within two minutes: %+v, %v–%v", got, start, end)
	}
}

// TestPruneDropsSlowRollups: retention drops a day's slow-query rollups
// with its entries.
func TestPruneDropsSlowRollups(t *testing.T) {
	s := open(t)
	d1 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	w := s.NewWriter()
	for i := range 3 {
		w.Event(slowAt(d1.AddDate(0, 0, i).Add(time.Hour), "A", 2, int64(i)))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(context.Background(), 1, d1.AddDate(0, 0, 2).Add(12*time.Hour)); n != 2 || err != nil {
		t.Fatalf("Prune: %d days, %v", n, err)
	}
	if got, _, _ := slowClasses(t, s, d1, d1.AddDate(0, 0, 3)); got["A"].Count != 1 {
		t.Errorf("after pruning 2 of 3 days: %+v", got)
	}
}
