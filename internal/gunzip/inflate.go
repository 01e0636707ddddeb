package gunzip

import "encoding/binary"

// load loads whole bytes into the bit buffer until it holds n bits (n ≤
// 56) or the input has ended. The bits past the stream's end read as
// zeros.
func (r *Reader) load(n uint) {
	for r.nb < n {
		if r.ip == r.iend && !r.fill() {
			return
		}
		r.bits |= uint64(r.in[r.ip]) << (r.nb & 63)
		r.ip++
		r.nb += 8
	}
}

// getBits reads n bits (n ≤ 32), or returns false at the stream's end.
func (r *Reader) getBits(n uint) (uint32, bool) {
	r.load(n)
	if r.nb < n {
		return 0, false
	}
	v := uint32(r.bits & (1<<n - 1))
	r.bits >>= n
	r.nb -= n
	return v, true
}

// blockHeader reads a block's header (RFC 1951 section 3.2.3) and what
// follows it up to its data: a stored block's length, a dynamic block's
// code.
func (r *Reader) blockHeader() error {
	v, ok := r.getBits(3)
	if !ok {
		return r.truncated()
	}
	r.final = v&1 != 0
	switch v >> 1 {
	case 0:
		r.unreadBits()
		if !r.need(4) {
			return r.truncated()
		}
		n := binary.LittleEndian.Uint16(r.in[r.ip:])
		if ^n != binary.LittleEndian.Uint16(r.in[r.ip+2:]) {
			return r.corrupt(ErrCorrupt, "stored block length does not match its complement")
		}
		r.ip += 4
		r.stored = int(n)
		r.state = stStored
	case 1:
		if !r.fixedOK {
			r.fixedTables()
		}
		r.state = stHuffman
	case 2:
		r.fixedOK = false
		if err := r.dynamicTables(); err != nil {
			return err
		}
		r.state = stHuffman
	default:
		return r.corrupt(ErrCorrupt, "reserved block type")
	}
	return nil
}

// endBlock moves on after a block's last byte.
func (r *Reader) endBlock() {
	if r.final {
		r.state = stTrailer
	} else {
		r.state = stBlock
	}
}

// copyStored copies a stored block's bytes, as many as the output has
// room for.
func (r *Reader) copyStored() error {
	for r.stored > 0 && r.op < len(r.out) {
		if r.ip == r.iend && !r.need(1) {
			return r.truncated()
		}
		n := copy(r.out[r.op:r.op+min(r.stored, len(r.out)-r.op)], r.in[r.ip:r.iend])
		r.op += n
		r.ip += n
		r.stored -= n
	}
	if r.stored == 0 {
		r.endBlock()
	}
	return nil
}

// fixedTables builds the tables of the fixed code (RFC 1951 section
// 3.2.6).
func (r *Reader) fixedTables() {
	l := r.lengths[:288+32]
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		case i < 288:
			l[i] = 8
		default:
			l[i] = 5
		}
	}
	buildTable(r.lit[:], l[:288], litRoot, kindLitLen)
	buildTable(r.dist[:], l[288:], distRoot, kindDist)
	r.fixedOK = true
}

