package store

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/timeline"
)

// profiles are the stores a rollup is written to: a temporary store
// sets a rollup it never wrote without reading it first (written), the
// others read it each time.
var profiles = []struct {
	name string
	open func(t *testing.T) *Store
}{
	{"persistent", open},
	{"quiet", func(t *testing.T) *Store {
		s, err := OpenQuiet(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"temporary", func(t *testing.T) *Store { return openTemp(t) }},
}

// eachProfile runs test on a store of each profile.
func eachProfile(t *testing.T, test func(t *testing.T, s *Store)) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) { test(t, p.open(t)) })
	}
}

// openTemp is a new temporary store, closed (and removed) when the test ends.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// tally is what the store should hold: requests by second and status.
type tally map[int64]map[int]int64

func (c tally) add(w *Writer, at time.Time, status int) {
	w.Request(at, status, nil)
	if c[at.Unix()] == nil {
		c[at.Unix()] = map[int]int64{}
	}
	c[at.Unix()][status]++
}

// checkSeconds fails t unless s holds exactly want in [from, to).
func checkSeconds(t *testing.T, s *Store, from, to time.Time, want tally) {
	t.Helper()
	secs, err := s.Seconds(from, to)
	if err != nil {
		t.Fatal(err)
	}
	got := tally{}
	for _, sec := range secs {
		got[sec.Time.Unix()] = map[int]int64{}
		for _, c := range sec.Status {
			got[sec.Time.Unix()][c.Code] = c.Count
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d seconds stored, want %d", len(got), len(want))
	}
	for sec, counts := range want {
		if !maps.Equal(got[sec], counts) {
			t.Errorf("second %s holds %v, want %v", time.Unix(sec, 0).UTC(), got[sec], counts)
		}
	}
}

// TestRollupsMergeWhereverWritten: the counts of a second, and the
// classes of a minute, written in several checkpoints (written behind
// and not) and flushes, by two Writers reading two files of the same
// hours one after the other, add up exactly in every store.
func TestRollupsMergeWhereverWritten(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			s := p.open(t)
			want := tally{}
			// A file of two hours, a request every 7 seconds, written
			// behind at checkpoints of 500 seconds: the second at each
			// checkpoint straddles it (counted before and after).
			w := s.NewWriter()
			stop := w.WriteBehind()
			for i := range 2 * 3600 / 7 {
				at := t0.Add(time.Duration(i*7) * time.Second)
				want.add(w, at, 200)
				if i%71 == 70 {
					if err := w.Checkpoint(timeline.Source{Path: "a.log", Records: int64(i)}, "a", []byte(fmt.Sprint(i))); err != nil {
						t.Fatal(err)
					}
					want.add(w, at.Add(time.Millisecond), 404) // the same second, after the checkpoint
				}
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			// The next file of the same hours, by another Writer, a
			// request every 5 seconds, checkpoints not behind, and
			// flushes.
			w = s.NewWriter()
			for i := range 2 * 3600 / 5 {
				want.add(w, t0.Add(time.Duration(i*5)*time.Second), 502)
				switch {
				case i%300 == 299:
					if err := w.Flush(); err != nil {
						t.Fatal(err)
					}
				case i%100 == 99:
					if err := w.Checkpoint(timeline.Source{Path: "b.log"}, "b", []byte(fmt.Sprint(i))); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			checkSeconds(t, s, t0, t0.Add(3*time.Hour), want)

			// A minute's slow queries in a checkpoint, a flush and
			// another Writer's checkpoint.
			minute := t0.Truncate(time.Minute)
			w.Event(slowAt(minute.Add(5*time.Second), "A", 1, 1))
			if err := w.Checkpoint(timeline.Source{Path: "slow.log"}, "s", []byte("1")); err != nil {
				t.Fatal(err)
			}
			w.Event(slowAt(minute.Add(6*time.Second), "A", 2, 2))
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			w = s.NewWriter()
			w.Event(slowAt(minute.Add(7*time.Second), "A", 3, 3))
			w.Event(slowAt(minute.Add(8*time.Second), "B", 4, 4))
			if err := w.Checkpoint(timeline.Source{Path: "slow2.log"}, "s2", []byte("1")); err != nil {
				t.Fatal(err)
			}
			got, _, _ := slowClasses(t, s, minute, minute.Add(time.Minute))
			if a, b := got["A"], got["B"]; len(got) != 2 || a.Count != 3 || a.QueryMicros != 6_000_000 || len(a.Times) != 3 || a.WorstTime != 3 || b.Count != 1 {
				t.Errorf("the minute's classes: %+v", got)
			}
		})
	}
}

// TestSplitFlushesAddEveryCountOnce: a Flush of more keys than one
// transaction takes (committed in several, ErrTxnTooBig) — three seconds
// of each of more minutes than that, at the start, the middle and the end
// of their minute, a key each in a store that lives, a minute's in a
// temporary one — over seconds stored already and then revisited in a
// checkpoint, adds each count once in every store.
func TestSplitFlushesAddEveryCountOnce(t *testing.T) {
	const minutes = 40000
	at := func(i int) time.Time {
		return t0.Add(time.Duration(i/3)*time.Minute + time.Duration([]int{0, 29, 59}[i%3])*time.Second)
	}
	const n = 3 * minutes
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			s := p.open(t)
			if most := s.db.MaxBatchCount(); minutes <= most {
				t.Fatalf("one transaction takes %d keys: %d minutes are not too many", most, minutes)
			}
			want := tally{}
			w := s.NewWriter()
			want.add(w, at(n/2+1), 504) // a second of a later transaction, stored first
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			for round := range 2 {
				for i := range n {
					want.add(w, at(i), 200)
				}
				if err := w.Flush(); err != nil {
					t.Fatalf("flush %d: %v", round, err)
				}
			}
			// The first and the last seconds, each of another transaction
			// of the split, and a second never written of a minute
			// stored.
			want.add(w, at(0), 502)
			want.add(w, at(n-1), 502)
			want.add(w, at(n/2).Add(30*time.Second), 502)
			if err := w.Checkpoint(timeline.Source{Path: "a.log"}, "a", []byte("1")); err != nil {
				t.Fatal(err)
			}
			checkSeconds(t, s, t0, at(n-1).Add(time.Second), want)
		})
	}
}

