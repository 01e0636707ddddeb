package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func everyLine([]byte) bool { return true }

// framing is what a read made of a file: its records, its counts, its
// error, and the positions it gave.
type framing struct {
	recs  []rec
	stats Stats
	err   error
	ends  []Position // Lines: at each chunk's end; Records: at each record's
	long  []bool     // Lines: whether each chunk is Long
}

func byRecords(t testing.TB, path string, limits Limits, sample int, from *Position) framing {
	t.Helper()
	r := open(t, path, limits, from)
	defer r.Close()
	if sample > 0 {
		r.Sample(sample)
	}
	var f framing
	f.err = r.Records(everyLine, func(b []byte, off int64) error {
		f.recs = append(f.recs, rec{string(b), off})
		f.ends = append(f.ends, r.Position())
		return nil
	})
	f.stats = r.Stats()
	f.ends = append(f.ends, r.Position())
	return f
}

// byLines reads as pipeline.readBlocks does: chunks of size bytes, framed
// by Frame, their counts added to the reader's.
func byLines(t testing.TB, path string, limits Limits, sample, size int, from *Position) framing {
	t.Helper()
	r := open(t, path, limits, from)
	defer r.Close()
	if sample > 0 {
		r.Sample(sample)
	}
	if !r.Chunked() {
		t.Fatal("Chunked() = false")
	}
	var (
		f      framing
		framed Stats
		buf    []byte
	)
	for {
		c, err := r.Lines(buf[:0], size)
		if !c.Lent() {
			buf = c.Data
		}
		framed.Add(c.Frame(func(start, end int, off int64) {
			f.recs = append(f.recs, rec{string(c.Data[start:end]), off})
		}))
		c.Release()
		f.ends = append(f.ends, r.Position())
		f.long = append(f.long, c.Long())
		if err != nil {
			if err != io.EOF {
				f.err = err
			}
			break
		}
	}
	f.stats = r.Stats()
	f.stats.Add(framed)
	return f
}

func open(t testing.TB, path string, limits Limits, from *Position) *Reader {
	t.Helper()
	if from == nil {
		r, err := Open(path, limits)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r, resumed, err := OpenAt(context.Background(), path, limits, *from)
	if err != nil {
		t.Fatal(err)
	}
	if !resumed {
		t.Fatalf("not resumed at %+v", *from)
	}
	return r
}

// sameFraming fails t unless Lines read what Records read: the same
// records at the same offsets, the same counts, the same error, and, at
// the end of each chunk, a position from which a read resumes just there.
func sameFraming(t *testing.T, path string, data []byte, limits Limits, sample, size int) {
	t.Helper()
	want := byRecords(t, path, limits, sample, nil)
	got := byLines(t, path, limits, sample, size, nil)
	for i, pos := range got.ends {
		if pos.Offset > int64(len(data)) {
			t.Fatalf("chunk %d ends at %d, past the data's %d bytes", i, pos.Offset, len(data))
		}
		var w window
		w.push(data[max(0, pos.Offset-beforeSize):pos.Offset])
		if pos.Before != w.hash() && got.err == nil {
			t.Fatalf("chunk %d ends at %d with Before %x; the bytes before it hash to %x", i, pos.Offset, pos.Before, w.hash())
		}
	}
	if !equal(got.recs, want.recs) {
		t.Fatalf("Lines read %d records, Records %d; first difference: %s", len(got.recs), len(want.recs), firstDiff(got.recs, want.recs))
	}
	if got.stats != want.stats {
		t.Errorf("Lines' stats = %+v; Records' = %+v", got.stats, want.stats)
	}
	if (got.err == nil) != (want.err == nil) || got.err != nil && got.err.Error() != want.err.Error() {
		t.Errorf("Lines' error = %v; Records' = %v", got.err, want.err)
	}
	end, wend := got.ends[len(got.ends)-1], want.ends[len(want.ends)-1]
	if end.Offset != wend.Offset || end.Before != wend.Before || end.ID != wend.ID {
		t.Errorf("position at the end = %+v; Records' = %+v", end, wend)
	}
	// A read resumed at a chunk's end reads the records after it: at ten
	// of them (each read is of the whole rest), the last, and those
	// around a long line.
	every := max(1, len(got.ends)/10)
	for i, pos := range got.ends[:len(got.ends)-1] {
		if i%every != 0 && i != len(got.ends)-2 && !got.long[i] && !got.long[i+1] {
			continue
		}
		var after []rec
		for _, r := range want.recs {
			if r.off >= pos.Offset {
				after = append(after, r)
			}
		}
		rest := byRecords(t, path, limits, 0, &pos)
		if !equal(rest.recs, after) {
			t.Fatalf("resumed at chunk %d's end (offset %d): %d records, want %d; first difference: %s", i, pos.Offset, len(rest.recs), len(after), firstDiff(rest.recs, after))
		}
		if resumed := byLines(t, path, limits, 0, size, &pos); !equal(resumed.recs, after) {
			t.Fatalf("resumed by Lines at chunk %d's end: first difference: %s", i, firstDiff(resumed.recs, after))
		}
	}
}

func firstDiff(a, b []rec) string {
	for i := range max(len(a), len(b)) {
		var x, y rec
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("#%d: %.60q at %d, want %.60q at %d", i, x.text, x.off, y.text, y.off)
		}
	}
	return "none"
}

