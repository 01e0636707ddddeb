package ingest

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/logcause/logcause/internal/gunzip"
)

// Limits bound what one record may cost in memory.
type Limits struct {
	MaxLine   int // bytes kept of one physical line; the rest is dropped and counted
	MaxRecord int // bytes kept of one multi-line record; further lines are dropped and counted
}

// DefaultLimits keeps 64 KiB of a line (nginx's longest request lines fit)
// and 256 KiB of a multi-line record.
var DefaultLimits = Limits{MaxLine: 64 << 10, MaxRecord: 256 << 10}

// Stats counts what a Reader saw.
type Stats struct {
	Bytes       int64 // bytes read (decompressed)
	Lines       int64 // physical lines
	Records     int64 // records handed to the caller
	CutLines    int64 // lines longer than MaxLine, cut
	CutRecords  int64 // records larger than MaxRecord, cut
	Compression string
}

// Reader reads the records of one file.
type Reader struct {
	path    string
	ctx     context.Context // once done, no further block is read
	f       *os.File
	lines   lineSource // the (decompressed) stream, framed in lines
	gz      *gunzip.Reader
	zst     *zstd.Decoder
	ahead   *aheadReader   // lines too, when an archive is decompressed ahead
	counted countingReader // the file, counting the bytes read from it
	limits  Limits
	stats   Stats
	head    []headLine // lines peeked by Sample, replayed by Records
	pending error      // a read error met while sampling

	// Where the read stands, for Position (see resume.go).
	id      Identity // device and inode; the head hashed so far
	base    int64    // offset of the first byte read (a resumed read starts past 0)
	tail    tail     // the bytes before base+stats.Bytes, and before the last line
	markOff int64    // just after the records handed so far
	markWin *window  // the bytes before markOff; nil: none
	resumed window   // the bytes before base, when resumed
	check   *headCheck

	// Of a read by Lines:
	replayed bool   // the head was handed
	long     *Chunk // a long line read after the last chunk, the next
	saved    window // the bytes before markOff, when the tail is past it
}

type headLine struct {
	b      []byte
	raw    []byte // the line as in the file, newline included; nil: it came in pieces (cut)
	n      int64  // bytes the line took in the file, newline included
	before window // the bytes before the line
}

var (
	gzipMagic  = []byte{0x1f, 0x8b}
	zstdMagic  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	xzMagic    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	bzip2Magic = regexp.MustCompile(`^BZh[1-9](\x31\x41\x59\x26\x53\x59|\x17\x72\x45\x38\x50\x90)`) // a block, or the end of an empty stream
)

// unsupported are the compressions logcause does not read, by their magic
// bytes, with the command that decompresses each.
var unsupported = []struct {
	magic      []byte
	name, tool string
}{
	{[]byte{0x04, 0x22, 0x4d, 0x18}, "lz4", "lz4 -d"},
	{[]byte{0x02, 0x21, 0x4c, 0x18}, "lz4 (legacy)", "lz4 -d"},
	{[]byte{0x1f, 0x9d}, "compress (.Z)", "uncompress"},
	{[]byte("LZIP"), "lzip", "lzip -d"},
	{[]byte{0x89, 'L', 'Z', 'O', 0x00, '\r', '\n', 0x1a, '\n'}, "lzop", "lzop -d"},
	{[]byte{0x5d, 0x00, 0x00}, "lzma", "unlzma"},
	{[]byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}, "7z", "7z x"},
	{[]byte("PK\x03\x04"), "zip", "unzip"},
	{[]byte{0xff, 0x06, 0x00, 0x00, 's', 'N', 'a', 'P', 'p', 'Y'}, "snappy", "a snappy tool"},
}

// ErrUnsupportedCompression says a file is compressed in a way logcause
// does not read.
var ErrUnsupportedCompression = errors.New("unsupported compression")

// permissionHint tells an operator what to do about a permission error.
func permissionHint(err error) string {
	if errors.Is(err, os.ErrPermission) {
		return " (run logcause as a user in the adm group, which may read /var/log, or as root)"
	}
	return ""
}

