package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Following a live log: the Follower reads one path through rotation
// (create and copytruncate), deletion, re-creation and symlink flips, and
// hands out batches of complete records with the Position to resume from.
// The caller commits a batch's records and its Position together; after a
// crash it restarts from the last committed Position and gets every line
// exactly once.

// HeadSize is how many bytes of a file's head its Identity hashes.
const HeadSize = 1024

// beforeSize is how many bytes before a Position's offset Position.Before
// hashes.
const beforeSize = 64

// followChunk is the size of a Follower's read buffer.
const followChunk = 64 << 10

// Identity says which file a position belongs to: a file is its identity,
// not its path. It is the file's device and inode plus a hash (64-bit
// FNV-1a) of its first HeadLen bytes, HeadLen being min(size, HeadSize) when
// it was last hashed. A young file shorter than HeadSize is re-hashed as it
// grows, so its identity is a hash of a prefix.
//
// Two identities name the same file when their Dev and Inode are equal and
// the file's first HeadLen bytes, HeadLen being the smaller of the two, hash
// to the shorter identity's HeadHash: a file whose head changed was
// truncated and refilled, it is no longer the content a position points
// into. Comparing needs the file's bytes (HeadHash of a longer head cannot
// be cut to a shorter one), which is why verification always reads the file.
//
// Device numbers may change across reboots (LVM, btrfs, NFS) and inode
// numbers are reused after a delete; the head hash guards against both, and
// a file whose device or inode changed but whose bytes up to a position
// still match (a copy, a remount) is recognised by its content.
type Identity struct {
	Dev, Inode uint64
	HeadLen    int    // bytes hashed, at most HeadSize
	HeadHash   uint64 // FNV-1a of the first HeadLen bytes
}

// IsZero reports whether id is the zero Identity, which names no file.
func (id Identity) IsZero() bool { return id == Identity{} }

// SameInode reports whether id and o have the same device and inode. It is
// necessary, not sufficient, for them to be the same file: see Identity.
func (id Identity) SameInode(o Identity) bool { return id.Dev == o.Dev && id.Inode == o.Inode }

func (id Identity) String() string {
	return fmt.Sprintf("dev %d inode %d head %d:%016x", id.Dev, id.Inode, id.HeadLen, id.HeadHash)
}

// Position is where to resume following: in the file ID, just after the last
// complete record delivered. Path is the file's path when it was opened
// (symlinks resolved); it is a hint, the identity decides. Before is a hash
// of the (up to 64) bytes just before Offset, checked on restart and while
// following, so that a file truncated and refilled with the same first
// bytes is still caught. A Position with a zero ID means "from the start of
// whatever file the followed path names".
type Position struct {
	Path   string
	ID     Identity
	Offset int64
	Before uint64
}

// Waker is what a Follower waits on when it has nothing to read. Wait
// returns nil when it is time to look again, or an error (ctx.Err() when
// ctx is done), which Next returns as is: the Follower stays usable.
type Waker interface {
	Wait(ctx context.Context) error
}

// Rounder is a Waker whose Wait may also end early, when a change of the
// file was noticed (an inotify event): Round reports whether the last Wait
// ended a round (its period elapsed) or only told the Follower to read at
// once. Rounds measure time — QuietRounds, FlushRounds and MaxDrainRounds
// count them — so an early wake reads what was written without shortening
// the draining of a rotated file or the wait for a continuation line.
type Rounder interface {
	Waker
	Round() bool
}

// WakerFunc adapts a function to Waker.
type WakerFunc func(ctx context.Context) error

// Wait calls w.
func (w WakerFunc) Wait(ctx context.Context) error { return w(ctx) }

// TickWaker wakes a Follower every interval (250 ms suits log files: a
// quarter second of latency for a few syscalls per file per tick).
type TickWaker struct{ t *time.Ticker }

var (
	_ Waker = (*TickWaker)(nil)
	_ Waker = WakerFunc(nil)
)

// NewTickWaker returns a waker ticking every interval. Stop it when done.
func NewTickWaker(interval time.Duration) *TickWaker {
	return &TickWaker{t: time.NewTicker(interval)}
}

// Wait waits for the next tick or for ctx to be done. A tick already due
// wins over a done ctx: a caller may ask, with a done ctx, whether a round
// ended meanwhile (the daemon's early wakes do).
func (w *TickWaker) Wait(ctx context.Context) error {
	select {
	case <-w.t.C:
		return nil
	default:
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.t.C:
		return nil
	}
}

// Stop stops the ticker.
func (w *TickWaker) Stop() { w.t.Stop() }

// FollowConfig configures a Follower. Only Waker is required.
type FollowConfig struct {
	Limits Limits // bounds of a line and of a record; zero fields take DefaultLimits'
	// StartsRecord says whether a line begins a new record, as for
	// Reader.Records; nil makes every line a record.
	StartsRecord func(line []byte) bool
	Waker        Waker
	// QuietRounds is how many waker rounds in a row a rotated or deleted
	// file must stay without new bytes before it is closed for good (its
	// writer may still write to it until it reopens its log). Default 2.
	QuietRounds int
	// FlushRounds is how many quiet rounds a pending multi-line record
	// waits for a continuation before it is delivered. Default 2.
	FlushRounds int
	// MaxDrainRounds bounds the draining of a rotated file that never goes
	// quiet while its successor fills up (two writers, one never reopened):
	// after that many rounds the Follower switches anyway, counted in
	// FollowStats.ForcedSwitches. Default 240 (a minute at 250 ms).
	MaxDrainRounds int
	MaxBatch       int // bytes of record text per batch; default 256 KiB
	MaxRecords     int // records per batch; default 4096
}

// Record is one record (a line, or a multi-line record) of a followed file.
type Record struct {
	Text    []byte // without the final newline; valid until the next call to Next
	Offset  int64  // offset of the record's first byte in its file
	End     int64  // offset just after its last byte (its newline included)
	Cut     bool   // a line was cut at MaxLine, or the record at MaxRecord
	Partial bool   // its last line has no newline: the file was closed for good first
}