// linesOfAllKinds is an access log with what a file may hold: blank
// lines, lines of white space, CRLF ends, long lines, a last line without
// its newline.
func linesOfAllKinds(n int, long int, seed uint64) []byte {
	rnd := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	for i := range n {
		switch rnd.IntN(40) {
		case 0:
			b.WriteString("\n")
		case 1:
			b.WriteString(" \t\n")
		case 2:
			fmt.Fprintf(&b, "10.0.0.%d - - [07/Dec/2026:08:00:%02d +0000] \"GET /crlf HTTP/1.1\" 200 5\r\n", i%250, i%60)
		case 3:
			if long > 0 {
				fmt.Fprintf(&b, "10.0.0.1 - - \"GET /%s\" 502\n", strings.Repeat("x", rnd.IntN(long)))
				continue
			}
			fallthrough
		default:
			fmt.Fprintf(&b, "10.0.0.%d - - [07/Dec/2026:08:00:%02d +0000] \"GET /p/%d HTTP/1.1\" 502 %d \"-\" \"curl\"\n", i%250, i%60, rnd.IntN(1e6), rnd.IntN(1e4))
		}
	}
	b.WriteString("10.0.0.9 - - [07/Dec/2026:08:01:00 +0000] \"GET /last HTTP/1.1\" 200 1") // no newline
	return b.Bytes()
}

func TestLinesFrameAsRecords(t *testing.T) {
	long := strings.Repeat("L", 300<<10) // longer than the reader's buffers (256 KiB)
	plain := linesOfAllKinds(20000, 2000, 1)
	withLong := bytes.Join([][]byte{linesOfAllKinds(3000, 0, 2), []byte(long + "\n"), []byte(long + "\r\n"),
		linesOfAllKinds(3000, 0, 3), []byte("\n" + long + "x\n"), linesOfAllKinds(10, 0, 4), []byte("\n" + long)}, nil)
	for _, tc := range []struct {
		name   string
		data   []byte
		limits Limits
		sample int
		size   int
	}{
		{"plain", plain, DefaultLimits, 0, 64 << 10},
		{"plain, sampled", plain, DefaultLimits, 10, 64 << 10},
		{"small chunks", plain, DefaultLimits, 10, 100},
		{"chunks of a byte", plain[:20000], DefaultLimits, 3, 1},
		{"lines cut", plain, Limits{MaxLine: 60, MaxRecord: 1 << 10}, 10, 4 << 10},
		{"lines cut in the sample", []byte("a long first line, sampled, then cut\n \nb\n" + string(plain[:5000])), Limits{MaxLine: 8, MaxRecord: 64}, 3, 1 << 10},
		{"lines longer than the buffer", withLong, DefaultLimits, 10, 64 << 10},
		{"lines longer than the buffer, cut short", withLong, Limits{MaxLine: 100, MaxRecord: 1 << 10}, 0, 16 << 10},
		{"lines longer than the buffer, after others in a chunk", withLong, DefaultLimits, 10, 1 << 20},
		{"only blank lines", []byte("\n\n \r\n\t\n"), DefaultLimits, 2, 64 << 10},
		{"empty", nil, DefaultLimits, 5, 64 << 10},
		{"no newline at all", []byte("one line"), DefaultLimits, 0, 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sameFraming(t, write(t, "access.log", tc.data), tc.data, tc.limits, tc.sample, tc.size)
		})
		t.Run(tc.name+", gzip", func(t *testing.T) {
			sameFraming(t, write(t, "access.log.gz", gz(t, tc.data)), tc.data, tc.limits, tc.sample, tc.size)
		})
	}
}

