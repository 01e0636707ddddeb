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
	KindFPMSlow          // PHP-FPM slow log (request_slowlog_timeout stack traces)
	KindMySQLSlow        // MySQL / MariaDB / Percona slow query log
	KindMySQLError       // MySQL / MariaDB error log
	KindSyslog           // syslog, kern.log, journal exports, dmesg: kernel OOM killer and systemd lines
	KindApacheError      // Apache httpd error log (mod_proxy errors)
	KindHAProxy          // HAProxy HTTP log
	numKinds
)

var kindNames = [numKinds]string{
	KindUnknown:     "unknown",
	KindNginxAccess: "nginx_access",
	KindNginxError:  "nginx_error",
	KindFPMError:    "fpm_error",
	KindFPMSlow:     "fpm_slow",
	KindMySQLSlow:   "mysql_slow",
	KindMySQLError:  "mysql_error",
	KindSyslog:      "syslog",
	KindApacheError: "apache_error",
	KindHAProxy:     "haproxy",
}

// String returns the kind's stable name, as used in --format and in reports.
func (k Kind) String() string {
	if k >= numKinds {
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
	return kindNames[k]
}

// Kinds lists every kind this package parses, in a stable order.
func Kinds() []Kind {
	out := make([]Kind, 0, numKinds-1)
	for k := KindUnknown + 1; k < numKinds; k++ {
		if formats[k].newParser != nil {
			out = append(out, k)
		}
	}
	return out
}

// ParseKind turns a kind's name (see Kind.String) back into a Kind. Only
// kinds this package parses are accepted.
func ParseKind(name string) (Kind, error) {
	for k := KindUnknown + 1; k < numKinds; k++ {
		if kindNames[k] == name && formats[k].newParser != nil {
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
// sets is non-nil, matching Kind.
type Event struct {
	Time   time.Time // the record's instant, in UTC
	Kind   Kind
	Path   string // the file the record was read from
	Offset int64  // byte offset of the record's first byte in that file (decompressed)
	Text   string // the record as written (continuation lines joined with "\n")

	Access  *Access      // nginx_access
	Error   *NginxError  // nginx_error
	FPM     *FPMError    // fpm_error
	FPMSlow *FPMSlow     // fpm_slow
	Slow    *SlowQuery   // mysql_slow
	MySQL   *MySQLError  // mysql_error
	Syslog  *Syslog      // syslog
	Apache  *ApacheError // apache_error
	HAProxy *HAProxy     // haproxy
}

// Access holds the fields of one nginx access-log line. Names follow the
// nginx variables. Numbers that the line does not carry are -1. (The store
// keeps events as JSON; omitzero keeps the unlogged fields out of it.)
type Access struct {
	RemoteAddr    string `json:",omitzero"`
	RemoteUser    string `json:",omitzero"`
	Method        string `json:",omitzero"`
	URI           string `json:",omitzero"` // request target as logged (path and query)
	Protocol      string `json:",omitzero"`
	Status        int    `json:",omitzero"`
	BodyBytesSent int64  `json:",omitzero"`
	HTTPReferer   string `json:",omitzero"`
	HTTPUserAgent string `json:",omitzero"`

	// From formats that log them (see AccessFormat); "" / -1 / 0 otherwise.
	RequestTime          float64                   `json:",omitzero"` // $request_time, seconds; -1 when not logged
	Host                 string                    `json:",omitzero"` // $host, else $http_host, else $server_name
	Connection           int64                     `json:",omitzero"` // $connection (the error log's *CID); 0 when not logged
	RequestID            string                    `json:",omitzero"` // $request_id (ingress-nginx: $req_id)
	XForwardedFor        string                    `json:",omitzero"` // $http_x_forwarded_for
	UpstreamAddr         string                    `json:",omitzero"` // the $upstream_* lists as logged: "10.0.0.7:9000, 10.0.0.8:9000 : unix:/run/php.sock"
	UpstreamStatus       string                    `json:",omitzero"` // "502, 502"; see UpstreamStatuses, UpstreamAttempts
	UpstreamResponseTime string                    `json:",omitzero"` // "0.100, -"
	UpstreamConnectTime  string                    `json:",omitzero"`
	UpstreamHeaderTime   string                    `json:",omitzero"`
	Extra                [MaxAccessExtra]AccessVar `json:",omitzero"` // the other variables logged, in order; unused entries are zero
}

// NginxError holds the fields of one nginx error-log record.
type NginxError struct {
	Level      string `json:",omitzero"` // emerg alert crit error warn notice info debug
	PID        int    `json:",omitzero"`
	TID        int    `json:",omitzero"`
	Connection int64  `json:",omitzero"` // the *CID connection serial; 0 when the record has none
	Message    string `json:",omitzero"` // the message without the ", client: …" context and without " while …"
	Errno      int    `json:",omitzero"` // the errno in "(111: Connection refused)"; 0 when absent
	Action     string `json:",omitzero"` // the text after " while ", e.g. "connecting to upstream"
	Client     string `json:",omitzero"`
	Server     string `json:",omitzero"`
	Request    string `json:",omitzero"`
	Upstream   string `json:",omitzero"`
	Host       string `json:",omitzero"`
	Referrer   string `json:",omitzero"`
}

// FPMError holds the fields of one PHP-FPM error-log line.
type FPMError struct {
	Level   string `json:",omitzero"` // DEBUG NOTICE WARNING ERROR ALERT
	Pool    string `json:",omitzero"` // from "[pool www]"; empty for master-process messages
	Child   int    `json:",omitzero"` // the child pid the message is about; 0 when none
	Message string `json:",omitzero"` // the message after "LEVEL: " (and after "[pool NAME] ")

	// From "executing too slow" and "execution timed out" messages:
	Script   string  `json:",omitzero"` // the script's path
	Request  string  `json:",omitzero"` // "METHOD URI[?QUERY]"
	Duration float64 `json:",omitzero"` // seconds the request had run; 0 when not logged
}

// FPMSlow is one entry of a PHP-FPM slow log: the stack of a request that
// ran past request_slowlog_timeout.
type FPMSlow struct {
	Pool   string
	PID    int
	Script string  // script_filename
	Frames []Frame // innermost first, as logged
	// DumpFailed: the entry ends with "+++ dump failed", php-fpm could not
	// read the rest of the stack.
	DumpFailed bool
}

// Frame is one stack frame of a PHP-FPM slow-log entry.
type Frame struct {
	Function string // e.g. "curl_exec", "PDOStatement->execute", "[INCLUDE_OR_EVAL]"
	File     string
	Line     int
}

// SlowQuery is one entry of a MySQL, MariaDB or Percona slow query log, or
// the header the server writes when it opens the log (Restart): a header in
// the middle of a file means the server restarted.
type SlowQuery struct {
	Restart      bool   // the record is the server's header, not a query
	Server       string // for a header: the server binary and version line
	User         string
	Host         string
	IP           string
	Schema       string
	ThreadID     int64
	QueryTime    float64 // seconds
	LockTime     float64 // seconds
	RowsSent     int64
	RowsExamined int64
	RowsAffected int64
	BytesSent    int64
	Query        string
	Fingerprint  string            // the query with literals and lists collapsed, as pt-query-digest groups it
	QueryID      string            // stable id of Fingerprint (16 hex digits)
	Extra        map[string]string // the other "# Key: value" attributes, keys in snake_case
}

// MySQLError is one record of a MySQL or MariaDB error log.
type MySQLError struct {
	Level     string // System, ERROR, Warning, Note (as logged)
	Code      string // MySQL 8 error code, e.g. MY-010931
	Subsystem string // Server, InnoDB, ...
	ThreadID  int64
	Message   string
	Event     string // start, ready, shutdown, crash, aborted_connection; empty for other messages
}

// Syslog is one line of a syslog file, kern.log, a journal export or dmesg,
// with the kernel OOM killer's and systemd's OOM messages decoded.
type Syslog struct {
	Host      string
	Program   string // "kernel", "systemd", ...
	PID       int
	Message   string
	Event     string // oom_invoked, oom_kill, oom_reaped, unit_oom_killed; empty for other lines
	VictimPID int    // the process the OOM killer killed
	Comm      string // its command name (15 bytes at most)
	AnonRSSKB int64
	TotalVMKB int64
	Unit      string // the systemd unit or memory cgroup, when logged
}

// ApacheError is one record of an Apache httpd error log.
type ApacheError struct {
	Module   string // proxy_http, proxy_fcgi, core, ... (2.4); empty in 2.2
	Level    string
	PID      int
	TID      int64
	Client   string
	APRCode  int    // the "(70007)" status before the message ("(EAI 2)" is 670002, "(OS 10060)" 730060); 0 when absent
	Code     string // the AH error id, e.g. AH01102
	Message  string
	Upstream string // the backend named in the message, when one is
	Referer  string // the ", referer: URL" httpd appends, removed from Message
}

// HAProxy is one line of an HAProxy log: an HTTP or TCP log line, or (see
// LogFormat) a connection error or a process message. Numbers a line does not
// carry are 0, timers -1.
type HAProxy struct {
	Client           string
	Frontend         string
	Backend          string
	Server           string
	TR, Tw, Tc, Tr   int // milliseconds; -1 when the phase was not reached (TR, Tr: always in TCP logs)
	Ta               int // Ta, or Tt in TCP logs and HAProxy 1.x HTTP logs: the total
	Status           int
	BytesRead        int64
	TerminationState string // 4 characters in HTTP logs, e.g. "sH--"; 2 in TCP logs, e.g. "SC"
	ActConn          int
	FeConn           int
	BeConn           int
	SrvConn          int
	Retries          int
	SrvQueue         int
	BackendQueue     int
	Method           string
	URI              string
	Protocol         string
	LogFormat        string // http, tcp, error (connection errors), default ("Connect from"), message (process messages)
	TLS              bool   // the frontend name was logged with the "~" of an SSL/TLS listener (removed from Frontend)
	Host             string // the syslog header's host name, when the line has one
	PID              int    // the syslog tag's pid, when the line has one
	Message          string // the text of error lines and process messages
}
