package store

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/logcause/logcause/patterns"
)

// blocksInFile returns the index's blocks in the order of the file. The
// caller holds s.idx.
func blocksInFile(s *blocks) []*blockRef {
	var out []*blockRef
	for _, st := range s.streams {
		for i := range st.blocks {
			out = append(out, &st.blocks[i])
		}
	}
	slices.SortFunc(out, func(a, b *blockRef) int { return int(a.off - b.off) })
	return out
}

// framesOf returns the entries of every frame of s's blocks, decoded, in
// the order of the file.
func framesOf(tb testing.TB, s *Store) [][]byte {
	tb.Helper()
	s.blocks.idx.RLock()
	defer s.blocks.idx.RUnlock()
	var out [][]byte
	for _, r := range blocksInFile(s.blocks) {
		for f, fr := range r.frames {
			z, err := s.blocks.read(r, f, nil)
			if err == nil {
				z, err = s.blocks.unpack(z, fr, nil)
			}
			if err != nil {
				tb.Fatalf("frame %d of the block at %d of the file: %v", f, r.off, err)
			}
			out = append(out, z)
		}
	}
	return out
}

// rewriteFrames writes s's blocks again, each frame as change returns it
// (b: its block's place in the file, f: its place in its block; fr: what
// the index says of it, which change may change), and the index with
// them.
func rewriteFrames(t *testing.T, s *Store, change func(b, f int, fr *frame, z []byte) []byte) {
	t.Helper()
	s.blocks.idx.Lock()
	defer s.blocks.idx.Unlock()
	var out []byte
	for b, r := range blocksInFile(s.blocks) {
		frames := make([]frame, len(r.frames))
		off := len(out)
		for f, fr := range r.frames {
			z, err := s.blocks.read(r, f, nil)
			if err != nil {
				t.Fatal(err)
			}
			z = change(b, f, &fr, z)
			out = append(out, z...)
			fr.end = uint32(len(out) - off)
			frames[f] = fr
		}
		r.off, r.frames = int64(off), frames
	}
	if err := s.blocks.f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.blocks.f.WriteAt(out, 0); err != nil {
		t.Fatal(err)
	}
	s.blocks.size = int64(len(out))
}

// reframe returns the frame z with its entries damaged, compressed again,
// and fr as the index would say it.
func reframe(t *testing.T, s *Store, fr *frame, z []byte, damage func(entries []byte)) []byte {
	t.Helper()
	entries, err := s.blocks.unpack(z, *fr, nil)
	if err != nil {
		t.Fatal(err)
	}
	damage(entries)
	return framed(s, fr, s2.Encode(nil, entries), len(entries))
}

// framed returns z, fr saying it holds raw bytes of entries, its checksum
// z's.
func framed(s *Store, fr *frame, z []byte, raw int) []byte {
	fr.raw, fr.sum = uint32(raw), crc32.Checksum(z, s.blocks.crc)
	return z
}

// bigAt is a PHP-FPM line of n bytes: an entry larger than a window.
func bigAt(path string, at time.Time, off int64, n int) *patterns.Event {
	ev := fpmAt(path, at, off, n)
	ev.FPM.Message += strings.Repeat(fmt.Sprintf(" %d", n), n/4)[:n]
	ev.Text = "[23-Nov-2026 13:00:00] WARNING: [pool www] " + ev.FPM.Message
	return ev
}

// TestFramesHoldWholeEntriesWithinTheWindow: a block's frames hold whole
// entries, their bytes within the window — but for an entry larger,
// alone in its frame —, each frame's first key shared with none; and
// every event is read back as it was put, whatever the window.
func TestFramesHoldWholeEntriesWithinTheWindow(t *testing.T) {
	_, long, evs := twoStreams()
	// Three larger than the default window, one a little smaller.
	for i, n := range []int{40 << 10, 100 << 10, cursorWindow - 400, cursorWindow + 1} {
		evs = append(evs, bigAt(long, t0.Add(time.Duration(i)*time.Second+time.Millisecond), int64(1<<30+i), n))
	}
	want := slices.Clone(evs)
	slices.SortFunc(want, func(a, b *patterns.Event) int { return bytes.Compare(eventKey(a), eventKey(b)) })
	for _, window := range []int{97, 1000, cursorWindow} {
		t.Run(fmt.Sprint(window), func(t *testing.T) {
			s := openTemp(t)
			s.blocks.window = window
			writeAll(t, s, evs)
			if n := eventKeysInBadger(s); n != 0 {
				t.Fatalf("%d events in Badger keys, none wanted", n)
			}
			frames, alone := framesOf(t, s), 0
			for _, f := range frames {
				entries, used := decodeEntries(f, nil)
				switch {
				case used != len(f) || len(entries) == 0:
					t.Fatalf("a frame of %d bytes whose entries take %d", len(f), used)
				case f[0] != 0:
					t.Errorf("a frame's first key shares %d bytes", f[0])
				case len(entries) == 1 && len(f) > window:
					alone++
				case len(f) > window:
					t.Errorf("a frame of %d entries, %d bytes: more than the window", len(entries), len(f))
				}
			}
			if window == cursorWindow && alone != 3 {
				t.Errorf("%d entries larger than the window alone in their frame, want 3", alone)
			}
			if window == 97 && len(frames) != len(evs) {
				t.Errorf("%d frames of a window smaller than every entry, for %d entries", len(frames), len(evs))
			}
			got := eventsIn(t, s, t0, t0.Add(time.Hour))
			if len(got) != len(want) {
				t.Fatalf("%d events read back of %d", len(got), len(want))
			}
			for i, ev := range got {
				if !reflect.DeepEqual(ev, want[i]) {
					t.Errorf("event %d read back as\n%.300s\nput as\n%.300s", i, eventText(ev), eventText(want[i]))
				}
			}
		})
	}
}