// NoticeKind says what a Notice reports.
type NoticeKind int

const (
	// NoticeRotated: the path names another file (rename rotation,
	// re-creation, symlink flip); the old file was drained and closed and
	// the new one is read from its start.
	NoticeRotated NoticeKind = iota + 1
	// NoticeTruncated: the file shrank below the offset read, or its head
	// or the bytes before the offset changed (copytruncate). Unread bytes
	// are read from a copy among the siblings when one holds them; the file
	// is then read again from its start.
	NoticeTruncated
	// NoticeDeleted: the file was deleted, drained and closed; the path is
	// watched for a new file.
	NoticeDeleted
	// NoticeCreated: a file appeared at the path, read from its start.
	NoticeCreated
	// NoticeResumed: the saved position was found in another file than the
	// one at the path (a rotated sibling, a copy); it is read from the saved
	// offset, then the newer files from their start.
	NoticeResumed
	// NoticeGap: bytes may be missing: the saved position does not verify
	// and no file holds it. Reading goes on from the start of the file at the
	// path; nothing is spliced silently.
	NoticeGap
	// NoticeForced: a rotated file was still being written after
	// MaxDrainRounds while its successor filled; the Follower switched and
	// later writes to the old file will not be read.
	NoticeForced
)

var noticeNames = [...]string{"", "rotated", "truncated", "deleted", "created", "resumed", "gap", "forced-switch"}

func (k NoticeKind) String() string {
	if int(k) < len(noticeNames) {
		return noticeNames[k]
	}
	return fmt.Sprintf("notice(%d)", int(k))
}

// Notice reports an event of the followed path.
type Notice struct {
	Kind   NoticeKind
	Path   string   // the file concerned (its path when opened)
	ID     Identity // its identity
	Offset int64    // the offset concerned (read offset, saved offset)
	Detail string
	Loss   bool // lines may be missing: a gap, a forced switch, a truncation no copy covers
	// End is, for NoticeRotated and NoticeForced, where reading of the file
	// left ended: just after its last record, in the batch with the notice.
	End Position
}

func (n Notice) String() string {
	return fmt.Sprintf("%s %s@%d: %s", n.Kind, n.Path, n.Offset, n.Detail)
}

// Batch is what one call to Next returns. All its Records come from one
// file, named by Path and ID. Position is where to resume once the batch is
// committed; it may already point into the next file (after the last
// records of a file closed for good). The Batch and its slices are owned by
// the Follower and valid until the next call to Next.
type Batch struct {
	Path     string
	ID       Identity
	Records  []Record
	Notices  []Notice
	Position Position
}

// FollowStats counts what a Follower saw. Every notice has a counter.
type FollowStats struct {
	Bytes          int64 // bytes read from files (after a truncation, bytes re-read count again)
	Lines          int64 // physical lines, blank ones included
	Records        int64 // records delivered
	CutLines       int64 // lines longer than MaxLine, cut
	CutRecords     int64 // records longer than MaxRecord, cut
	PartialLines   int64 // last lines without newline delivered when their file closed for good
	Rotations      int64 // switches to a new file at the path
	Truncations    int64 // truncations seen (copytruncate)
	Recovered      int64 // times unread bytes were read from a copy or sibling
	Deletions      int64 // files closed because deleted
	Gaps           int64 // positions that could not be verified anywhere
	ForcedSwitches int64 // rotated files abandoned while still written
	Rounds         int64 // waker rounds
	PeakBuffer     int64 // most bytes the Follower's own buffers held at once
}

// source is one open file.
type source struct {
	f    *os.File
	path string
	id   Identity
	off  int64 // bytes read and handed to the framer

	// what the last full verification saw: an idle check that sees the
	// same size and change stamp skips re-reading the head
	seenSize  int64
	seenOff   int64
	seenStamp [4]int64
	seenOK    bool

	// queued at a restart from the rotated siblings: it may be the copy
	// that a copytruncate in progress made of a file queued after it
	sibling bool
}

// window holds the last (up to) beforeSize bytes before some offset.
type window struct {
	b [beforeSize]byte
	n int
}

func (w *window) push(p []byte) {
	if len(p) >= beforeSize {
		copy(w.b[:], p[len(p)-beforeSize:])
		w.n = beforeSize
		return
	}
	keep := min(w.n, beforeSize-len(p))
	copy(w.b[:keep], w.b[w.n-keep:w.n])
	copy(w.b[keep:], p)
	w.n = keep + len(p)
}

func (w *window) bytes() []byte { return w.b[:w.n] }

