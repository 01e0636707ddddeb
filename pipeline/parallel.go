package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
)

// An access log is read in parallel: one goroutine (the reader:
// decompression, positions) copies its whole lines into blocks of
// blockBytes in bulk, or lends an archive's decompressed lines until the
// block is applied (ingest.Reader.Lines); workers frame each block's
// lines into records (ingest.Chunk.Frame: line ends, blank lines, limits,
// counts), parse them and count each block's requests by second, status
// and upstream; the load's goroutine takes the blocks in
// file order and hands their counts and kept records to the sink, then
// checkpoints, when the sink is due, at the end of a block: with the
// position just after its last line, so that a mark never claims a line
// whose counts are not in the same checkpoint. nginx's error log and
// php-fpm's, whose parsers carry nothing from one record to the next
// either, are read the same way (their records parsed on the workers,
// handed on in file order: parseRecords), but framed by the reader
// (ingest.Reader.Records: their records may span lines). The other formats are read record by record
// (Step.Record): their parsers carry state from one record to the next (a
// slow log's "# Time:" line and schema, a year guessed from the order of
// the stamps).
const (
	// blockBytes is the size of a block: small enough that what a block
	// adds to a checkpoint past Due (at most its lines, all failed
	// requests) stays well within one transaction.
	blockBytes = 64 << 10
	// blocksAhead bounds the blocks read and not yet handed to the sink:
	// 4 MB, whatever the file's size; a load stopped (a signal) has read
	// at most that much further, and what an archive's decompressor reads
	// ahead (ingest: 4 MB). The sink is fed on one goroutine, in file
	// order: with 16 blocks (1 MB) a moment's delay there filled the
	// queue, stopped the reader and left the workers waiting, ~12% of two
	// cores on the 1 GB access log; with 64, the workers waited half as
	// long and the load took ~7% less wall time (docs/benchmarks.md,
	// "Read further ahead").
	blocksAhead = 64
)

// block is a run of an access log's lines and what its parse found.
type block struct {
	data  []byte
	recs  []blockRec
	pos   ingest.Position // just after the block's last line
	stats ingest.Stats    // the reader's, then (chunked: and the framing's of the blocks up to this one)
	done  chan struct{}   // closed once parsed

	// Of a block read by the block (chunked): its lines, and the counts
	// of their framing by the worker.
	chunk  ingest.Chunk
	framed ingest.Stats
	// own is the block's buffer, data's but when data is lent (lent: an
	// archive's decompressed lines, given back once the block is applied).
	own  []byte
	lent bool

	unparsed int64
	samples  []string
	offsets  map[int]int64
	requests map[request]int64
	ups      []string         // the upstreams of requests, by index
	upIndex  map[string]int32 // and their indexes
	kept     []keptRequest

	// Of a format parsed by Step.parser (parseRecords): the records that
	// are no entry of the log (patterns.ErrNoEvent), and the events
	// parsed, in file order.
	noEvent int64
	events  []*patterns.Event

	// The events the block lends the sink (Step.lend), reused from one
	// use of the block to the next: failed requests (parseBlock), and
	// events of a ParserInto (parseRecords).
	accessLoans loans[patterns.Access]
	recordLoans loans[patterns.FieldSets]
}

// loan is an event a block lends the sink: its text the block's bytes,
// its field set in the same allocation, the whole reused once the block
// is applied (the sink keeps nothing of it: keeper).
type loan[F any] struct {
	ev     patterns.Event
	fields F
}

// loans are a block's loans: n of them in use.
type loans[F any] struct {
	all []*loan[F]
	n   int
}

// next returns a loan to parse into, good until the block is reused.
func (l *loans[F]) next() *loan[F] {
	if l.n == len(l.all) {
		l.all = append(l.all, new(loan[F]))
	}
	l.n++
	return l.all[l.n-1]
}

type blockRec struct {
	start, end int
	off        int64
}

// request is what a rollup counts a request by: its second, status and
// upstream ($upstream_addr as logged: block.ups[upstream]).
type request struct {
	sec      int64
	status   int
	upstream int32
}

// keptRequest is a failed request: its record, and what it tells of the
// zone of the error logs read after it.
type keptRequest struct {
	ev  *patterns.Event
	saw sighting
}

// counter is a Sink that counts n equal requests at once (store.Writer).
type counter interface {
	Requests(t time.Time, status int, upstream []byte, n int64) error
}

// workers returns how many goroutines parse an access log.
func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func (o Options) aheadBlocks() int {
	if o.readAhead > 0 {
		return o.readAhead
	}
	return blocksAhead
}

