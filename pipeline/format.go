package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
)

// Options says how files are read.
type Options struct {
	// Zone is the zone of stamps without one; nil: learn it from the access
	// log read with them (batch), else the machine's.
	Zone   *time.Location
	Format patterns.Kind          // force this format on every file; KindUnknown: detect
	Grok   []*patterns.GrokFormat // user-defined formats, tried before the built-in ones
	// Access are the user's nginx log_formats (from nginx.conf), tried
	// before the built-in access formats.
	Access []*patterns.AccessFormat
	// ConfigRoot is where the servers' configuration is: the files under
	// its etc/ are configuration, not logs, when both share a directory.
	ConfigRoot string
	Limits     ingest.Limits
	Progress   Progress // nil: nobody watches
	// Workers is how many goroutines parse an access log, and nginx's or
	// PHP-FPM's error log, in a batch load (see readBlocks); 0: GOMAXPROCS;
	// 1: the load's own goroutine, record by record, as the daemon follows.
	Workers int
	// readAhead is how many blocks a parallel load reads ahead of its sink
	// (readBlocks); 0: blocksAhead. Tests set a few, so that small logs
	// go round the blocks' pool as big ones do.
	readAhead int
	// Overrides say, per configured source, the format and zone of the
	// files it matches; the first that matches a file wins.
	Overrides []Override
	// Since and Until clip the analysis of a batch (Analyze) to
	// [Since, Until); zero: the store's first or last instant. The load
	// reads the files whole all the same.
	Since, Until time.Time
}

// Override is what a configured source says of the files it matches.
type Override struct {
	Pattern string         // the source's path: a file, a directory or a glob
	Format  patterns.Kind  // KindUnknown: detect
	Zone    *time.Location // nil: the default zone
}

// Matches reports whether path is the source's file, under its directory,
// or matched by its glob.
func (o Override) Matches(path string) bool {
	if path == o.Pattern {
		return true
	}
	if ok, _ := filepath.Match(o.Pattern, path); ok {
		return true
	}
	rel, err := filepath.Rel(o.Pattern, path)
	return err == nil && rel != "." && !filepath.IsAbs(rel) && len(rel) > 0 && rel[0] != '.'
}

// overrideFor returns the override of the first configured source that
// matches path.
func (o Options) overrideFor(path string) Override {
	for _, ov := range o.Overrides {
		if ov.Matches(path) {
			return ov
		}
	}
	return Override{}
}

const (
	sampleLines    = 40 // lines read to detect a file's format
	unparsedToKeep = 3  // unparsed records sampled per source for the report
	sampleBytes    = 300
)

// ErrEmpty says a file holds nothing yet (a log just rotated).
var ErrEmpty = errors.New("the file is empty")

// Format is how a file is parsed: the built-in parser of a kind, a user's
// grok format of that kind, or one of the user's nginx log_formats.
type Format struct {
	Kind   patterns.Kind
	Grok   *patterns.GrokFormat
	Access *patterns.AccessFormat
}

// Parser returns the parser of one file: zone for stamps without a zone,
// the file's modification time for stamps without a year.
func (f Format) Parser(zone *time.Location, mtime time.Time) (patterns.Parser, error) {
	switch {
	case f.Grok != nil:
		return f.Grok.ParserAt(zone, mtime), nil
	case f.Access != nil:
		return patterns.NewAccessParser(f.Access), nil
	}
	return patterns.NewParserAt(f.Kind, zone, mtime)
}

// StartsRecord reports whether line begins a record of the format (the
// others continue a multi-line record).
func (f Format) StartsRecord(line []byte) bool { return patterns.StartsRecord(f.Kind, line) }

// RecordStart is StartsRecord for a format whose records may span lines,
// and nil for one whose records are single lines: a follower hands such a
// line on at once instead of waiting for a continuation that never comes.
func (f Format) RecordStart() func(line []byte) bool {
	if !patterns.MultiLine(f.Kind) {
		return nil
	}
	return f.StartsRecord
}

// stampsCarryZone reports whether every stamp of the format carries its UTC
// offset: nginx's access logs, read without a grok format, need no zone.
func (f Format) stampsCarryZone() bool {
	return f.Kind == patterns.KindNginxAccess && f.Grok == nil
}

