package store

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// blocksInput is a slow log's entries as a load hands them, in batches:
// in time order over several minutes, enough to fill several blocks; then
// entries of the same minutes again (a second log of the same hours, out
// of order), one entry read again with another path, a server header and
// error-log lines between them.
func blocksInput() [][]*patterns.Event {
	var batches [][]*patterns.Event
	pad := strings.Repeat("x", 300)
	var batch []*patterns.Event
	for i := range 1500 {
		ev := slowAt(t0.Add(time.Duration(i)*250*time.Millisecond), fmt.Sprintf("Q%d", i%7), float64(i%11), int64(1000+i*400))
		ev.Text += pad
		batch = append(batch, ev)
		if i%100 == 50 {
			e := nginxErrorAt("error.log", int64(i), i)
			e.Time = ev.Time.Add(time.Millisecond)
			batch = append(batch, e)
		}
		if len(batch) >= 200 {
			batches, batch = append(batches, batch), nil
		}
	}
	batches = append(batches, batch)
	var again []*patterns.Event
	for i := 1400; i >= 0; i -= 97 { // another log, backwards in time
		ev := slowAt(t0.Add(time.Duration(i)*250*time.Millisecond+time.Millisecond), "R", 30, int64(i))
		ev.Path = "other-slow.log"
		again = append(again, ev)
	}
	reread := slowAt(t0.Add(700*250*time.Millisecond), "Q0", 0, 1000+700*400) // entry 700 again
	reread.Text += pad
	reread.Path = "slow.log.1"
	again = append(again, reread,
		&patterns.Event{Time: t0.Add(90 * time.Second), Kind: patterns.KindMySQLSlow, Path: "slow.log", Text: "header", Slow: &patterns.SlowQuery{Restart: true}})
	return append(batches, again)
}

// storeView is what a store's readers return, for comparing two stores.
type storeView struct {
	All, Cut, Slow, Bare []string
	First, Last          time.Time
	Events               map[string]int64
	Classes              map[string]timeline.SlowClass
	Worst                []string
}

func viewOf(t *testing.T, s *Store) storeView {
	t.Helper()
	var v storeView
	str := func(out *[]string) func(*patterns.Event) error {
		return func(ev *patterns.Event) error {
			*out = append(*out, fmt.Sprintf("%v %s %d %s %q %+v", ev.Time, ev.Kind, ev.Offset, ev.Path, ev.Text, ev.Slow))
			return nil
		}
	}
	end := t0.Add(time.Hour)
	if err := s.Events(t0, end, str(&v.All)); err != nil {
		t.Fatal(err)
	}
	// From the middle of a block to the middle of another.
	if err := s.Events(t0.Add(101*time.Second+time.Millisecond), t0.Add(250*time.Second), str(&v.Cut)); err != nil {
		t.Fatal(err)
	}
	if err := s.EventsOf(patterns.KindMySQLSlow, t0, end, str(&v.Slow)); err != nil {
		t.Fatal(err)
	}
	if err := s.EventsBare(t0, end, func(*patterns.Event) bool { return true }, str(&v.Bare)); err != nil {
		t.Fatal(err)
	}
	var st timeline.Stats
	v.First, v.Last, st = rangeAndStats(t, s)
	v.Events = st.Events
	v.Classes, _, _ = slowClasses(t, s, t0, end)
	for _, id := range []string{"Q0", "Q3", "R"} {
		ev, err := s.SlowEntry(v.Classes[id].Worst)
		if err != nil {
			t.Fatal(err)
		}
		v.Worst = append(v.Worst, fmt.Sprintf("%v %d %s", ev.Time, ev.Offset, ev.Path))
	}
	return v
}

