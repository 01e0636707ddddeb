package patterns

import (
	"fmt"
	"time"
)

// format is what the package knows of one kind of log. Each kind's file
// registers its format from an init function, so that adding a kind touches
// no shared switch.
type format struct {
	// newParser returns the kind's parser; loc is the zone of stamps that
	// carry none, never nil; ref is the reference instant for stamps that
	// carry no year (the file's modification time), or zero.
	newParser func(loc *time.Location, ref time.Time) Parser
	// starts reports whether a physical line begins a record; nil means
	// every line does (single-line formats). Multi-line formats count the
	// printable lines after a record start as its continuation in Detect.
	starts func(line []byte) bool
	// matches reports whether a line is a valid record, or a valid first
	// line of one, of this kind. Detect calls it on every sample line: it
	// must not allocate.
	matches func(line []byte) bool
	// appendFields appends the kind's JSON fields, each as `,"name":value`.
	appendFields func(dst []byte, e *Event) []byte
}

var formats [numKinds]format

// register records the format of kind k. It is called from init functions.
func register(k Kind, f format) {
	if k == KindUnknown || k >= numKinds || formats[k].newParser != nil {
		panic(fmt.Sprintf("patterns: bad or duplicate registration of kind %d", k))
	}
	if f.newParser == nil || f.matches == nil || f.appendFields == nil {
		panic(fmt.Sprintf("patterns: incomplete format for %s", k))
	}
	formats[k] = f
}