// TestFailedCheckpointLosesNoCount: a checkpoint that fails (too big for
// one transaction) over a second stored and a second never written, read
// again and written in smaller checkpoints, as a load resumed at its mark
// does, and both seconds written again: every count is there once.
func TestFailedCheckpointLosesNoCount(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			s := p.open(t)
			want := tally{}
			stored, fresh := t0, t0.Add(time.Hour)
			w := s.NewWriter()
			want.add(w, stored, 200)
			if err := w.Checkpoint(timeline.Source{Path: "e.log"}, "k", []byte("1")); err != nil {
				t.Fatal(err)
			}
			count := func(w *Writer, c tally) {
				c.add(w, stored, 502)
				c.add(w, fresh, 502)
			}
			dropped := tally{}
			count(w, dropped)
			for i := range 200000 { // far more keys than one transaction takes: a second of each minute
				dropped.add(w, t0.Add(2*time.Hour+time.Duration(i)*time.Minute), 200)
			}
			if err := w.Checkpoint(timeline.Source{Path: "e.log"}, "k", []byte("2")); !errors.Is(err, ErrBatchTooBig) {
				t.Fatalf("err = %v", err)
			}
			checkSeconds(t, s, t0, t0.Add(2*time.Hour+200000*time.Minute), want)
			count(w, want) // read again from mark 1
			if err := w.Checkpoint(timeline.Source{Path: "e.log"}, "k", []byte("2")); err != nil {
				t.Fatal(err)
			}
			want.add(w, stored, 504)
			want.add(w, fresh, 504)
			if err := w.Checkpoint(timeline.Source{Path: "e.log"}, "k", []byte("3")); err != nil {
				t.Fatal(err)
			}
			checkSeconds(t, s, t0, t0.Add(2*time.Hour+200000*time.Minute), want)
		})
	}
}

// TestClampedSecondsShareTheirRollup: seconds out of the keys' range are
// counted in the second their key is clamped to, whichever of them was
// written first.
func TestClampedSecondsShareTheirRollup(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			s := p.open(t)
			w := s.NewWriter()
			for _, at := range []time.Time{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), minKeyTime} {
				w.Request(at, 200, nil)
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			checkSeconds(t, s, minKeyTime, minKeyTime.Add(time.Second), tally{0: {200: 3}})
		})
	}
}