// Open opens path for reading. Gzip, zstd, xz and bzip2 files are
// detected by their magic bytes, whatever their names, and decompressed as
// they are read; other compressions known by their magic bytes are
// refused with ErrUnsupportedCompression.
// Only a regular file is read: a pipe, a socket or a device is refused
// without blocking.
func Open(path string, limits Limits) (*Reader, error) {
	return OpenContext(context.Background(), path, limits)
}

// OpenContext is Open for a read that ctx may stop (a signal, a daemon's
// end): once ctx is done, the Reader reads no further block of the file,
// nor of its decompressed stream, and Sample and Records return an error
// wrapping ctx's. A block is 256 KiB: a large file or a long archive stops
// within a fraction of a second.
func OpenContext(ctx context.Context, path string, limits Limits) (*Reader, error) {
	// O_NONBLOCK: opening a named pipe to read blocks until a writer
	// opens it; it changes nothing for a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w%s", path, err, permissionHint(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot stat %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, st.Mode())
	}
	r := &Reader{path: path, ctx: ctx, f: f, limits: limits, id: identityOf(st)}
	r.counted = countingReader{r: f, ctx: ctx}
	br := bufio.NewReaderSize(&r.counted, 256<<10)
	magic, _ := br.Peek(10)
	switch {
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot read %s: corrupt zstd header: %w", path, err)
		}
		r.zst = zr
		r.stats.Compression = "zstd"
		r.lines = r.readAhead(zr)
	case bytes.HasPrefix(magic, gzipMagic):
		gz, err := gunzip.NewReader(br) // every member, as gzip -d does
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot read %s: corrupt gzip header: %w", path, err)
		}
		r.gz = gz
		r.stats.Compression = "gzip"
		r.lines = r.readAhead(gz)
	case bytes.HasPrefix(magic, xzMagic):
		xr, err := xz.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot read %s: corrupt xz header: %w", path, err)
		}
		r.stats.Compression = "xz"
		r.lines = r.readAhead(xr)
	case bzip2Magic.Match(magic):
		r.stats.Compression = "bzip2"
		r.lines = r.readAhead(bzip2.NewReader(br))
	default:
		for _, u := range unsupported {
			if bytes.HasPrefix(magic, u.magic) {
				f.Close()
				return nil, fmt.Errorf("cannot read %s: %w: %s; decompress it (%s) and give logcause the result", path, ErrUnsupportedCompression, u.name, u.tool)
			}
		}
		r.lines = br
	}
	return r, nil
}

