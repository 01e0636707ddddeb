package gunzip_test

import (
	"bytes"
	"fmt"
	"testing"
)

// Deflate's length and distance symbols: base and extra bits (RFC 1951
// section 3.2.5), for the blocks written below.
var (
	testLenBase   = []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	testLenExtra  = []uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	testDistBase  = []int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	testDistExtra = []uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// canonical returns the canonical Huffman codes of lengths (RFC 1951
// section 3.2.2), most significant bit first.
func canonical(lengths []uint8) []uint32 {
	var count [16]int
	for _, n := range lengths {
		count[n]++
	}
	count[0] = 0
	var next [16]uint32
	code := uint32(0)
	for n := 1; n < 16; n++ {
		code = (code + uint32(count[n-1])) << 1
		next[n] = code
	}
	codes := make([]uint32, len(lengths))
	for sym, n := range lengths {
		if n != 0 {
			codes[sym] = next[n]
			next[n]++
		}
	}
	return codes
}

// dynBlock writes deflate blocks with the codes it is given, and keeps
// the plain text they decode to.
type dynBlock struct {
	w                bitWriter
	plain            []byte
	lit, dist        []uint8
	litCode, distCod []uint32
}

// begin starts a dynamic block whose literal/length code has lit's
// lengths (286 of them) and whose distance code has dist's (30). The code
// lengths are written with a code giving each of the lengths 0..15 four
// bits: complete, and no repeats.
func (b *dynBlock) begin(final bool, lit, dist []uint8) {
	b.lit, b.dist = lit, dist
	b.litCode, b.distCod = canonical(lit), canonical(dist)
	if final {
		b.w.bits(1, 1)
	} else {
		b.w.bits(0, 1)
	}
	b.w.bits(2, 2)
	b.w.bits(uint32(len(lit)-257), 5)
	b.w.bits(uint32(len(dist)-1), 5)
	b.w.bits(19-4, 4)
	for _, sym := range []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15} {
		if sym < 16 {
			b.w.bits(4, 3)
		} else {
			b.w.bits(0, 3)
		}
	}
	for _, n := range append(append([]uint8(nil), lit...), dist...) {
		b.w.code(uint32(n), 4) // the clen code of n is n itself: all of 4 bits, in order
	}
}

func (b *dynBlock) literal(c byte) {
	if b.lit[c] == 0 {
		panic(fmt.Sprintf("literal %d has no code", c))
	}
	b.w.code(b.litCode[c], uint(b.lit[c]))
	b.plain = append(b.plain, c)
}

func (b *dynBlock) end() { b.w.code(b.litCode[256], uint(b.lit[256])) }

// match writes the length symbol lsym with extra bits lx, and the
// distance symbol dsym with extra bits dx.
func (b *dynBlock) match(lsym int, lx uint32, dsym int, dx uint32) {
	b.w.code(b.litCode[lsym], uint(b.lit[lsym]))
	b.w.bits(lx, testLenExtra[lsym-257])
	b.w.code(b.distCod[dsym], uint(b.dist[dsym]))
	b.w.bits(dx, testDistExtra[dsym])
	length := testLenBase[lsym-257] + int(lx)
	distance := testDistBase[dsym] + int(dx)
	for range length {
		b.plain = append(b.plain, b.plain[len(b.plain)-distance])
	}
}

// staircase returns code lengths 1, 2, ..., 14, 15, 15 (a complete code)
// for syms, in that order, and 0 for the other symbols of n.
func staircase(n int, syms []int) []uint8 {
	l := make([]uint8, n)
	for i, s := range syms {
		l[s] = uint8(min(i+1, 15))
	}
	return l
}

// everyPairing returns a stream of a literal of each code length 1..15
// followed by one of each, in blocks whose codes put the literals, the
// end of block and a length at every length in turn: some pairs fit in
// the root table's entry, some take exactly its bits, most do not, and the
// end of block follows literals of each length. Matches of every distance
// length follow, from subtables too.
func everyPairing() (gz, plain []byte) {
	var b dynBlock
	distSyms := []int{0, 4, 1, 8, 2, 12, 3, 16, 5, 20, 6, 24, 7, 9, 10, 11}
	dist := staircase(30, distSyms)
	for rot := range 16 {
		// 16 symbols: 13 literals, the end of block, lengths 3 and 11-12.
		syms := []int{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 256, 257, 265}
		syms = append(syms[16-rot:], syms[:16-rot]...)
		b.begin(rot == 15, staircase(286, syms), dist)
		lits := []byte("abcdefghijklm")
		if rot == 0 { // history for the distances below: 7,201 bytes
			b.literal('a')
			for range 600 {
				b.match(265, 1, 0, 0)
			}
		}
		for _, x := range lits {
			for _, y := range lits {
				b.literal(x)
				b.literal(y)
			}
		}
		for i, d := range distSyms {
			b.match(257, 0, d, 0)
			b.literal(lits[i%len(lits)])
			b.match(265, uint32(i%2), d, 1<<testDistExtra[d]-1)
		}
		b.literal(lits[rot%len(lits)])
		b.end()
	}
	return member(b.w.bytes(), b.plain), b.plain
}

// longest returns a stream of lengths of 20 bits (a 15-bit code, 5 extra)
// followed by distances of 28 (15 and 13): the most bits the fast loop
// takes between two refills, after which it looks the next entry up in
// the 16 left. Literals of short codes around them make pairs, and a
// literal of a subtable follows too.
func longest() (gz, plain []byte) {
	var b dynBlock
	// 'x' 1 bit, 285 (length 258) 2 bits, 'y' 3, 'z' 4, 256 5, then more
	// literals; 284 (227..258, 5 extra bits) 15 bits; 'q' 15 bits too.
	syms := []int{'x', 285, 'y', 'z', 256, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 284, 'q'}
	dsyms := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 29, 28}
	b.begin(true, staircase(286, syms), staircase(30, dsyms))
	b.literal('x')
	for range 130 { // 33,540 bytes of history
		b.match(285, 0, 0, 0)
	}
	for i := range 40 {
		b.literal('y')
		b.literal('z')
		b.match(284, uint32(i%32), 29, uint32(i*97)) // 24,577 + up to 3,783 back
		b.literal('x')
		b.literal('y')
		b.match(284, 31, 28, 8191) // 258 bytes, 24,576 back
		b.literal('q')
		b.literal('x')
		b.literal('x')
	}
	b.end()
	return member(b.w.bytes(), b.plain), b.plain
}

// TestCodesOfEveryLength: the streams above decode as compress/gzip
// decodes them, to the text they were written from, however the input
// and the output are cut; and so does every prefix of them, but with an
// error.
func TestCodesOfEveryLength(t *testing.T) {
	for name, stream := range map[string]func() ([]byte, []byte){"every pairing": everyPairing, "longest": longest} {
		gz, plain := stream()
		for _, sizes := range [][2]int{{1 << 20, 64 << 10}, {1, 1}, {7, 3}, {64, 4096}} {
			same(t, name, gz, sizes[0], sizes[1])
		}
		got, err := ours(gz, 1<<20, 64<<10)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: %d bytes, %v; want %d", name, len(got), err, len(plain))
		}
		for n := 0; n < len(gz); n += 1 + n/50 {
			same(t, name+" cut", gz[:n], 1<<20, 4096)
		}
	}
}
