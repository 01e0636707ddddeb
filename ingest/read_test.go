package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/klauspost/compress/zstd"

	"github.com/logcause/logcause/internal/testarchive"
)

type rec struct {
	text string
	off  int64
}

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func zst(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := zstd.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// startsWithDigit treats lines starting with a digit as record starts, like
// the nginx error log; others are continuations.
func startsWithDigit(l []byte) bool { return len(l) > 0 && l[0] >= '0' && l[0] <= '9' }

func readAll(t *testing.T, path string, limits Limits, sample int) ([]rec, Stats, error) {
	t.Helper()
	r, err := Open(path, limits)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if sample > 0 {
		r.Sample(sample)
	}
	var out []rec
	err = r.Records(startsWithDigit, func(b []byte, off int64) error {
		out = append(out, rec{string(b), off})
		return nil
	})
	return out, r.Stats(), err
}

func TestRecords(t *testing.T) {
	const data = "1 first\n2 second\r\n   \ncontinued a\ncontinued b\n3 third\nno newline at end"
	want := []rec{
		{"1 first", 0},
		{"2 second\ncontinued a\ncontinued b", 8},
		{"3 third\nno newline at end", 46},
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		sample int
	}{
		{"plain", []byte(data), 0},
		{"plain after sampling", []byte(data), 3},
		{"plain after sampling everything", []byte(data), 100},
		{"gzip", gz(t, []byte(data)), 2},
		{"zstd", zst(t, []byte(data)), 2},
		{"xz", testarchive.XZ(t, []byte(data)), 2},
		{"bzip2", testarchive.Bzip2(t, []byte(data)), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, st, err := readAll(t, write(t, "x.log", tc.data), DefaultLimits, tc.sample)
			if err != nil {
				t.Fatal(err)
			}
			if !equal(got, want) {
				t.Errorf("records = %v, want %v", got, want)
			}
			if st.Records != 3 || st.Lines != 7 || st.Bytes != int64(len(data)) {
				t.Errorf("stats = %+v, want 3 records, 7 lines, %d bytes", st, len(data))
			}
		})
	}
}

func equal(a, b []rec) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLongLineIsCutAndCounted(t *testing.T) {
	long := strings.Repeat("x", 10<<20) // 10 MB in one line
	data := "1 before\n1" + long + "\n2 after\n"
	got, st, err := readAll(t, write(t, "long.log", []byte(data)), Limits{MaxLine: 1000, MaxRecord: 4000}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(got[1].text) != 1000 || got[2].text != "2 after" {
		t.Fatalf("got %d records, second of %d bytes, third %q", len(got), len(got[1].text), got[2].text)
	}
	if got[2].off != int64(len("1 before\n1")+len(long)+1) {
		t.Errorf("offset after the long line = %d", got[2].off)
	}
	if st.CutLines != 1 {
		t.Errorf("CutLines = %d, want 1", st.CutLines)
	}
}

func TestLongRecordIsCutAndCounted(t *testing.T) {
	data := "1 start\n" + strings.Repeat("continuation line\n", 1000) + "2 next\n"
	got, st, err := readAll(t, write(t, "multi.log", []byte(data)), Limits{MaxLine: 100, MaxRecord: 200}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0].text) > 200 || got[1].text != "2 next" {
		t.Fatalf("got %d records: %v", len(got), got)
	}
	if st.CutRecords != 1 {
		t.Errorf("CutRecords = %d, want 1", st.CutRecords)
	}
}