// manyStreams is the events of files many vhosts' logs of the same
// minutes, in batches, interleaving: each file in time order, but for a
// line of its second batch before lines of its first (written a Badger
// key) and one before lines of its own batch (sorted into its block).
func manyStreams(files int) (out [][][]*patterns.Event, late int) {
	for f := range files {
		path := fmt.Sprintf("/var/log/nginx/vhost-%03d.example.com.access.log", f)
		every := time.Duration(files) * 7 * time.Millisecond // a file's lines apart
		var batches [][]*patterns.Event
		var batch []*patterns.Event
		off := int64(0)
		for i := range 90 {
			at := t0.Add(time.Duration(i*files+f) * 7 * time.Millisecond)
			switch i {
			case 30: // before lines 27–29, of the batch before
				at = at.Add(-3*every - time.Millisecond)
				late++
			case 45: // before lines 43 and 44
				at = at.Add(-2*every - 2*time.Millisecond)
			}
			var ev *patterns.Event
			if i%3 == 0 {
				ev = errorAt(path, at, off, i)
			} else {
				ev = accessAt(path, at, off, i*files+f)
			}
			off += int64(len(ev.Text) + 1)
			if batch = append(batch, ev); len(batch) == 30 {
				batches, batch = append(batches, batch), nil
			}
		}
		out = append(out, batches)
	}
	return out, late
}

// TestTempStoreOfManyStreamsReadsAsKeys: 150 files of the same minutes,
// loaded at once, each its stream of compressed blocks, read back as a
// store that keeps a key per event reads them, frames of the default
// window and of 97 bytes; the lines late across batches a key each.
func TestTempStoreOfManyStreamsReadsAsKeys(t *testing.T) {
	files, late := manyStreams(150)
	var cuts []time.Time // a few: each range's scan reads a frame of every stream
	for i, c := range cutsOf(files) {
		if i%15 == 0 {
			cuts = append(cuts, c)
		}
	}
	keyed := open(t)
	loadFiles(t, keyed, files, false)
	want := eventsViewOf(t, keyed, cuts)
	if len(want.All) != 150*90 || !want.OrderedByKey {
		t.Fatalf("the keyed store holds %d events, in key order: %v", len(want.All), want.OrderedByKey)
	}
	for _, window := range []int{cursorWindow, 97} {
		t.Run(fmt.Sprint(window), func(t *testing.T) {
			temp := openTemp(t)
			temp.blocks.window = window
			loadFiles(t, temp, files, true)
			if n := eventKeysInBadger(temp); n != late {
				t.Errorf("%d events a key each, want the %d late across batches", n, late)
			}
			if n := len(temp.blocks.streams); n != 150 {
				t.Errorf("%d streams", n)
			}
			compareViews(t, want, eventsViewOf(t, temp, cuts))
		})
	}
}

