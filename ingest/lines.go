package ingest

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"
)

// Lines and Chunk read a file whose every line is a record (an access log)
// in bulk: the reader takes whole lines from its buffer by the block, and
// whoever parses a block frames its lines (Chunk.Frame), on other
// goroutines, instead of the reader framing and copying each line
// (Records). Records and Lines frame a file the same way: the same records
// at the same offsets, the same counts and positions.

// Chunk is a run of whole lines of a file, as Lines read them.
type Chunk struct {
	// Data is the lines as they are in the file, each with its newline
	// (the file's last line may have none); of a line longer than the
	// reader's buffer (Long), what is kept of it.
	Data    []byte
	Off     int64 // the offset of Data[0] in the (decompressed) file
	long    bool  // Data is one line, cut and counted by the reader
	maxLine int
	release func() // of Data lent by an archive's read-ahead; nil: Data is dst's
}

// Lent reports whether Data is the reader's own, lent until Release, and
// not the buffer given to Lines.
func (c *Chunk) Lent() bool { return c.release != nil }

// Release gives back Data when it was lent (an archive's decompressed
// block, read ahead, is not filled again until every chunk of it is
// released); Data must not be used after. It does nothing the second
// time, or for a chunk not lent.
func (c *Chunk) Release() {
	if c.release != nil {
		c.release()
		c.release = nil
	}
}

// Long reports whether c is one line longer than the reader's buffer,
// cut to the limit.
func (c Chunk) Long() bool { return c.long }

// Frame calls fn with each record of c — its lines but the blank ones,
// without their line ends, cut to the reader's MaxLine — as Data[start:end]
// and the record's offset in the file, in order. It returns the counts of
// Stats that Records would have made of c's lines: Lines, Records and
// CutLines (of a long chunk, the reader counted its line already).
func (c Chunk) Frame(fn func(start, end int, off int64)) Stats {
	var st Stats
	if c.long {
		if !blank(c.Data) {
			st.Records++
			fn(0, len(c.Data), c.Off)
		}
		return st
	}
	for at := 0; at < len(c.Data); {
		next := len(c.Data)
		if i := bytes.IndexByte(c.Data[at:], '\n'); i >= 0 {
			next = at + i + 1
		}
		line, cut := lineOf(c.Data[at:next], c.maxLine)
		st.Lines++
		if cut {
			st.CutLines++
		}
		if !blank(line) {
			st.Records++
			fn(at, at+len(line), c.Off+int64(at))
		}
		at = next
	}
	return st
}

// blank reports whether line is empty or white space only, as
// bytes.TrimSpace sees it; most lines begin with a printable ASCII byte.
func blank(line []byte) bool {
	if len(line) > 0 && line[0] > ' ' && line[0] < utf8.RuneSelf {
		return false
	}
	return len(bytes.TrimSpace(line)) == 0
}

// Add adds the counts of framing (Lines, Records, CutLines and CutRecords)
// of o to s.
func (s *Stats) Add(o Stats) {
	s.Lines += o.Lines
	s.Records += o.Records
	s.CutLines += o.CutLines
	s.CutRecords += o.CutRecords
}

// Chunked reports whether Lines may read the rest of the file: not when a
// line that Sample read was longer than the reader's buffer (Records reads
// such a file).
func (r *Reader) Chunked() bool {
	if r.replayed {
		return true
	}
	for _, h := range r.head {
		if h.raw == nil {
			return false
		}
	}
	return true
}

// Lines reads the next whole lines of a file whose every line is a record,
// appending them to dst as they are in the file until it holds size bytes
// or more, and returns them as a Chunk for its Frame. A line that is not
// whole in the reader's buffer is read whole (dst may grow past size); a
// line longer than the buffer comes in a chunk of its own (Long), cut to
// MaxLine as Records cuts it. Of an archive, most chunks are lent: their
// Data is the decompressed block itself, until Release. At the file's end
// it returns the last lines with io.EOF; after a read error, the whole
// lines before it with the error. Position is just after the chunk
// returned.
//
// The Stats of a Reader read with Lines count the bytes read and the lines
// of long chunks; Frame counts the lines of the others. Lines and Records
// are not both used on a Reader, nor Lines when Chunked is false.
func (r *Reader) Lines(dst []byte, size int) (Chunk, error) {
	if r.long != nil { // a long line, read at the end of the last chunk
		c := *r.long
		r.long = nil
		r.markOff, r.markWin = r.base+r.stats.Bytes, r.tail.now()
		return c, nil
	}
	c := Chunk{Data: dst[:0], Off: r.markOff, maxLine: r.limits.MaxLine}
	done := func(err error) (Chunk, error) {
		r.markOff, r.markWin = r.base+r.stats.Bytes, r.tail.now()
		return c, err
	}
	if !r.replayed {
		// The lines Sample read, counted then: Frame counts them.
		r.replayed = true
		for _, h := range r.head {
			c.Data = append(c.Data, h.raw...)
			r.stats.Lines--
			if _, cut := lineOf(h.raw, r.limits.MaxLine); cut {
				r.stats.CutLines--
			}
		}
		if r.pending != nil {
			return done(r.pending)
		}
	}
	ahead, _ := r.lines.(*aheadReader)
	for len(c.Data) < size {
		if ahead != nil && len(c.Data) == 0 && len(ahead.cur) > 0 {
			// An archive's whole lines are lent from the block they
			// were decompressed into, not copied.
			p := ahead.cur[:min(len(ahead.cur), size)]
			if i := bytes.LastIndexByte(p, '\n'); i >= 0 {
				c.Data, c.release = ahead.lend(i + 1)
				r.count(c.Data)
				r.tail.advance(c.Data)
				return done(nil)
			}
		}
		if n := r.lines.Buffered(); n > 0 {
			p, _ := r.lines.Peek(n)
			p = p[:min(len(p), size-len(c.Data))]
			if i := bytes.LastIndexByte(p, '\n'); i >= 0 {
				p = p[:i+1]
				c.Data = append(c.Data, p...)
				r.count(p)
				r.tail.advance(p)
				r.lines.Discard(len(p))
				continue
			}
			if len(p) < n && len(c.Data) > 0 {
				break // the room ends within a line: the next chunk's
			}
		}
		// The next line goes on past the buffer: read it whole.
		line, err := r.lines.ReadSlice('\n')
		r.count(line)
		switch {
		case err == nil || err == io.EOF && len(line) > 0:
			c.Data = append(c.Data, line...)
			r.tail.advance(line)
			if err != nil || ahead != nil {
				return done(err) // an archive's next lines are lent
			}
		case err == bufio.ErrBufferFull:
			before, end := *r.tail.now(), c.Off+int64(len(c.Data))
			long, err := r.finishLine(line, err)
			if long == nil {
				r.saved = before
				r.markOff, r.markWin = end, &r.saved
				return c, err
			}
			lc := Chunk{Data: long, Off: end, long: true, maxLine: c.maxLine}
			if len(c.Data) == 0 {
				c = lc
				return done(nil)
			}
			r.long, r.saved = &lc, before
			r.markOff, r.markWin = end, &r.saved
			return c, nil
		default: // the end, or a read error: a line cut by it is not read
			if err != io.EOF {
				err = r.readErr(err)
			}
			before := r.tail.now()
			r.markOff, r.markWin = c.Off+int64(len(c.Data)), before
			return c, err
		}
	}
	return done(nil)
}