func (w *window) hash() uint64 { return fnv(fnvOffset, w.b[:w.n]) }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnv continues a 64-bit FNV-1a hash.
func fnv(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// Follower follows one path: the file it names now, and the files it named
// before for as long as they may still be written. It is not safe for
// concurrent use.
//
// Rotation by rename (or re-creation, or a symlink flip): the old file stays
// open and is read until it has been quiet for QuietRounds waker rounds in
// a row AND a newer file has data (or the old file is deleted); then the
// newer file is read from its start. Writers such as nginx write to the
// renamed file until they reopen their logs (USR1): those lines are read.
// An empty new file is no reason to leave the old one.
//
// Truncation (copytruncate): before any chunk is used and at every idle
// check, the file must still be at least as long as the offset read, its
// head must still hash to its Identity and the 64 bytes before the offset
// must be unchanged. Otherwise the bytes not read yet are read from a copy
// among the siblings (a file holding the same bytes up to the offset,
// name.1 for logrotate; for a file none of which was read yet, the newest
// file with the same head) when there is one, then the file from its start.
// A file queued behind a rotated one is checked the same way when the
// Follower moves to it, and its identity taken again then.
// Limits: lines written between logrotate's copy and its truncate are in
// neither file (copytruncate's own race); a refill whose first KiB and
// whose 64 bytes before the old offset are byte-identical to the old
// content cannot be told from it, nor, for a file none of which was read
// yet, one whose first KiB is; a file still empty when it was queued (or
// when the Follower moved to it) that is copied and truncated before
// anything of it is read shows no change, and its copy is not read.
//
// A file is closed for good when it is left for a newer one (rotation), when
// it is deleted and quiet for QuietRounds rounds with no newer file, and, for
// the content a truncation removed, when no copy holds the rest. Then, and
// only then, its last line without newline is delivered (Record.Partial).
// Close, a cancelled context or a crash are not "for good": the Position
// stays before the unfinished line, which a restart reads again.
//
// Restart: Position's file is looked for at the path (same device, inode,
// head and bytes before the offset), else among the path's uncompressed
// rotated siblings (name.1, name-YYYYMMDD) and at Position.Path, by inode
// first, else by content (a copy; a Position at offset 0, as handed out
// with a switch to a new file, is recognised in a copy by its head when the
// file at its inode was truncated since). It is read from the offset, then
// the newer siblings and the file at the path from their start; a file
// that still begins with all of the sibling read before it (that sibling
// is its copy, made by a copytruncate under way at the restart) is read on
// from the sibling's end instead. When the position is in no file, a
// NoticeGap says so and the file at the path is read from its start:
// nothing is spliced silently.
type Follower struct {
	path    string
	from    Position
	cfg     FollowConfig
	limits  Limits
	started bool

	cur  *source
	succ []*source // files to read after cur, oldest first

	// framing state of cur
	buf        []byte
	chunk      []byte // bytes read from cur at chunkStart; framed up to pos
	pos        int
	chunkStart int64
	prevWin    window // bytes before chunkStart
	line       []byte // kept bytes of the line being read (at most MaxLine)
	lineCut    bool
	lineStart  int64
	lineWin    window // bytes before lineStart, when lineStart < chunkStart
	have       bool   // a multi-line record is pending
	rec        []byte
	recStart   int64
	recEnd     int64
	recCut     bool
	recCutRec  bool
	recPartial bool
	recWin     window // bytes before recStart, when recStart < chunkStart
	commit     int64  // everything before it was delivered or skipped

	// rounds
	woke       bool // a waker round ended and no read has happened since
	quiet      int  // rounds in a row without new bytes in cur
	recIdle    int  // rounds in a row a pending record got nothing
	drainSince int64

	// the file last closed for good and where (the bytes before it in
	// leftWin): a truncated file whose copy it is reads it on from there
	left    Position
	leftWin window

	closed     bool
	pendingErr error // met after records were framed: returned by the next call

	batch    Batch
	batchSrc *source // the file the batch's records come from
	arena    []byte
	stats    FollowStats
	head     [HeadSize]byte
	winBuf   [beforeSize]byte
}

// NewFollower returns a Follower of path resuming at from (the zero
// Position: from the start of the file at path). Nothing is opened until
// the first call to Next.
func NewFollower(path string, from Position, cfg FollowConfig) *Follower {
	if cfg.Limits.MaxLine <= 0 {
		cfg.Limits.MaxLine = DefaultLimits.MaxLine
	}
	if cfg.Limits.MaxRecord <= 0 {
		cfg.Limits.MaxRecord = DefaultLimits.MaxRecord
	}
	if cfg.QuietRounds <= 0 {
		cfg.QuietRounds = 2
	}
	if cfg.FlushRounds <= 0 {
		cfg.FlushRounds = 2
	}
	if cfg.MaxDrainRounds <= 0 {
		cfg.MaxDrainRounds = 240
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256 << 10
	}
	if cfg.MaxRecords <= 0 {
		cfg.MaxRecords = 4096
	}
	return &Follower{path: filepath.Clean(path), from: from, cfg: cfg, limits: cfg.Limits, drainSince: -1}
}

// Stats returns what the Follower counted so far.
func (f *Follower) Stats() FollowStats { return f.stats }

// Position returns where the Follower would resume now: just after the last
// record Next returned.
func (f *Follower) Position() Position {
	if !f.started {
		return f.from
	}
	return f.position()
}

// Close closes the files. A last line without newline is not delivered: the
// file is not closed for good, a restart from the Position reads it again.
func (f *Follower) Close() error {
	f.closed = true
	var first error
	if f.cur != nil {
		first = f.cur.f.Close()
		f.cur = nil
	}
	for _, s := range f.succ {
		if err := s.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	f.succ = nil
	return first
}

// Next returns the next batch: at least one record or one notice. When there
// is nothing to read it checks the path (rotation, truncation, deletion),
// then waits on the waker. A waker error (ctx.Err() when ctx is done) is
// returned as is, and so are read errors; the Follower stays usable and
// never drops what it has framed: an error met after records were framed is
// returned by the next call, after the batch holding them. The Batch is
// valid until the next call.
func (f *Follower) Next(ctx context.Context) (*Batch, error) {
	f.batch.Records = f.batch.Records[:0]
	f.batch.Notices = f.batch.Notices[:0]
	f.batch.Path, f.batch.ID, f.batchSrc = "", Identity{}, nil
	f.arena = f.arena[:0]
	if f.closed {
		return nil, fmt.Errorf("cannot follow %s: %w", f.path, os.ErrClosed)
	}
	if err := f.pendingErr; err != nil {
		f.pendingErr = nil
		return nil, err
	}
	if !f.started {
		if err := f.start(); err != nil {
			return nil, err
		}
		f.started = true
	}
	for {
		if err := ctx.Err(); err != nil {
			return f.fail(err)
		}
		if f.cur != nil && (f.batchSrc == nil || f.batchSrc == f.cur) {
			f.frame()
			if f.full() {
				return f.finish(), nil
			}
			n, err := f.fill()
			if err != nil {
				return f.fail(err)
			}
			if n > 0 {
				continue
			}
		}
		if len(f.batch.Records) > 0 || len(f.batch.Notices) > 0 {
			return f.finish(), nil
		}
		progressed, err := f.check()
		if err != nil {
			return nil, err
		}
		if len(f.batch.Records) > 0 || len(f.batch.Notices) > 0 {
			return f.finish(), nil
		}
		if progressed {
			continue
		}
		err = f.cfg.Waker.Wait(ctx)
		if r, ok := f.cfg.Waker.(Rounder); !ok || r.Round() {
			f.stats.Rounds++
			f.woke = true
		}
		if err != nil {
			return nil, err
		}
	}
}

// fail returns err, or the batch when it holds something, keeping err for
// the next call.
func (f *Follower) fail(err error) (*Batch, error) {
	if len(f.batch.Records) == 0 && len(f.batch.Notices) == 0 {
		return nil, err
	}
	f.pendingErr = err
	return f.finish(), nil
}

func (f *Follower) full() bool {
	return len(f.arena) >= f.cfg.MaxBatch || len(f.batch.Records) >= f.cfg.MaxRecords
}

func (f *Follower) finish() *Batch {
	f.batch.Position = f.position()
	switch {
	case f.batchSrc != nil:
		f.batch.Path, f.batch.ID = f.batchSrc.path, f.batchSrc.id
	case f.cur != nil:
		f.batch.Path, f.batch.ID = f.cur.path, f.cur.id
	}
	f.trackPeak()
	return &f.batch
}

func (f *Follower) trackPeak() {
	n := int64(cap(f.buf) + cap(f.line) + cap(f.rec) + cap(f.arena) + HeadSize)
	if n > f.stats.PeakBuffer {
		f.stats.PeakBuffer = n
	}
}

func (f *Follower) position() Position {
	if f.cur == nil {
		return Position{Path: f.path}
	}
	w := f.windowBefore(f.commit)
	return Position{Path: f.cur.path, ID: f.cur.id, Offset: f.commit, Before: w.hash()}
}

// windowBefore returns the bytes before off, one of the offsets the framer
// tracks (commit, lineStart, recStart, cur.off).
func (f *Follower) windowBefore(off int64) window {
	if off >= f.chunkStart {
		w := f.prevWin
		w.push(f.chunk[:off-f.chunkStart])
		return w
	}
	if f.have && off == f.recStart {
		return f.recWin
	}
	return f.lineWin
}

// snapshot keeps the windows of offsets that are about to fall before the
// chunk, before the chunk is replaced.
func (f *Follower) snapshot() {
	if f.lineStart >= f.chunkStart {
		f.lineWin = f.windowBefore(f.lineStart)
	}
	if f.have && f.recStart >= f.chunkStart {
		w := f.prevWin
		w.push(f.chunk[:f.recStart-f.chunkStart])
		f.recWin = w
	}
}

// setCur makes s the current file, read from off; w holds the bytes before off.
func (f *Follower) setCur(s *source, off int64, w window) {
	f.cur = s
	s.off = off
	f.chunk, f.pos, f.chunkStart = nil, 0, off
	f.prevWin, f.lineWin, f.recWin = w, w, w
	f.line, f.lineCut, f.lineStart = f.line[:0], false, off
	f.have, f.rec = false, f.rec[:0]
	f.commit = off
	f.quiet, f.recIdle, f.drainSince = 0, 0, -1
	f.woke = false
}

// fill reads the next chunk of cur, after the previous one was framed. It
// verifies, after reading, that the file was not truncated meanwhile; a
// chunk read from a truncated file is dropped.
func (f *Follower) fill() (int, error) {
	if f.pos < len(f.chunk) {
		return 0, nil
	}
	s := f.cur
	if f.buf == nil {
		f.buf = make([]byte, followChunk)
	}
	// Retire the framed chunk before reading over it.
	f.snapshot()
	f.prevWin.push(f.chunk)
	f.chunk, f.pos, f.chunkStart = nil, 0, s.off
	n, err := s.f.ReadAt(f.buf, s.off)
	if err != nil && err != io.EOF {
		return 0, fmt.Errorf("cannot read %s at offset %d: %w", s.path, s.off, err)
	}
	if n == 0 {
		if f.woke {
			f.woke = false
			f.quiet++
			f.recIdle++
		}
		return 0, nil
	}
	size, ok, err := f.verify(s, f.prevWin, nil, false)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 1, f.truncated(size)
	}
	f.woke, f.quiet, f.recIdle = false, 0, 0
	f.chunk = f.buf[:n]
	s.off += int64(n)
	f.stats.Bytes += int64(n)
	return n, nil
}

// frame turns the unframed bytes of the chunk into records until the chunk
// is done or the batch is full.
func (f *Follower) frame() {
	for f.pos < len(f.chunk) && !f.full() {
		b := f.chunk[f.pos:]
		j := bytes.IndexByte(b, '\n')
		if j < 0 {
			f.keep(b)
			f.pos = len(f.chunk)
			return
		}
		var (
			text []byte
			cut  bool
		)
		if len(f.line) == 0 && !f.lineCut {
			text = b[:j]
			if len(text) > f.limits.MaxLine {
				text, cut = text[:f.limits.MaxLine], true
			}
		} else {
			f.keep(b[:j])
			text, cut = f.line, f.lineCut
		}
		end := f.chunkStart + int64(f.pos+j+1)
		f.pos += j + 1
		f.onLine(text, f.lineStart, end, cut, false)
		f.line, f.lineCut, f.lineStart = f.line[:0], false, end
	}
}

// keep adds b to the current line, up to MaxLine.
func (f *Follower) keep(b []byte) {
	room := f.limits.MaxLine - len(f.line)
	if len(b) > room {
		f.lineCut = true
		b = b[:max(room, 0)]
	}
	f.line = appendBounded(f.line, b, f.limits.MaxLine)
}

// appendBounded appends b to buf, growing buf to at most limit bytes of
// capacity (len(buf)+len(b) must not exceed limit).
func appendBounded(buf, b []byte, limit int) []byte {
	if need := len(buf) + len(b); need > cap(buf) {
		n := min(max(2*cap(buf), need, 512), limit)
		nb := make([]byte, len(buf), n)
		copy(nb, buf)
		buf = nb
	}
	return append(buf, b...)
}

// onLine handles one physical line [start, end) of cur.
func (f *Follower) onLine(text []byte, start, end int64, cut, partial bool) {
	text = bytes.TrimSuffix(text, []byte{'\r'})
	f.stats.Lines++
	if cut {
		f.stats.CutLines++
	}
	if len(bytes.TrimSpace(text)) == 0 {
		if !f.have {
			f.commit = end
		}
		return
	}
	if f.cfg.StartsRecord == nil {
		f.emit(text, start, end, cut, partial)
		f.commit = end
		return
	}
	if !f.have || f.cfg.StartsRecord(text) {
		f.flushRec()
		if start < f.chunkStart {
			f.recWin = f.lineWin
		}
		f.have, f.recStart, f.recEnd = true, start, end
		f.recCut, f.recCutRec, f.recPartial = cut, false, partial
		if len(text) > f.limits.MaxRecord {
			text, f.recCut, f.recCutRec = text[:f.limits.MaxRecord], true, true
		}
		f.rec = appendBounded(f.rec[:0], text, f.limits.MaxRecord)
		f.commit = start
		f.recIdle = 0
		return
	}
	if len(f.rec)+1+len(text) > f.limits.MaxRecord {
		f.recCut, f.recCutRec = true, true
	} else {
		f.rec = appendBounded(f.rec, []byte{'\n'}, f.limits.MaxRecord)
		f.rec = appendBounded(f.rec, text, f.limits.MaxRecord)
	}
	f.recCut = f.recCut || cut
	f.recEnd, f.recPartial = end, partial
	f.recIdle = 0
}

// flushRec delivers the pending multi-line record.
func (f *Follower) flushRec() {
	if !f.have {
		return
	}
	f.have = false
	if f.recCutRec {
		f.stats.CutRecords++
	}
	f.emit(f.rec, f.recStart, f.recEnd, f.recCut, f.recPartial)
	f.commit = f.recEnd
}

func (f *Follower) emit(text []byte, off, end int64, cut, partial bool) {
	if f.batchSrc == nil {
		f.batchSrc = f.cur
	}
	a := len(f.arena)
	f.arena = append(f.arena, text...)
	f.batch.Records = append(f.batch.Records, Record{
		Text: f.arena[a:len(f.arena):len(f.arena)], Offset: off, End: end, Cut: cut, Partial: partial,
	})
	f.stats.Records++
}

// closeFraming delivers what cur still holds: the last line without newline
// and the pending record. Only for a file closed for good.
func (f *Follower) closeFraming() {
	if f.cur.off > f.lineStart {
		text, cut := f.line, f.lineCut
		f.stats.PartialLines++
		f.onLine(text, f.lineStart, f.cur.off, cut, true)
		f.line, f.lineCut, f.lineStart = f.line[:0], false, f.cur.off
		if !f.have {
			f.commit = f.cur.off
		}
	}
	f.flushRec()
	f.commit = f.cur.off
}

// fstat returns the device, inode, size and link count of an open file.
func fstat(fl *os.File) (st syscall.Stat_t, err error) {
	err = syscall.Fstat(int(fl.Fd()), &st)
	return st, err
}

// verify checks that s still holds the content read so far: its size is at
// least s.off, its head hashes to s.id and the bytes before s.off are
// before. It extends the head hash of a young file. With idle set (a check
// with nothing new read), a file whose size, modification and change times
// are those of the last full verification is not re-read: any later write
// changes them, and every chunk read is verified in full, so a refill
// hidden by the clock's granularity is caught at its next write.
func (f *Follower) verify(s *source, before window, st *syscall.Stat_t, idle bool) (size int64, ok bool, err error) {
	if st == nil {
		st = new(syscall.Stat_t)
		if *st, err = fstat(s.f); err != nil {
			return 0, false, fmt.Errorf("cannot stat %s: %w", s.path, err)
		}
	}
	size = st.Size
	if size < s.off || size < int64(s.id.HeadLen) {
		s.seenOK = false
		return size, false, nil
	}
	stamp, known := changeStamp(st)
	if idle && known && s.seenOK && s.seenSize == size && s.seenOff == s.off && s.seenStamp == stamp {
		return size, true, nil
	}
	s.seenOK = false
	oldLen := s.id.HeadLen
	id, ok, err := f.rehash(s, size)
	if err != nil || !ok {
		return size, false, err
	}
	s.id = id
	if s.off > int64(oldLen) && before.n > 0 {
		w := f.winBuf[:before.n]
		if _, err := s.f.ReadAt(w, s.off-int64(before.n)); err != nil {
			return size, false, nil // shrank meanwhile
		}
		if !bytes.Equal(w, before.bytes()) {
			return size, false, nil
		}
	}
	s.seenOK, s.seenSize, s.seenOff, s.seenStamp = known, size, s.off, stamp
	return size, true, nil
}

// rehash reads the head of s (up to min(size, HeadSize) bytes), checks that
// its first s.id.HeadLen bytes hash to s.id.HeadHash and returns the
// identity extended to the bytes read.
func (f *Follower) rehash(s *source, size int64) (Identity, bool, error) {
	n := int(min(size, HeadSize))
	n, err := s.f.ReadAt(f.head[:n], 0)
	if err != nil && err != io.EOF {
		return s.id, false, fmt.Errorf("cannot read %s: %w", s.path, err)
	}
	if n < s.id.HeadLen {
		return s.id, false, nil
	}
	h := fnv(fnvOffset, f.head[:s.id.HeadLen])
	if h != s.id.HeadHash {
		return s.id, false, nil
	}
	id := s.id
	id.HeadHash, id.HeadLen = fnv(h, f.head[s.id.HeadLen:n]), n
	return id, true, nil
}

// openSource opens path and computes its identity.
func (f *Follower) openSource(path string) (*source, error) {
	fl, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fstat(fl)
	if err != nil {
		fl.Close()
		return nil, fmt.Errorf("cannot stat %s: %w", path, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		fl.Close()
		return nil, fmt.Errorf("cannot follow %s: not a regular file", path)
	}
	resolved := path
	if r, err := filepath.EvalSymlinks(path); err == nil {
		resolved = r
	}
	s := &source{f: fl, path: resolved, id: Identity{Dev: uint64(st.Dev), Inode: uint64(st.Ino), HeadHash: fnvOffset}}
	id, _, err := f.rehash(s, st.Size)
	if err != nil {
		fl.Close()
		return nil, err
	}
	s.id = id
	return s, nil
}

// matchBy says how match recognises the file of a position.
type matchBy int

const (
	// byInode: the same device and inode.
	byInode matchBy = iota
	// byContent: any file (a copy, the same file under a new device
	// number), by its head and the bytes before the offset; a position at
	// offset 0 has no such bytes, it is not recognised.
	byContent
	// byCopy: a copy of a file known to have been truncated or refilled in
	// place (the same inode no longer holds the position: copytruncate).
	// As byContent, except that a position at offset 0 (a file left for
	// before any of it was read) is recognised by its head alone: it is
	// then the only place left where the file's unread bytes can be.
	byCopy
)

// match checks that s holds the bytes of p up to p.Offset: the head hashes
// to p.ID's, and the bytes before the offset hash to p.Before (when set).
// byInode also requires the same device and inode; otherwise s is a copy
// (or the same file under a new device number), see matchBy. It returns
// the bytes before the offset.
func (f *Follower) match(s *source, p Position, by matchBy) (window, bool) {
	if by == byInode && !s.id.SameInode(p.ID) {
		return window{}, false
	}
	if by != byInode && (p.ID.HeadLen == 0 || (p.Offset == 0 && by != byCopy)) {
		return window{}, false // nothing to recognise a copy by
	}
	st, err := fstat(s.f)
	if err != nil {
		return window{}, false
	}
	return holds(s.f, st.Size, p, f.head[:])
}

// holds checks that file, of size bytes, holds the bytes of p up to
// p.Offset: its first p.ID.HeadLen bytes hash to p.ID.HeadHash, and the
// bytes before the offset hash to p.Before (when set). head is scratch of
// HeadSize bytes; its first p.ID.HeadLen are the file's on success. It
// returns the bytes before the offset. The Follower's match and OpenAt
// both check a position this way.
func holds(file io.ReaderAt, size int64, p Position, head []byte) (window, bool) {
	if p.ID.HeadLen < 0 || p.ID.HeadLen > HeadSize || p.Offset < 0 || size < p.Offset || size < int64(p.ID.HeadLen) {
		return window{}, false
	}
	h := head[:p.ID.HeadLen]
	if n, _ := file.ReadAt(h, 0); n < len(h) || fnv(fnvOffset, h) != p.ID.HeadHash {
		return window{}, false
	}
	var w window
	w.n = int(min(p.Offset, beforeSize))
	if n, _ := file.ReadAt(w.b[:w.n], p.Offset-int64(w.n)); n < w.n {
		return window{}, false
	}
	if p.Before != 0 && w.hash() != p.Before {
		return window{}, false
	}
	return w, true
}

// sibling is a rotated file of the followed path.
type sibling struct {
	path string
	rank [2]int64
	src  *source
}

var compressedSuffixes = []string{".gz", ".zst", ".bz2", ".xz"}

var compressedMagic = [][]byte{gzipMagic, zstdMagic, []byte("BZh"), xzMagic}

// siblings opens the uncompressed rotated siblings of the path (name.1,
// name-YYYYMMDD, …), oldest first, at most 64 (the newest). The caller
// closes them.
func (f *Follower) siblings() []sibling {
	dir, base := filepath.Split(f.path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []sibling
	for _, e := range entries {
		name := e.Name()
		if name == base || !strings.HasPrefix(name, base) || e.IsDir() {
			continue
		}
		series, rank := rotation(name)
		if series != base || slices.ContainsFunc(compressedSuffixes, func(s string) bool { return strings.HasSuffix(name, s) }) {
			continue
		}
		out = append(out, sibling{path: filepath.Join(dir, name), rank: rank})
	}
	slices.SortFunc(out, func(a, b sibling) int {
		if c := compareRank(a.rank, b.rank); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	if len(out) > 64 {
		out = out[len(out)-64:]
	}
	kept := out[:0]
	for _, sb := range out {
		s, err := f.openSource(sb.path)
		if err != nil {
			continue
		}
		n, _ := s.f.ReadAt(f.winBuf[:6], 0)
		if slices.ContainsFunc(compressedMagic, func(m []byte) bool { return bytes.HasPrefix(f.winBuf[:n], m) }) {
			s.f.Close()
			continue
		}
		sb.src = s
		kept = append(kept, sb)
	}
	return kept
}

func compareRank(a, b [2]int64) int {
	switch {
	case a[0] != b[0]:
		return int(a[0] - b[0])
	case a[1] < b[1]:
		return -1
	case a[1] > b[1]:
		return 1
	}
	return 0
}

// start finds where to resume: the saved position in the file at the path,
// else in a rotated sibling or a copy (then the newer siblings and the file
// at the path follow), else nowhere (a gap: the file at the path is read
// from its start).
func (f *Follower) start() error {
	from := f.from
	c0, err := f.openSource(f.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cannot follow %s: %w%s", f.path, err, permissionHint(err))
	}
	if from.ID.IsZero() {
		if c0 != nil {
			f.setCur(c0, 0, window{})
		}
		return nil
	}
	if c0 != nil {
		if w, ok := f.match(c0, from, byInode); ok {
			f.setCur(c0, from.Offset, w)
			return nil
		}
		if w, ok := f.match(c0, from, byContent); ok {
			f.setCur(c0, from.Offset, w)
			f.note(NoticeResumed, c0, from.Offset, "same content under a new device or inode")
			return nil
		}
	}
	// Elsewhere: list the siblings twice and retry when a rotation moved
	// files meanwhile, so that a file being renamed is not missed.
	var (
		sibs  []sibling
		found = -1
		w     window
	)
	for attempt := 0; attempt < 3 && found < 0; attempt++ {
		closeSiblings(sibs)
		sibs = f.siblings()
		if from.Path != "" && from.Path != f.path && !slices.ContainsFunc(sibs, func(s sibling) bool { return s.path == from.Path }) {
			if s, err := f.openSource(from.Path); err == nil {
				sibs = append(sibs, sibling{path: from.Path, rank: [2]int64{-1, 0}, src: s})
			}
		}
		found, w = f.findPosition(sibs, from, c0)
	}
	if c0 != nil && c0.id.SameInode(from.ID) {
		f.stats.Truncations++
		f.note(NoticeTruncated, c0, from.Offset, "the file at the path was truncated or refilled since the saved position (or deleted, and its inode number reused)")
	}
	if found < 0 {
		closeSiblings(sibs)
		f.stats.Gaps++
		what := "no file at the path"
		if c0 != nil {
			what = "reading the file at the path from its start"
			f.setCur(c0, 0, window{})
		}
		f.batch.Notices = append(f.batch.Notices, Notice{Kind: NoticeGap, Path: from.Path, ID: from.ID, Offset: from.Offset, Loss: true,
			Detail: "the saved position is in no file any more (rotated away, compressed or deleted): lines after it may be missing; " + what})
		return nil
	}
	s := sibs[found]
	f.setCur(s.src, from.Offset, w)
	f.stats.Recovered++
	f.note(NoticeResumed, s.src, from.Offset, "the saved position is in "+s.path+"; the newer files follow from their start")
	for i, sb := range sibs {
		switch {
		case i == found:
		case s.rank[0] >= 0 && sb.rank[0] >= 0 && compareRank(sb.rank, s.rank) > 0 && (c0 == nil || !sb.src.id.SameInode(c0.id)):
			sb.src.sibling = true
			f.succ = append(f.succ, sb.src)
		default:
			sb.src.f.Close()
		}
	}
	if c0 != nil {
		f.succ = append(f.succ, c0)
	}
	return nil
}

// findPosition returns the index of the sibling holding from (-1 for
// none) and the bytes before the offset: the same inode first, else the
// newest copy. When the file at the path is from's file (its inode) it
// was truncated or refilled since, so a copy may hold from even at offset
// 0 (see byCopy).
func (f *Follower) findPosition(sibs []sibling, from Position, c0 *source) (int, window) {
	for i, s := range sibs {
		if w, ok := f.match(s.src, from, byInode); ok {
			return i, w
		}
	}
	by := byContent
	if c0 != nil && c0.id.SameInode(from.ID) {
		by = byCopy
	}
	for i := len(sibs) - 1; i >= 0; i-- {
		if c0 != nil && sibs[i].src.id.SameInode(c0.id) {
			continue
		}
		if w, ok := f.match(sibs[i].src, from, by); ok {
			return i, w
		}
	}
	return -1, window{}
}

func closeSiblings(sibs []sibling) {
	for _, s := range sibs {
		s.src.f.Close()
	}
}

func (f *Follower) note(kind NoticeKind, s *source, off int64, detail string) {
	f.batch.Notices = append(f.batch.Notices, Notice{Kind: kind, Path: s.path, ID: s.id, Offset: off, Detail: detail})
}

// check looks at cur and at the path when cur has nothing more to read: a
// truncation, a pending record to flush, a new file at the path, a deleted
// file; it switches files when the rules allow. It reports whether
// something changed.
func (f *Follower) check() (bool, error) {
	if f.cur == nil {
		return f.lookForPath()
	}
	st, err := fstat(f.cur.f)
	if err != nil {
		return false, fmt.Errorf("cannot stat %s: %w", f.cur.path, err)
	}
	size, ok, err := f.verify(f.cur, f.windowBefore(f.cur.off), &st, true)
	if err != nil {
		return false, err
	}
	if !ok {
		return true, f.truncated(size)
	}
	if size > f.cur.off {
		return true, nil // written since the read: read it first
	}
	if f.have && f.recIdle >= f.cfg.FlushRounds && f.cur.off == f.lineStart {
		f.flushRec()
		return true, nil
	}
	f.scanPath()
	deleted := st.Nlink == 0
	succData := false
	for _, s := range f.succ {
		if st, err := fstat(s.f); err == nil && st.Size > 0 {
			succData = true
			break
		}
	}
	if succData && f.drainSince < 0 {
		f.drainSince = f.stats.Rounds
	}
	switch {
	case f.quiet >= f.cfg.QuietRounds && (succData || (deleted && len(f.succ) > 0)):
		f.switchFile(deleted, false)
		return true, nil
	case f.quiet >= f.cfg.QuietRounds && deleted:
		f.closeFraming()
		f.stats.Deletions++
		f.note(NoticeDeleted, f.cur, f.cur.off, "deleted; drained and closed, waiting for a new file at "+f.path)
		f.cur.f.Close()
		f.cur = nil
		return true, nil
	case succData && f.stats.Rounds-f.drainSince >= int64(f.cfg.MaxDrainRounds):
		f.switchFile(deleted, true)
		return true, nil
	}
	return false, nil
}

// switchFile closes cur for good and goes on with the next file.
//
// The next file's identity is taken again now: it was hashed when the file
// was queued, often while still empty (a head of 0 bytes), and the
// Position handed out with the switch names that file at offset 0 by it.
// A head of 0 bytes names no content: a restart would take the file at
// the same inode for it whatever it holds by then, and the lines a
// copytruncate moved to a copy meanwhile would be skipped without a
// notice. With the head it has now, such a restart sees the file changed
// and finds the copy by that head (byCopy). A queued file truncated
// before it was read at all is caught here too, and its copy read first.
//
// A sibling queued at a restart may be the copy of a copytruncate that was
// under way then (created, maybe still empty, the file not truncated yet):
// when the next file still begins with all of its bytes, the next file is
// read on from its end, not from its start, which would deliver those
// lines twice. Should the next file be truncated by then, its copy is the
// file just left (f.left), read on from where it was left (truncated).
func (f *Follower) switchFile(deleted, forced bool) {
	old := f.cur
	f.closeFraming()
	f.leftWin = f.windowBefore(old.off)
	f.left = Position{Path: old.path, ID: old.id, Offset: old.off, Before: f.leftWin.hash()}
	next := f.succ[0]
	f.succ = f.succ[1:]
	off, w := int64(0), window{}
	if old.sibling {
		if _, ok := f.match(next, f.left, byContent); ok {
			off, w = old.off, f.leftWin
		}
	}
	old.f.Close()
	f.setCur(next, off, w)
	if deleted {
		f.stats.Deletions++
	}
	f.stats.Rotations++
	kind, why := NoticeRotated, "drained, now reading "+next.path+" from its start"
	if forced {
		f.stats.ForcedSwitches++
		kind, why = NoticeForced, fmt.Sprintf("still written after %d rounds while %s filled; switched, later writes to it are not read", f.cfg.MaxDrainRounds, next.path)
	}
	f.batch.Notices = append(f.batch.Notices, Notice{Kind: kind, Path: old.path, ID: old.id, Offset: old.off, Detail: why, Loss: forced, End: f.left})
	// A stat or read error is left to the first read of the file.
	if size, ok, err := f.verify(next, w, nil, false); err == nil && !ok {
		f.truncated(size)
	}
}

// scanPath queues the file at the path when it is new.
func (f *Follower) scanPath() {
	var st syscall.Stat_t
	if err := syscall.Stat(f.path, &st); err != nil {
		return
	}
	known := func(dev, ino uint64) bool {
		id := Identity{Dev: dev, Inode: ino}
		return f.cur.id.SameInode(id) || slices.ContainsFunc(f.succ, func(s *source) bool { return s.id.SameInode(id) })
	}
	if known(uint64(st.Dev), uint64(st.Ino)) || len(f.succ) >= 16 {
		return
	}
	s, err := f.openSource(f.path)
	if err != nil {
		return // gone again, or unreadable: next round
	}
	if known(s.id.Dev, s.id.Inode) {
		s.f.Close()
		return
	}
	f.succ = append(f.succ, s)
}

// lookForPath opens the file at the path after the previous one was
// deleted.
func (f *Follower) lookForPath() (bool, error) {
	s, err := f.openSource(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot follow %s: %w%s", f.path, err, permissionHint(err))
	}
	f.setCur(s, 0, window{})
	f.note(NoticeCreated, s, 0, "a new file at the path, read from its start")
	return true, nil
}

// truncated handles cur shrinking or changing under the offset read: the
// bytes not read yet are looked for in a copy (copytruncate copies before
// it truncates); the file is then read again from its start.
func (f *Follower) truncated(size int64) error {
	old := f.cur
	f.stats.Truncations++
	fresh := &source{f: old.f, path: old.path, id: Identity{Dev: old.id.Dev, Inode: old.id.Inode, HeadHash: fnvOffset}}
	if id, _, err := f.rehash(fresh, size); err == nil {
		fresh.id = id
	}
	before := f.windowBefore(old.off)
	p := Position{ID: old.id, Offset: old.off, Before: before.hash()}
	var cp *source
	sibs := f.siblings()
	for i := len(sibs) - 1; i >= 0; i-- {
		if cp == nil && !sibs[i].src.id.SameInode(old.id) {
			if _, ok := f.match(sibs[i].src, p, byCopy); ok {
				cp = sibs[i].src
				continue
			}
		}
		sibs[i].src.f.Close()
	}
	if cp != nil {
		f.stats.Recovered++
		f.note(NoticeTruncated, old, old.off, fmt.Sprintf("truncated to %d bytes; the unread rest is read from the copy %s, then the file from its start", size, cp.path))
		if _, ok := f.match(cp, f.left, byInode); ok && f.left.Offset > old.off {
			// The copy is the file last closed for good (a sibling read
			// at a restart, see switchFile): its bytes up to there were
			// delivered.
			f.setCur(cp, f.left.Offset, f.leftWin)
		} else {
			cp.off = old.off
			f.cur = cp
			f.quiet, f.drainSince = 0, -1
		}
		f.succ = append([]*source{fresh}, f.succ...)
		return nil
	}
	f.note(NoticeTruncated, old, old.off, fmt.Sprintf("truncated to %d bytes, no copy holds the unread rest: reading from the start", size))
	f.batch.Notices[len(f.batch.Notices)-1].Loss = true
	f.closeFraming()
	f.setCur(fresh, 0, window{})
	return nil
}

// EndPosition returns the position just after the last complete line of
// the file at path, to start following there (tail -n 0).
func EndPosition(path string) (Position, error) {
	var f Follower
	s, err := f.openSource(filepath.Clean(path))
	if err != nil {
		return Position{}, err
	}
	defer s.f.Close()
	st, err := fstat(s.f)
	if err != nil {
		return Position{}, err
	}
	end := st.Size
	buf := make([]byte, followChunk)
	for end > 0 {
		start := max(0, end-followChunk)
		n, err := s.f.ReadAt(buf[:end-start], start)
		if err != nil && err != io.EOF {
			return Position{}, fmt.Errorf("cannot read %s: %w", path, err)
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			end = start + int64(i) + 1
			break
		}
		end = start
	}
	var w window
	w.n = int(min(end, beforeSize))
	s.f.ReadAt(w.b[:w.n], end-int64(w.n))
	return Position{Path: s.path, ID: s.id, Offset: end, Before: w.hash()}, nil
}