// readBlocks reads r's lines through workers parsing goroutines, and
// applies each block to step and its sink in file order, calling due after
// each block with the block's end; it returns when r is read to its end
// (nil), cannot be read further (r's error: ctx's, or a read error), or
// when step's sink or due fails (that error, an errSink). Every goroutine
// it starts has ended when it returns.
// It returns the reader's position and counts after the last block
// applied (where it began when none was): the load's last checkpoint.
// Once ctx is done no further block is applied, and it returns ctx's
// error.
func readBlocks(ctx context.Context, r *ingest.Reader, f File, step *Step, workers, ahead int, due func(b *block) error) (pos ingest.Position, st ingest.Stats, err error) {
	quit := make(chan struct{}) // closed when a block cannot be applied: the rest is not read
	stopped := func() bool {
		select {
		case <-quit:
			return true
		default:
			return false
		}
	}
	pos, st = r.Position(), r.Stats() // before the reader starts: nothing applied
	// A format whose every line is a record is read by the block
	// (ingest.Reader.Lines) and framed on the workers.
	chunked := f.Format.RecordStart() == nil && r.Chunked()
	ordered := make(chan *block, ahead)
	todo := make(chan *block, ahead+1)
	free := make(chan *block, ahead+workers+2)
	var (
		wg      sync.WaitGroup
		readErr error
	)
	wg.Add(1 + workers)
	go func() { // the reader
		defer wg.Done()
		defer close(todo)
		defer close(ordered)
		b := newBlock(free)
		send := func() bool {
			b.pos, b.stats = r.Position(), r.Stats()
			select {
			case ordered <- b:
			case <-quit:
				return false
			}
			todo <- b // never waits long: it holds at most the blocks ordered holds, and one
			b = newBlock(free)
			return true
		}
		if chunked {
			for {
				c, err := r.Lines(b.own[:0], blockBytes)
				b.data, b.chunk, b.lent = c.Data, c, c.Lent()
				if (len(c.Data) > 0 || c.Long()) && !send() {
					b.chunk.Release() // not sent: b is not recycled
					return
				}
				if err != nil {
					if err != io.EOF {
						readErr = err
					}
					return
				}
			}
		}
		readErr = r.Records(f.Format.StartsRecord, func(rec []byte, off int64) error {
			start := len(b.data)
			b.data = append(b.data, rec...)
			b.recs = append(b.recs, blockRec{start, len(b.data), off})
			if len(b.data) >= blockBytes && !send() {
				return errQuit
			}
			return nil
		})
		if len(b.recs) > 0 && !stopped() {
			send() // the lines handed before r stopped: the position is past them
		}
	}()
	for range workers {
		go func() {
			defer wg.Done()
			var line patterns.AccessLine
			for b := range todo {
				if chunked && !stopped() {
					b.framed = b.chunk.Frame(func(start, end int, off int64) {
						b.recs = append(b.recs, blockRec{start, end, off})
					})
				}
				switch {
				case stopped():
				case step.access != nil:
					step.parseBlock(f.Path, b, &line)
				default:
					step.parseRecords(f.Path, b)
				}
				close(b.done)
			}
		}()
	}
	var framed ingest.Stats // the counts of the blocks' framing so far (chunked)
	for b := range ordered {
		<-b.done
		framed.Add(b.framed)
		b.stats.Add(framed)
		if err == nil {
			if err = ctx.Err(); err == nil {
				if err = step.applyBlock(b); err != nil {
					err = errSink{err}
				} else {
					pos, st = b.pos, b.stats
					err = due(b)
				}
			}
			if err != nil {
				close(quit)
			}
		}
		b.chunk.Release() // its lines lent, when they are: not used once it is applied
		clear(b.kept)     // the events are the sink's now: the free block does not hold them
		clear(b.events)   // (its loans are its own: their texts its bytes, or an archive's, which the reader fills again)
		select {
		case free <- b:
		default:
		}
	}
	wg.Wait()
	if err != nil {
		return pos, st, err
	}
	return pos, st, readErr
}

func newBlock(free chan *block) *block {
	select {
	case b := <-free:
		own := b.own
		if !b.lent {
			own = b.data // the block's buffer, grown maybe
		}
		*b = block{data: own[:0], own: own, recs: b.recs[:0], done: make(chan struct{}), offsets: b.offsets, requests: b.requests, kept: b.kept[:0],
			ups: b.ups[:0], upIndex: b.upIndex, events: b.events[:0],
			accessLoans: loans[patterns.Access]{all: b.accessLoans.all}, recordLoans: loans[patterns.FieldSets]{all: b.recordLoans.all}}
		clear(b.offsets)
		clear(b.requests)
		clear(b.upIndex)
		return b
	default:
		own := make([]byte, 0, blockBytes+(16<<10))
		return &block{data: own, own: own, done: make(chan struct{}), offsets: map[int]int64{}, requests: map[request]int64{}, upIndex: map[string]int32{}}
	}
}