// TestTempStoreWritesNothingOfNoEntries: a flush of no event, and one
// whose only event goes to Badger (late for its stream), write no frame;
// frames packed of none are none.
func TestTempStoreWritesNothingOfNoEntries(t *testing.T) {
	s := openTemp(t)
	writeAll(t, s, nil)
	if s.blocks.size != 0 || s.blocks.count() != 0 {
		t.Fatalf("no event written: %d bytes, %d blocks", s.blocks.size, s.blocks.count())
	}
	writeAll(t, s, []*patterns.Event{fpmAt("php-fpm.log", t0.Add(time.Second), 100, 2)})
	size, blocks := s.blocks.size, s.blocks.count()
	if size == 0 || blocks != 1 {
		t.Fatalf("an event written: %d bytes, %d blocks", size, blocks)
	}
	writeAll(t, s, []*patterns.Event{fpmAt("php-fpm.log", t0, 0, 1)})
	if s.blocks.size != size || s.blocks.count() != blocks || eventKeysInBadger(s) != 1 {
		t.Errorf("a late event written: %d bytes, %d blocks, %d keys", s.blocks.size, s.blocks.count(), eventKeysInBadger(s))
	}
	if got := eventsIn(t, s, t0, t0.Add(time.Hour)); len(got) != 2 {
		t.Errorf("%d events read back of 2", len(got))
	}
	if z, ends, sums := s.blocks.pack(nil, nil); len(z) != 0 || len(ends) != 0 || len(sums) != 0 {
		t.Errorf("no frame packed as %d bytes, %d ends, %d sums", len(z), len(ends), len(sums))
	}
}

// TestPackKeepsTheFramesInOrder: frames packed one after the other,
// each decodes to its own entries, in order, with its checksum; packed
// again smaller, into the same buffer, the same.
func TestPackKeepsTheFramesInOrder(t *testing.T) {
	s := openTemp(t)
	var raw []byte
	var spans []span
	for i := range 300 {
		lo := len(raw)
		for j := range i * 37 % 5000 {
			raw = fmt.Appendf(raw, "%d %d ", j%(i+3), i) // compressible, more or less, by frame
		}
		if i%50 == 7 {
			raw = append(raw, bytes.Repeat([]byte{byte(i)}, 70<<10)...) // larger than a window
		}
		spans = append(spans, span{lo, len(raw)})
	}
	for _, n := range []int{300, 20, 1} {
		z, ends, sums := s.blocks.pack(raw, spans[:n])
		if len(ends) != n || len(sums) != n || ends[n-1] != len(z) {
			t.Fatalf("%d frames packed: %d ends, %d sums, the last end %d of %d bytes", n, len(ends), len(sums), ends[n-1], len(z))
		}
		from := 0
		for j, sp := range spans[:n] {
			f := z[from:ends[j]]
			got, err := s.blocks.unpack(f, frame{end: uint32(ends[j]), raw: uint32(sp.hi - sp.lo), sum: sums[j]}, nil)
			if err != nil || !bytes.Equal(got, raw[sp.lo:sp.hi]) {
				t.Fatalf("%d frames packed: frame %d decodes to %d bytes (%v), not its %d", n, j, len(got), err, sp.hi-sp.lo)
			}
			from = ends[j]
		}
	}
}

// TestBlocksAreCompressed: the blocks' file holds less than half the
// bytes of their entries (an outage's: ~5×).
func TestBlocksAreCompressed(t *testing.T) {
	files, _ := streamsInput()
	s := openTemp(t)
	loadFiles(t, s, files, true)
	raw := 0
	for _, f := range framesOf(t, s) {
		raw += len(f)
	}
	info, err := s.blocks.f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != s.blocks.size || 2*info.Size() > int64(raw) {
		t.Errorf("the blocks' file holds %d bytes (%d written) for %d of entries", info.Size(), s.blocks.size, raw)
	}
}

