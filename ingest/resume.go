package ingest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
)

// Reading a file again where an earlier read stopped: a Reader knows the
// Identity of what it reads (device, inode, and the head of the content —
// decompressed, for an archive) and its Position after the records it
// handed; OpenAt resumes at a Position once the file proves to hold the
// same bytes up to it, the same check a Follower makes on restart. The
// content decides, not the name: a log renamed by rotation, or compressed
// into an archive, is recognised, and a file truncated or replaced is read
// from its start.

// identityOf is the identity of a file before any of its bytes is hashed.
func identityOf(fi os.FileInfo) Identity {
	id := Identity{HeadHash: fnvOffset}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.Dev, id.Inode = uint64(st.Dev), st.Ino
	}
	return id
}

// tail keeps the bytes before the read offset, and those before the last
// line read, without copying a window per line: the two alternate.
type tail struct {
	w   [2]window
	cur int
}

// now is the window before the read offset.
func (t *tail) now() *window { return &t.w[t.cur] }

// before is the window before the last line read, valid until the next.
func (t *tail) before() *window { return &t.w[t.cur^1] }

// advance moves the offset past raw, the beginning of a line.
func (t *tail) advance(raw []byte) {
	src, dst := &t.w[t.cur], &t.w[t.cur^1]
	if len(raw) >= beforeSize {
		copy(dst.b[:], raw[len(raw)-beforeSize:])
		dst.n = beforeSize
	} else {
		keep := min(src.n, beforeSize-len(raw))
		copy(dst.b[:keep], src.b[src.n-keep:src.n])
		copy(dst.b[keep:], raw)
		dst.n = keep + len(raw)
	}
	t.cur ^= 1
}

// back moves the offset back before the last line read.
func (t *tail) back() { t.cur ^= 1 }

// count accounts for raw bytes of the (decompressed) stream, just read:
// their number, and the head they may extend.
func (r *Reader) count(raw []byte) {
	at := r.base + r.stats.Bytes
	r.stats.Bytes += int64(len(raw))
	if hl := int64(r.id.HeadLen); hl < HeadSize && at <= hl && at+int64(len(raw)) > hl {
		b := raw[hl-at:]
		b = b[:min(len(b), HeadSize-r.id.HeadLen)]
		if c := r.check; c != nil && !c.done && c.len <= r.id.HeadLen+len(b) {
			c.hash, c.done = fnv(r.id.HeadHash, b[:c.len-r.id.HeadLen]), true
		}
		r.id.HeadHash = fnv(r.id.HeadHash, b)
		r.id.HeadLen += len(b)
	}
}

// Position returns where a later read of the file resumes to read nothing
// twice: during a call to Records' fn, just after the record being handed
// (and the blank lines after it); after Records, just after the last
// record handed — the end of what was read when it returned nil. Its ID is
// the file's device and inode and the hash of its first HeadSize bytes
// (fewer when it was shorter, or when a resumed read did not need them),
// decompressed for an archive; Offset counts decompressed bytes too.
func (r *Reader) Position() Position {
	var w window
	if r.markWin != nil {
		w = *r.markWin
	}
	return Position{Path: r.path, ID: r.id, Offset: r.markOff, Before: w.hash()}
}

// OpenAt opens path as OpenContext does and, when the file holds the content of
// from up to from.Offset — its first from.ID.HeadLen bytes hash to
// from.ID.HeadHash and the bytes just before the offset to from.Before —
// skips to there: Records delivers only the records after it, at their
// offsets in the file. The device and inode need not be from's: a copy,
// or the archive rotation made of the file, holds the same content.
// Otherwise (a file truncated, refilled or replaced, or shorter than the
// offset), resumed is false and the Reader reads from the start. A plain
// file is checked by reading its head and the bytes before the offset; an
// archive is decompressed up to the offset.
func OpenAt(ctx context.Context, path string, limits Limits, from Position) (r *Reader, resumed bool, err error) {
	r, err = OpenContext(ctx, path, limits)
	if err != nil || from.Offset <= 0 || from.ID.HeadLen < 0 || from.ID.HeadLen > HeadSize {
		return r, false, err
	}
	if r.stats.Compression == "" {
		ok, err := r.seek(from)
		if err != nil {
			r.Close()
			return nil, false, err
		}
		return r, ok, nil
	}
	if r.skip(from) {
		return r, true, nil
	}
	r.Close()
	r, err = OpenContext(ctx, path, limits)
	return r, false, err
}

