package store

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// accessAt is a gateway error of access.log at offset off.
func accessAt(path string, at time.Time, off int64, i int) *patterns.Event {
	uri := fmt.Sprintf("/product/%d?page=%d", i, i%7)
	return &patterns.Event{
		Time: at, Kind: patterns.KindNginxAccess, Path: path, Offset: off,
		Text: fmt.Sprintf(`10.0.%d.%d - - [23/Nov/2026:13:00:00 +0000] "GET %s HTTP/1.1" 502 157 "-" "Mozilla/5.0"`, i%13, i%251, uri),
		Access: &patterns.Access{RemoteAddr: fmt.Sprintf("10.0.%d.%d", i%13, i%251), Method: "GET", URI: uri, Protocol: "HTTP/1.1",
			Status: 502, BodyBytesSent: 157, HTTPReferer: "-", HTTPUserAgent: "Mozilla/5.0", RequestTime: -1},
	}
}

// fpmAt is a line of php-fpm.log at offset off.
func fpmAt(path string, at time.Time, off int64, i int) *patterns.Event {
	msg := fmt.Sprintf("child %d exited on signal 15 (SIGTERM) after %d.5 seconds from start", 4000+i, i%90)
	return &patterns.Event{
		Time: at, Kind: patterns.KindFPMError, Path: path, Offset: off,
		Text: "[23-Nov-2026 13:00:00] WARNING: [pool www] " + msg,
		FPM:  &patterns.FPMError{Level: "WARNING", Pool: "www", Child: 4000 + i, Message: msg},
	}
}

// errorAt is nginxErrorAt at another instant.
func errorAt(path string, at time.Time, off int64, i int) *patterns.Event {
	ev := nginxErrorAt(path, off, i)
	ev.Time = at
	return ev
}

// streamsInput is three files of one outage as a load hands them, each in
// batches: access.log's gateway errors, error.log's lines and
// php-fpm.log's, their instants interleaving over ten minutes, each file
// in time order but for a few lines late by a second or more, across two
// of its batches (they go to Badger, a key each) or within one (sorted
// into its block). late counts the first.
func streamsInput() (files [][][]*patterns.Event, late int) {
	type file struct {
		path  string
		make  func(string, time.Time, int64, int) *patterns.Event
		every time.Duration
		phase time.Duration
	}
	for _, f := range []file{
		{"/var/log/nginx/access.log", accessAt, 97 * time.Millisecond, 0},
		{"/var/log/nginx/error.log", errorAt, 61 * time.Millisecond, 13 * time.Millisecond},
		{"/var/log/php8.2-fpm.log", fpmAt, 331 * time.Millisecond, 7 * time.Millisecond},
	} {
		var batches [][]*patterns.Event
		var batch []*patterns.Event
		off := int64(0)
		for i := 0; time.Duration(i)*f.every < 10*time.Minute; i++ {
			at := t0.Add(f.phase + time.Duration(i)*f.every)
			switch {
			case i%1000 == 0 && i > 0: // a batch's first, before lines of the batch before
				at = at.Add(-1500 * time.Millisecond)
				late++
			case i%1000 == 500: // before lines of its own batch
				at = at.Add(-1500 * time.Millisecond)
			}
			ev := f.make(f.path, at, off, i)
			off += int64(len(ev.Text) + 1)
			batch = append(batch, ev)
			if len(batch) == 1000 {
				batches, batch = append(batches, batch), nil
			}
		}
		files = append(files, append(batches, batch))
	}
	return files, late
}

