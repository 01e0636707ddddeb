package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// twoStreams is the events of two files whose instants interleave — so
// that a scan's merge goes from one stream's block to the other's at
// every event —, of every form a block holds: access, nginx error and
// PHP-FPM lines, slow-log entries and a MySQL error (JSON fields). The
// paths differ in length, and neither is in any event's text.
func twoStreams() (short, long string, evs []*patterns.Event) {
	short, long = "a.log", "/var/log/some-vhost.example.com/a-much-longer-name.log"
	var offs [2]int64
	for i := range 400 {
		path := []string{short, long}[i%2]
		at := t0.Add(time.Duration(i) * 37 * time.Millisecond)
		var ev *patterns.Event
		switch i % 5 {
		case 0:
			ev = accessAt(path, at, 0, i)
		case 1:
			ev = errorAt(path, at, 0, i)
		case 2:
			ev = fpmAt(path, at, 0, i)
		case 3:
			ev = slowAt(at, fmt.Sprintf("Q%d", i%3), float64(i%7), 0)
			ev.Path = path
		default:
			ev = &patterns.Event{Time: at, Kind: patterns.KindMySQLError, Path: path,
				Text:  fmt.Sprintf("2026-11-23 13:00:00 %d [ERROR] Aborted connection %d", i, i),
				MySQL: &patterns.MySQLError{Level: "ERROR", Message: fmt.Sprintf("Aborted connection %d", i)}}
		}
		ev.Offset = offs[i%2]
		offs[i%2] += int64(len(ev.Text) + 1)
		evs = append(evs, ev)
	}
	return short, long, evs
}

// fortyInBlocks is a temporary store holding twoStreams' first 40 events
// in its blocks, in frames of up to window bytes of entries; Close is the
// test's cleanup.
func fortyInBlocks(tb testing.TB, window int) *Store {
	tb.Helper()
	s := openTemp(tb)
	_, _, evs := twoStreams()
	s.blocks.window = window
	writeAll(tb, s, evs[:40])
	return s
}