// namesRequests reports whether a format's records name the requests they
// are about.
func (f Format) namesRequests() bool {
	return f.Grok == nil && (f.Kind == patterns.KindNginxError || f.Kind == patterns.KindFPMError)
}

// File is a log file whose format is known.
type File struct {
	Path   string
	Format Format
	Zone   *time.Location // the zone its source was configured with; nil: the default
}

// modTime is the modification time of path, or zero.
func modTime(path string) time.Time {
	if fi, err := os.Stat(path); err == nil {
		return fi.ModTime()
	}
	return time.Time{}
}

// Open opens f and finds its format: opts.Format, or a user's grok format
// that parses most of its first lines, or the built-in format detected from
// them. The Reader replays those lines, and stops once ctx is done.
func Open(ctx context.Context, f ingest.File, opts Options) (*ingest.Reader, Format, error) {
	r, err := ingest.OpenContext(ctx, f.Path, opts.Limits)
	if err != nil {
		return nil, Format{}, err
	}
	if opts.Format != patterns.KindUnknown {
		return r, Format{Kind: opts.Format}, nil
	}
	sample, err := r.Sample(sampleLines)
	if err != nil && len(sample) == 0 {
		r.Close()
		return nil, Format{}, err
	}
	for _, g := range opts.Grok {
		if grokMatches(g, sample) {
			return r, Format{Kind: g.Kind, Grok: g}, nil
		}
	}
	if len(opts.Access) > 0 {
		if f, ok := patterns.DetectAccessFormat(sample, opts.Access); ok && slices.Contains(opts.Access, f) {
			return r, Format{Kind: patterns.KindNginxAccess, Access: f}, nil
		}
	}
	kind := patterns.Detect(sample)
	if kind == patterns.KindUnknown {
		r.Close()
		if len(sample) == 0 {
			return nil, Format{}, fmt.Errorf("cannot detect the format of %s: %w", f.Path, ErrEmpty)
		}
		return nil, Format{}, &FormatError{Path: f.Path, Hint: ingest.NameHint(f.Path), Config: configuration(sample)}
	}
	return r, Format{Kind: kind}, nil
}

// FormatError says that a file's first lines hold no format logcause
// reads.
type FormatError struct {
	Path   string
	Hint   string // the format the file's name suggests (ingest.NameHint), or ""
	Config bool   // the first lines are clearly configuration
}

func (e *FormatError) Error() string {
	if e.Config {
		return fmt.Sprintf("cannot detect the format of %s: it holds configuration, not a log; give logcause the logs, and the directory that holds the servers' etc/ with --config-root", e.Path)
	}
	if e.Hint != "" {
		return fmt.Sprintf("cannot detect the format of %s: it is named like a %s log, but its first lines do not parse as one (a log_format of your own? define it with --grok, or force a format with --log-format)", e.Path, e.Hint)
	}
	return fmt.Sprintf("cannot detect the format of %s: it is not a log logcause reads (%v), or it is binary; pass --log-format to force one, or --grok to define it", e.Path, patterns.Kinds())
}

// Shapes of configuration lines (nginx, PHP-FPM and php.ini, MySQL's
// option files).
var (
	confSection = regexp.MustCompile(`^\[[^\]]+\]$`)                 // [www], [mysqld]
	confSetting = regexp.MustCompile(`^[A-Za-z_][\w.\-\[\]/:]*\s*=`) // pm.max_children = 4, php_admin_value[x]=y
	confPairs   = regexp.MustCompile(`\s[\w.\-]+=`)                  // a second key=value: logfmt, not a setting
	confBare    = regexp.MustCompile(`^[A-Za-z][\w\-]*$`)            // skip-name-resolve
)