// parseBlock parses the lines of b as accessRecord does, keeping in b what
// it would hand on. It touches nothing but b: workers call it at once.
func (s *Step) parseBlock(path string, b *block, a *patterns.AccessLine) {
	// Lines in a row mostly count under the same second, status and
	// upstream: counted in run, then added to the block's map.
	var (
		run    request
		inRun  int64
		lastUp []byte
		up     int32 = -1
	)
	defer func() {
		if inRun > 0 {
			b.requests[run] += inRun
		}
	}()
	for _, r := range b.recs {
		rec := b.data[r.start:r.end]
		if err := s.access(rec, a); err != nil {
			b.unparsed++
			if len(b.samples) < unparsedToKeep {
				b.samples = append(b.samples, string(rec[:min(len(rec), sampleBytes)]))
			}
			slog.Debug("unparsed record", "path", s.src.Path, "err", err)
			continue
		}
		if a.Status < 0 {
			continue // a format without $status counts no request
		}
		b.offsets[a.ZoneOffset]++
		if up < 0 || !bytes.Equal(a.UpstreamAddr, lastUp) {
			lastUp = append(lastUp[:0], a.UpstreamAddr...)
			i, ok := b.upIndex[string(a.UpstreamAddr)]
			if !ok {
				i = int32(len(b.ups))
				b.ups = append(b.ups, string(a.UpstreamAddr))
				b.upIndex[b.ups[i]] = i
			}
			up = i
		}
		if q := (request{a.Time.Unix(), a.Status, up}); q != run || inRun == 0 {
			if inRun > 0 {
				b.requests[run] += inRun
			}
			run, inRun = q, 0
		}
		inRun++
		if !analyze.Failed(a.Status) {
			continue // counted in the rollup; only failed requests are kept in full, as Kept says
		}
		if s.lend {
			b.kept = append(b.kept, keptFailed(b.accessLoans.next(), path, rec, unsafe.String(unsafe.SliceData(rec), len(rec)), r.off, a))
		} else {
			b.kept = append(b.kept, keptFailed(new(loan[patterns.Access]), path, rec, string(rec), r.off, a))
		}
	}
}

// parseRecords parses the records of b with the step's parser, as Record
// does, keeping in b what it would hand on. The parser must carry nothing
// from one record to the next (Step.stateless): workers call it at once,
// each on its own block.
func (s *Step) parseRecords(path string, b *block) {
	var l *loan[patterns.FieldSets] // the block's event to parse into, when the step lends (into)
	for _, r := range b.recs {
		rec := b.data[r.start:r.end]
		var (
			ev  *patterns.Event
			err error
		)
		if s.into != nil {
			if l == nil {
				l = b.recordLoans.next()
			}
			ev = &l.ev
			err = s.into.ParseInto(rec, unsafe.String(unsafe.SliceData(rec), len(rec)), ev, &l.fields)
		} else {
			ev = new(patterns.Event)
			err = s.parser.Parse(rec, ev)
		}
		if err != nil {
			if errors.Is(err, patterns.ErrNoEvent) {
				b.noEvent++
				continue
			}
			b.unparsed++
			if len(b.samples) < unparsedToKeep {
				b.samples = append(b.samples, string(rec[:min(len(rec), sampleBytes)]))
			}
			slog.Debug("unparsed record", "path", s.src.Path, "err", err)
			continue
		}
		ev.Path, ev.Offset = path, r.off
		if Counted(ev) || Kept(ev) {
			b.events = append(b.events, ev)
			l = nil // lent: the next record parses into another
		}
	}
}

// applyBlock counts what parseBlock or parseRecords found in the step's
// Source and hands it to the sink, as Record does record by record.
func (s *Step) applyBlock(b *block) error {
	s.src.Records += int64(len(b.recs)) - b.noEvent
	s.src.Unparsed += b.unparsed
	for _, smp := range b.samples {
		if len(s.src.Samples) < unparsedToKeep {
			s.src.Samples = append(s.src.Samples, smp)
		}
	}
	if s.zones != nil {
		for off, n := range b.offsets {
			s.zones.offsets[off] += n
		}
	}
	many, _ := s.sink.(counter)
	for q, n := range b.requests {
		t, up := time.Unix(q.sec, 0), []byte(b.ups[q.upstream])
		if many != nil {
			if err := many.Requests(t, q.status, up, n); err != nil {
				return err
			}
			continue
		}
		for range n {
			if err := s.sink.Request(t, q.status, up); err != nil {
				return err
			}
		}
	}
	for _, k := range b.kept {
		if s.zones != nil {
			s.zones.requests.Add(k.saw)
		}
		if err := s.sink.Event(k.ev); err != nil {
			return err
		}
	}
	for _, ev := range b.events {
		if err := s.handOn(ev); err != nil {
			return err
		}
	}
	return nil
}

// errQuit stops the reader of readBlocks.
var errQuit = errors.New("the load stopped")