// TestPersistentStoreReadsWhatItHolds: a store opened again merges what
// its earlier opening wrote (quiet or not): it reads every rollup before
// writing it, as it always did.
func TestPersistentStoreReadsWhatItHolds(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		dir := t.TempDir()
		want := tally{}
		for round := range 2 {
			opener := Open
			if quiet {
				opener = OpenQuiet
			}
			s, err := opener(dir)
			if err != nil {
				t.Fatal(err)
			}
			if s.written != nil {
				t.Errorf("quiet %v: a persistent store records what it writes", quiet)
			}
			w := s.NewWriter()
			want.add(w, t0, 200+round)
			w.Event(slowAt(t0, "A", 1, int64(round)))
			err = w.Commit(nil)
			if round == 1 {
				checkSeconds(t, s, t0, t0.Add(time.Second), want)
				if got, _, _ := slowClasses(t, s, t0.Truncate(time.Minute), t0.Truncate(time.Minute).Add(time.Minute)); got["A"].Count != 2 {
					t.Errorf("quiet %v: the minute's classes: %+v", quiet, got)
				}
			}
			if cerr := s.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestTempStoreMarksWhatItWrites: a temporary store records the minutes
// of the requests and of the slow queries it wrote, and those only.
func TestTempStoreMarksWhatItWrites(t *testing.T) {
	s := openTemp(t)
	w := s.NewWriter()
	w.Request(t0.Add(59*time.Second), 200, nil)
	w.Request(t0.Add(time.Hour+time.Second), 200, nil)
	w.Event(slowAt(t0.Add(90*time.Second), "A", 1, 1))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	m := s.written
	for minute, want := range map[int64]bool{t0.Unix(): true, t0.Add(time.Hour).Unix(): true, t0.Unix() + 60: false, t0.Unix() - 60: false, t0.Add(time.Hour).Unix() + 60: false} {
		if got := m.requests.testAndSet(minute / 60); got != want {
			t.Errorf("requests of minute %s marked: %v, want %v", time.Unix(minute, 0).UTC(), got, want)
		}
	}
	for minute, want := range map[int64]bool{t0.Unix() + 60: true, t0.Unix(): false, t0.Unix() + 120: false} {
		if got := m.slow.testAndSet(minute / 60); got != want {
			t.Errorf("slow queries of minute %s marked: %v, want %v", time.Unix(minute, 0).UTC(), got, want)
		}
	}
}

// TestBitSet: numbers either side of a chunk's bounds and of zero, added
// in any order and again, are told apart.
func TestBitSet(t *testing.T) {
	var b bitSet
	in := map[int64]bool{}
	for _, n := range []int64{0, -1, chunkBits, -chunkBits - 1, 63, 1 << 40, -chunkBits, 64, 0, chunkBits - 1, -1 << 40, -1, 1, chunkBits, 1 << 40} {
		if got := b.testAndSet(n); got != in[n] {
			t.Errorf("%d in the set: %v, want %v", n, got, in[n])
		}
		in[n] = true
	}
	for _, n := range []int64{-chunkBits + 1, -2, 2, 62, 65, chunkBits + 1, 1<<40 + 1, -1<<40 - 1} {
		if b.testAndSet(n) {
			t.Errorf("%d in the set, never added", n)
		}
	}
}

// TestWritersOfATempStoreAtOnce: Writers of one temporary store, writing
// at once, two written behind and two flushing, record what they write
// without a race (go test -race), and every count is there, though their
// seconds share minutes, and so keys.
func TestWritersOfATempStoreAtOnce(t *testing.T) {
	s := openTemp(t)
	const writers, each = 4, 3000
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			w := s.NewWriter()
			stop := w.WriteBehind()
			for j := range each { // seconds of their own, interleaved in the same hours
				w.Request(t0.Add(time.Duration(j*writers+i)*time.Second), 200, nil)
				if j%500 == 499 {
					var err error
					if i%2 == 0 {
						err = w.Checkpoint(timeline.Source{}, fmt.Sprint(i), []byte("x"))
					} else {
						err = w.Flush()
					}
					if err != nil {
						errs[i] = err
						return
					}
				}
			}
			errs[i] = errors.Join(stop(), w.Flush())
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	want := tally{}
	for sec := range writers * each {
		want[t0.Unix()+int64(sec)] = map[int]int64{200: 1}
	}
	checkSeconds(t, s, t0, t0.Add(writers*each*time.Second), want)
}

// TestTempStoreMarksBeforeItCommits: a rollup is marked in the
// transaction that sets it, before that transaction commits: were it
// marked after, a transaction of another Writer that begins in between
// would see the rollup stored and unmarked, set it whole, and lose what
// the first one wrote.
func TestTempStoreMarksBeforeItCommits(t *testing.T) {
	s := openTemp(t)
	minute := t0.Truncate(time.Minute)
	err := s.db.Update(func(txn *badger.Txn) error {
		r := newRollup()
		r.add(200, nil, 1)
		if err := s.addMinute(txn, minute.Unix(), &minuteRollups{5: r}); err != nil {
			return err
		}
		if err := s.addSlowMinute(txn, minute.Unix(), slowRollup{"A": {QueryID: "A", Count: 1}}); err != nil {
			return err
		}
		if !s.written.requestMinute(minute.Unix()) || !s.written.minute(minute.Unix()) {
			t.Error("a rollup set in a transaction not yet committed is not marked")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