// countingReader counts the bytes read through it; the count may be read
// from another goroutine. It reads nothing more once ctx is done.
type countingReader struct {
	r   io.Reader
	ctx context.Context
	n   atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Consumed returns how many bytes of the file (compressed, for an archive)
// have been read so far, for progress reports.
func (r *Reader) Consumed() int64 { return r.counted.n.Load() }

// lineSource frames a stream in lines, as bufio.Reader.ReadSlice does: a
// line longer than the source's buffer comes in pieces, all but the last
// with bufio.ErrBufferFull.
//
// Lines takes whole lines from the source's buffer in bulk: Buffered says
// how many bytes it holds, Peek of at most that many returns them without
// reading, and Discard drops them.
type lineSource interface {
	ReadSlice(delim byte) ([]byte, error)
	Buffered() int
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
}

// Read-ahead blocks: up to aheadBuffers blocks of aheadBlock bytes
// circulate between the decompressing goroutine and the line reader. 4 MB
// decompressed ahead are ~10 ms of parsing: the decompressor may lose the
// core that long (to Badger, to the GC, to another process) without
// stalling the parser. The goroutine makes blocks as the reader takes
// them, two more than it took at most: a small archive costs one block,
// and format detection, which reads the first lines of a file and closes
// it, decompresses three blocks, not sixteen. A line longer than a block
// comes in pieces, like a line longer than a bufio buffer.
const (
	aheadBlock   = 256 << 10
	aheadBuffers = 16
)

// readAhead decompresses src in a goroutine of its own, so that on a
// machine with two cores decompression and parsing overlap: while the
// caller frames and parses one block, the next ones are being
// decompressed. An error of src reaches the caller after the data before
// it.
//
// The blocks go through channels, not an io.Pipe: a pipe's Write returns
// only once the reader has taken its last byte, and a line reader takes a
// block's last, partial line only after parsing the rest of the block, so
// through a pipe the two goroutines took turns instead of running at the
// same time. Lines are framed in the blocks themselves, not copied into a
// bufio buffer first.
func (r *Reader) readAhead(src io.Reader) *aheadReader {
	a := &aheadReader{
		ctx:  r.ctx,
		full: make(chan aheadChunk, aheadBuffers),
		free: make(chan *aheadBuf, aheadBuffers),
		stop: make(chan struct{}),
		done: make(chan struct{}),
		took: make(chan struct{}, 1),
	}
	r.ahead = a
	go a.run(src)
	return a
}

// aheadChunk is one block of decompressed bytes, and the error that ended
// the stream after them, if it ended.
type aheadChunk struct {
	buf *aheadBuf
	b   []byte // buf's bytes filled
	err error
}

// aheadBuf is a block's buffer. It goes back to the goroutine once
// nothing refers to it: not the reader (while it is the current block),
// nor a chunk of its lines lent by Lines (see lend).
type aheadBuf struct {
	b    []byte
	refs atomic.Int32
}

// aheadReader is the caller's end of readAhead.
type aheadReader struct {
	ctx   context.Context // once done, no further block is taken
	full  chan aheadChunk // blocks decompressed, in order
	free  chan *aheadBuf  // blocks read, to be filled again
	stop  chan struct{}   // closed by Close
	done  chan struct{}   // closed when the goroutine ends
	cur   []byte          // unread part of the current block
	buf   *aheadBuf       // the current block, to be recycled
	err   error           // the stream's end, once the current block is read
	carry []byte          // a line that spans blocks, gathered
	once  sync.Once       // closes stop
	made  int             // blocks made so far, by the goroutine
	taken atomic.Int64    // blocks taken by the reader so far
	took  chan struct{}   // told when the reader takes a block (1 waiting at most)
}

// run fills free blocks from src and hands them over, until src ends or
// the reader is closed.
func (a *aheadReader) run(src io.Reader) {
	defer close(a.done)
	for {
		var buf *aheadBuf
		for buf == nil {
			if a.made < min(aheadBuffers, int(a.taken.Load())+2) {
				buf = &aheadBuf{b: make([]byte, aheadBlock)}
				a.made++
				continue
			}
			// A block given back, or one more taken by the reader, which
			// lets one more be made: a reader that holds lent chunks of
			// every block made so far takes the next only once it is made
			// (waiting for a free one only, both waited for ever).
			select {
			case buf = <-a.free:
			case <-a.took:
			case <-a.stop:
				return
			}
		}
		n, err, empty := 0, error(nil), 0
		for n < len(buf.b) && err == nil {
			var m int
			m, err = src.Read(buf.b[n:])
			n += m
			if m == 0 && err == nil {
				if empty++; empty == 100 {
					err = io.ErrNoProgress
				}
			}
		}
		select {
		case a.full <- aheadChunk{buf, buf.b[:n], err}:
		case <-a.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// next makes the next block current, recycling the current one. It
// returns the stream's error (io.EOF at its end) once every block is read.
func (a *aheadReader) next() error {
	if a.err != nil {
		return a.err
	}
	if err := a.ctx.Err(); err != nil {
		// The blocks decompressed ahead may hold megabytes of lines.
		a.err = err
		return err
	}
	if a.buf != nil {
		a.drop(a.buf)
		a.buf = nil
	}
	select {
	case c := <-a.full:
		a.buf, a.cur, a.err = c.buf, c.b, c.err
		a.buf.refs.Store(1) // the reader's
		a.taken.Add(1)
		select {
		case a.took <- struct{}{}:
		default: // told already
		}
		return nil
	case <-a.stop:
		return os.ErrClosed
	}
}

// drop lets go of a reference to b, recycling b after the last.
func (a *aheadReader) drop(b *aheadBuf) {
	if b.refs.Add(-1) == 0 {
		a.free <- b // never blocks: free has room for every block made
	}
}

// lend takes the next n unread bytes of the current block, as Discard
// does, and returns them with the function that gives them back: until it
// is called, the block is not filled again. A chunk lent is one copy less
// of the decompressed lines (Lines).
func (a *aheadReader) lend(n int) ([]byte, func()) {
	p := a.cur[:n:n]
	a.cur = a.cur[n:]
	b := a.buf
	b.refs.Add(1)
	return p, func() { a.drop(b) }
}

// ReadSlice returns the next line, delimiter included, as
// bufio.Reader.ReadSlice does: it is valid until the next call; a line
// longer than a block comes in pieces of a block, with
// bufio.ErrBufferFull; at the end, the rest of the stream comes with the
// stream's error.
func (a *aheadReader) ReadSlice(delim byte) ([]byte, error) {
	if i := bytes.IndexByte(a.cur, delim); i >= 0 {
		line := a.cur[:i+1] // in the block itself: most lines
		a.cur = a.cur[i+1:]
		return line, nil
	}
	// The line goes on in the next block: gather its pieces.
	a.carry = append(a.carry[:0], a.cur...)
	a.cur = nil
	for {
		if err := a.next(); err != nil {
			return a.carry, err
		}
		i := bytes.IndexByte(a.cur, delim)
		take := len(a.cur)
		if i >= 0 {
			take = i + 1
		}
		if room := aheadBlock - len(a.carry); take > room {
			a.carry = append(a.carry, a.cur[:room]...)
			a.cur = a.cur[room:]
			return a.carry, bufio.ErrBufferFull
		}
		a.carry = append(a.carry, a.cur[:take]...)
		a.cur = a.cur[take:]
		if i >= 0 {
			return a.carry, nil
		}
	}
}

// Buffered returns how many bytes of the current block are unread.
func (a *aheadReader) Buffered() int { return len(a.cur) }

// Peek returns the next n unread bytes of the current block, without
// taking them; n is at most Buffered().
func (a *aheadReader) Peek(n int) ([]byte, error) {
	if n > len(a.cur) {
		return a.cur, bufio.ErrBufferFull
	}
	return a.cur[:n], nil
}

// Discard takes the next n unread bytes of the current block; n is at most
// Buffered().
func (a *aheadReader) Discard(n int) (int, error) {
	n = min(n, len(a.cur))
	a.cur = a.cur[n:]
	return n, nil
}

// close stops the goroutine and waits for it: src may be closed then.
func (a *aheadReader) close() {
	a.once.Do(func() { close(a.stop) })
	<-a.done
}

// Path returns the file's path.
func (r *Reader) Path() string { return r.path }

// Stats returns what was read so far.
func (r *Reader) Stats() Stats { return r.stats }

// Close closes the file.
func (r *Reader) Close() error {
	if r.ahead != nil {
		r.ahead.close() // before the decompressor it reads from is closed
	}
	if r.gz != nil {
		r.gz.Close()
	}
	if r.zst != nil {
		r.zst.Close()
	}
	return r.f.Close()
}

// Sample returns up to n of the file's first physical lines (without
// newlines), for format detection. They are not lost: Records still
// delivers them. The returned slices are owned by the Reader.
func (r *Reader) Sample(n int) ([][]byte, error) {
	for len(r.head) < n {
		before := r.stats.Bytes
		line, err := r.lines.ReadSlice('\n')
		r.count(line)
		var raw []byte // for Lines
		if err != bufio.ErrBufferFull {
			raw = bytes.Clone(line)
		}
		line, err = r.finishLine(line, err)
		if line != nil {
			h := headLine{b: bytes.Clone(line), n: r.stats.Bytes - before, before: *r.tail.before()}
			if int64(len(raw)) == h.n {
				h.raw = raw
			}
			r.head = append(r.head, h)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			r.pending = err // Records reports it after replaying the sample
			break
		}
	}
	out := make([][]byte, 0, min(n, len(r.head)))
	for _, h := range r.head[:min(n, len(r.head))] {
		out = append(out, h.b)
	}
	return out, r.pending
}

// readLine returns the next physical line without its newline, cut to
// MaxLine. It returns (nil, io.EOF) at the end; a last line without a
// newline is returned with a nil error first. The slice is valid until the
// next call.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.lines.ReadSlice('\n')
	r.count(line)
	return r.finishLine(line, err)
}

// finishLine is readLine once ReadSlice returned line and err, and line
// was counted.
func (r *Reader) finishLine(line []byte, err error) ([]byte, error) {
	switch {
	case err == bufio.ErrBufferFull:
		// A line longer than the buffer: keep what fits the limit, drop the rest.
		r.tail.advance(line)
		kept := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = r.lines.ReadSlice('\n')
			r.count(line)
			r.tail.now().push(line)
			if room := r.limits.MaxLine - len(kept); room > 0 {
				kept = append(kept, line[:min(room, len(line))]...)
			}
		}
		if err != nil && err != io.EOF {
			r.tail.back() // the line was not read: Position stays before it
		}
		line = kept
	case len(line) > 0 && (err == nil || err == io.EOF):
		r.tail.advance(line)
	}
	if err != nil && err != io.EOF {
		return nil, r.readErr(err)
	}
	if len(line) == 0 && err == io.EOF {
		return nil, io.EOF
	}
	line, cut := lineOf(line, r.limits.MaxLine)
	r.stats.Lines++
	if cut {
		r.stats.CutLines++
	}
	return line, nil
}

// lineOf is a physical line without its line end ("\n", then one "\r"),
// cut to maxLine bytes; cut says whether it was.
func lineOf(raw []byte, maxLine int) (line []byte, cut bool) {
	line = bytes.TrimSuffix(raw, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) > maxLine {
		return line[:maxLine], true
	}
	return line, false
}

func (r *Reader) readErr(err error) error {
	if r.ctx.Err() != nil && errors.Is(err, r.ctx.Err()) {
		return fmt.Errorf("stopped reading %s after %d bytes: %w", r.path, r.stats.Bytes, err)
	}
	if r.stats.Compression != "" {
		return fmt.Errorf("cannot read %s: the %s archive is truncated or corrupt after %d decompressed bytes (the records before that point were read): %w", r.path, r.stats.Compression, r.stats.Bytes, err)
	}
	return fmt.Errorf("cannot read %s after %d bytes: %w", r.path, r.stats.Bytes, err)
}

// Records calls fn once per record, in file order. startsRecord says whether
// a physical line begins a new record; other lines are continuations joined
// to the previous record with '\n'. rec is valid only during the call; offset
// is the byte offset of the record's first byte in the (decompressed) file.
// Empty lines between records are skipped. Records stops at the first error
// from fn or from reading; records before a read error are delivered.
func (r *Reader) Records(startsRecord func(line []byte) bool, fn func(rec []byte, offset int64) error) error {
	var (
		rec      []byte
		recOff   int64
		have     bool
		cut      bool
		pos      int64 // offset of the next physical line
		headNext int
	)
	pos = r.base
	// flush hands the pending record; end is the offset just after it (and
	// the blank lines after it), win the bytes before end.
	flush := func(end int64, win *window) error {
		r.markOff, r.markWin = end, win
		if !have {
			return nil
		}
		have = false
		if cut {
			r.stats.CutRecords++
			cut = false
		}
		r.stats.Records++
		return fn(rec, recOff)
	}
	next := func() ([]byte, int64, *window, error) {
		if headNext < len(r.head) {
			h := &r.head[headNext]
			headNext++
			return h.b, h.n, &h.before, nil
		}
		if r.pending != nil {
			return nil, 0, r.tail.now(), r.pending
		}
		before := r.stats.Bytes
		l, err := r.readLine()
		if l == nil {
			return nil, 0, r.tail.now(), err
		}
		return l, r.stats.Bytes - before, r.tail.before(), err
	}
	for {
		line, n, before, err := next()
		if line == nil && err == io.EOF {
			return flush(pos, before)
		}
		if err != nil {
			if ferr := flush(pos, before); ferr != nil {
				return ferr
			}
			return err
		}
		lineOff := pos
		pos += n
		if blank(line) {
			continue
		}
		if !have || startsRecord(line) {
			if err := flush(lineOff, before); err != nil {
				return err
			}
			rec = append(rec[:0], line...)
			recOff, have = lineOff, true
			continue
		}
		if len(rec)+1+len(line) > r.limits.MaxRecord {
			cut = true
			continue
		}
		rec = append(rec, '\n')
		rec = append(rec, line...)
	}
}
