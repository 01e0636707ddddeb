package ingest

import (
	"bufio"
	"bytes"

	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
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
	f       *os.File
	br      *bufio.Reader
	gz      *gzip.Reader
	zst     *zstd.Decoder
	pipe    *io.PipeReader // the decompressed stream, when read ahead
	ahead   chan struct{}  // closed when the read-ahead goroutine ends
	counted countingReader // the file, counting the bytes read from it
	limits  Limits
	stats   Stats
	head    []headLine // lines peeked by Sample, replayed by Records
	pending error      // a read error met while sampling
}

type headLine struct {
	b []byte
	n int64 // bytes the line took in the file, newline included
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// permissionHint tells an operator what to do about a permission error.
func permissionHint(err error) string {
	if errors.Is(err, os.ErrPermission) {
		return " (run logcause as a user in the adm group, which may read /var/log, or as root)"
	}
	return ""
}

// Open opens path for reading. Gzip and zstd files are detected by their
// magic bytes, whatever their names, and decompressed as they are read.
func Open(path string, limits Limits) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w%s", path, err, permissionHint(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot stat %s: %w", path, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("cannot read %s: it is a directory", path)
	}
	r := &Reader{path: path, f: f, limits: limits}
	r.counted = countingReader{r: f}
	br := bufio.NewReaderSize(&r.counted, 256<<10)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot read %s: corrupt zstd header: %w", path, err)
		}
		r.zst = zr
		r.stats.Compression = "zstd"
		br = bufio.NewReaderSize(r.readAhead(zr), 256<<10)
	case bytes.HasPrefix(magic, gzipMagic):
		gz, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot read %s: corrupt gzip header: %w", path, err)
		}
		gz.Multistream(true)
		r.gz = gz
		r.stats.Compression = "gzip"
		br = bufio.NewReaderSize(r.readAhead(gz), 256<<10)
	}
	r.br = br
	return r, nil
}

// countingReader counts the bytes read through it; the count may be read
// from another goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Consumed returns how many bytes of the file (compressed, for an archive)
// have been read so far, for progress reports.
func (r *Reader) Consumed() int64 { return r.counted.n.Load() }

// readAhead decompresses src in a goroutine of its own, so that on a
// machine with two cores decompression and parsing overlap: while the
// caller frames and parses one chunk, the next is being decompressed. An
// error of src reaches the caller after the data before it.
func (r *Reader) readAhead(src io.Reader) io.Reader {
	pr, pw := io.Pipe()
	r.pipe, r.ahead = pr, make(chan struct{})
	go func() {
		defer close(r.ahead)
		buf := make([]byte, 256<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := pw.Write(buf[:n]); werr != nil {
					return // the reader was closed
				}
			}
			if err != nil {
				pw.CloseWithError(err) // io.EOF reads as a clean end
				return
			}
		}
	}()
	return pr
}

// Path returns the file's path.
func (r *Reader) Path() string { return r.path }

// Stats returns what was read so far.
func (r *Reader) Stats() Stats { return r.stats }

// Close closes the file.
func (r *Reader) Close() error {
	if r.pipe != nil {
		r.pipe.Close() // stops the read-ahead goroutine at its next write
		<-r.ahead
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
		line, err := r.readLine()
		if line != nil {
			r.head = append(r.head, headLine{bytes.Clone(line), r.stats.Bytes - before})
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
	line, err := r.br.ReadSlice('\n')
	r.stats.Bytes += int64(len(line))
	if err == bufio.ErrBufferFull {
		// A line longer than the buffer: keep what fits the limit, drop the rest.
		kept := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			r.stats.Bytes += int64(len(line))
			if room := r.limits.MaxLine - len(kept); room > 0 {
				kept = append(kept, line[:min(room, len(line))]...)
			}
		}
		line = kept
	}
	if err != nil && err != io.EOF {
		return nil, r.readErr(err)
	}
	if len(line) == 0 && err == io.EOF {
		return nil, io.EOF
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	r.stats.Lines++
	if len(line) > r.limits.MaxLine {
		line = line[:r.limits.MaxLine]
		r.stats.CutLines++
	}
	return line, nil
}

func (r *Reader) readErr(err error) error {
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
	flush := func() error {
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
	next := func() ([]byte, int64, error) {
		if headNext < len(r.head) {
			h := r.head[headNext]
			headNext++
			return h.b, h.n, nil
		}
		if r.pending != nil {
			return nil, 0, r.pending
		}
		before := r.stats.Bytes
		l, err := r.readLine()
		return l, r.stats.Bytes - before, err
	}
	for {
		line, n, err := next()
		if line == nil && err == io.EOF {
			return flush()
		}
		if err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			return err
		}
		lineOff := pos
		pos += n
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !have || startsRecord(line) {
			if err := flush(); err != nil {
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
