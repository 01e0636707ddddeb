package gunzip_test

import (
	"bytes"
	stdgzip "compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/logcause/logcause/bench/loggen"
	"github.com/logcause/logcause/internal/gunzip"
)

// chunkReader hands out at most n bytes a Read, and sometimes none.
type chunkReader struct {
	b     []byte
	n     int
	calls int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	c.calls++
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	if c.calls%7 == 0 {
		return 0, nil // a reader may return nothing, and no error
	}
	k := min(len(p), c.n, len(c.b))
	copy(p, c.b[:k])
	c.b = c.b[k:]
	return k, nil
}

// ours decodes gz with our Reader, reading src chunk bytes at a time and
// the output read bytes at a time.
func ours(gz []byte, chunk, read int) ([]byte, error) {
	r, err := gunzip.NewReader(&chunkReader{b: gz, n: chunk})
	if err != nil {
		return nil, err
	}
	var out []byte
	buf := make([]byte, read)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// stdlib decodes gz with compress/gzip, every member.
func stdlib(gz []byte) ([]byte, error) {
	r, err := stdgzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// same checks that ours decodes gz as compress/gzip does: the same bytes
// and no error for a valid stream; for an invalid one, an error from
// both, and bytes before it that agree.
func same(t *testing.T, name string, gz []byte, chunk, read int) {
	t.Helper()
	want, wantErr := stdlib(gz)
	got, err := ours(gz, chunk, read)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%s (chunk %d, read %d): error %v, compress/gzip's %v", name, chunk, read, err, wantErr)
	}
	if wantErr == nil && !bytes.Equal(got, want) {
		t.Fatalf("%s (chunk %d, read %d): %d bytes differ from compress/gzip's %d", name, chunk, read, len(got), len(want))
	}
	if wantErr != nil {
		n := min(len(got), len(want))
		if !bytes.Equal(got[:n], want[:n]) {
			t.Fatalf("%s: the bytes before the error differ from compress/gzip's", name)
		}
		if errors.Is(wantErr, io.ErrUnexpectedEOF) != errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(name, "corrupt") {
			t.Fatalf("%s: error %v, compress/gzip's %v", name, err, wantErr)
		}
	}
}

// inputs are the plain texts the tests compress: empty, tiny, random,
// highly repetitive, log lines, and large enough to cross the output
// buffer's end more than once.
func inputs(t testing.TB) map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	var logs bytes.Buffer
	if _, err := (loggen.Access{Seed: 7, Bytes: 3 << 20}).Write(&logs); err != nil {
		t.Fatal(err)
	}
	// Short-period repeats: matches of distances 1 to 20.
	var periods []byte
	for p := 1; p <= 20; p++ {
		for i := 0; i < 300+p*37; i++ {
			periods = append(periods, byte('a'+i%p))
		}
		periods = append(periods, random(p)...)
	}
	// Text with a small alphabet: literal-heavy, with short matches.
	small := make([]byte, 200_000)
	for i := range small {
		small[i] = "etaoin shrdlu\n"[rng.IntN(14)]
	}
	return map[string][]byte{
		"empty":      nil,
		"one byte":   {'x'},
		"short":      []byte("hello, hello, hello gzip\n"),
		"random 100": random(100),
		"random 70K": random(70_000),
		"random 2M":  random(2 << 20),
		"zeros 3M":   make([]byte, 3<<20),
		"periods":    periods,
		"alphabet":   small,
		"logs 3M":    logs.Bytes(),
		"logs 1K":    logs.Bytes()[:1000],
	}
}

