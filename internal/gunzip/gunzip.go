// Package gunzip decompresses gzip streams (RFC 1952) holding deflate data
// (RFC 1951), as compress/gzip does with Multistream(true), but faster: it
// is what logcause reads rotated .gz logs with.
//
// The speed comes from the design of the deflate decoder, not from
// assembly: a 64-bit bit buffer refilled with one 8-byte load, one table
// lookup per symbol that gives its kind, base and extra bits (a 10-bit
// root table, and subtables for longer codes), an entry that gives two
// literals at once when their codes fit in the root's bits together
// (access logs are coded with many literals of 4 and 5 bits), the next
// entry looked up beside the refill rather than after it, a loop without
// per-symbol checks while the input and the output have room (on amd64
// and arm64 its loads and stores skip Go's bounds checks through unsafe,
// the loop's conditions keeping them in bounds: see mem_unaligned.go),
// match copies 48 bytes first and then 16 at a time, and large buffers
// (the input is read 256 KiB at a time, the output decoded 256 KiB at a
// time, its last 32 KiB kept as the history matches refer to). Memory is
// about 0.6 MiB a Reader, whatever the stream's length.
//
// Errors: a stream cut short returns what was decoded, then an error
// wrapping io.ErrUnexpectedEOF; a corrupt one an error wrapping ErrCorrupt
// (deflate data), ErrHeader (a member's header, or bytes after a member
// that are not one, such as zero padding: compress/gzip refuses those
// too) or ErrChecksum (a member's CRC-32 or length), saying at which
// offset of the compressed stream. Header fields are checked (the header
// CRC too) and skipped: the name, the comment and the extra field are not
// kept, and may be of any length.
package gunzip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Sentinels, for errors.Is.
var (
	ErrCorrupt  = errors.New("corrupt deflate data")
	ErrHeader   = errors.New("invalid gzip header")
	ErrChecksum = errors.New("gzip checksum mismatch")
)

// CorruptError says what is wrong with a stream, and where.
type CorruptError struct {
	Offset int64 // in the compressed stream, of the byte being read
	What   string
	Kind   error // ErrCorrupt, ErrHeader or ErrChecksum
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("gunzip: corrupt stream (%s: %s) at offset %d", e.Kind, e.What, e.Offset)
}

func (e *CorruptError) Unwrap() error { return e.Kind }

const (
	inSize    = 256 << 10 // input read at a time, at most
	inKeep    = 8         // bytes kept before the read position when the input is refilled
	histSize  = 32 << 10  // the history a match may reach back into
	outSize   = 256 << 10 // output decoded at a time, at most
	outSlack  = 32        // a match copy may write this many bytes past its end
	maxMatch  = 258
	fastIn    = 16                  // input the fast loop needs: two 8-byte refills
	fastOut   = maxMatch + outSlack // output room the fast loop needs
	outBufLen = histSize + outSize + outSlack
	inBufLen  = inSize + inKeep
)

// decoder states, between calls of decode.
const (
	stHeader  = iota // a member's header comes next
	stBlock          // a block's header comes next
	stHuffman        // within a Huffman-coded block
	stStored         // within a stored block
	stTrailer        // the member's trailer comes next
	stEnd            // the stream ended
)

// Reader decompresses a gzip stream: every member of it, one after the
// other. It is not safe for concurrent use.
type Reader struct {
	src    io.Reader
	srcErr error // the error that ended src (io.EOF: its end)

	// Input: in[ip:iend] is unread; inBase is the offset of in[0] in the
	// stream.
	in     [inBufLen]byte
	ip     int
	iend   int
	inBase int64

	// The bit buffer: nb bits of it are unread, and they end exactly at
	// in[ip] (its bits past nb, if any, are those of in[ip:]).
	bits uint64
	nb   uint

	// Output: out[rp:op] is decoded and not yet read; out[histLo:op] is
	// what matches of the current member may refer to.
	out    [outBufLen]byte
	rp     int
	op     int
	histLo int

	// The current member's CRC-32 and length, up to out[crcFrom].
	crc     uint32
	size    uint32
	crcFrom int

	state   int
	final   bool // the current block is the member's last
	stored  int  // bytes left in the current stored block
	members int  // members begun
	err     error
	fixedOK bool // lit and dist hold the fixed code's tables
	lit     [litTableSize]uint32
	dist    [distTableSize]uint32
	clen    [clenTableSize]uint32
	lengths [288 + 32]uint8
}

