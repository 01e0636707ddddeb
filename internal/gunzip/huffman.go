package gunzip

import "math/bits"

// A decoding table maps the next bits of the stream (least significant
// bit first, as deflate packs them) to an entry. The root table is indexed
// by the next root bits; a code longer than that leads to a subtable,
// indexed by the bits after the root's. An entry is one uint32:
//
//	bits  0..7   total bits the symbol takes: its code, plus its extra bits
//	             (a subtable pointer: the subtable's index bits)
//	bits  8..11  bits of the code alone (the extra bits follow them)
//	bit   12     invalid: no symbol has this code, or the symbol is reserved
//	bit   13     subtable pointer
//	bit   14     end of block
//	bits 16..30  the value: a length's or a distance's base, a subtable's
//	             first index
//	bit   31     literal: the bits above mean something else (below)
//
// A literal's entry may hold two literals, when the root's bits hold both
// codes: an access log's text is coded with many literal codes of 4 or 5
// bits, and half its literals follow another literal. Such an entry:
//
//	bits  0..7   total bits: both codes (one literal: its code)
//	bits  8..15  the first literal
//	bits 16..23  the second literal (one literal: unused)
//	bits 24..27  bits of the first literal's code alone
//	bit   28     two literals
//	bit   31     literal
//
// One lookup gives all a symbol needs: the fast loop reads no other table.
// A literal's entry is tested first: its bits 8..23 are not flags.
const (
	fInvalid uint32 = 1 << 12
	fSub     uint32 = 1 << 13
	fEOB     uint32 = 1 << 14
	fLiteral uint32 = 1 << 31
	fPair    uint32 = 1 << 28
	fExcept         = fInvalid | fSub | fEOB

	litRoot    = 10
	distRoot   = 8
	clenRoot   = 7
	maxCodeLen = 15

	// A complete code of 288 symbols with root 10 needs at most 1,536
	// subtable entries: a subtable of 2^s entries holds at least s+1 codes,
	// at most 32 entries for 6 codes. The tables are a power of two so
	// that a masked index needs no bounds check.
	litTableSize  = 4096
	distTableSize = 1024
	clenTableSize = 1 << clenRoot
)

// Lengths 3..258: base and extra bits of symbols 257..285.
var lengthBase = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
var lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}

// Distances 1..32768: base and extra bits of symbols 0..29.
var distBase = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
var distExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

// tableKind says what a table's symbols mean.
type tableKind uint8

const (
	kindLitLen tableKind = iota // 0..255 literals, 256 end of block, 257..285 lengths
	kindDist                    // 0..29 distances
	kindClen                    // 0..18 code lengths, as they are
)

// entryFor returns the table entry of sym, whose code is n bits long.
func entryFor(kind tableKind, sym int, n uint32) uint32 {
	switch kind {
	case kindLitLen:
		switch {
		case sym < 256:
			return fLiteral | n<<24 | uint32(sym)<<8 | n
		case sym == 256:
			return fEOB | n<<8 | n
		case sym < 286:
			i := sym - 257
			return uint32(lengthBase[i])<<16 | n<<8 | (n + uint32(lengthExtra[i]))
		}
	case kindDist:
		if sym < 30 {
			return uint32(distBase[sym])<<16 | n<<8 | (n + uint32(distExtra[sym]))
		}
	case kindClen:
		return uint32(sym)<<16 | n<<8 | n
	}
	return fInvalid | n<<8 | n // 286, 287, and distances 30, 31: reserved
}

