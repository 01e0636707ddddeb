package patterns

import (
	"errors"
	"fmt"
	"time"
)

// ErrMalformed is wrapped by every parse error: errors.Is(err, ErrMalformed)
// tells a record that does not fit its format from any other failure. The
// error's message says briefly what was wrong, e.g.
// "malformed nginx_access record: no closing quote after request".
var ErrMalformed = errors.New("malformed record")

// ErrNoEvent is returned by Parse for a record that is valid but yields no
// event of its own, such as a MySQL slow log "# Time:" line shared by the
// entries after it. It is not a parse failure: callers skip the record.
var ErrNoEvent = errors.New("record yields no event of its own")

// parseError is a parse failure. The parsers return package-level values of
// it, so that rejecting a line allocates nothing.
type parseError struct {
	msg string
}

func (e *parseError) Error() string { return e.msg }
func (e *parseError) Unwrap() error { return ErrMalformed }

// malformed builds the error returned for records of kind k that fail for
// the reason what.
func malformed(k Kind, what string) error {
	return &parseError{msg: "malformed " + k.String() + " record: " + what}
}

// Parser turns one record into one Event.
type Parser interface {
	// Parse parses rec — one record without its trailing newline; for
	// multi-line records the physical lines joined by '\n' — into ev. It sets
	// ev.Time (UTC), ev.Kind, ev.Text (a copy of rec) and the kind's field set
	// (ev.Access, ev.Error or ev.FPM, freshly allocated; the others nil); the
	// caller sets Path and Offset. rec is not retained. The string fields of
	// the field set are substrings of ev.Text, so they cost no further copy.
	// On error ev is left unchanged and the error wraps ErrMalformed.
	Parse(rec []byte, ev *Event) error
}

// ParserInto is a Parser that can parse into the caller's Event and field
// set, allocating nothing: ev.Text is text, which must hold rec's bytes
// (string(rec), or rec's bytes themselves — unsafe.String — for as long
// as the caller keeps them unchanged), and the kind's field set is the
// one of into, overwritten (ev.Error is &into.Error, ev.FPM &into.FPM).
// The string fields are substrings of text. nginx's error log and
// php-fpm's are parsed so by a batch load, whose store encodes each event
// as it takes it: an outage's hundreds of thousands of lines, two
// allocations each.
type ParserInto interface {
	Parser
	ParseInto(rec []byte, text string, ev *Event, into *FieldSets) error
}

// FieldSets holds a field set of each kind a ParserInto parses into.
type FieldSets struct {
	Error NginxError
	FPM   FPMError
}

var (
	_ ParserInto = nginxErrorParser{}
	_ ParserInto = fpmParser{}
)

// Deferrer is a Parser that can leave the costliest, stateless part of
// each record's parse to a Classifier, run apart (on another goroutine,
// in the same order): after Defer, Parse's events are complete only once
// the Classifier has classified them. The slow log's parser is one: its
// entries' fingerprints and ids.
type Deferrer interface {
	Parser
	Defer() Classifier
}

// Classifier completes the events of a Parser after Defer. It is not safe
// for concurrent use: one goroutine at a time.
type Classifier interface {
	Classify(ev *Event)
}

// NewParser returns the parser for k. loc is the zone of stamps that carry no
// zone (nginx error log, PHP-FPM log); it must not be nil, for any kind. It
// returns an error for KindUnknown and for kinds it does not know.
// A Parser may keep state from one record to the next within a file (the
// MySQL slow log's "# Time:" line is shared by the entries that follow it):
// use one Parser per file, fed in file order, from one goroutine.
func NewParser(k Kind, loc *time.Location) (Parser, error) {
	if loc == nil {
		return nil, fmt.Errorf("cannot make %s parser: nil time zone (pass time.Local or the zone the log was written in)", k)
	}
	return NewParserAt(k, loc, time.Time{})
}

// NewParserAt is NewParser with a reference instant for stamps that carry
// no year (BSD syslog, HAProxy's syslog prefix): pass the modification time
// of the file. With a zero ref such stamps are rejected, never guessed.
func NewParserAt(k Kind, loc *time.Location, ref time.Time) (Parser, error) {
	if loc == nil {
		return nil, fmt.Errorf("cannot make %s parser: nil time zone (pass time.Local or the zone the log was written in)", k)
	}
	if k < numKinds && formats[k].newParser != nil {
		return formats[k].newParser(loc, ref), nil
	}
	return nil, fmt.Errorf("no parser for log kind %s (known: %v)", k, Kinds())
}

// StartsRecord reports whether line (one physical line, no newline) begins a
// new record of kind k. For nginx_error a record starts only at
// `YYYY/MM/DD HH:MM:SS [`; other physical lines are continuations (the lines
// of a `FastCGI sent in stderr` message). For fpm_error a record starts with
// `[DD-Mon-YYYY HH:MM:SS` (optionally `.ffffff`) `] `. For nginx_access every
// line starts a record, and so does every line of KindUnknown (or of a kind
// this package does not know).
//
// StartsRecord checks the shape of the stamp (digits, separators and, for
// fpm_error, an English month abbreviation), not whether the date exists.
func StartsRecord(k Kind, line []byte) bool {
	if k < numKinds && formats[k].starts != nil {
		return formats[k].starts(line)
	}
	return true
}

// MultiLine reports whether records of kind k may span several lines
// (StartsRecord tells where each begins); the others are one line each.
func MultiLine(k Kind) bool { return k < numKinds && formats[k].starts != nil }

// span is a half-open byte range [i, j) of a record.
type span struct{ i, j int }

func (s span) bytes(b []byte) []byte  { return b[s.i:s.j:s.j] }
func (s span) str(text string) string { return text[s.i:s.j] }

// stripCR drops one trailing carriage return, left by CRLF line ends.
func stripCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
