package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/store"
	"github.com/logcause/logcause/timeline"
)

// loadOptions says how files are read.
type loadOptions struct {
	zone   *time.Location         // zone of stamps without one; nil: learn it from the access log
	format patterns.Kind          // force this format on every file; KindUnknown: detect
	grok   []*patterns.GrokFormat // user-defined formats, tried before the built-in ones
	// access are the user's nginx log_formats (from nginx.conf), tried
	// before the built-in access formats.
	access []*patterns.AccessFormat
	// configRoot is where the servers' configuration is read from.
	configRoot string
	limits     ingest.Limits
	watch      progress // nil: nobody watches
	// overrides say, per configured source, the format and zone of the
	// files it matches; the first that matches a file wins.
	overrides []override
}

// overrideFor returns the override of the first configured source that
// matches path.
func (o loadOptions) overrideFor(path string) override {
	for _, ov := range o.overrides {
		if ov.matches(path) {
			return ov
		}
	}
	return override{}
}

const (
	sampleLines    = 40 // lines read to detect a file's format
	unparsedToKeep = 3  // unparsed records sampled per source for the report
	sampleBytes    = 300
)

// loadResult is what loading a set of paths produced.
type loadResult struct {
	sources  []timeline.Source
	records  int64
	problems []error // files that could not be read completely, or not at all
}

// errEmpty says a file holds nothing yet (a log just rotated).
var errEmpty = errors.New("the file is empty")

// logFormat is how a file is parsed: the built-in parser of a kind, a
// user's grok format of that kind, or one of the user's nginx log_formats.
type logFormat struct {
	kind   patterns.Kind
	grok   *patterns.GrokFormat
	access *patterns.AccessFormat
}

// parser returns the parser of one file: zone for stamps without a zone,
// the file's modification time for stamps without a year.
func (f logFormat) parser(zone *time.Location, mtime time.Time) (patterns.Parser, error) {
	switch {
	case f.grok != nil:
		return f.grok.ParserAt(zone, mtime), nil
	case f.access != nil:
		return patterns.NewAccessParser(f.access), nil
	}
	return patterns.NewParserAt(f.kind, zone, mtime)
}

// counted reports whether an event is a request, counted in the rollups
// (a log_format without $status counts none).
func counted(ev *patterns.Event) bool { return ev.Access != nil && ev.Access.Status >= 0 }