// A frame whose bytes in the file are not those written — a byte changed,
// cut short, its length said otherwise, not s2's, entries cut — fails its
// reader with errCorruptBlock (even when its checksum was made to match),
// after the events before it and none of its own; a file cut inside a
// frame, with the read's error, which says what to do.
func TestTempStoreDamagedFrameIsDetected(t *testing.T) {
	_, _, evs := twoStreams()
	setup := func(t *testing.T) (s *Store, damaged map[string]bool) {
		s = openTemp(t)
		s.blocks.window = 1000
		writeAll(t, s, evs)
		s.blocks.idx.RLock()
		first := blocksInFile(s.blocks)[0]
		s.blocks.idx.RUnlock()
		if len(first.frames) < 3 {
			t.Fatalf("the file's first block has %d frames", len(first.frames))
		}
		// The keys of its second frame's entries: those damaged.
		damaged = map[string]bool{}
		entries, _ := decodeEntries(framesOf(t, s)[1], nil)
		for _, e := range entries {
			damaged[string(e.k[:])] = true
		}
		return s, damaged
	}
	read := func(t *testing.T, s *Store, damaged map[string]bool) error {
		t.Helper()
		n := 0
		err := s.Events(t0, t0.Add(time.Hour), func(ev *patterns.Event) error {
			if damaged[string(eventKey(ev))] {
				t.Errorf("an event of the damaged frame was read: %s", eventText(ev))
			}
			n++
			return nil
		})
		if err != nil && n == 0 {
			t.Errorf("no event read before the damaged frame")
		}
		return err
	}
	for _, c := range []struct {
		name   string
		change func(s *Store, fr *frame, z []byte) []byte
	}{
		{"its first byte changed", func(_ *Store, _ *frame, z []byte) []byte { z[0]++; return z }},
		{"a byte in its middle changed", func(_ *Store, _ *frame, z []byte) []byte { z[len(z)/2] ^= 0x10; return z }},
		{"its last byte changed", func(_ *Store, _ *frame, z []byte) []byte { z[len(z)-1]--; return z }},
		{"cut short, its checksum matching", func(s *Store, fr *frame, z []byte) []byte {
			return framed(s, fr, z[:len(z)-3], int(fr.raw))
		}},
		{"its length said longer", func(_ *Store, fr *frame, z []byte) []byte { fr.raw++; return z }},
		{"its length said shorter, its checksum matching", func(s *Store, fr *frame, z []byte) []byte {
			return framed(s, fr, z, int(fr.raw)-1)
		}},
		{"not s2's, its checksum matching", func(s *Store, fr *frame, z []byte) []byte {
			return framed(s, fr, bytes.Repeat([]byte{0xff}, len(z)), int(fr.raw))
		}},
		{"its entries cut, its checksum matching", func(s *Store, fr *frame, z []byte) []byte {
			entries, err := s.blocks.unpack(z, *fr, nil)
			if err != nil {
				panic(err)
			}
			entries = entries[:len(entries)-5]
			return framed(s, fr, s2.Encode(nil, entries), len(entries))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, damaged := setup(t)
			rewriteFrames(t, s, func(b, f int, fr *frame, z []byte) []byte {
				if b == 0 && f == 1 {
					return c.change(s, fr, z)
				}
				return z
			})
			if err := read(t, s, damaged); !errors.Is(err, errCorruptBlock) {
				t.Errorf("reading a damaged frame: %v, want %v", err, errCorruptBlock)
			}
		})
	}
	t.Run("the file cut inside", func(t *testing.T) {
		// Inside its last frame: a scan starts by reading the first frame
		// of every stream.
		s, _ := setup(t)
		frames := framesOf(t, s)
		damaged := map[string]bool{}
		entries, _ := decodeEntries(frames[len(frames)-1], nil)
		for _, e := range entries {
			damaged[string(e.k[:])] = true
		}
		s.blocks.idx.RLock()
		in := blocksInFile(s.blocks)
		last := in[len(in)-1]
		s.blocks.idx.RUnlock()
		at := last.off + 5
		if n := len(last.frames); n > 1 {
			at += int64(last.frames[n-2].end)
		}
		if err := s.blocks.f.Truncate(at); err != nil {
			t.Fatal(err)
		}
		err := read(t, s, damaged)
		if err == nil || !strings.Contains(err.Error(), blocksFile) || !strings.Contains(err.Error(), "run the analysis again") {
			t.Errorf("reading a cut frame: %v", err)
		}
	})
}

// FuzzUnpack: any bytes read as a frame — its length as the index would
// say it (at most 1 MiB here: the index is the process's own, and says
// what was written), its checksum made to match — decode to that length
// or fail with errCorruptBlock, never panic; what decodes, decodeEntries
// takes without panicking.
func FuzzUnpack(f *testing.F) {
	s := fortyInBlocks(f, 1000)
	file, err := os.ReadFile(s.blocks.f.Name())
	if err != nil {
		f.Fatal(err)
	}
	s.blocks.idx.RLock()
	r := blocksInFile(s.blocks)[0]
	s.blocks.idx.RUnlock()
	fr := r.frames[0]
	z := file[r.off : r.off+int64(fr.end)]
	f.Add(z, fr.raw)
	f.Add(z[:len(z)/2], fr.raw)
	f.Add(z, fr.raw+1)
	f.Add([]byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, z []byte, raw uint32) {
		raw %= 1 << 20
		buf, err := s.blocks.unpack(z, frame{end: uint32(len(z)), raw: raw, sum: crc32.Checksum(z, s.blocks.crc)}, nil)
		if err != nil {
			if !errors.Is(err, errCorruptBlock) {
				t.Fatalf("unpack: %v", err)
			}
			return
		}
		if len(buf) != int(raw) {
			t.Fatalf("a frame of %d bytes decoded to %d", raw, len(buf))
		}
		decodeEntries(buf, nil)
	})
}