// NewReader returns a Reader of src's gzip stream, having read the first
// member's header: an error says src is no gzip stream (ErrHeader), or is
// cut short within that header (io.ErrUnexpectedEOF; io.EOF when src is
// empty).
func NewReader(src io.Reader) (*Reader, error) {
	r := &Reader{src: src}
	if err := r.header(); err != nil {
		return nil, err
	}
	r.state = stBlock
	return r, nil
}

// Read reads decompressed bytes. After the last member it returns io.EOF;
// the bytes before an error are returned before it.
func (r *Reader) Read(p []byte) (int, error) {
	for r.rp == r.op {
		if r.err != nil {
			return 0, r.err
		}
		r.decode()
	}
	n := copy(p, r.out[r.rp:r.op])
	r.rp += n
	return n, nil
}

// Close releases nothing: it is there for the io.ReadCloser the caller may
// need. It does not close src.
func (r *Reader) Close() error { return nil }

// decode decodes up to outSize more bytes into out, once every byte
// decoded before has been read, or sets r.err.
func (r *Reader) decode() {
	if len(r.out)-r.op < 64<<10 {
		r.slide()
	}
	for r.err == nil && len(r.out)-r.op >= maxMatch {
		switch r.state {
		case stHeader:
			if r.err = r.nextMember(); r.err == nil {
				r.state = stBlock
			}
		case stBlock:
			r.err = r.blockHeader()
		case stHuffman:
			r.err = r.huffman()
		case stStored:
			r.err = r.copyStored()
		case stTrailer:
			r.err = r.trailer()
		case stEnd:
			r.err = io.EOF
		}
	}
	r.sum()
}

// sum adds the bytes decoded since the last call to the member's CRC-32
// and length.
func (r *Reader) sum() {
	if r.op > r.crcFrom {
		r.crc = crc32.Update(r.crc, crc32.IEEETable, r.out[r.crcFrom:r.op])
		r.size += uint32(r.op - r.crcFrom)
		r.crcFrom = r.op
	}
}

// slide moves the last histSize bytes decoded to the start of out, once
// they have all been read, to make room for more.
func (r *Reader) slide() {
	r.sum()
	keep := min(r.op, histSize)
	copy(r.out[:], r.out[r.op-keep:r.op])
	shift := r.op - keep
	r.op, r.rp, r.crcFrom = keep, keep, keep
	r.histLo = max(0, r.histLo-shift)
}

// offset returns the stream offset of the next unread bit's byte.
func (r *Reader) offset() int64 { return r.inBase + int64(r.ip) - int64(r.nb/8) }

func (r *Reader) corrupt(kind error, what string) error {
	return &CorruptError{Offset: r.offset(), What: what, Kind: kind}
}

// truncated is the error of a stream that ends where more is needed: the
// error src ended with, if not its end.
func (r *Reader) truncated() error {
	if r.srcErr != nil && r.srcErr != io.EOF {
		return r.srcErr
	}
	return fmt.Errorf("gunzip: stream cut short at offset %d: %w", r.inBase+int64(r.iend), io.ErrUnexpectedEOF)
}