func compress(t testing.TB, plain []byte, level int) []byte {
	var b bytes.Buffer
	w, err := stdgzip.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDecodesAsCompressGzip: every input, at every level of compress/gzip
// and of klauspost/compress, decodes as compress/gzip decodes it, however
// the input and the output are cut.
func TestDecodesAsCompressGzip(t *testing.T) {
	for name, plain := range inputs(t) {
		for level := -2; level <= 9; level++ {
			gz := compress(t, plain, level)
			same(t, fmt.Sprintf("%s, level %d", name, level), gz, 1<<20, 64<<10)
			var k bytes.Buffer
			w, err := kgzip.NewWriterLevel(&k, level)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(plain)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			same(t, fmt.Sprintf("%s, klauspost level %d", name, level), k.Bytes(), 1<<20, 64<<10)
		}
	}
}

// TestReadSizes: the input arriving a byte at a time, or in odd chunks,
// and the output read in odd sizes, change nothing.
func TestReadSizes(t *testing.T) {
	in := inputs(t)
	for _, name := range []string{"short", "periods", "logs 1K", "random 70K", "alphabet"} {
		gz := compress(t, in[name], 6)
		for _, sizes := range [][2]int{{1, 1}, {1, 4096}, {3, 7}, {17, 1}, {4096, 3}, {100_000, 1 << 20}} {
			same(t, name, gz, sizes[0], sizes[1])
		}
	}
	gz := compress(t, in["logs 3M"], 1)
	same(t, "logs 3M", gz, 13, 1)
	same(t, "logs 3M", gz, 1, 70_000)
}

// TestMembers: concatenated members decode as one stream; a member may
// be empty.
func TestMembers(t *testing.T) {
	in := inputs(t)
	var gz []byte
	var want []byte
	for _, name := range []string{"short", "empty", "logs 3M", "random 70K", "empty", "zeros 3M", "logs 1K"} {
		gz = append(gz, compress(t, in[name], 6)...)
		want = append(want, in[name]...)
	}
	for _, sizes := range [][2]int{{1 << 20, 64 << 10}, {5, 100_000}} {
		got, err := ours(gz, sizes[0], sizes[1])
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%d members: %d bytes, %v; want %d", 7, len(got), err, len(want))
		}
	}
	same(t, "members", gz, 1<<20, 64<<10)
}

// TestMatchIntoThePreviousMember: a member's matches cannot reach back
// into the member before it, even though its bytes are still in the
// output buffer.
func TestMatchIntoThePreviousMember(t *testing.T) {
	first := compress(t, []byte("abcdefgh"), 6)
	var w bitWriter
	w.bits(1, 1) // final
	w.bits(1, 2) // fixed
	w.fixedLit('a')
	w.fixedMatch(3, 5) // the first member's bytes, 4 back from "a"
	w.fixedLit(256)
	second := member(w.bytes(), []byte("aaaaa")) // the trailer does not matter: the error comes first
	gz := append(append([]byte(nil), first...), second...)
	same(t, "corrupt: match into the previous member", gz, 1<<20, 4096)
	_, err := ours(gz, 1<<20, 4096)
	if !errors.Is(err, gunzip.ErrCorrupt) || !strings.Contains(err.Error(), "at offset") {
		t.Fatalf("error %v, want one wrapping ErrCorrupt, saying where", err)
	}
}

// TestTruncated: every prefix of a stream but itself returns bytes that
// begin the plain text, then an error wrapping io.ErrUnexpectedEOF (io.EOF
// for no byte at all, as compress/gzip).
func TestTruncated(t *testing.T) {
	in := inputs(t)
	plain := in["logs 1K"]
	for _, level := range []int{0, 1, 6, 9, -2} {
		gz := compress(t, plain, level)
		for n := 0; n < len(gz); n++ {
			for _, chunk := range []int{1, 1 << 20} {
				got, err := ours(gz[:n], chunk, 100)
				if n == 0 {
					if err != io.EOF {
						t.Fatalf("no input: %v, want io.EOF", err)
					}
					continue
				}
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("level %d cut at %d of %d: %v, want io.ErrUnexpectedEOF", level, n, len(gz), err)
				}
				if !bytes.HasPrefix(plain, got) {
					t.Fatalf("level %d cut at %d: the bytes returned do not begin the plain text", level, n)
				}
			}
		}
	}
	// A larger stream, cut at a few places: most of it comes out first.
	gz := compress(t, in["logs 3M"], 6)
	for _, n := range []int{len(gz) / 3, len(gz) - 9, len(gz) - 1} {
		got, err := ours(gz[:n], 1<<20, 64<<10)
		if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.HasPrefix(in["logs 3M"], got) || len(got) < len(in["logs 3M"])*n/len(gz)/2 {
			t.Fatalf("cut at %d of %d: %d bytes, %v", n, len(gz), len(got), err)
		}
	}
}