// TestBlockEntriesTakeTheirStreamsPath: a block's entries do not hold
// their file's path (their stream does); every reader hands each event
// back as it was put, with its own stream's path, whatever the other
// stream read between two of its entries.
func TestBlockEntriesTakeTheirStreamsPath(t *testing.T) {
	short, long, evs := twoStreams()
	same := func(what string, got []*patterns.Event) {
		t.Helper()
		if len(got) != len(evs) {
			t.Fatalf("%s: %d events read back of %d", what, len(got), len(evs))
		}
		for i, ev := range got {
			if !reflect.DeepEqual(ev, evs[i]) {
				t.Errorf("%s: event %d read back as\n%s\nput as\n%s", what, i, eventText(ev), eventText(evs[i]))
			}
		}
	}
	// The keys, rebuilt from what each shares with the one before it in
	// its frame: frames of the default size and of a few entries.
	var wantKeys [][]byte
	for _, ev := range evs {
		wantKeys = append(wantKeys, eventKey(ev))
	}
	slices.SortFunc(wantKeys, bytes.Compare)
	var s *Store
	for _, window := range []int{97, cursorWindow} {
		s = openTemp(t)
		s.blocks.window = window
		writeAll(t, s, evs)
		if n := eventKeysInBadger(s); n != 0 {
			t.Fatalf("%d events in Badger keys, none wanted: the test reads blocks", n)
		}
		entries := bytes.Join(framesOf(t, s), nil)
		for _, p := range []string{short, long} {
			if n := bytes.Count(entries, []byte(p)); n != 0 {
				t.Errorf("the blocks hold the path %q %d times: it is their stream's", p, n)
			}
		}
		var keys [][]byte
		if err := s.scanEvents(t0, t0.Add(time.Hour), allKinds, nil, func(k []byte, _ storedValue) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(keys, wantKeys) {
			t.Errorf("window %d: the keys read back are not those put:\n%x\nwant\n%x", window, keys, wantKeys)
		}
		same(fmt.Sprintf("Events, window %d", window), eventsIn(t, s, t0, t0.Add(time.Hour)))
	}
	var whole, bare []*patterns.Event
	if err := s.EventsBare(t0, t0.Add(time.Hour), func(*patterns.Event) bool { return false }, func(ev *patterns.Event) error {
		whole = append(whole, ev)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	same("EventsBare, none bare", whole)
	// Bare and lent: what is left of each is its instant, kind, offset and
	// path, and its fields (copied, as a reader that keeps them copies).
	if err := s.EventsBare(t0, t0.Add(time.Hour), func(*patterns.Event) bool { return true }, func(ev *patterns.Event) error {
		c := *ev
		c.Path = string(bytes.Clone([]byte(ev.Path)))
		bare = append(bare, &c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, ev := range bare {
		want := evs[i]
		if ev.Path != want.Path || !ev.Time.Equal(want.Time) || ev.Offset != want.Offset || ev.Kind != want.Kind {
			t.Errorf("EventsBare, all bare: event %d read back as %v %s %d %s, put as %v %s %d %s",
				i, ev.Time, ev.Kind, ev.Offset, ev.Path, want.Time, want.Kind, want.Offset, want.Path)
		}
	}
	var fpm []*patterns.Event
	if err := s.EventsOf(patterns.KindFPMError, t0, t0.Add(time.Hour), func(ev *patterns.Event) error {
		fpm = append(fpm, ev)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var want []*patterns.Event
	for _, ev := range evs {
		if ev.Kind == patterns.KindFPMError {
			want = append(want, ev)
		}
	}
	if !reflect.DeepEqual(fpm, want) {
		t.Errorf("EventsOf(PHP-FPM): %d events, not the %d put", len(fpm), len(want))
	}
}

// A frame whose entries were damaged — an entry's length past the
// frame's end, a key said to share bytes with none before it or more
// bytes than a key has, an entry's form unknown — fails its reader with an
// error, and hands no event of the damaged entry. (The frames are
// written again, compressed, with the damage: frames_test.go damages
// their compressed bytes.)
func TestTempStoreCorruptBlockIsDetected(t *testing.T) {
	// The first entry's value, and where it is in the frame.
	first := func(frame []byte) (at int, v []byte) {
		entries, _ := decodeEntries(frame, nil)
		v = entries[0].v
		return cap(frame) - cap(v), v
	}
	for _, c := range []struct {
		name    string
		damage  func(frame []byte) // the file's first frame, a.log's
		damaged int                // the event damaged, of twoStreams's
		want    error
	}{
		{"length past the frame", func(b []byte) {
			at, v := first(b)
			at -= len(binary.AppendUvarint(nil, uint64(len(v))))
			copy(b[at:], binary.AppendUvarint(nil, 1<<40))
		}, 0, errCorruptBlock},
		{"a frame's first key shared", func(b []byte) { b[0] = 13 }, 0, errCorruptBlock},
		{"a key sharing more than a key", func(b []byte) {
			at, v := first(b)
			b[at+len(v)] = eventKeyLen + 1 // the second entry's
		}, 2, errCorruptBlock},
		{"unknown form", func(b []byte) {
			_, v := first(b)
			d := fieldReader{v: v}
			d.bytes() // the text
			d.v[0] = 'z'
		}, 0, errCorruptEvent},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := openTemp(t)
			_, _, evs := twoStreams()
			writeAll(t, s, evs[:100])
			rewriteFrames(t, s, func(b, f int, fr *frame, z []byte) []byte {
				if b == 0 && f == 0 {
					z = reframe(t, s, fr, z, c.damage)
				}
				return z
			})
			var read []*patterns.Event
			err := s.Events(t0, t0.Add(time.Hour), func(ev *patterns.Event) error { read = append(read, ev); return nil })
			if !errors.Is(err, c.want) {
				t.Errorf("reading a damaged block: %v, want %v", err, c.want)
			}
			for _, ev := range read {
				if bad := evs[c.damaged]; ev.Offset == bad.Offset && ev.Path == bad.Path {
					t.Errorf("the damaged entry was read: %s", eventText(ev))
				}
			}
		})
	}
}

// A PHP-FPM line's block body holds its fields as references into its
// text (formFPMRef), smaller than Badger's value by about its message, and
// decodes back to the event put — a field that is not of its text (a
// level spelled otherwise) included; Badger's value keeps formFPM.
func TestBlockBodyOfFPMRefersToItsText(t *testing.T) {
	slow := fpmAt("php-fpm.log", t0, 10, 3)
	slow.Text = `[23-Nov-2026 13:00:00] WARNING: [pool www] child 4003, script '/var/www/x.php' (request: "GET /x.php?a=1") executing too slow (5.012345 sec), logging`
	slow.FPM.Message = slow.Text[len("[23-Nov-2026 13:00:00] WARNING: [pool www] "):]
	slow.FPM.Script, slow.FPM.Request, slow.FPM.Duration = "/var/www/x.php", "GET /x.php?a=1", 5.012345
	other := fpmAt("php-fpm.log", t0, 20, 4)
	other.FPM.Level = "warning" // not in the text: a copy
	for _, ev := range []*patterns.Event{fpmAt("php-fpm.log", t0, 0, 2), slow, other} {
		body, err := appendBlockBody(nil, ev)
		if err != nil {
			t.Fatal(err)
		}
		value, _ := encodeEvent(ev)
		d := fieldReader{v: body}
		d.bytes()
		if form := d.byte(); form != formFPMRef {
			t.Errorf("%q: a block body of form %q", ev.Text, form)
		}
		d = fieldReader{v: value}
		d.bytes()
		d.bytes()
		if form := d.byte(); form != formFPM {
			t.Errorf("%q: Badger's value of form %q", ev.Text, form)
		}
		if len(body)+len(ev.FPM.Message) > len(value) {
			t.Errorf("%q: a block body of %d bytes, Badger's value %d", ev.Text, len(body), len(value))
		}
		got, err := decodeEventBare(eventKey(ev), storedValue{b: body, path: ev.Path, inBlock: true}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("decoded as\n%s\nput as\n%s", eventText(got), eventText(ev))
		}
	}
}

// An event of a temporary store that comes before its stream's blocks
// (a line late across two batches) is written a Badger key, its value
// Badger's — its path in it, a PHP-FPM line's fields of formFPM — though
// the Writer encoded it as a block body.
func TestTempStoreLateEventKeepsBadgersValue(t *testing.T) {
	s := openTemp(t)
	late := fpmAt("php-fpm.log", t0, 0, 1)
	writeAll(t, s, []*patterns.Event{fpmAt("php-fpm.log", t0.Add(time.Second), 100, 2)})
	writeAll(t, s, []*patterns.Event{late})
	var values [][]byte
	if err := s.scan(prefixEvent, t0, t0.Add(time.Hour), nil, func(_, v []byte) error {
		values = append(values, bytes.Clone(v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want, _ := encodeEvent(late)
	if len(values) != 1 || !bytes.Equal(values[0], want) {
		t.Errorf("Badger holds %q, want [%q]", values, want)
	}
	if got := eventsIn(t, s, t0, t0.Add(time.Hour)); len(got) != 2 || !reflect.DeepEqual(got[0], late) {
		t.Errorf("read back %d events, the first\n%s", len(got), eventText(got[0]))
	}
}

// FuzzDecodeEntries: damaged frame entries decode or stop cleanly, never
// panic nor hand an entry past them; what decodes, decoded again alone,
// is the same entries, the whole of it used.
func FuzzDecodeEntries(f *testing.F) {
	s := fortyInBlocks(f, cursorWindow)
	frame := framesOf(f, s)[0]
	f.Add(frame)
	f.Add(frame[len(frame)/2:])
	f.Fuzz(func(t *testing.T, part []byte) {
		entries, used := decodeEntries(part, nil)
		if used < 0 || used > len(part) {
			t.Fatalf("%d bytes used of %d", used, len(part))
		}
		back, all := decodeEntries(part[:used], nil)
		if all != used || !reflect.DeepEqual(back, entries) {
			t.Fatalf("decoded again: %d entries of %d bytes, not %d of %d", len(back), all, len(entries), used)
		}
	})
}
