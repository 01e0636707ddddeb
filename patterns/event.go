package patterns

import (
	"fmt"
	"time"
)

// Kind names the kind of log a record came from.
type Kind uint8

// The kinds of log logcause reads. The zero value is KindUnknown.
const (
	KindUnknown     Kind = iota
	KindNginxAccess      // nginx access log, log_format combined
	KindNginxError       // nginx error log
	KindFPMError         // PHP-FPM master error log (php-fpm.log)
	numKinds
)

var kindNames = [numKinds]string{
	KindUnknown:     "unknown",
	KindNginxAccess: "nginx_access",
	KindNginxError:  "nginx_error",
	KindFPMError:    "fpm_error",
}

// String returns the kind's stable name, as used in --format and in reports.
func (k Kind) String() string {
	if k >= numKinds {
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
	return kindNames[k]
}

// Kinds lists every known kind except KindUnknown, in a stable order.
func Kinds() []Kind {
	out := make([]Kind, 0, numKinds-1)
	for k := KindUnknown + 1; k < numKinds; k++ {
		out = append(out, k)
	}
	return out
}

// ParseKind turns a kind's name (see Kind.String) back into a Kind.
func ParseKind(name string) (Kind, error) {
	for k := KindUnknown + 1; k < numKinds; k++ {
		if kindNames[k] == name {
			return k, nil
		}
	}
	return KindUnknown, fmt.Errorf("unknown log format %q (known: %v)", name, Kinds())
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Event is one log record, parsed. Exactly one of the kind-specific field
// sets (Access, Error, FPM) is non-nil, matching Kind.
type Event struct {
	Time   time.Time // the record's instant, in UTC
	Kind   Kind
	Path   string // the file the record was read from
	Offset int64  // byte offset of the record's first byte in that file (decompressed)
	Text   string // the record as written (continuation lines joined with "\n")

	Access *Access
	Error  *NginxError
	FPM    *FPMError
}

// Access holds the fields of one nginx access-log line. Names follow the
// nginx variables. Numbers that the line does not carry are -1.
type Access struct {
	RemoteAddr    string
	RemoteUser    string
	Method        string
	URI           string // request target as logged (path and query)
	Protocol      string
	Status        int
	BodyBytesSent int64
	HTTPReferer   string
	HTTPUserAgent string
}

// NginxError holds the fields of one nginx error-log record.
type NginxError struct {
	Level      string // emerg alert crit error warn notice info debug
	PID        int
	TID        int
	Connection int64  // the *CID connection serial; 0 when the record has none
	Message    string // the message without the ", client: …" context and without " while …"
	Errno      int    // the errno in "(111: Connection refused)"; 0 when absent
	Action     string // the text after " while ", e.g. "connecting to upstream"
	Client     string
	Server     string
	Request    string
	Upstream   string
	Host       string
	Referrer   string
}

// FPMError holds the fields of one PHP-FPM error-log line.
type FPMError struct {
	Level   string // DEBUG NOTICE WARNING ERROR ALERT
	Pool    string // from "[pool www]"; empty for master-process messages
	Child   int    // the child pid the message is about; 0 when none
	Message string // the message after "LEVEL: " (and after "[pool NAME] ")
}