// buildTable fills table from the code lengths of a canonical Huffman
// code (RFC 1951 section 3.2.2). It accepts what compress/flate accepts:
// a complete code, no code at all, or a single code of one bit; an
// over-subscribed or otherwise incomplete code is refused (false). Bits
// that no code starts with decode to an invalid entry.
func buildTable(table []uint32, lengths []uint8, root uint, kind tableKind) bool {
	var count [maxCodeLen + 1]int
	maxLen := 0
	for _, n := range lengths {
		count[n]++
		if int(n) > maxLen {
			maxLen = int(n)
		}
	}
	count[0] = 0
	// next[n]: the first code of length n, most significant bit first.
	var next [maxCodeLen + 2]int
	code := 0
	for n := 1; n <= maxCodeLen; n++ {
		code = (code + count[n-1]) << 1
		next[n] = code
	}
	space := 0 // code space used, in units of 2^-maxLen
	for n := 1; n <= maxLen; n++ {
		space += count[n] << (maxLen - n)
	}
	complete := maxLen > 0 && space == 1<<maxLen
	if !complete {
		if maxLen != 0 && !(maxLen == 1 && count[1] == 1) {
			return false
		}
		// No code, or one code of one bit: whatever else is read is invalid.
		for i := range table[:1<<root] {
			table[i] = fInvalid | 1<<8 | 1
		}
	}
	if maxLen == 0 {
		return true
	}

	// Symbols in canonical order: by length, then by value.
	var sorted [288]uint16
	var start [maxCodeLen + 2]int
	for n := 1; n <= maxCodeLen; n++ {
		start[n+1] = start[n] + count[n]
	}
	for sym, n := range lengths {
		if n != 0 {
			sorted[start[n]] = uint16(sym)
			start[n]++
		}
	}
	total := start[maxCodeLen] // codes, in sorted[:total]

	// Canonical codes, most significant bit first, in sorted order.
	var codes [288]uint16
	for i := 0; i < total; i++ {
		n := lengths[sorted[i]]
		codes[i] = uint16(next[n])
		next[n]++
	}

	rootSize := 1 << root
	free := rootSize // the next subtable's first index
	curPrefix := -1  // the root index of the subtable being filled
	subStart, subBits := 0, uint(0)
	for i := 0; i < total; i++ {
		sym := int(sorted[i])
		n := uint(lengths[sym])
		c := int(codes[i])
		rev := int(bits.Reverse16(uint16(c)) >> (16 - n))
		e := entryFor(kind, sym, uint32(n))
		if n <= root {
			for j := rev; j < rootSize; j += 1 << n {
				table[j] = e
			}
			continue
		}
		prefix := rev & (rootSize - 1)
		if prefix != curPrefix {
			// A new subtable, as wide as the longest code sharing the
			// prefix: the last of them in canonical order.
			last := i
			for last+1 < total {
				m := uint(lengths[sorted[last+1]])
				if int(codes[last+1])>>(m-root) != c>>(n-root) {
					break
				}
				last++
			}
			subBits = uint(lengths[sorted[last]]) - root
			subStart = free
			free += 1 << subBits
			if free > len(table) {
				return false
			}
			curPrefix = prefix
			table[prefix] = fSub | uint32(subStart)<<16 | uint32(subBits)
		}
		for j := rev >> root; j < 1<<subBits; j += 1 << (n - root) {
			table[subStart+j] = e
		}
	}
	if kind == kindLitLen {
		pairLiterals(table[:rootSize], root)
	}
	return true
}

// pairLiterals turns each root entry of a literal into an entry of two
// literals where the root's bits hold the next literal's code too. The
// entry at i>>n decodes the bits after a first code of n bits; its
// literal's code is known when it takes no more than the root-n bits that
// i holds (the index's higher bits are zeros, not the stream's). Going
// down, every entry read is still one of a single literal: i>>n ≤ i.
func pairLiterals(root []uint32, bits uint) {
	for i := len(root) - 1; i >= 0; i-- {
		e := root[i]
		n := e & 15
		next := root[i>>n]
		pair := e + next&15 | fPair | (next>>8&0xff)<<16
		// All ones when both are literals and fit, without a branch: a
		// block's table has 2^bits entries, and these are unpredictable.
		both := -(e & next >> 31)
		fits := ^uint32(int32(uint32(bits)-n-next&15) >> 31)
		root[i] = e ^ (e^pair)&both&fits
	}
}