// fill reads more input after in[iend], first moving the unread bytes
// (and inKeep before them, which unreadBits may give back) to the start
// of in. It is called when few bytes are left unread. It returns false
// once src has ended (r.srcErr says how).
func (r *Reader) fill() bool {
	if r.srcErr != nil {
		return false
	}
	if r.ip > inKeep {
		drop := r.ip - inKeep
		copy(r.in[:], r.in[drop:r.iend])
		r.inBase += int64(drop)
		r.ip -= drop
		r.iend -= drop
	}
	for empty := 0; empty < 100; empty++ {
		n, err := r.src.Read(r.in[r.iend:])
		r.iend += n
		if err != nil {
			r.srcErr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	r.srcErr = io.ErrNoProgress
	return false
}

// need makes n bytes of input (n ≤ fastIn) available at in[ip:], or
// returns false when the stream ends first.
func (r *Reader) need(n int) bool {
	for r.iend-r.ip < n {
		if !r.fill() {
			return false
		}
	}
	return true
}

// unreadBits gives the bit buffer's whole bytes back to the input and
// drops its partial byte: what follows starts on a byte boundary.
func (r *Reader) unreadBits() {
	r.ip -= int(r.nb / 8)
	r.bits, r.nb = 0, 0
}

// header reads a member's header (RFC 1952 section 2.3).
func (r *Reader) header() error {
	if !r.need(10) {
		if r.iend == r.ip && r.srcErr == io.EOF && r.members == 0 {
			return io.EOF
		}
		return r.truncated()
	}
	h := r.in[r.ip : r.ip+10]
	if h[0] != 0x1f || h[1] != 0x8b {
		return r.corrupt(ErrHeader, "no gzip magic number")
	}
	if h[2] != 8 {
		return r.corrupt(ErrHeader, "compression method is not deflate")
	}
	flags := h[3]
	crc := crc32.ChecksumIEEE(h)
	r.ip += 10
	if flags&0x04 != 0 { // FEXTRA
		if !r.need(2) {
			return r.truncated()
		}
		crc = crc32.Update(crc, crc32.IEEETable, r.in[r.ip:r.ip+2])
		n := int(binary.LittleEndian.Uint16(r.in[r.ip:]))
		r.ip += 2
		for n > 0 {
			if r.ip == r.iend && !r.need(1) {
				return r.truncated()
			}
			k := min(n, r.iend-r.ip)
			crc = crc32.Update(crc, crc32.IEEETable, r.in[r.ip:r.ip+k])
			r.ip += k
			n -= k
		}
	}
	for _, f := range []byte{0x08, 0x10} { // FNAME, FCOMMENT: zero-terminated
		if flags&f == 0 {
			continue
		}
		for {
			if r.ip == r.iend && !r.need(1) {
				return r.truncated()
			}
			b := r.in[r.ip:r.iend]
			i := 0
			for i < len(b) && b[i] != 0 {
				i++
			}
			if i < len(b) {
				i++ // the zero
			}
			crc = crc32.Update(crc, crc32.IEEETable, b[:i])
			r.ip += i
			if b[i-1] == 0 {
				break
			}
		}
	}
	if flags&0x02 != 0 { // FHCRC
		if !r.need(2) {
			return r.truncated()
		}
		if binary.LittleEndian.Uint16(r.in[r.ip:]) != uint16(crc) {
			return r.corrupt(ErrHeader, "header CRC mismatch")
		}
		r.ip += 2
	}
	r.members++
	r.crc, r.size = 0, 0
	r.crcFrom = r.op
	r.histLo = r.op // a member's matches reach no further back than its start
	return nil
}

// nextMember reads the header of the member after the last one, or
// returns io.EOF at the stream's end.
func (r *Reader) nextMember() error {
	if r.ip == r.iend && !r.need(1) {
		if r.srcErr == io.EOF {
			r.state = stEnd
			return io.EOF
		}
		return r.srcErr
	}
	return r.header()
}

// trailer checks a member's CRC-32 and length (RFC 1952 section 2.3.1).
func (r *Reader) trailer() error {
	r.unreadBits()
	r.sum()
	if !r.need(8) {
		return r.truncated()
	}
	crc := binary.LittleEndian.Uint32(r.in[r.ip:])
	size := binary.LittleEndian.Uint32(r.in[r.ip+4:])
	if crc != r.crc {
		return r.corrupt(ErrChecksum, fmt.Sprintf("CRC-32 %08x, of the bytes decoded %08x", crc, r.crc))
	}
	if size != r.size {
		return r.corrupt(ErrChecksum, fmt.Sprintf("length %d mod 2^32, of the bytes decoded %d", size, r.size))
	}
	r.ip += 8
	r.state = stHeader
	return nil
}