// The order in which a dynamic block gives the code lengths' code lengths.
var clenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamicTables reads a dynamic block's codes (RFC 1951 section 3.2.7)
// and builds their tables.
func (r *Reader) dynamicTables() error {
	v, ok := r.getBits(14)
	if !ok {
		return r.truncated()
	}
	nlit, ndist, nclen := int(v&31)+257, int(v>>5&31)+1, int(v>>10)+4
	if nlit > 286 {
		return r.corrupt(ErrCorrupt, "more than 286 literal/length codes")
	}
	if ndist > 30 {
		return r.corrupt(ErrCorrupt, "more than 30 distance codes")
	}
	var cl [19]uint8
	for _, sym := range clenOrder[:nclen] {
		v, ok := r.getBits(3)
		if !ok {
			return r.truncated()
		}
		cl[sym] = uint8(v)
	}
	if !buildTable(r.clen[:], cl[:], clenRoot, kindClen) {
		return r.corrupt(ErrCorrupt, "bad code lengths code")
	}
	lengths := r.lengths[:nlit+ndist]
	for i := 0; i < len(lengths); {
		r.load(clenRoot)
		e := r.clen[r.bits&(clenTableSize-1)]
		n := uint(e >> 8 & 15)
		if n > r.nb {
			return r.truncated()
		}
		if e&fInvalid != 0 {
			return r.corrupt(ErrCorrupt, "bad code length code")
		}
		r.bits >>= n
		r.nb -= n
		sym := e >> 16
		if sym < 16 {
			lengths[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var fill uint8
		switch sym {
		case 16:
			if i == 0 {
				return r.corrupt(ErrCorrupt, "repeat of no code length")
			}
			v, ok := r.getBits(2)
			if !ok {
				return r.truncated()
			}
			rep, fill = 3+int(v), lengths[i-1]
		case 17:
			v, ok := r.getBits(3)
			if !ok {
				return r.truncated()
			}
			rep = 3 + int(v)
		default:
			v, ok := r.getBits(7)
			if !ok {
				return r.truncated()
			}
			rep = 11 + int(v)
		}
		if i+rep > len(lengths) {
			return r.corrupt(ErrCorrupt, "code lengths repeated past their end")
		}
		for range rep {
			lengths[i] = fill
			i++
		}
	}
	if !buildTable(r.lit[:], lengths[:nlit], litRoot, kindLitLen) {
		return r.corrupt(ErrCorrupt, "bad literal/length code")
	}
	if !buildTable(r.dist[:], lengths[nlit:], distRoot, kindDist) {
		return r.corrupt(ErrCorrupt, "bad distance code")
	}
	return nil
}

// huffman decodes a Huffman-coded block's symbols until the block ends or
// the output has no room for the longest match.
func (r *Reader) huffman() error {
	for {
		if r.iend-r.ip < fastIn {
			r.fill()
		}
		if r.iend-r.ip >= fastIn && len(r.out)-r.op >= fastOut {
			end, err := r.fast()
			if err != nil || end {
				return err
			}
			continue
		}
		if len(r.out)-r.op < maxMatch {
			return nil
		}
		end, err := r.slow()
		if err != nil || end {
			return err
		}
	}
}

// fast decodes symbols while the input has fastIn bytes left and the
// output fastOut bytes of room, without checking either for each symbol.
// It returns true at the block's end.
//
// The tables and the buffers are arrays in r, reached from one register,
// and only the bit buffer and the positions are local: the loop's
// variables then fit amd64's registers. Only nb's low byte counts: an
// entry's low byte is the bits it takes, and the entry is subtracted whole.
//
// Bounds, which inLoad, outLoad, outStore and outByte rely on: an
// iteration starts with ip ≤ iend-fastIn and refills at most twice, each
// refill loading 8 bytes and moving ip by 7 at most, so every load ends
// before iend. It starts with op ≤ len(out)-fastOut and writes three
// literals (or pairs of them, stored 2 bytes at a time), or one match of
// 258 bytes at most whose copy writes at most 45 bytes past its end and
// never past op+272 (48 bytes first, then 16 at a time); it reads only
// below op, and no further back than histLo ≥ 0.
func (r *Reader) fast() (bool, error) {
	bits, nb, ip, op := r.bits, r.nb, r.ip, r.op
	if ip > r.iend-fastIn || op > outBufLen-fastOut {
		return false, nil
	}
	// Each iteration begins with the buffer refilled (56 bits or more:
	// enough for three literals, or a length and a distance with their
	// extra bits) and the next literal/length entry looked up. The
	// iteration before looked it up, before copying its match: the lookup
	// does not wait for the copy, nor for a mispredicted branch in it.
	//
	// A refill leaves all 64 bits of the buffer the stream's: nb counts
	// only those of the whole bytes it moved ip past, the bits above them
	// are those of in[ip:], loaded again by the next refill. Between two
	// refills the loop takes 48 bits at most (a length and a distance;
	// three root literals or pairs take 30, a subtable's literal 15): the
	// next entry can be looked up in the 16 bits or more left, beside the
	// refill (whose shift waits for nb), not after it.
	bits |= r.inLoad(ip) << (nb & 63)
	ip += int((63 - nb&63) >> 3)
	nb |= 56
	e := r.lit[bits&(1<<litRoot-1)]
	ipEnd := r.iend - fastIn // r.iend is reloaded after each store otherwise
	for ip <= ipEnd && op <= outBufLen-fastOut {
		// A literal is tested first: a subtable pointer is not one, and is
		// resolved among the exceptions below.
		if int32(e) < 0 {
			bits >>= e & 63
			nb -= uint(e)
			r.outStore16(op, uint16(e>>8))
			op += 1 + int(e>>28&1)
			e = r.lit[bits&(1<<litRoot-1)]
			if int32(e) < 0 {
				bits >>= e & 63
				nb -= uint(e)
				r.outStore16(op, uint16(e>>8))
				op += 1 + int(e>>28&1)
				e = r.lit[bits&(1<<litRoot-1)]
				if int32(e) < 0 {
					bits >>= e & 63
					nb -= uint(e)
					r.outStore16(op, uint16(e>>8))
					op += 1 + int(e>>28&1)
					// The next entry is looked up in the bits left (34
					// or more of the stream's), beside the refill.
					e = r.lit[bits&(1<<litRoot-1)]
					bits |= r.inLoad(ip) << (nb & 63)
					ip += int((63 - nb&63) >> 3)
					nb |= 56
					continue
				}
			}
			// A length needs up to 48 bits with its distance.
			bits |= r.inLoad(ip) << (nb & 63)
			ip += int((63 - nb&63) >> 3)
			nb |= 56
		}
		if e&fExcept != 0 {
			if e&fSub != 0 {
				e = r.lit[(e>>16+uint32(bits>>litRoot)&(1<<(e&15)-1))&(litTableSize-1)]
				if int32(e) < 0 { // a subtable's literal: one
					bits >>= e & 63
					nb -= uint(e)
					r.outByte(op, byte(e>>8))
					op++
					e = r.lit[bits&(1<<litRoot-1)] // 49 bits or more left
					bits |= r.inLoad(ip) << (nb & 63)
					ip += int((63 - nb&63) >> 3)
					nb |= 56
					continue
				}
			}
			if e&fEOB != 0 {
				r.bits, r.nb, r.ip, r.op = bits>>(e&63), (nb-uint(e))&63, ip, op
				r.endBlock()
				return true, nil
			}
			if e&fInvalid != 0 {
				r.bits, r.nb, r.ip, r.op = bits, nb&63, ip, op
				return false, r.corrupt(ErrCorrupt, "invalid literal/length code")
			}
		}
		length := int(e>>16) + int((bits&(1<<(e&31)-1))>>(e>>8&15))
		bits >>= e & 63
		nb -= uint(e)

		d := r.dist[bits&(1<<distRoot-1)]
		if d&fSub != 0 {
			d = r.dist[(d>>16+uint32(bits>>distRoot)&(1<<(d&15)-1))&(distTableSize-1)]
		}
		if d&fInvalid != 0 {
			r.bits, r.nb, r.ip, r.op = bits, nb&63, ip, op
			return false, r.corrupt(ErrCorrupt, "invalid distance code")
		}
		distance := int(d>>16) + int((bits&(1<<(d&31)-1))>>(d>>8&15))
		bits >>= d & 63
		nb -= uint(d)
		if distance > op-r.histLo {
			r.bits, r.nb, r.ip, r.op = bits, nb&63, ip, op
			return false, r.corrupt(ErrCorrupt, "distance too far back")
		}
		// The next entry is looked up in the bits left (16 or more of the
		// stream's: see above), while the buffer is refilled: the lookup
		// does not wait for the refill.
		e = r.lit[bits&(1<<litRoot-1)]
		bits |= r.inLoad(ip) << (nb & 63)
		ip += int((63 - nb&63) >> 3)
		nb |= 56

		src := op - distance
		if distance >= 16 {
			// 48 bytes, 16 at a time (the source's are all written
			// before they are read), then 16 at a time for the rest:
			// most matches take no loop (an access log's: 3 in 4), and
			// the branch is mispredicted less often than at 32 (1 in 2).
			a := r.outLoad(src)
			b := r.outLoad(src + 8)
			r.outStore(op, a)
			r.outStore(op+8, b)
			a = r.outLoad(src + 16)
			b = r.outLoad(src + 24)
			r.outStore(op+16, a)
			r.outStore(op+24, b)
			a = r.outLoad(src + 32)
			b = r.outLoad(src + 40)
			r.outStore(op+32, a)
			r.outStore(op+40, b)
			if length > 48 {
				stop := op + length
				op += 48
				src += 48
				for op < stop {
					a := r.outLoad(src)
					b := r.outLoad(src + 8)
					r.outStore(op, a)
					r.outStore(op+8, b)
					op += 16
					src += 16
				}
				op = stop
			} else {
				op += length
			}
			continue
		}
		stop := op + length
		switch {
		case distance >= 8:
			for op < stop {
				r.outStore(op, r.outLoad(src))
				op += 8
				src += 8
			}
		case distance == 1:
			v := uint64(r.out[src]) * 0x0101010101010101
			for op < stop {
				r.outStore(op, v)
				op += 8
			}
		default:
			for op < stop {
				r.out[op] = r.out[src]
				op++
				src++
			}
		}
		op = stop
	}
	r.bits, r.nb, r.ip, r.op = bits, nb&63, ip, op
	return false, nil
}

// slow decodes one symbol, checking everything: near the input's end,
// where the bits a symbol needs may be missing, and near the output's.
// It returns true at the block's end.
func (r *Reader) slow() (bool, error) {
	r.load(48)
	bits, avail := r.bits, int(r.nb)
	e := r.lit[bits&(1<<litRoot-1)]
	if e&fLiteral == 0 && e&fSub != 0 {
		e = r.lit[(e>>16+uint32(bits>>litRoot)&(1<<(e&15)-1))&(litTableSize-1)]
	}
	if e&fLiteral != 0 {
		// One literal, even of an entry that holds two: the second's
		// bits may not all be there yet.
		n := uint(e >> 24 & 15)
		if int(n) > avail {
			return false, r.truncated()
		}
		r.out[r.op] = byte(e >> 8)
		r.op++
		r.bits >>= n
		r.nb -= n
		return false, nil
	}
	if n := int(e >> 8 & 15); n > avail {
		return false, r.truncated()
	}
	if e&fEOB != 0 {
		n := uint(e & 15)
		r.bits >>= n
		r.nb -= n
		r.endBlock()
		return true, nil
	}
	if e&fExcept != 0 {
		return false, r.corrupt(ErrCorrupt, "invalid literal/length code")
	}
	total := int(e & 31)
	if total > avail {
		return false, r.truncated()
	}
	length := int(e>>16) + int((bits&(1<<total-1))>>(e>>8&15))
	bits >>= total
	avail -= total

	d := r.dist[bits&(1<<distRoot-1)]
	if d&fSub != 0 {
		d = r.dist[(d>>16+uint32(bits>>distRoot)&(1<<(d&15)-1))&(distTableSize-1)]
	}
	if n := int(d >> 8 & 15); n > avail {
		return false, r.truncated()
	}
	if d&fInvalid != 0 {
		return false, r.corrupt(ErrCorrupt, "invalid distance code")
	}
	dtotal := int(d & 31)
	if dtotal > avail {
		return false, r.truncated()
	}
	distance := int(d>>16) + int((bits&(1<<dtotal-1))>>(d>>8&15))
	if distance > r.op-r.histLo {
		return false, r.corrupt(ErrCorrupt, "distance too far back")
	}
	r.bits >>= uint(total + dtotal)
	r.nb -= uint(total + dtotal)
	out := r.out[:r.op+length]
	for i := r.op; i < len(out); i++ {
		out[i] = out[i-distance]
	}
	r.op += length
	return false, nil
}