// keep reports whether an event is kept in full in the store: every
// error-log record, but of the logs that mostly say other things only the
// lines that matter to analysis (failed requests of the access log, the OOM
// killer's lines in syslog, the failed requests and server messages of
// HAProxy).
func keep(ev *patterns.Event) bool {
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

// modTime is the modification time of path, or zero.
func modTime(path string) time.Time {
	if fi, err := os.Stat(path); err == nil {
		return fi.ModTime()
	}
	return time.Time{}
}

func (f logFormat) startsRecord(line []byte) bool { return patterns.StartsRecord(f.kind, line) }

// detectedFile is a file whose format is known.
type detectedFile struct {
	path   string
	format logFormat
	zone   *time.Location // the zone its source was configured with; nil: the default
}

// load reads every log file under paths into st. A file that cannot be read
// does not stop the others: it is reported in problems.
func load(ctx context.Context, paths []string, st *store.Store, opts loadOptions) (loadResult, error) {
	var res loadResult
	files, skipped, err := ingest.Discover(paths)
	for _, s := range skipped {
		slog.Warn("skipping", "path", s.Path, "reason", s.Reason)
	}
	if err != nil {
		return res, err
	}
	files = outsideConfig(files, opts.configRoot)
	var detected []detectedFile
	for _, series := range ingest.GroupSeries(files) {
		for _, f := range series.Files { // oldest first
			ov := opts.overrideFor(f.Path)
			fopts := opts
			if ov.format != patterns.KindUnknown {
				fopts.format = ov.format
			}
			d, err := detect(f, fopts)
			d.zone = ov.zone
			switch {
			case err == nil:
				detected = append(detected, d)
			case errors.Is(err, errEmpty) && !f.Named:
				slog.Info("skipping an empty file", "path", f.Path)
			case f.Named || ingest.NameHint(f.Path) != "":
				res.problems = append(res.problems, err)
			case errors.Is(err, fs.ErrPermission):
				slog.Warn("skipping an unreadable file", "path", f.Path, "err", err)
			default:
				slog.Info("skipping file", "path", f.Path, "reason", err)
			}
		}
	}
	if len(detected) == 0 && len(res.problems) > 0 {
		return res, errors.Join(res.problems...)
	}
	if len(detected) == 0 {
		return res, fmt.Errorf("%w in %s: no file holds a log format logcause reads (%v)", ingest.ErrNoFiles, strings.Join(paths, ", "), patterns.Kinds())
	}
	// Access logs first: their stamps carry the server's UTC offset, which
	// the zoneless logs of the same server share; then nginx's error logs,
	// whose lines name the requests of the access log (see zoneEvidence).
	slices.SortStableFunc(detected, func(a, b detectedFile) int { return cmp.Compare(readOrder(a), readOrder(b)) })
	watch := opts.watch
	if watch == nil {
		watch = noProgress{}
	}
	var total int64
	for _, d := range detected {
		if fi, err := os.Stat(d.path); err == nil {
			total += fi.Size()
		}
	}
	watch.Start(total, len(detected))
	defer watch.Finish()
	w := st.NewWriter()
	zones := newZoneEvidence()
	for i, d := range detected {
		watch.File(d.path, i+1)
		if err := ctx.Err(); err != nil {
			return res, err
		}
		zone, label := d.zone, ""
		if zone == nil {
			zone = opts.zone
		}
		if zone == nil {
			zone, label = zones.choose(d, opts.limits)
		} else {
			label = zoneLabel(zone)
		}
		src, err := readFile(d, opts.limits, zone, label, w, zones, watch)
		res.records += src.Records
		if err != nil {
			src.Error = err.Error()
			res.problems = append(res.problems, err)
		}
		res.sources = append(res.sources, src)
	}
	if err := w.Flush(); err != nil {
		return res, err
	}
	for _, src := range res.sources {
		if err := st.PutSource(src); err != nil {
			return res, err
		}
	}
	return res, nil
}

// outsideConfig leaves out the files of the servers' configuration
// (configRoot/etc/...) when the logs and a copy of it share a directory:
// php-fpm.conf is named like php-fpm's log.
func outsideConfig(files []ingest.File, configRoot string) []ingest.File {
	if configRoot == "" {
		return files
	}
	etc, err := filepath.Abs(filepath.Join(configRoot, "etc"))
	if err != nil {
		return files
	}
	return slices.DeleteFunc(files, func(f ingest.File) bool {
		p, err := filepath.Abs(f.Path)
		return err == nil && strings.HasPrefix(p, etc+string(filepath.Separator))
	})
}

func readOrder(d detectedFile) int {
	switch d.format.kind {
	case patterns.KindNginxAccess:
		return 0
	case patterns.KindNginxError:
		return 1
	}
	return 2
}

// open opens f and finds its format: opts.format, or a user's grok format
// that parses most of its first lines, or the built-in format detected from
// them. The Reader replays those lines.
func open(f ingest.File, opts loadOptions) (*ingest.Reader, logFormat, error) {
	r, err := ingest.Open(f.Path, opts.limits)
	if err != nil {
		return nil, logFormat{}, err
	}
	if opts.format != patterns.KindUnknown {
		return r, logFormat{kind: opts.format}, nil
	}
	sample, err := r.Sample(sampleLines)
	if err != nil && len(sample) == 0 {
		r.Close()
		return nil, logFormat{}, err
	}
	for _, g := range opts.grok {
		if grokMatches(g, sample) {
			return r, logFormat{kind: g.Kind, grok: g}, nil
		}
	}
	if len(opts.access) > 0 {
		if f, ok := patterns.DetectAccessFormat(sample, opts.access); ok && slices.Contains(opts.access, f) {
			return r, logFormat{kind: patterns.KindNginxAccess, access: f}, nil
		}
	}
	kind := patterns.Detect(sample)
	if kind == patterns.KindUnknown {
		r.Close()
		if len(sample) == 0 {
			return nil, logFormat{}, fmt.Errorf("cannot detect the format of %s: %w", f.Path, errEmpty)
		}
		if hint := ingest.NameHint(f.Path); hint != "" {
			return nil, logFormat{}, fmt.Errorf("cannot detect the format of %s: it is named like a %s log, but its first lines do not parse as one (a log_format of your own? define it with --grok, or force a format with --log-format)", f.Path, hint)
		}
		return nil, logFormat{}, fmt.Errorf("cannot detect the format of %s: it is not a log logcause reads (%v), or it is binary; pass --log-format to force one, or --grok to define it", f.Path, patterns.Kinds())
	}
	return r, logFormat{kind: kind}, nil
}

// grokMatches reports whether g parses more than half of the non-blank
// sample lines.
func grokMatches(g *patterns.GrokFormat, sample [][]byte) bool {
	p := g.Parser(time.UTC)
	var ev patterns.Event
	n, ok := 0, 0
	for _, l := range sample {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		n++
		if p.Parse(l, &ev) == nil {
			ok++
		}
	}
	return ok*2 > n
}

// detect finds f's format and closes it again: files are read one at a
// time, so a directory of thousands of logs needs one descriptor.
func detect(f ingest.File, opts loadOptions) (detectedFile, error) {
	r, format, err := open(f, opts)
	if err != nil {
		return detectedFile{}, err
	}
	r.Close()
	return detectedFile{path: f.Path, format: format}, nil
}

func zoneLabel(loc *time.Location) string {
	if loc == time.Local {
		name, off := time.Now().In(loc).Zone()
		return fmt.Sprintf("Local (%s, %s)", name, analyze.FormatOffset(off))
	}
	return loc.String()
}

// parseZone reads a --tz value: "Local", an IANA name, or an offset ±HH:MM.
func parseZone(s string) (*time.Location, error) {
	switch {
	case s == "":
		return nil, nil
	case strings.EqualFold(s, "local"):
		return time.Local, nil
	case strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-"):
		h, m, ok := strings.Cut(s[1:], ":")
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil || hh > 14 || mm > 59 {
			return nil, usagef("invalid --tz %q: write an offset as +HH:MM or -HH:MM", s)
		}
		off := (hh*3600 + mm*60)
		if s[0] == '-' {
			off = -off
		}
		return time.FixedZone("UTC"+analyze.FormatOffset(off), off), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, usagef("invalid --tz %q: %v (use an IANA name such as Europe/Paris, an offset such as +01:00, or Local)", s, err)
	}
	return loc, nil
}

// readFile reads one file's records into w.
func readFile(d detectedFile, limits ingest.Limits, zone *time.Location, zoneLabel string, w *store.Writer, zones *zoneEvidence, watch progress) (timeline.Source, error) {
	src := timeline.Source{Path: d.path, Format: d.format.kind.String(), TZ: zoneLabel}
	r, err := ingest.Open(d.path, limits)
	if err != nil {
		return src, err
	}
	defer r.Close()
	var reported int64
	tell := func() {
		if c := r.Consumed(); c > reported {
			watch.Add(c - reported)
			reported = c
		}
	}
	defer tell()
	unparsed := func(rec []byte, err error) {
		src.Unparsed++
		if len(src.Samples) < unparsedToKeep {
			src.Samples = append(src.Samples, string(rec[:min(len(rec), sampleBytes)]))
		}
		slog.Debug("unparsed record", "path", src.Path, "err", err)
	}
	if d.format.kind == patterns.KindNginxAccess && d.format.grok == nil {
		src.TZ = "from the log ($time_local offset)"
		var a patterns.AccessLine
		parse := patterns.ParseAccess // the combined family and JSON lines
		if d.format.access != nil {
			parse = d.format.access.Parse // a log_format of the user's
		}
		err = r.Records(func([]byte) bool { return true }, func(rec []byte, off int64) error {
			if src.Records++; src.Records%16384 == 0 {
				tell()
			}
			if perr := parse(rec, &a); perr != nil {
				unparsed(rec, perr)
				return nil
			}
			if a.Status < 0 {
				return nil // a format without $status counts no request
			}
			zones.offsets[a.ZoneOffset]++
			if werr := w.Request(a.Time, a.Status, a.UpstreamAddr); werr != nil {
				return werr
			}
			if !analyze.Failed(a.Status) {
				return nil // counted in the rollup; only failed requests are kept in full, as keep says
			}
			zones.requests.Add(analyze.Sighting{Client: string(a.RemoteAddr), Request: string(a.Method) + " " + string(a.URI), Time: a.Time})
			return w.Event(&patterns.Event{
				Time: a.Time, Kind: patterns.KindNginxAccess, Path: src.Path, Offset: off,
				Text: string(rec), Access: a.Access(),
			})
		})
	} else {
		p, perr := d.format.parser(zone, modTime(d.path))
		if perr != nil {
			return src, perr
		}
		err = r.Records(d.format.startsRecord, func(rec []byte, off int64) error {
			if src.Records++; src.Records%16384 == 0 {
				tell()
			}
			ev := new(patterns.Event)
			if perr := p.Parse(rec, ev); perr != nil {
				if !errors.Is(perr, patterns.ErrNoEvent) {
					unparsed(rec, perr)
				}
				return nil
			}
			ev.Path, ev.Offset = src.Path, off
			if counted(ev) {
				if werr := w.Request(ev.Time, ev.Access.Status, []byte(ev.Access.UpstreamAddr)); werr != nil {
					return werr
				}
			}
			if !keep(ev) {
				return nil
			}
			return w.Event(ev)
		})
	}
	st := r.Stats()
	src.Cut = st.CutLines + st.CutRecords
	return src, err
}