// TestTempStoreBlocksReadAsKeys: a temporary store, which keeps slow-log
// entries by the block, reads back what a store that keeps a key per
// entry does — every reader, whatever the order the entries came in, an
// entry read again kept once (the later), ranges that cut blocks.
func TestTempStoreBlocksReadAsKeys(t *testing.T) {
	keyed, temp := keyedAndTemp(t)
	var err error
	for _, s := range []*Store{keyed, temp} {
		w := s.NewWriter()
		stop := w.WriteBehind()
		for i, batch := range blocksInput() {
			for _, ev := range batch {
				if err := w.Event(ev); err != nil {
					t.Fatal(err)
				}
			}
			if i%2 == 0 {
				err = w.Checkpoint(timeline.Source{}, "k", []byte{byte(i)})
			} else {
				err = w.Flush() // ends WriteBehind: the rest written at once
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
	blocks, keys := temp.blocks.count(), eventKeysInBadger(temp)
	// The first log's 1,500 entries in blocks of 64 KiB, the error lines'
	// and the other log's (sorted in their batch) in blocks of their own,
	// the entry read again under another name in a block of its name; the
	// header, before the first log's last block, one key.
	if blocks < 5 || keys != 1 {
		t.Errorf("the temporary store holds %d blocks and %d keys of events", blocks, keys)
	}
	want, got := viewOf(t, keyed), viewOf(t, temp)
	if len(want.All) != 1500+15+1+15 || len(want.Cut) == 0 {
		t.Fatalf("the keyed store holds %d events, %d in the cut range", len(want.All), len(want.Cut))
	}
	rv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := range rv.NumField() {
		if !reflect.DeepEqual(rv.Field(i).Interface(), gv.Field(i).Interface()) {
			t.Errorf("%s: the temporary store reads\n%v\nthe keyed one\n%v", rv.Type().Field(i).Name, gv.Field(i), rv.Field(i))
		}
	}
}

// TestPreparerTakesWhatEventDoes: events prepared apart (Writer.Preparer,
// on another goroutine) and taken are stored as Event stores them, in a
// store that keeps a key per event and in a temporary one, paths kept
// apart or not.
func TestPreparerTakesWhatEventDoes(t *testing.T) {
	var evs []*patterns.Event
	for _, batch := range blocksInput() {
		evs = append(evs, batch...)
	}
	for _, apart := range []bool{false, true} {
		for _, temp := range []bool{false, true} {
			stores := [2]*Store{}
			for i := range stores {
				if temp {
					s, err := OpenTemp()
					if err != nil {
						t.Fatal(err)
					}
					defer s.Close()
					stores[i] = s
				} else {
					stores[i] = open(t)
				}
			}
			byEvent, prepared := stores[0].NewWriter(), stores[1].NewWriter()
			if apart {
				byEvent.KeepPathsApart()
				prepared.KeepPathsApart()
			}
			prepare := prepared.Preparer()
			for i := 0; i < len(evs); i += 100 {
				batch := evs[i:min(i+100, len(evs))]
				done := make(chan func() error)
				go func() { done <- prepare(batch) }()
				take := <-done
				for _, ev := range batch {
					if err := byEvent.Event(ev); err != nil {
						t.Fatal(err)
					}
				}
				if err := take(); err != nil {
					t.Fatal(err)
				}
			}
			for _, w := range []*Writer{byEvent, prepared} {
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if want, got := viewOf(t, stores[0]), viewOf(t, stores[1]); !reflect.DeepEqual(want, got) {
				t.Errorf("paths apart %v, temporary %v: prepared, the store reads\n%+v\nby Event\n%+v", apart, temp, got, want)
			}
		}
	}
}

// A block that cannot be read back (its file cut under the store) fails
// the reader with an error that says what happened and what to do.
func TestTempStoreBlockCutSaysWhatToDo(t *testing.T) {
	s, err := OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w := s.NewWriter()
	for _, batch := range blocksInput()[:2] {
		for _, ev := range batch {
			if err := w.Event(ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.blocks.f.Truncate(10); err != nil {
		t.Fatal(err)
	}
	err = s.Events(t0, t0.Add(time.Hour), func(*patterns.Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), blocksFile) || !strings.Contains(err.Error(), "run the analysis again") {
		t.Errorf("reading a cut block: %v", err)
	}
}

// count returns the number of blocks.
func (s *blocks) count() int {
	s.idx.RLock()
	defer s.idx.RUnlock()
	n := 0
	for _, st := range s.streams {
		n += len(st.blocks)
	}
	return n
}