func TestTruncatedArchiveKeepsRecordsBeforeTheDamage(t *testing.T) {
	var data strings.Builder
	for i := range 50000 {
		// Numbers that compress poorly: xz's chunks (64 KiB compressed
		// at most) and bzip2's blocks end well before the middle.
		fmt.Fprintf(&data, "1 line number %d %08x\n", i, uint32(i)*2654435761)
	}
	for _, tc := range []struct {
		name     string
		compress func(testing.TB, []byte) []byte
	}{{"cut.log.gz", gz}, {"cut.log.zst", zst}, {"cut.log.xz", testarchive.XZ}, {"cut.log.bz2", testarchive.Bzip2}} {
		t.Run(tc.name, func(t *testing.T) {
			z := tc.compress(t, []byte(data.String()))
			got, _, err := readAll(t, write(t, tc.name, z[:len(z)/2]), DefaultLimits, 10)
			if err == nil {
				t.Fatal("no error for a truncated archive")
			}
			if !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), "truncated or corrupt after") {
				t.Errorf("error = %v; want it to name the file and the offset", err)
			}
			if tc.name == "cut.log.gz" && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error = %v; want it to wrap io.ErrUnexpectedEOF", err)
			}
			if len(got) < 100 {
				t.Errorf("only %d records before the damage", len(got))
			}
		})
	}
}

// TestUnsupportedCompression: an archive logcause does not read is
// refused by its magic bytes, whatever its name, saying which compression
// it is and how to decompress it.
func TestUnsupportedCompression(t *testing.T) {
	for name, head := range map[string][]byte{
		"lz4":           {0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7},
		"compress (.Z)": {0x1f, 0x9d, 0x90},
		"lzip":          []byte("LZIP\x01\x0c"),
		"lzma":          {0x5d, 0x00, 0x00, 0x80, 0x00, 0xff, 0xff},
		"zip":           []byte("PK\x03\x04\x14\x00"),
	} {
		p := write(t, "access.log.1", append(head, "1 rest of the archive\n"...))
		_, err := Open(p, DefaultLimits)
		if !errors.Is(err, ErrUnsupportedCompression) || !strings.Contains(err.Error(), "cannot read "+p+": unsupported compression: "+name+"; decompress it") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestCorruptGzipHeader(t *testing.T) {
	_, err := Open(write(t, "bad.gz", []byte{0x1f, 0x8b, 0, 0, 0}), DefaultLimits)
	if err == nil || !strings.Contains(err.Error(), "corrupt gzip header") {
		t.Fatalf("err = %v", err)
	}
}

// TestOpenRefusesAPipe: a named pipe, even one that looked like a regular
// file when it was found, is refused at once: opening it to read would
// block until something writes to it.
func TestOpenRefusesAPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "access.log")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { // a writer, so that an Open that blocks returns
		defer close(done)
		if w, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
	}()
	r, err := Open(p, DefaultLimits)
	if err == nil {
		r.Close()
	}
	if release, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
		<-done
		release.Close()
	}
	if want := "cannot read " + p + ": it is a named pipe (FIFO), not a regular file"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing.log"), DefaultLimits); err == nil || !strings.Contains(err.Error(), "cannot open") {
		t.Errorf("missing file: err = %v", err)
	}
	if _, err := Open(t.TempDir(), DefaultLimits); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: err = %v", err)
	}
}

// Reading a file without permission is tested for real, as an unprivileged
// user, in cmd/logcause's root suite (-tags realserver); here, the hint.
func TestPermissionHint(t *testing.T) {
	err := &os.PathError{Op: "open", Path: "/var/log/nginx/error.log", Err: os.ErrPermission}
	if h := permissionHint(err); !strings.Contains(h, "adm group") {
		t.Errorf("hint for a permission error: %q", h)
	}
	if h := permissionHint(os.ErrNotExist); h != "" {
		t.Errorf("hint for a missing file: %q", h)
	}
}