// loadFiles writes the files' batches to s as a batch load does, a
// Writer a file, each checkpoint written behind: the files one after
// another, or all at once.
func loadFiles(t *testing.T, s *Store, files [][][]*patterns.Event, atOnce bool) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(files))
	for i, batches := range files {
		load := func() {
			w := s.NewWriter()
			stop := w.WriteBehind()
			for j, batch := range batches {
				for _, ev := range batch {
					if err := w.Event(ev); err != nil {
						errs[i] = err
						return
					}
				}
				if err := w.Checkpoint(timeline.Source{}, batch[0].Path, []byte{byte(j)}); err != nil {
					errs[i] = err
					return
				}
			}
			errs[i] = stop()
		}
		if atOnce {
			wg.Go(load)
		} else {
			load()
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// eventText is what a test compares of an event: all of it.
func eventText(ev *patterns.Event) string {
	return fmt.Sprintf("%v %s %d %s %q %+v %+v %+v %+v", ev.Time, ev.Kind, ev.Offset, ev.Path, ev.Text, ev.Access, ev.Error, ev.FPM, ev.Slow)
}

// eventsView is what the readers of a store return over ranges cut
// anywhere: every event, in order, whole, bare and by kind, and the
// store's range and counts.
type eventsView struct {
	All, Bare         []string
	Ranges, Kinds     map[string][]string
	First, Last       time.Time
	Events            map[string]int64
	Seconds, Requests int64
	OrderedByKey      bool
}

func eventsViewOf(t *testing.T, s *Store, cuts []time.Time) eventsView {
	t.Helper()
	v := eventsView{Ranges: map[string][]string{}, Kinds: map[string][]string{}, OrderedByKey: true}
	collect := func(out *[]string) func(*patterns.Event) error {
		return func(ev *patterns.Event) error { *out = append(*out, eventText(ev)); return nil }
	}
	end := t0.Add(time.Hour)
	var prev []byte
	if err := s.Events(t0.Add(-time.Hour), end, func(ev *patterns.Event) error {
		v.All = append(v.All, eventText(ev))
		k := eventKey(ev)
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			v.OrderedByKey = false
		}
		prev = k
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.EventsBare(t0.Add(-time.Hour), end, func(*patterns.Event) bool { return true }, collect(&v.Bare)); err != nil {
		t.Fatal(err)
	}
	for i, from := range cuts {
		for _, to := range cuts[i:min(i+3, len(cuts))] {
			name := fmt.Sprintf("[%v, %v)", from, to)
			var got []string
			if err := s.Events(from, to, collect(&got)); err != nil {
				t.Fatal(err)
			}
			v.Ranges[name] = got
			for _, k := range []patterns.Kind{patterns.KindNginxAccess, patterns.KindNginxError, patterns.KindFPMError, patterns.KindMySQLSlow} {
				var of []string
				if err := s.EventsOf(k, from, to, collect(&of)); err != nil {
					t.Fatal(err)
				}
				v.Kinds[k.String()+" "+name] = of
			}
		}
	}
	var st timeline.Stats
	v.First, v.Last, st = rangeAndStats(t, s)
	v.Events, v.Seconds, v.Requests = st.Events, st.Seconds, st.Requests
	return v
}

// rangeAndStats returns what Range and Stats say of s.
func rangeAndStats(t *testing.T, s *Store) (first, last time.Time, st timeline.Stats) {
	t.Helper()
	first, last, ok, err := s.Range()
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if st, err = s.Stats(); err != nil {
		t.Fatal(err)
	}
	return first, last, st
}

// cutsOf returns instants that cut the events anywhere: on an event, a
// nanosecond after one, between two, before the first and after the last.
func cutsOf(files [][][]*patterns.Event) []time.Time {
	cuts := []time.Time{t0.Add(-time.Minute)}
	n := 0
	for _, batches := range files {
		for _, batch := range batches {
			for _, ev := range batch {
				switch n++; n % 173 {
				case 0:
					cuts = append(cuts, ev.Time)
				case 50:
					cuts = append(cuts, ev.Time.Add(time.Nanosecond))
				case 100:
					cuts = append(cuts, ev.Time.Add(3*time.Millisecond))
				}
			}
		}
	}
	cuts = append(cuts, t0.Add(time.Hour))
	for i := range cuts { // in time order
		for j := i + 1; j < len(cuts); j++ {
			if cuts[j].Before(cuts[i]) {
				cuts[i], cuts[j] = cuts[j], cuts[i]
			}
		}
	}
	return cuts
}

// compareViews fails t where the temporary store's view differs from the
// keyed store's.
func compareViews(t *testing.T, want, got any) {
	t.Helper()
	rv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := range rv.NumField() {
		w, g := rv.Field(i).Interface(), gv.Field(i).Interface()
		if reflect.DeepEqual(w, g) {
			continue
		}
		if wm, ok := w.(map[string][]string); ok {
			for k, wv := range wm {
				if gv := g.(map[string][]string)[k]; !reflect.DeepEqual(wv, gv) {
					t.Errorf("%s %s: the temporary store reads %d events\n%s\nthe keyed one %d\n%s", rv.Type().Field(i).Name, k, len(gv), strings.Join(gv, "\n"), len(wv), strings.Join(wv, "\n"))
					return
				}
			}
		}
		t.Errorf("%s: the temporary store reads\n%v\nthe keyed one\n%v", rv.Type().Field(i).Name, g, w)
	}
}

// keyedAndTemp opens a store that keeps a key per event and a temporary
// one, closed at the test's end.
func keyedAndTemp(t *testing.T) (keyed, temp *Store) {
	t.Helper()
	temp, err := OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { temp.Close() })
	return open(t), temp
}

// eventKeysInBadger counts the events a store keeps a Badger key each.
func eventKeysInBadger(s *Store) (n int) {
	s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixEvent}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n
}

// TestTempStoreStreamsReadAsKeys: three files whose instants interleave,
// loaded one after another or at once, each into its own stream of
// blocks, read back from a temporary store as from a store that keeps a
// key per event: every event in key order, whole and bare, by kind, over
// ranges that start and end anywhere in the blocks, the store's range and
// counts; the lines late across two batches kept a key each.
func TestTempStoreStreamsReadAsKeys(t *testing.T) {
	files, late := streamsInput()
	if late < 3 {
		t.Fatalf("the input has %d lines late across batches", late)
	}
	cuts := cutsOf(files)
	keyed := open(t)
	loadFiles(t, keyed, files, false)
	want := eventsViewOf(t, keyed, cuts)
	if len(want.All) < 15000 || !want.OrderedByKey {
		t.Fatalf("the keyed store holds %d events, in key order: %v", len(want.All), want.OrderedByKey)
	}
	// Frames of the default window, and of 97 bytes, smaller than most
	// entries: a frame each.
	for _, c := range []struct {
		atOnce bool
		window int
	}{{false, cursorWindow}, {true, cursorWindow}, {false, 97}, {true, 97}} {
		atOnce := c.atOnce
		temp, err := OpenTemp()
		if err != nil {
			t.Fatal(err)
		}
		defer temp.Close()
		temp.blocks.window = c.window
		loadFiles(t, temp, files, atOnce)
		if n := eventKeysInBadger(temp); n != late {
			t.Errorf("at once %v: %d events a key each, want the %d late across batches", atOnce, n, late)
		}
		temp.blocks.idx.RLock()
		for path, st := range temp.blocks.streams {
			if len(st.blocks) < 2 {
				t.Errorf("at once %v: %s in %d blocks", atOnce, path, len(st.blocks))
			}
		}
		if len(temp.blocks.streams) != 3 {
			t.Errorf("at once %v: %d streams", atOnce, len(temp.blocks.streams))
		}
		temp.blocks.idx.RUnlock()
		t.Run(fmt.Sprintf("at once %v, window %d", atOnce, c.window), func(t *testing.T) {
			compareViews(t, want, eventsViewOf(t, temp, cuts))
		})
	}
}

// A scan merges a cursor per file whose blocks overlap its range: each
// holds a window of its block, not the block (a thousand vhosts' logs of
// the same hours held ~75 MB with whole blocks): a frame, decoded; the
// frame as read from the file is in one buffer for all of them.
func TestCursorsHoldAWindowOfTheirBlock(t *testing.T) {
	files, _ := streamsInput()
	temp, err := OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer temp.Close()
	loadFiles(t, temp, files, true)
	biggest := 0
	temp.blocks.idx.RLock()
	for _, st := range temp.blocks.streams {
		for _, r := range st.blocks {
			raw := 0
			for _, fr := range r.frames {
				raw += int(fr.raw)
			}
			biggest = max(biggest, raw)
		}
	}
	temp.blocks.idx.RUnlock()
	if biggest <= 2*cursorWindow {
		t.Fatalf("the largest block is %d bytes: too small to tell a window from a block", biggest)
	}
	cs := temp.blocks.cursors(timeKey(prefixEvent, time.Unix(0, 0)), timeKey(prefixEvent, time.Unix(1<<40, 0)), ^kindSet(0))
	if len(cs) != len(files) {
		t.Fatalf("%d cursors for %d files", len(cs), len(files))
	}
	for _, c := range cs[1:] {
		if c.z != cs[0].z {
			t.Fatal("the cursors of a scan read their frames into buffers of their own")
		}
	}
	for n := 0; ; n++ {
		live := 0
		for _, c := range cs {
			if cap(c.buf) > cursorWindow || cap(*c.z) > cursorWindow {
				t.Fatalf("a cursor holds %d bytes of a block, and its scan %d of a frame: more than a window (%d)", cap(c.buf), cap(*c.z), cursorWindow)
			}
			if c.valid() {
				c.next()
				live++
			}
		}
		if live == 0 {
			break
		}
	}
}

// TestTempStoreReadsTheLaterOfEqualKeys: one record written twice — in
// the same file read again, or under two names — is read as the store
// that keeps a key per event reads it: the one written last, whether it
// is a block's or a key's of Badger (the mark: a status only the later
// write has).
func TestTempStoreReadsTheLaterOfEqualKeys(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	rec := func(path string, s int, status int) *patterns.Event {
		ev := accessAt(path, at(s), int64(s)*1000, s)
		ev.Access.Status = status
		return ev
	}
	var a []*patterns.Event
	for s := range 20 {
		a = append(a, rec("a.log", s, 502))
	}
	steps := [][]*patterns.Event{
		a,
		{rec("a.log", 5, 503)}, // the same file again: before its blocks' end, a key
		{rec("b.log", 5, 504)}, // another name, a block of its own: written after the key
		{rec("a.log", 5, 505)}, // a key again, after that block
		{rec("b.log", 7, 506)}, // b's block is past 5: another block, 7 written after a's block
		{rec("c.log", 7, 507)}, // a third name's block, after b's
		{rec("b.log", 9, 508), rec("c.log", 9, 509)}, // one batch: the later handed
		{rec("d.log", 5, 510)},                       // a fourth name's block, after a's key of 5
		{rec("a.log", 3, 511)},                       // a key, after a's block of 3
	}
	want := map[int]int{3: 511, 5: 510, 7: 507, 9: 509}
	keyed, temp := keyedAndTemp(t)
	for _, s := range []*Store{keyed, temp} {
		for _, step := range steps {
			flushAll(t, s.NewWriter(), step)
		}
	}
	cuts := []time.Time{at(-1), at(3), at(5), at(5).Add(time.Nanosecond), at(7), at(9), at(20)}
	wantView, gotView := eventsViewOf(t, keyed, cuts), eventsViewOf(t, temp, cuts)
	compareViews(t, wantView, gotView)
	for _, ev := range eventsIn(t, temp, at(0), at(20)) {
		if w, ok := want[int(ev.Time.Sub(t0)/time.Second)]; ok && ev.Access.Status != w {
			t.Errorf("at %v the temporary store reads %s's status %d, want %d", ev.Time, ev.Path, ev.Access.Status, w)
		}
	}
	if n := eventKeysInBadger(temp); n != 2 {
		t.Errorf("%d events a key each, want the two of a.log read again", n)
	}
	ev, err := temp.SlowEntry(eventKey(rec("", 7, 0)))
	if err != nil || ev.Access.Status != 507 {
		t.Errorf("the entry of 7 by its key: %v, %v", ev, err)
	}
}

// TestEventsOfSkipsTheBlocksOfOtherKinds: reading one kind reads only
// the blocks that hold it: with every block of error.log's stream
// overwritten, the access and PHP-FPM events still read back, and the
// error lines fail with an error that says what to do.
func TestEventsOfSkipsTheBlocksOfOtherKinds(t *testing.T) {
	files, _ := streamsInput()
	keyed, temp := keyedAndTemp(t)
	loadFiles(t, keyed, files, false)
	loadFiles(t, temp, files, false)
	temp.blocks.idx.RLock()
	for _, r := range temp.blocks.streams["/var/log/nginx/error.log"].blocks {
		if _, err := temp.blocks.f.WriteAt(bytes.Repeat([]byte{0xff}, int(r.frames[len(r.frames)-1].end)), r.off); err != nil {
			t.Fatal(err)
		}
	}
	temp.blocks.idx.RUnlock()
	from, to := t0.Add(time.Minute), t0.Add(9*time.Minute)
	for _, k := range []patterns.Kind{patterns.KindNginxAccess, patterns.KindFPMError} {
		var want, got []string
		if err := keyed.EventsOf(k, from, to, func(ev *patterns.Event) error { want = append(want, eventText(ev)); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := temp.EventsOf(k, from, to, func(ev *patterns.Event) error { got = append(got, eventText(ev)); return nil }); err != nil {
			t.Errorf("%s: %v", k, err)
		}
		if len(want) < 1000 || !reflect.DeepEqual(want, got) {
			t.Errorf("%s: the temporary store reads %d events, the keyed one %d", k, len(got), len(want))
		}
	}
	err := temp.EventsOf(patterns.KindNginxError, from, to, func(*patterns.Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "corrupt block of events") || !strings.Contains(err.Error(), "run the analysis again") {
		t.Errorf("reading the overwritten blocks: %v", err)
	}
}

// TestTempStoreKeepsEachLateSlowEntry: slow-log entries encoded as their
// batch is written (encodeLater) that come before their stream's blocks
// go to Badger a key each, and each keeps its own value — not the last
// one encoded into a shared buffer before the transaction committed —
// whether a checkpoint (a transaction) or a flush (a write batch) writes
// them.
func TestTempStoreKeepsEachLateSlowEntry(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	var first, late []*patterns.Event
	for s := 10; s < 20; s++ {
		first = append(first, slowAt(at(s), fmt.Sprintf("Q%d", s), float64(s), int64(s)*100))
	}
	for s := 1; s < 6; s++ { // before the blocks' end: a key each, in one batch
		late = append(late, slowAt(at(s), fmt.Sprintf("L%d", s), float64(s), int64(s)*100))
	}
	for _, checkpoint := range []bool{true, false} {
		keyed, temp := keyedAndTemp(t)
		for _, s := range []*Store{keyed, temp} {
			flushAll(t, s.NewWriter(), first)
			w := s.NewWriter()
			for _, ev := range late {
				if err := w.Event(ev); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			if checkpoint {
				err = w.Checkpoint(timeline.Source{}, "slow.log", []byte{1})
			} else {
				err = w.Flush()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := eventKeysInBadger(temp); n != len(late) {
			t.Fatalf("checkpoint %v: %d events a key each, want the %d late ones", checkpoint, n, len(late))
		}
		var want, got []string
		for _, ev := range eventsIn(t, keyed, at(0), at(30)) {
			want = append(want, eventText(ev))
		}
		for _, ev := range eventsIn(t, temp, at(0), at(30)) {
			got = append(got, eventText(ev))
		}
		if len(want) != len(first)+len(late) || !reflect.DeepEqual(want, got) {
			t.Errorf("checkpoint %v: the temporary store reads\n%s\nthe keyed one\n%s", checkpoint, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