// TestCorrupt: bytes changed anywhere make an error, never a panic; a
// change that compress/gzip takes (in the header's mtime, say) decodes
// the same.
func TestCorrupt(t *testing.T) {
	in := inputs(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, name := range []string{"logs 1K", "periods", "short", "random 100"} {
		for _, level := range []int{1, 6, 9, -2, 0} {
			gz := compress(t, in[name], level)
			for range 300 {
				bad := bytes.Clone(gz)
				for range 1 + rng.IntN(3) {
					bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
				}
				same(t, "corrupt "+name, bad, 1<<20, 4096)
				same(t, "corrupt "+name, bad, 1, 7)
			}
		}
	}
}

// TestErrors: each kind of damage gives its sentinel.
func TestErrors(t *testing.T) {
	plain := []byte(strings.Repeat("GET /index.html HTTP/1.1 200\n", 100))
	gz := compress(t, plain, 6)
	flip := func(i int) []byte {
		b := bytes.Clone(gz)
		b[i] ^= 0xff
		return b
	}
	var w bitWriter
	w.bits(1, 1)
	w.bits(3, 2) // reserved block type
	reserved := member(w.bytes(), nil)
	cases := []struct {
		name string
		gz   []byte
		want error
	}{
		{"crc", flip(len(gz) - 8), gunzip.ErrChecksum},
		{"size", flip(len(gz) - 1), gunzip.ErrChecksum},
		{"magic", flip(1), gunzip.ErrHeader},
		{"method", flip(2), gunzip.ErrHeader},
		{"zero padding", append(bytes.Clone(gz), make([]byte, 10)...), gunzip.ErrHeader},
		{"reserved block type", reserved, gunzip.ErrCorrupt},
		{"cut", gz[:len(gz)-3], io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		got, err := ours(c.gz, 1<<20, 4096)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if c.name != "magic" && c.name != "method" && c.name != "reserved block type" && !bytes.Equal(got, plain) {
			t.Errorf("%s: %d bytes before the error, want %d", c.name, len(got), len(plain))
		}
		same(t, "corrupt "+c.name, c.gz, 1<<20, 4096)
	}
}

// TestHeaderFields: the name, the comment, the extra field and the header
// CRC are read past (and the CRC checked).
func TestHeaderFields(t *testing.T) {
	plain := []byte("a line\nanother line\n")
	var b bytes.Buffer
	w := stdgzip.NewWriter(&b)
	w.Name = "access.log"
	w.Comment = "rotated by logrotate, caf\u00e9"
	w.Extra = bytes.Repeat([]byte{1, 2, 3}, 1000)
	w.Write(plain)
	w.Close()
	gz := b.Bytes()
	same(t, "fields", gz, 1<<20, 4096)
	same(t, "fields", gz, 1, 3)

	// FHCRC, which compress/gzip does not write: set it by hand.
	body := compress(t, plain, 6)[10:]
	hdr := []byte{0x1f, 0x8b, 8, 0x02 | 0x08, 0, 0, 0, 0, 0, 3}
	hdr = append(hdr, "name\x00"...)
	crc := crc32.ChecksumIEEE(hdr)
	good := binary.LittleEndian.AppendUint16(bytes.Clone(hdr), uint16(crc))
	good = append(good, body...)
	same(t, "fhcrc", good, 1<<20, 4096)
	got, err := ours(good, 2, 4096)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("FHCRC: %q, %v", got, err)
	}
	bad := binary.LittleEndian.AppendUint16(bytes.Clone(hdr), uint16(crc)+1)
	bad = append(bad, body...)
	if _, err := gunzip.NewReader(bytes.NewReader(bad)); !errors.Is(err, gunzip.ErrHeader) {
		t.Fatalf("FHCRC wrong: %v, want ErrHeader", err)
	}
	same(t, "corrupt fhcrc", bad, 1<<20, 4096)
}

// TestCrafted: streams no compressor here writes, built bit by bit.
func TestCrafted(t *testing.T) {
	fixed := func(f func(w *bitWriter)) []byte {
		var w bitWriter
		w.bits(1, 1)
		w.bits(1, 2)
		f(&w)
		return w.bytes()
	}
	stored := func(n uint16, nn uint16, data []byte) []byte {
		var w bitWriter
		w.bits(1, 1)
		w.bits(0, 2)
		out := w.bytes()
		out = binary.LittleEndian.AppendUint16(out, n)
		out = binary.LittleEndian.AppendUint16(out, nn)
		return append(out, data...)
	}
	// A dynamic block whose distance code has a single code of one bit,
	// and one with no distance code at all (literals only).
	dynamic := func(distLens []uint8, body func(w *bitWriter)) []byte {
		var w bitWriter
		w.bits(1, 1)
		w.bits(2, 2)
		// Literal/length code: 'a' and 'b' 2 bits, 256 2 bits, 257 (length 3) 2 bits.
		lit := make([]uint8, 258)
		lit['a'], lit['b'], lit[256], lit[257] = 2, 2, 2, 2
		lens := append(lit, distLens...)
		w.bits(uint32(len(lit)-257), 5)
		w.bits(uint32(len(distLens)-1), 5)
		w.bits(19-4, 4)
		// Code length code: every length 0..18 with 5 bits would be
		// over-subscribed; give 0, 1 and 2 two bits, 18 two bits.
		clLens := map[int]uint32{0: 2, 1: 2, 2: 2, 18: 2}
		for _, sym := range []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15} {
			w.bits(clLens[sym], 3)
		}
		// Canonical codes of length 2, in symbol order: 0→00, 1→01, 2→10, 18→11.
		clCode := map[uint8]uint32{0: 0, 1: 1, 2: 2}
		for i := 0; i < len(lens); {
			if lens[i] == 0 {
				run := 0
				for i+run < len(lens) && lens[i+run] == 0 && run < 138 {
					run++
				}
				if run >= 11 {
					w.code(3, 2)
					w.bits(uint32(run-11), 7)
					i += run
					continue
				}
			}
			w.code(clCode[lens[i]], 2)
			i++
		}
		body(&w)
		return w.bytes()
	}
	// Literal/length codes, canonical: 'a' 00, 'b' 01, 256 10, 257 11.
	lit := func(w *bitWriter, c uint32) { w.code(c, 2) }
	cases := []struct {
		name  string
		data  []byte
		plain string // "" with an error
	}{
		{"fixed literals", fixed(func(w *bitWriter) { w.fixedLit('h'); w.fixedLit('i'); w.fixedLit(256) }), "hi"},
		{"fixed match, distance 1", fixed(func(w *bitWriter) { w.fixedLit('z'); w.fixedMatch(258, 1); w.fixedLit(256) }), strings.Repeat("z", 259)},
		{"corrupt: fixed distance too far", fixed(func(w *bitWriter) { w.fixedLit('z'); w.fixedMatch(3, 2); w.fixedLit(256) }), ""},
		{"corrupt: fixed literal/length 286", fixed(func(w *bitWriter) { w.fixedLit(286) }), ""},
		{"corrupt: fixed distance code 30", fixed(func(w *bitWriter) { w.fixedLit('z'); w.fixedLit(257); w.code(30, 5) }), ""},
		{"stored", stored(3, ^uint16(3), []byte("abc")), "abc"},
		{"corrupt: stored length", stored(3, 3, []byte("abc")), ""},
		{"single distance code", dynamic([]uint8{1}, func(w *bitWriter) {
			lit(w, 0)
			lit(w, 1)
			lit(w, 3) // length 3
			w.code(0, 1)
			lit(w, 2)
		}), "abbbb"},
		{"corrupt: single distance code, the other bit", dynamic([]uint8{1}, func(w *bitWriter) {
			lit(w, 0)
			lit(w, 3)
			w.code(1, 1)
			lit(w, 2)
		}), ""},
		{"no distance code", dynamic([]uint8{0}, func(w *bitWriter) { lit(w, 1); lit(w, 0); lit(w, 2) }), "ba"},
		{"corrupt: no distance code, a length", dynamic([]uint8{0}, func(w *bitWriter) { lit(w, 1); lit(w, 3); w.code(0, 1); lit(w, 2) }), ""},
	}
	for _, c := range cases {
		gz := member(c.data, []byte(c.plain))
		same(t, c.name, gz, 1<<20, 4096)
		same(t, c.name, gz, 1, 1)
		got, err := ours(gz, 1<<20, 4096)
		if c.plain == "" {
			if !errors.Is(err, gunzip.ErrCorrupt) {
				t.Errorf("%s: %v, want ErrCorrupt", c.name, err)
			}
			continue
		}
		if err != nil || string(got) != c.plain {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.plain)
		}
	}
}

