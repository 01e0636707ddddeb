package pipeline

import (
	"errors"
	"log/slog"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// Sink receives what ingest keeps of the records: every request counted
// in its second's rollup, and the events kept in full. The store's Writer
// is one; the daemon's batches are another.
type Sink interface {
	// Request counts one access-log request. upstream is valid only
	// during the call.
	Request(t time.Time, status int, upstream []byte) error
	// Event keeps ev in full; the sink owns it from then on.
	Event(ev *patterns.Event) error
}

// Step is the one per-record step of ingest, batch and follow alike: it
// parses a record of one file, counts it (a request in the rollups; an
// unparsed record in the file's Source, with a few samples), and hands
// what is kept to the sink. A batch load also gathers, through it, what
// the access logs tell about the zone of zoneless stamps.
type Step struct {
	src    timeline.Source
	sink   Sink
	parser patterns.Parser
	// access parses the lines of nginx access logs without allocating:
	// every request is counted, few are kept. nil: parser.
	access func([]byte, *patterns.AccessLine) error
	line   patterns.AccessLine
	zones  *zoneEvidence // nil: not gathered (following)
	ahead  *ahead        // nil: each event complete when parsed, handed at once
	// stateless: parser carries nothing from one record to the next.
	stateless bool
	// spare: the event a record left unused (a slow log's "# Time:" line,
	// half its records, yields none), for the next.
	spare *patterns.Event
	// lend: the sink keeps nothing of the file's events past Event
	// (keeper), so a block lends them (parseBlock, parseRecords: loans);
	// into is the parser's ParserInto then, when it is one.
	lend bool
	into patterns.ParserInto
}

// keeper is a Sink that says of which kinds it may keep an event, or its
// strings, past Event's return (store.Writer: a temporary store's slow-log
// entries, encoded as their block is written). The events of the other
// kinds it copies what it keeps of (encodes) before Event returns: a block
// of a parallel load lends it events whose structs it reuses and whose
// texts are the block's bytes (loans), not copies. A Sink that is no
// keeper is handed events of its own, as Sink.Event says.
type keeper interface {
	Keeps(kind patterns.Kind) bool
}

// NewStep returns the step of one file. zone is the zone of its zoneless
// stamps, label says in the report which and why; from is what is known of
// the file already (its counts go on from there), or just its path.
func NewStep(f File, zone *time.Location, label string, from timeline.Source, sink Sink) (*Step, error) {
	s := &Step{src: from, sink: sink}
	if k, ok := sink.(keeper); ok {
		s.lend = !k.Keeps(f.Format.Kind)
	}
	s.src.Path, s.src.Format, s.src.TZ = f.Path, f.Format.Kind.String(), label
	if f.Format.stampsCarryZone() {
		s.src.TZ = "from the log ($time_local offset)"
		s.access = patterns.ParseAccess // the combined family and JSON lines
		if f.Format.Access != nil {
			s.access = f.Format.Access.Parse // a log_format of the user's
		}
		return s, nil
	}
	p, err := f.Format.Parser(zone, modTime(f.Path))
	if err != nil {
		return nil, err
	}
	s.parser = p
	if s.lend {
		s.into, _ = p.(patterns.ParserInto)
	}
	s.stateless = (f.Format.Kind == patterns.KindNginxError || f.Format.Kind == patterns.KindFPMError) && f.Format.Grok == nil && f.Format.Access == nil
	return s, nil
}

// Source returns what the step counted of its file.
func (s *Step) Source() timeline.Source { return s.src }

// Record parses one record, read at offset off of the file at path (a
// followed log's rotated file has its own path), and hands on what is
// kept. Only the sink's errors are returned: a record that does not parse
// is counted, never an error.
//
// The file's Records count the records that are entries of the log: those
// that parse and those that do not. A framed record that yields no event
// of its own (patterns.ErrNoEvent: a slow log's "# Time:" line, which the
// entry after it takes, or the header every slow log starts with) is no
// entry: counted, a slow log of N queries showed 2N+1 records.
func (s *Step) Record(path string, rec []byte, off int64) error {
	if s.access != nil {
		s.src.Records++
		return s.accessRecord(path, rec, off)
	}
	ev := s.spare
	if ev == nil {
		ev = new(patterns.Event)
	}
	if err := s.parser.Parse(rec, ev); err != nil {
		*ev, s.spare = patterns.Event{}, ev
		if !errors.Is(err, patterns.ErrNoEvent) {
			s.src.Records++
			s.unparsed(rec, err)
		}
		return nil
	}
	s.spare = nil
	s.src.Records++
	ev.Path, ev.Offset = path, off
	return s.handOn(ev)
}

// handOn counts a parsed record in the rollups if it is a request, and
// hands it to the sink if it is kept.
func (s *Step) handOn(ev *patterns.Event) error {
	if Counted(ev) {
		if err := s.sink.Request(ev.Time, ev.Access.Status, []byte(ev.Access.UpstreamAddr)); err != nil {
			return err
		}
	}
	if !Kept(ev) {
		return nil
	}
	if s.ahead != nil {
		return s.ahead.add(ev, s.sink)
	}
	return s.sink.Event(ev)
}

// classifyAhead makes the step classify its events on a goroutine of its
// own (see ahead) when its parser can leave that to one; Settle must then
// be called before the sink's counts are written, and stop at the end.
func (s *Step) classifyAhead() (stop func()) {
	d, ok := s.parser.(patterns.Deferrer)
	if !ok {
		return func() {}
	}
	s.ahead = newAhead(d.Defer(), s.sink)
	return s.ahead.stop
}

// Settle hands the sink every event of the records taken so far.
func (s *Step) Settle() error {
	if s.ahead == nil {
		return nil
	}
	return s.ahead.settle(s.sink)
}

// parallel reports whether the step's records may be parsed on several
// goroutines at once and handed on in file order (readBlocks): nginx's
// access log, and the logs whose parser carries nothing from one record to
// the next (nginx's error log and PHP-FPM's, read without a grok format:
// their stamps carry the year, and their parsers keep only the zone).
func (s *Step) parallel() bool { return s.access != nil || s.stateless }

// accessRecord is Record for an nginx access log.
func (s *Step) accessRecord(path string, rec []byte, off int64) error {
	a := &s.line
	if err := s.access(rec, a); err != nil {
		s.unparsed(rec, err)
		return nil
	}
	if a.Status < 0 {
		return nil // a format without $status counts no request
	}
	if s.zones != nil {
		s.zones.offsets[a.ZoneOffset]++
	}
	if err := s.sink.Request(a.Time, a.Status, a.UpstreamAddr); err != nil {
		return err
	}
	if !analyze.Failed(a.Status) {
		return nil // counted in the rollup; only failed requests are kept in full, as Kept says
	}
	k := keptFailed(new(loan[patterns.Access]), path, rec, string(rec), off, a)
	if s.zones != nil {
		s.zones.requests.Add(k.saw)
	}
	return s.sink.Event(k.ev)
}

// keptFailed returns what is kept of a failed request, the line rec at
// offset off of the file at path, parsed as a, in l: its event, whose
// fields are substrings of its text, and its sighting. text holds rec's
// bytes: a copy (string(rec): one copy of the line) for an event the sink
// keeps, or rec's bytes themselves (unsafe.String) for one a block lends
// (loans).
func keptFailed(l *loan[patterns.Access], path string, rec []byte, text string, off int64, a *patterns.AccessLine) keptRequest {
	a.AccessInto(rec, text, &l.fields)
	l.ev = patterns.Event{Time: a.Time, Kind: patterns.KindNginxAccess, Path: path, Offset: off, Text: text, Access: &l.fields}
	saw := sighting{Client: patterns.SubstringOf(rec, text, a.RemoteAddr), Time: a.Time}
	// "GET /path" as the line has it, when it does: a substring too.
	m, mok := patterns.OffsetIn(rec, a.Method)
	u, uok := patterns.OffsetIn(rec, a.URI)
	if mok && uok && u == m+len(a.Method)+1 && rec[u-1] == ' ' {
		saw.Request = text[m : u+len(a.URI)]
	} else {
		saw.Request = string(a.Method) + " " + string(a.URI)
	}
	return keptRequest{ev: &l.ev, saw: saw}
}

func (s *Step) unparsed(rec []byte, err error) {
	s.src.Unparsed++
	if len(s.src.Samples) < unparsedToKeep {
		s.src.Samples = append(s.src.Samples, string(rec[:min(len(rec), sampleBytes)]))
	}
	slog.Debug("unparsed record", "path", s.src.Path, "err", err)
}

// Counted reports whether an event is a request, counted in the rollups
// (a log_format without $status counts none).
func Counted(ev *patterns.Event) bool { return ev.Access != nil && ev.Access.Status >= 0 }

// Kept reports whether an event is kept in full in the store: every
// error-log record, but of the logs that mostly say other things only the
// lines that matter to analysis (failed requests of the access log, the OOM
// killer's lines in syslog, the failed requests and server messages of
// HAProxy).
func Kept(ev *patterns.Event) bool {
	switch {
	case ev.Access != nil:
		return analyze.Failed(ev.Access.Status) // every request is counted in the rollups
	case ev.Syslog != nil:
		return ev.Syslog.Event != ""
	case ev.HAProxy != nil:
		return ev.HAProxy.Status >= 500 || ev.HAProxy.Status <= 0
	}
	return true
}