// configuration reports whether a file's first lines are clearly
// configuration, not a log: each is blank, a comment, a [section], a
// setting (key = value), a directive ending in ';', a block's '{' or '}',
// an !include, a bare option, or a directive whose quoted value goes on
// over the next lines; and at least one is a section, a setting, a block
// or an include — a log of SQL statements and comments is not
// configuration.
func configuration(sample [][]byte) bool {
	quoted := func(l []byte) bool { return len(l) > 0 && (l[0] == '\'' || l[0] == '"') }
	marked := false
	for i, l := range sample {
		l = bytes.TrimSpace(l)
		if len(l) == 0 || l[0] == '#' || l[0] == ';' {
			continue
		}
		last := l[len(l)-1]
		switch {
		case confSection.Match(l), bytes.HasPrefix(l, []byte("!include")), last == '{', l[0] == '}':
			marked = true
		case confSetting.Match(l):
			if confPairs.Match(l) {
				return false
			}
			marked = true
		case last == ';', confBare.Match(l), quoted(l):
		case i+1 < len(sample) && quoted(bytes.TrimSpace(sample[i+1])): // log_format main '…'
		default:
			return false
		}
	}
	return marked
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
func detect(f ingest.File, opts Options) (File, error) {
	ov := opts.overrideFor(f.Path)
	if ov.Format != patterns.KindUnknown {
		opts.Format = ov.Format
	}
	r, format, err := Open(context.Background(), f, opts) // 40 lines at most
	if err != nil {
		return File{}, err
	}
	r.Close()
	return File{Path: f.Path, Format: format, Zone: ov.Zone}, nil
}

// Discover finds the log files under paths and their formats, oldest of
// each series first. What cannot be read — a missing path, a directory or
// a file that may not be read, a named file that is not a log — is
// returned in problems, and the rest is still found. Files met while
// walking a directory that hold no known format, or are compressed in a
// way logcause does not read, are skipped, unless they are named like a
// log logcause reads. err is set when no log was found.
func Discover(paths []string, opts Options) (files []File, problems []error, err error) {
	found, err := ingest.Discover(paths)
	for _, s := range found.Skipped {
		slog.Warn("skipping", "path", s.Path, "reason", s.Reason)
	}
	problems = found.Problems
	if err != nil {
		return nil, problems, err
	}
	for _, series := range ingest.GroupSeries(outsideConfig(found.Files, opts.ConfigRoot)) {
		for _, f := range series.Files { // oldest first
			d, err := detect(f, opts)
			var fe *FormatError
			switch {
			case err == nil:
				files = append(files, d)
			case errors.Is(err, ErrEmpty) && !f.Named:
				slog.Info("skipping an empty file", "path", f.Path)
			case errors.As(err, &fe) && !f.Named && (fe.Hint == "" || fe.Config),
				errors.Is(err, ingest.ErrUnsupportedCompression) && !f.Named && ingest.NameHint(f.Path) == "":
				slog.Info("skipping a file that is not a log", "path", f.Path, "reason", err)
			default:
				problems = append(problems, &FileError{Path: f.Path, Err: err})
			}
		}
	}
	if len(files) == 0 && len(problems) > 0 {
		return nil, problems, errors.Join(problems...)
	}
	if len(files) == 0 {
		return nil, problems, fmt.Errorf("%w in %s: no file holds a log format logcause reads (%v)", ingest.ErrNoFiles, strings.Join(paths, ", "), patterns.Kinds())
	}
	return files, problems, nil
}

// FileError is a log file that could not be read at all; Err says why,
// and names the file.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// LiveFiles returns the live file of each series of logs under paths, with
// its format, to be followed: rotated siblings are read by batch analysis,
// not followed. A live log that is empty (just rotated) takes the format
// its name tells.
func LiveFiles(paths []string, opts Options) ([]File, error) {
	found, err := ingest.Discover(paths)
	if err != nil {
		return nil, err
	}
	for _, p := range found.Problems {
		slog.Warn("not following", "problem", p)
	}
	var out []File
	for _, s := range ingest.GroupSeries(found.Files) {
		f := s.Files[len(s.Files)-1]
		d, err := LiveFile(f, opts)
		if err != nil {
			slog.Info("not following", "path", f.Path, "reason", err)
			continue
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no log to follow in %v", paths)
	}
	return out, nil
}

// LiveFile returns a live log to follow with its format: detected from its
// first lines, or, when they tell nothing (an empty file, just rotated or
// created), the format its name tells. The error says why f is not
// followed: not a log, or it cannot be read (a file named like a log is
// returned even then: following it says what stops it).
func LiveFile(f ingest.File, opts Options) (File, error) {
	d, err := detect(f, opts)
	if err == nil {
		return d, nil
	}
	kind, kerr := patterns.ParseKind(ingest.NameHint(f.Path))
	if kerr != nil {
		return File{}, err
	}
	return File{Path: f.Path, Format: Format{Kind: kind}, Zone: opts.overrideFor(f.Path).Zone}, nil
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