// member wraps deflate data in a gzip header and trailer (of plain).
func member(deflate, plain []byte) []byte {
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}
	out = append(out, deflate...)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(plain))
	return binary.LittleEndian.AppendUint32(out, uint32(len(plain)))
}

// bitWriter writes deflate's bits, least significant first.
type bitWriter struct {
	out []byte
	acc uint64
	n   uint
}

func (w *bitWriter) bits(v uint32, n uint) {
	w.acc |= uint64(v) << w.n
	w.n += n
	for w.n >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

// code writes a Huffman code, its most significant bit first.
func (w *bitWriter) code(c uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(c>>uint(i)&1, 1)
	}
}

func (w *bitWriter) fixedLit(sym int) {
	switch {
	case sym < 144:
		w.code(uint32(0x30+sym), 8)
	case sym < 256:
		w.code(uint32(0x190+sym-144), 9)
	case sym < 280:
		w.code(uint32(sym-256), 7)
	default:
		w.code(uint32(0xc0+sym-280), 8)
	}
}

// fixedMatch writes a length of 3, 4 .. 10 or 258 and a distance of 1..4.
func (w *bitWriter) fixedMatch(length, dist int) {
	if length == 258 {
		w.fixedLit(285)
	} else {
		w.fixedLit(257 + length - 3)
	}
	w.code(uint32(dist-1), 5)
}

