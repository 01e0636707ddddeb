package store

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// someWhole leaves bare the access and PHP-FPM lines and most error
// lines; every third error line is wanted whole (a fresh event among the
// lent ones).
func someWhole(ev *patterns.Event) bool {
	return ev.Access != nil || ev.FPM != nil || ev.Error != nil && ev.Offset%3 != 0
}

// lentTexts reads [from, to) with read, each event as eventText gives it
// while fn has it (it may not keep the event).
func lentTexts(t *testing.T, read func(from, to time.Time, bare func(*patterns.Event) bool, fn func(*patterns.Event) error) error, from, to time.Time) []string {
	t.Helper()
	var out []string
	if err := read(from, to, someWhole, func(ev *patterns.Event) error { out = append(out, eventText(ev)); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// The events decoded ahead are those decoded in place, in the same
// order, over every range, from a temporary store's streams (its late
// lines Badger's keys) as from a keyed store.
func TestLendAheadReadsAsInPlace(t *testing.T) {
	keyed, temp := keyedAndTemp(t)
	files, _ := streamsInput()
	loadFiles(t, keyed, files, false)
	loadFiles(t, temp, files, true)
	ranges := [][2]time.Time{
		{t0.Add(-time.Minute), t0.Add(11 * time.Minute)},
		{t0.Add(90 * time.Second), t0.Add(97 * time.Second)},
		{t0.Add(5 * time.Minute), t0.Add(5*time.Minute + 200*time.Millisecond)},
		{t0.Add(20 * time.Minute), t0.Add(21 * time.Minute)},
	}
	for name, s := range map[string]*Store{"keyed": keyed, "temp": temp} {
		for i, r := range ranges {
			want := lentTexts(t, s.lendInPlace, r[0], r[1])
			got := lentTexts(t, s.lendAhead, r[0], r[1])
			if i == 0 && len(want) < 10*aheadEvents {
				t.Fatalf("%s: %d events in all, want more than %d batches' worth", name, len(want), 10)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s, range %d: %d events ahead, %d in place; they differ", name, i, len(got), len(want))
			}
		}
	}
}

// entry is what a scan hands: a key and its value.
type entry struct {
	k []byte
	v storedValue
}

// aheadEntries is n block entries of the three files of streamsInput,
// and what decodeLent makes of each (eventText).
func aheadEntries(t *testing.T, n int) (entries []entry, want []string) {
	t.Helper()
	files, _ := streamsInput()
	for i := 0; len(entries) < n; i++ {
		for _, batches := range files {
			ev := batches[i/1000][i%1000]
			b, err := appendBlockBody(nil, ev)
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, entry{eventKey(ev), storedValue{b: b, path: ev.Path, inBlock: true}})
		}
	}
	var (
		path string
		ps   scanPaths
		l    lent
	)
	for _, e := range entries[:n] {
		ev, err := decodeLent(e.k, e.v, someWhole, &path, &ps, &l)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, eventText(ev))
	}
	return entries[:n], want
}

// fakeScan hands entries, and the error end after them (nil: none). It
// counts what it handed, notes what the entry function returned when it
// stopped it, and whether it has returned.
type fakeScan struct {
	entries  []entry
	end      error
	handed   int
	stopped  error
	returned bool
}

func (f *fakeScan) scan(fn func(k []byte, v storedValue) error) error {
	defer func() { f.returned = true }()
	for _, e := range f.entries {
		if err := fn(e.k, e.v); err != nil {
			f.stopped = err
			return err
		}
		f.handed++
	}
	return f.end
}

// A reader that stops has its error back, and the scan stopped: its
// goroutine has returned, told errStopped, after decoding at most the
// batches a scan has past the reader.
func TestLendAheadStopsWithItsReader(t *testing.T) {
	entries, want := aheadEntries(t, 3000)
	var pool sync.Pool
	enough := errors.New("enough")
	for _, at := range []int{0, 1, aheadFirst - 1, aheadFirst, aheadFirst + 1, 700, len(entries) - 1} {
		f := &fakeScan{entries: entries}
		var got []string
		err := lendAhead(&pool, f.scan, someWhole, func(ev *patterns.Event) error {
			if len(got) == at {
				return enough
			}
			got = append(got, eventText(ev))
			return nil
		})
		if err != enough {
			t.Fatalf("stopped at %d: error %v, want the reader's", at, err)
		}
		if !f.returned {
			t.Fatalf("stopped at %d: the scan had not returned", at)
		}
		if !slices.Equal(got, want[:at]) {
			t.Errorf("stopped at %d: read %d events, not the first %d", at, len(got), at)
		}
		if f.handed < len(entries) && !errors.Is(f.stopped, errStopped) {
			t.Errorf("stopped at %d: the scan was stopped with %v, want errStopped", at, f.stopped)
		}
		if ahead := f.handed - at; ahead > aheadBatches*aheadEvents+1 {
			t.Errorf("stopped at %d: %d entries decoded past it, more than %d batches", at, ahead, aheadBatches)
		}
	}
}

// A scan that fails mid-read: the reader has every event before, and the
// scan's error; an entry that cannot be decoded, the same, and the scan
// is stopped.
func TestLendAheadEndsWithTheScansError(t *testing.T) {
	entries, want := aheadEntries(t, 2000)
	var pool sync.Pool
	cut := errors.New("cut")
	for _, at := range []int{0, 1, aheadFirst, 300, len(entries)} {
		f := &fakeScan{entries: entries[:at], end: cut}
		var got []string
		err := lendAhead(&pool, f.scan, someWhole, func(ev *patterns.Event) error { got = append(got, eventText(ev)); return nil })
		if err != cut {
			t.Errorf("cut at %d: error %v, want the scan's", at, err)
		}
		if !slices.Equal(got, want[:at]) {
			t.Errorf("cut at %d: read %d events, not the first %d", at, len(got), at)
		}
	}
	for _, at := range []int{0, aheadFirst + 3, 1000} {
		bad := slices.Clone(entries)
		bad[at].v.b = []byte{0xff}
		f := &fakeScan{entries: bad}
		var got []string
		err := lendAhead(&pool, f.scan, someWhole, func(ev *patterns.Event) error { got = append(got, eventText(ev)); return nil })
		if !errors.Is(err, errCorruptEvent) {
			t.Errorf("corrupt at %d: error %v, want the corrupt event's", at, err)
		}
		if !slices.Equal(got, want[:at]) {
			t.Errorf("corrupt at %d: read %d events, not the first %d", at, len(got), at)
		}
		// The entries are decoded past the scan, on a goroutine of their
		// own: the scan has handed at most the batches a scan has past
		// the bad entry, and was stopped, unless it had handed them all.
		if !f.returned || f.handed-at > aheadBatches*aheadEvents+1 || f.handed < len(bad) && !errors.Is(f.stopped, errStopped) {
			t.Errorf("corrupt at %d: the scan handed %d entries of %d (returned: %v, stopped with %v)", at, f.handed, len(bad), f.returned, f.stopped)
		}
		// A scan that fails a few entries past a bad one (in the same
		// batch, or the next): the bad entry's error, which came first.
		f = &fakeScan{entries: bad[:at+5], end: cut}
		got = nil
		err = lendAhead(&pool, f.scan, someWhole, func(ev *patterns.Event) error { got = append(got, eventText(ev)); return nil })
		if !errors.Is(err, errCorruptEvent) || !slices.Equal(got, want[:at]) {
			t.Errorf("corrupt at %d, cut after: error %v, read %d events, want the corrupt event's after %d", at, err, len(got), at)
		}
	}
}

// A reader that panics: the panic is the caller's, the scan has returned.
func TestLendAheadStopsWhenItsReaderPanics(t *testing.T) {
	entries, _ := aheadEntries(t, 1000)
	f := &fakeScan{entries: entries}
	var pool sync.Pool
	func() {
		defer func() {
			if r := recover(); r != "the reader's" {
				t.Errorf("recovered %v, want the reader's panic", r)
			}
		}()
		n := 0
		lendAhead(&pool, f.scan, someWhole, func(*patterns.Event) error {
			if n++; n == 100 {
				panic("the reader's")
			}
			return nil
		})
	}()
	if !f.returned {
		t.Error("the scan had not returned")
	}
}

// The events a batch lends are as they were decoded while the reader
// has them, though the next batches are decoded meanwhile (and, under
// the race detector, no decoding touches them then).
func TestLendAheadLendsUntilTheReaderIsDone(t *testing.T) {
	entries, want := aheadEntries(t, 4000)
	var pool sync.Pool
	for round := range 2 { // the second with the batches of the first, from the pool
		f := &fakeScan{entries: entries}
		i := 0
		err := lendAhead(&pool, f.scan, someWhole, func(ev *patterns.Event) error {
			if got := eventText(ev); got != want[i] {
				return fmt.Errorf("event %d: %s, want %s", i, got, want[i])
			}
			i++
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if i != len(want) {
			t.Errorf("round %d: read %d events of %d", round, i, len(want))
		}
	}
}
