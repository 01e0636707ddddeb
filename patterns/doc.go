// Package patterns answers one question: what does this log record say?
// It turns one record (a line, or a line with its continuation lines) into
// one typed Event, detects which kind of log a file is, and defines the Event
// model that every later stage reads.
//
// Built-in formats are parsed by hand-written scanners, not regular
// expressions: they sit on the hot path of every ingest.
//
// The pieces: NewParser gives the Parser of a Kind (nginx access log in the
// combined format, nginx error log, PHP-FPM error log); StartsRecord frames
// physical lines into records for the multi-line kinds; Detect guesses the
// kind of a file from its first lines; ParseCombined is the allocation-free
// access-log path for callers that aggregate without keeping events; and
// Event.AppendJSON prints an event for `logcause parse`. CompileLogFormat
// compiles an nginx log_format; reading the servers' configuration, the
// log_format directives of nginx.conf included, is package stackconf's.
//
// Every parser works on any input without panicking, in time linear in the
// size of the record, and reports a record that does not fit its format with
// an error wrapping ErrMalformed. Stamps without a zone (nginx error log,
// PHP-FPM) are read in the location given to NewParser; Event.Time is UTC.
package patterns
