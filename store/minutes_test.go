package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/timeline"
)

// keysOf counts the keys of prefix in s.
func keysOf(t *testing.T, s *Store, prefix byte) int {
	t.Helper()
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefix}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTempSecondsAreTheKeyedOnes: a temporary store, which keeps a
// minute's rollups under one key, gives back from Seconds exactly what a
// store of a key per second does, on ranges cut anywhere: from and to
// within a minute, at its first or last second, between seconds, a single
// second, empty or reversed, across midnight, before 1970 and past the
// keys' range; and its Range and Stats are the keyed store's.
func TestTempSecondsAreTheKeyedOnes(t *testing.T) {
	keyed, temp := open(t), openTemp(t)
	midnight := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(14, 60))
	var stamps []time.Time
	// Dense seconds across midnight, sparse ones the hour before, one
	// alone in its minute, and seconds the keys' range clamps.
	for i := range 600 {
		stamps = append(stamps, midnight.Add(time.Duration(i-300)*time.Second+time.Duration(rng.IntN(1e9))))
	}
	for i := range 200 {
		stamps = append(stamps, midnight.Add(-time.Hour+time.Duration(i*17)*time.Second))
	}
	stamps = append(stamps, midnight.Add(3*time.Hour+31*time.Second), time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Unix(59, 0), maxKeyTime.Add(-time.Minute), maxKeyTime, time.Unix(1<<62, 0))
	for i, w := range []*Writer{keyed.NewWriter(), temp.NewWriter()} {
		r := rand.New(rand.NewPCG(1, 2)) // the same requests in both
		for j := range 3000 {
			at := stamps[r.IntN(len(stamps))]
			up := []byte(fmt.Sprintf("10.0.0.%d:9000", r.IntN(4)))
			if r.IntN(5) == 0 {
				up = nil
			}
			w.Request(at, []int{200, 200, 404, 502, 504}[r.IntN(5)], up)
			switch {
			case j%997 == 996:
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			case j%331 == 330:
				if err := w.Checkpoint(timeline.Source{Path: "a.log"}, "a", []byte(fmt.Sprint(j))); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
	}
	if n := keysOf(t, temp, prefixSecond); n != 0 {
		t.Errorf("the temporary store holds %d keys of a second", n)
	}
	if keysOf(t, temp, prefixMinute) == 0 || keysOf(t, keyed, prefixMinute) != 0 {
		t.Errorf("the temporary store holds %d keys of a minute, the keyed one %d", keysOf(t, temp, prefixMinute), keysOf(t, keyed, prefixMinute))
	}

	ranges := [][2]time.Time{
		{minKeyTime.Add(-time.Hour), maxKeyTime.Add(time.Hour)},
		{minKeyTime, maxKeyTime},
		{midnight.Add(-90 * time.Second), midnight.Add(90 * time.Second)},
		{midnight.Add(-time.Minute), midnight},
		{midnight.Add(-time.Second), midnight.Add(time.Second)},
		{midnight.Add(17 * time.Second), midnight.Add(18 * time.Second)},
		{midnight.Add(17*time.Second + time.Millisecond), midnight.Add(18*time.Second + time.Millisecond)},
		{midnight.Add(59 * time.Second), midnight.Add(61 * time.Second)},
		{midnight.Add(5 * time.Second), midnight.Add(5 * time.Second)},
		{midnight.Add(50 * time.Second), midnight.Add(5 * time.Second)},
		{midnight.Add(3 * time.Hour), midnight.Add(3*time.Hour + 31*time.Second)},
		{midnight.Add(3*time.Hour + 31*time.Second), midnight.Add(3*time.Hour + 32*time.Second)},
		{midnight.Add(-61 * time.Minute), midnight.Add(-59*time.Minute - 29*time.Second)},
		{time.Unix(-5, 0), time.Unix(60, 0)},
		{time.Unix(0, 0), time.Unix(59, 0)},
		{maxKeyTime.Add(-2 * time.Minute), maxKeyTime},
	}
	span := 2 * time.Hour
	for range 300 {
		from := midnight.Add(-span/2 + time.Duration(rng.Int64N(int64(span))))
		ranges = append(ranges, [2]time.Time{from, from.Add(time.Duration(rng.Int64N(int64(10 * time.Minute))))})
	}
	found := 0
	for _, r := range ranges {
		want, err := keyed.Seconds(r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		got, err := temp.Seconds(r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("[%s, %s): %d seconds %+v\nwant %d %+v", r[0], r[1], len(got), got, len(want), want)
		}
		found += len(want)
	}
	if found < 10000 {
		t.Errorf("the ranges hold %d seconds in all: too few to tell", found)
	}

	for _, s := range []*Store{keyed, temp} { // the event-free stores' Range is their rollups'
		first, last, ok, err := s.Range()
		if err != nil || !ok || !first.Equal(minKeyTime) || last.Unix() != maxKeyTime.Unix() {
			t.Errorf("range %s – %s, %v, %v", first, last, ok, err)
		}
	}
	want, err := keyed.Stats()
	if err != nil {
		t.Fatal(err)
	}
	got, err := temp.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if got.Seconds != want.Seconds || got.Requests != want.Requests || got.Days != want.Days || got.Requests < 2900 {
		t.Errorf("stats of the temporary store %+v\nof the keyed one %+v", got, want)
	}
}

// TestRangeEdgesWithinMinutes: Range gives the first and the last second
// stored, not their minutes' bounds, in every store: the seconds at both
// ends in the middle of their minute, or one second alone.
func TestRangeEdgesWithinMinutes(t *testing.T) {
	for name, secs := range map[string][]time.Duration{
		"apart":    {17 * time.Second, 18 * time.Second, 3*time.Minute + 5*time.Second, 3*time.Minute + 42*time.Second},
		"one":      {30 * time.Second},
		"a minute": {59 * time.Second, 0, 31 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			eachProfile(t, func(t *testing.T, s *Store) {
				w := s.NewWriter()
				lo, hi := secs[0], secs[0]
				for _, d := range secs {
					w.Request(t0.Add(d+time.Millisecond), 200, nil)
					lo, hi = min(lo, d), max(hi, d)
					if err := w.Flush(); err != nil { // each its own, merged into its minute
						t.Fatal(err)
					}
				}
				first, last, ok, err := s.Range()
				if err != nil || !ok || !first.Equal(t0.Add(lo)) || !last.Equal(t0.Add(hi)) {
					t.Errorf("range %s – %s, %v, %v; want %s – %s", first, last, ok, err, t0.Add(lo), t0.Add(hi))
				}
			})
		})
	}
}

// TestCorruptMinutes: a minute's value that is not what encodeMinute
// writes is an error, for Seconds, Range and the next write of the
// minute.
func TestCorruptMinutes(t *testing.T) {
	one := newRollup()
	one.add(200, nil, 3)
	good, err := encodeMinute(&minuteRollups{4: one, 7: one}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var secs []int64
	if err := eachOfMinute(60, good, func(sec int64, _ []byte) error { secs = append(secs, sec); return nil }); err != nil || !reflect.DeepEqual(secs, []int64{64, 67}) {
		t.Fatalf("seconds %v, %v", secs, err)
	}
	for name, v := range map[string][]byte{
		"empty":            {},
		"no second":        {0},
		"61 seconds":       {61},
		"cut":              good[:len(good)-1],
		"trailing":         append(append([]byte{}, good...), 0),
		"out of order":     {2, 7, 1, 0, 4, 1, 0},
		"twice":            {2, 4, 1, 0, 4, 1, 0},
		"past the minute":  {1, 60, 1, 0},
		"too long":         {1, 4, 9, 0},
		"a corrupt second": {1, 4, 1, 0xff},
	} {
		t.Run(name, func(t *testing.T) {
			s := openTemp(t)
			if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(timeKey(prefixMinute, t0), v) }); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Seconds(t0, t0.Add(time.Minute)); !errors.Is(err, errCorruptRollup) {
				t.Errorf("Seconds: %v", err)
			}
			if name == "a corrupt second" {
				return // its bounds are sound: Range reads no rollup
			}
			if _, _, _, err := s.Range(); !errors.Is(err, errCorruptRollup) {
				t.Errorf("Range: %v", err)
			}
			s.written.requestMinute(t0.Unix()) // as the store that wrote it marked it
			w := s.NewWriter()
			w.Request(t0.Add(4*time.Second), 200, nil)
			if err := w.Flush(); !errors.Is(err, errCorruptRollup) {
				t.Errorf("a write over it: %v", err)
			}
		})
	}
}

// TestPruneDropsMinutes: Prune drops a temporary store's minutes of the
// days it drops, as a keyed store's seconds.
func TestPruneDropsMinutes(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		day := t0.Truncate(24 * time.Hour)
		w := s.NewWriter()
		for _, at := range []time.Time{day.Add(-time.Second), day.Add(-61 * time.Second), day, day.Add(90 * time.Second)} {
			w.Request(at, 200, nil)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Prune(context.Background(), 1, day); err != nil || n != 1 {
			t.Fatalf("Prune: %d days, %v", n, err)
		}
		want := tally{day.Unix(): {200: 1}, day.Unix() + 90: {200: 1}}
		checkSeconds(t, s, day.Add(-24*time.Hour), day.Add(24*time.Hour), want)
	})
}