// TestLinesOfATruncatedArchive: the lines before the damage, then the
// error, as Records.
func TestLinesOfATruncatedArchive(t *testing.T) {
	data := linesOfAllKinds(50000, 500, 5)
	z := gz(t, data)
	p := write(t, "cut.log.gz", z[:len(z)/2])
	got := byLines(t, p, DefaultLimits, 10, 64<<10, nil)
	if got.err == nil || len(got.recs) < 1000 {
		t.Fatalf("%d records and error %v; want the records before the damage, then an error", len(got.recs), got.err)
	}
	sameFraming(t, p, data, DefaultLimits, 10, 64<<10)
}

// TestLinesOfAnArchiveCutInALongLine: the lines before the long line the
// damage cuts, then the error, as Records.
func TestLinesOfAnArchiveCutInALongLine(t *testing.T) {
	rnd := rand.New(rand.NewPCG(6, 1))
	long := make([]byte, 1<<20)
	for i := range long {
		long[i] = 'a' + byte(rnd.IntN(26)) // letters: poorly compressed, the cut falls in them
	}
	data := bytes.Join([][]byte{linesOfAllKinds(1000, 0, 7), long, []byte("\n"), linesOfAllKinds(1000, 0, 8)}, nil)
	z := gz(t, data)
	p := write(t, "cut.log.gz", z[:len(z)/2])
	for _, size := range []int{64 << 10, 1 << 20} {
		got := byLines(t, p, DefaultLimits, 10, size, nil)
		if got.err == nil || len(got.recs) < 900 || got.recs[len(got.recs)-1].off >= int64(bytes.Index(data, long)) {
			t.Fatalf("%d records and error %v; want those before the long line, then an error", len(got.recs), got.err)
		}
		sameFraming(t, p, data, DefaultLimits, 10, size)
	}
}