func (w *bitWriter) bytes() []byte {
	if w.n > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc, w.n = 0, 0
	}
	return w.out
}

// failingReader hands out b, then fails with err.
type failingReader struct {
	b   []byte
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, f.err
	}
	n := copy(p, f.b[:min(len(f.b), 1000)])
	f.b = f.b[n:]
	return n, nil
}

// TestSourceErrors: an error of the source (a cancelled read, say) comes
// back as it is, after the bytes decoded before it; a source that returns
// nothing, forever, ends with io.ErrNoProgress.
func TestSourceErrors(t *testing.T) {
	plain := inputs(t)["logs 3M"]
	gz := compress(t, plain, 6)
	stop := errors.New("stopped")
	r, err := gunzip.NewReader(&failingReader{b: gz[:len(gz)/2], err: stop})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if !errors.Is(err, stop) || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error %v, want the source's", err)
	}
	if len(got) == 0 || !bytes.HasPrefix(plain, got) {
		t.Fatalf("%d bytes before the error, not a prefix of the plain text", len(got))
	}

	r, err = gunzip.NewReader(&failingReader{b: gz[:100], err: nil}) // then (0, nil) forever
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("error %v, want io.ErrNoProgress", err)
	}
}

// TestMemoryFlat: a Reader allocates what it needs once, whatever the
// stream's length: eight members of 3 MB cost what one does.
func TestMemoryFlat(t *testing.T) {
	one := compress(t, inputs(t)["logs 3M"], 6)
	eight := bytes.Repeat(one, 8)
	buf := make([]byte, 64<<10)
	cost := func(gz []byte) (allocs float64, size uint64) {
		run := func() {
			r, err := gunzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatal(err)
			}
			for {
				_, err := r.Read(buf)
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		run()
		runtime.ReadMemStats(&after)
		return testing.AllocsPerRun(3, run), after.TotalAlloc - before.TotalAlloc
	}
	a1, b1 := cost(one)
	a8, b8 := cost(eight)
	if a8 != a1 || b8 > b1+64<<10 || b8 > 1<<20 {
		t.Fatalf("one member: %v allocations, %d bytes; eight: %v allocations, %d bytes", a1, b1, a8, b8)
	}
}