// seek resumes a plain file at from, when it holds from's content.
func (r *Reader) seek(from Position) (bool, error) {
	fi, err := r.f.Stat()
	if err != nil {
		return false, fmt.Errorf("cannot stat %s: %w", r.path, err)
	}
	size := fi.Size()
	var head [HeadSize]byte
	w, ok := holds(r.f, size, from, head[:])
	if !ok {
		return false, nil
	}
	// The identity hashes the whole head: read what from's did not cover.
	m, err := r.f.ReadAt(head[from.ID.HeadLen:min(size, HeadSize)], int64(from.ID.HeadLen))
	if err != nil && err != io.EOF {
		return false, fmt.Errorf("cannot read %s: %w", r.path, err)
	}
	n := from.ID.HeadLen + m
	if _, err := r.f.Seek(from.Offset, io.SeekStart); err != nil {
		return false, fmt.Errorf("cannot read %s: %w", r.path, err)
	}
	r.counted.n.Store(from.Offset) // skipped bytes count as consumed, for progress
	r.lines = bufio.NewReaderSize(&r.counted, 256<<10)
	r.id.HeadLen, r.id.HeadHash = n, fnv(fnvOffset, head[:n])
	*r.tail.now() = w
	r.resumed = w
	r.base, r.markOff, r.markWin = from.Offset, from.Offset, &r.resumed
	return true, nil
}

// headCheck is the hash of an archive's first len bytes, taken as they
// are read.
type headCheck struct {
	len  int
	hash uint64
	done bool
}

// skip reads an archive's lines up to from.Offset and reports whether they
// are from's content; the Reader then goes on from there. from's head may
// reach past the offset: the lines read to hash it are replayed by Records.
func (r *Reader) skip(from Position) bool {
	r.check = &headCheck{len: from.ID.HeadLen, hash: fnvOffset, done: from.ID.HeadLen == 0}
	defer func() { r.check = nil }()
	for r.stats.Bytes < from.Offset {
		if _, err := r.readLine(); err != nil {
			return false // shorter than the offset, or unreadable before it
		}
	}
	if r.stats.Bytes != from.Offset || r.tail.now().hash() != from.Before {
		return false
	}
	r.stats = Stats{Compression: r.stats.Compression}
	r.resumed = *r.tail.now()
	r.base, r.markOff, r.markWin = from.Offset, from.Offset, &r.resumed
	for !r.check.done {
		n := len(r.head)
		if r.Sample(n + 1); len(r.head) == n {
			break // the end, or a read error (Records reports it)
		}
	}
	return r.check.done && r.check.hash == from.ID.HeadHash
}

// Head is the beginning of a file's content, which recognises it under any
// name: see Identity.
type Head struct {
	ID         Identity // the file's device and inode, and its first HeadLen bytes hashed
	Compressed bool     // an archive: the head is of the decompressed content
	head       []byte
}

// ReadHead reads the head of the file at path: its first HeadSize bytes,
// decompressed for an archive.
func ReadHead(path string) (Head, error) {
	r, err := Open(path, DefaultLimits)
	if err != nil {
		return Head{}, err
	}
	defer r.Close()
	var h Head
	h.Compressed = r.stats.Compression != ""
	for r.id.HeadLen < HeadSize {
		line, err := r.lines.ReadSlice('\n')
		h.head = append(h.head, line[:min(len(line), HeadSize-len(h.head))]...)
		r.count(line)
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			return Head{}, r.readErr(err)
		}
	}
	h.ID = r.id
	return h, nil
}

// Begins reports whether the content begins with the bytes id hashed: its
// first id.HeadLen bytes hash to id.HeadHash. Device and inode are not
// compared.
func (h Head) Begins(id Identity) bool {
	return id.HeadLen >= 0 && id.HeadLen <= len(h.head) && fnv(fnvOffset, h.head[:id.HeadLen]) == id.HeadHash
}