// TestLinesLentStayUntilReleased: an archive's chunks are lent from the
// blocks the read-ahead decompressed them into; however many are held
// (here up to 40 chunks of 16 KiB, ten of its 256 KiB blocks), none is
// overwritten before its release, and each block is filled again after.
func TestLinesLentStayUntilReleased(t *testing.T) {
	data := linesOfAllKinds(60000, 300, 9)
	p := write(t, "access.log.gz", gz(t, data))
	r, err := Open(p, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var (
		held []Chunk
		lent int
		read int64
	)
	check := func(c *Chunk) {
		if !bytes.Equal(c.Data, data[c.Off:c.Off+int64(len(c.Data))]) {
			t.Fatalf("chunk at %d changed before its release", c.Off)
		}
		c.Release()
	}
	for {
		c, err := r.Lines(nil, 16<<10)
		if c.Lent() {
			lent++
		}
		if c.Off != read {
			t.Fatalf("chunk at %d, want %d", c.Off, read)
		}
		read += int64(len(c.Data))
		if held = append(held, c); len(held) > 40 {
			check(&held[0])
			held = held[1:]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range held {
		check(&held[i])
	}
	if read != int64(len(data)) || lent < len(data)/(32<<10) {
		t.Errorf("%d bytes read in chunks, %d of them lent; want %d bytes, most chunks lent", read, lent, len(data))
	}
}

// TestLentBlockWaitsForItsRelease: the block a chunk was lent from keeps
// a reference for it once the reader has left it, and none after the
// chunk's release (the read-ahead fills it again only then).
func TestLentBlockWaitsForItsRelease(t *testing.T) {
	p := write(t, "access.log.gz", gz(t, linesOfAllKinds(30000, 0, 10)))
	r, err := Open(p, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var c Chunk
	for i := 0; !c.Lent(); i++ { // the first line, the block's first, is copied
		if c, err = r.Lines(nil, 16<<10); err != nil || i == 2 {
			t.Fatalf("chunk %d: lent %v, error %v; want one of the first two lent", i, c.Lent(), err)
		}
	}
	b := r.ahead.buf
	for r.ahead.buf == b {
		next, err := r.Lines(nil, 16<<10)
		next.Release()
		if err != nil {
			t.Fatalf("the file ended in its first block: %v", err)
		}
	}
	if n := b.refs.Load(); n != 1 {
		t.Fatalf("the first block, left by the reader, has %d references; want 1, its lent chunk's", n)
	}
	c.Release()
	c.Release() // a second time: nothing
	if n := b.refs.Load(); n != 0 {
		t.Fatalf("the first block has %d references after its chunk's release; want 0", n)
	}
}

// TestLinesOfASampledLongLine: a file whose first line, sampled, came in
// pieces is not Chunked.
func TestLinesOfASampledLongLine(t *testing.T) {
	p := write(t, "access.log", []byte(strings.Repeat("x", 300<<10)+"\nb\n"))
	r, err := Open(p, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Sample(2)
	if r.Chunked() {
		t.Error("Chunked() = true after sampling a line longer than the buffer")
	}
}

func FuzzLines(f *testing.F) {
	f.Add([]byte("1 a\n\n2 b\r\n \n3"), 4, 3, 16)
	f.Add([]byte("\n\n\r\n1\r"), 1, 0, 1)
	f.Fuzz(func(t *testing.T, data []byte, maxLine, sample, size int) {
		maxLine, sample, size = 1+abs(maxLine)%4096, abs(sample)%5, 1+abs(size)%(8<<10)
		p := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		limits := Limits{MaxLine: maxLine, MaxRecord: 8 << 10}
		want := byRecords(t, p, limits, sample, nil)
		got := byLines(t, p, limits, sample, size, nil)
		if !equal(got.recs, want.recs) || got.stats != want.stats {
			t.Fatalf("Lines: %d records %+v; Records: %d records %+v; first difference: %s", len(got.recs), got.stats, len(want.recs), want.stats, firstDiff(got.recs, want.recs))
		}
	})
}

// TestLinesHoldingEveryChunkOfAnArchive: a caller that holds every chunk
// lent until the archive's end, fewer blocks' worth than the read-ahead
// may make (aheadBuffers), reads to the end. The read-ahead made one block
// more only when it found the reader had taken enough, and otherwise
// waited for a block given back: once the reader had taken every block
// made, holding them all, both waited for ever (this test, and
// TestLinesLentStayUntilReleased now and then, hung).
func TestLinesHoldingEveryChunkOfAnArchive(t *testing.T) {
	data := linesOfAllKinds(20000, 0, 11) // ~1.7 MB: fewer than aheadBuffers blocks
	if len(data) >= (aheadBuffers-2)*aheadBlock || len(data) < 4*aheadBlock {
		t.Fatalf("%d bytes: not what the test needs", len(data))
	}
	for round := range 20 {
		r, err := Open(write(t, "access.log.gz", gz(t, data)), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		var (
			held []Chunk
			read int64
		)
		for {
			c, err := r.Lines(nil, 16<<10)
			read += int64(len(c.Data))
			held = append(held, c)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		for i := range held {
			if c := &held[i]; !bytes.Equal(c.Data, data[c.Off:c.Off+int64(len(c.Data))]) {
				t.Fatalf("round %d: chunk at %d changed before its release", round, c.Off)
			}
			held[i].Release()
		}
		r.Close()
		if read != int64(len(data)) {
			t.Fatalf("round %d: %d bytes read of %d", round, read, len(data))
		}
	}
}