func TestFnErrorStops(t *testing.T) {
	r, err := Open(write(t, "x.log", []byte("1 a\n2 b\n")), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stop := errors.New("stop")
	n := 0
	err = r.Records(startsWithDigit, func([]byte, int64) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err = %v after %d records", err, n)
	}
}

func FuzzRecords(f *testing.F) {
	f.Add([]byte("1 a\n2 b\ncont\n"), 4, 16)
	f.Add([]byte("\n\n\r\n1\r"), 1, 1)
	f.Add(gz(&testing.T{}, []byte("1 x\n")), 10, 100)
	f.Fuzz(func(t *testing.T, data []byte, maxLine, maxRecord int) {
		maxLine, maxRecord = 1+abs(maxLine)%4096, 1+abs(maxRecord)%8192
		p := filepath.Join(t.TempDir(), "f")
		os.WriteFile(p, data, 0o644)
		r, err := Open(p, Limits{MaxLine: maxLine, MaxRecord: maxRecord})
		if err != nil {
			return
		}
		defer r.Close()
		r.Sample(3)
		last := int64(-1)
		r.Records(startsWithDigit, func(b []byte, off int64) error {
			if off <= last {
				t.Fatalf("offsets not increasing: %d after %d", off, last)
			}
			last = off
			if len(b) > max(maxLine, maxRecord)+maxLine+1 {
				t.Fatalf("record of %d bytes exceeds the limits %d/%d", len(b), maxLine, maxRecord)
			}
			return nil
		})
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func TestConsumedCountsFileBytes(t *testing.T) {
	data := []byte(strings.Repeat("1 a line of text\n", 10000))
	for name, content := range map[string][]byte{"plain": data, "gzip": gz(t, data)} {
		r, err := Open(write(t, "x", content), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		r.Records(startsWithDigit, func([]byte, int64) error { return nil })
		if r.Consumed() != int64(len(content)) {
			t.Errorf("%s: consumed %d of %d file bytes", name, r.Consumed(), len(content))
		}
		r.Close()
	}
}

// TestCloseStopsReadAhead: closing an archive half read stops its
// decompressing goroutine (Close would hang otherwise).
func TestCloseStopsReadAhead(t *testing.T) {
	data := []byte(strings.Repeat("1 a line of text that compresses well\n", 200000))
	for name, content := range map[string][]byte{"gzip": gz(t, data), "zstd": zst(t, data)} {
		r, err := Open(write(t, "x", content), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Sample(3); err != nil {
			t.Fatal(err)
		}
		stop := errors.New("enough")
		n := 0
		r.Records(startsWithDigit, func([]byte, int64) error {
			if n++; n == 1000 {
				return stop
			}
			return nil
		})
		if err := r.Close(); err != nil {
			t.Errorf("%s: close: %v", name, err)
		}
	}
}

// TestCompressedReadsAsPlain: an archive yields the records, offsets and
// counts of the same file uncompressed, whatever the read-ahead blocks cut:
// lines that span blocks, lines longer than a block, a CR LF split between
// two blocks, no newline at the end.
func TestCompressedReadsAsPlain(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 3*aheadBlock; i++ {
		switch i % 7 {
		case 0:
			b.WriteString("1 " + strings.Repeat("a", i%300) + "\r\n")
		case 3:
			b.WriteString("  continued " + strings.Repeat("c", i%90) + "\n")
		case 5:
			b.WriteString("\n")
		default:
			b.WriteString("2 " + strings.Repeat("b", i%170) + "\n")
		}
	}
	head := b.String()
	cases := map[string]string{
		"short lines":              head + "3 no newline at the end",
		"line longer than a block": head + "4 " + strings.Repeat("x", aheadBlock+100) + "\n5 after\n",
		"line of two blocks":       head[:aheadBlock-5] + "\n6 " + strings.Repeat("y", 2*aheadBlock) + "\r\n7 after",
		"CR LF across blocks":      strings.Repeat("8 z\n", aheadBlock/4-1) + "9 x\r\n10 after\n",
	}
	for i := range 40 { // every cut near the end of the first block
		cases["cut "+strconv.Itoa(i)] = head[:aheadBlock-20+i] + "\n" + head[aheadBlock-20+i:]
	}
	for name, data := range cases {
		for _, limits := range []Limits{DefaultLimits, {MaxLine: 100, MaxRecord: 300}, {MaxLine: aheadBlock + 10, MaxRecord: 4 * aheadBlock}} {
			want, wantSt, err := readAll(t, write(t, "x.log", []byte(data)), limits, 5)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				ext      string
				compress func(testing.TB, []byte) []byte
			}{{"gz", gz}, {"zst", zst}} {
				got, st, err := readAll(t, write(t, "x.log."+c.ext, c.compress(t, []byte(data))), limits, 5)
				if err != nil {
					t.Fatalf("%s, %s, %+v: %v", name, c.ext, limits, err)
				}
				st.Compression = ""
				if !equal(got, want) || st != wantSt {
					t.Errorf("%s, %s, %+v: %d records, stats %+v; plain: %d records, stats %+v", name, c.ext, limits, len(got), st, len(want), wantSt)
				}
			}
		}
	}
}

// TestReadAheadFillsEveryBlock: while the caller is busy with a record, the
// decompressing goroutine fills every free block. (Through an io.Pipe it
// stopped after one block, until the caller had taken all of it, so the
// two goroutines took turns.) The test runs in a synctest bubble: Wait
// returns once the goroutine has done all it would do and blocks, for want
// of a free block if it filled every one.
func TestReadAheadFillsEveryBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		data := []byte(strings.Repeat("1 a line of text that compresses well\n", (2*aheadBuffers+2)*aheadBlock/38))
		r, err := Open(write(t, "x.gz", gz(t, data)), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		stop := errors.New("stop")
		err = r.Records(startsWithDigit, func(_ []byte, off int64) error {
			if off < aheadBuffers*aheadBlock {
				return nil // every block is made once the reader took as many
			}
			synctest.Wait()
			if n := len(r.ahead.full); n != aheadBuffers-1 { // one block is the caller's
				t.Errorf("%d blocks decompressed ahead, want %d", n, aheadBuffers-1)
			}
			return stop
		})
		if !errors.Is(err, stop) {
			t.Fatalf("Records = %v, want the callback's stop", err)
		}
	})
}

// TestDetectionDecompressesLittle: sampling the first lines of a large
// archive and closing it, as format detection does, decompresses a few
// blocks, not every block the reader may have ahead. The test runs in a
// synctest bubble: Wait returns once the goroutine has run as far ahead as
// it would and blocks.
func TestDetectionDecompressesLittle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		data := []byte(strings.Repeat("1 a line of text that compresses well\n", (aheadBuffers+2)*aheadBlock/38))
		r, err := Open(write(t, "x.gz", gz(t, data)), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Sample(40); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		r.Close()
		if r.ahead.made > 3 {
			t.Errorf("%d blocks decompressed for 40 lines", r.ahead.made)
		}
	})
}

// TestSmallArchiveMakesOneBlock: blocks are made as they are needed.
func TestSmallArchiveMakesOneBlock(t *testing.T) {
	r, err := Open(write(t, "x.gz", gz(t, []byte("1 a\n"))), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	r.Records(startsWithDigit, func([]byte, int64) error { return nil })
	r.Close()
	if r.ahead.made != 1 {
		t.Errorf("%d blocks made for a line", r.ahead.made)
	}
	r.Close() // a second Close does not panic
}

// TestRecordsStopWhenTheContextIsDone: a read that its context stops goes
// no further than the block it is in, in a plain file as in an archive
// (whose blocks decompressed ahead may hold megabytes), and says why.
func TestRecordsStopWhenTheContextIsDone(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 8<<20; i++ {
		b.WriteString(strconv.Itoa(i) + " a line of a large log, numbered to compress less well " + strconv.Itoa(i*7919%100003) + "\n")
	}
	data := []byte(b.String())
	for _, c := range []struct{ name, file string }{
		{"plain", write(t, "big.log", data)},
		{"gzip", write(t, "big.log.gz", gz(t, data))},
		{"zstd", write(t, "big.log.zst", zst(t, data))},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r, err := OpenContext(ctx, c.file, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			const stopAt = 1 << 20
			var last int64
			err = r.Records(startsWithDigit, func(_ []byte, off int64) error {
				if off >= stopAt {
					cancel() // and go on, as a caller that does not look at ctx
				}
				last = off
				return nil
			})
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped reading "+c.file) {
				t.Fatalf("err %v, want it to say the read of %s stopped, wrapping context.Canceled", err, c.file)
			}
			// The rest of the block in hand (and a line across its end) at most.
			if last-stopAt > 2*aheadBlock {
				t.Errorf("records up to offset %d of %d were read after the context was done at %d", last, len(data), stopAt)
			}
		})
	}
}
