package patterns

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vjeantet/grok"
)

// Grok is the language of user-defined formats. The built-in formats are
// written in it too (grok/*.grok), as the reference the hand-written
// scanners are tested against; grok is never on their path: Go's regexp
// makes it about a thousand times slower (see BenchmarkGrokCombined).
//
// A grok file holds pattern definitions, one per line: `NAME pattern`
// (leading and trailing spaces are dropped: end a pattern with `[ ]` to
// match a space). A definition named LOGCAUSE_<KIND> (e.g.
// LOGCAUSE_NGINX_ACCESS) defines a format of that kind. Its named captures
// are the fields of the kind, named as `logcause parse` prints them
// (remote_addr, status, request, …; for the time: time_local, time_iso8601,
// msec, time — one of grokLayouts — or syslog_time, the stamp of a syslog
// header, used when there is no other). A name may be captured in several
// branches of a pattern: the branch that matched gives its value. Besides
// the JSON fields, some kinds read these captures:
//
//   - event (mysql_error, syslog): the phrase of the message that names the
//     event ("Aborted connection ", " invoked oom-killer: ", …, see
//     grokEvents), or the event's name itself;
//   - fpm_slow: frames, the lines after the header (its frame lines are
//     split in Go), dump_failed, any text when the entry says so;
//   - mysql_slow: priv_user, user_host_pairs and attributes (the "Key:
//     value" pairs of the User@Host line and of the "# …" lines, split in
//     Go), use (the last "use db;" line) and timestamp (SET timestamp=N,
//     the time of an entry without "# Time:");
//   - syslog: dmesg, any text for a line of dmesg (program kernel);
//   - apache_error: remote, the ADDR of [remote ADDR] (the upstream when
//     upstream is not captured);
//   - haproxy: listener, the FRONTEND/BIND of a connection error;
//     log_format, when not captured, is http with request_ms, tcp with
//     total_ms, error with listener, default with client, else message.
//
// Stamps without a year (BSD syslog) need ParserAt's reference time.

//go:embed grok/*.grok
var builtinGrok embed.FS

// GrokFormat is a format defined by a grok pattern.
type GrokFormat struct {
	Kind Kind
	Name string // the LOGCAUSE_<KIND> definition
	g    *grok.Grok
}

// LoadGrokFile compiles the formats defined in a grok file. Compiling is
// done once, here: the formats may then be used by many goroutines.
func LoadGrokFile(path string) ([]*GrokFormat, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the grok file %s: %w", path, err)
	}
	fs, err := compileGrok(path, string(b))
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return nil, fmt.Errorf("cannot use the grok file %s: it defines no LOGCAUSE_<KIND> pattern (kinds: %v)", path, Kinds())
	}
	return fs, nil
}

// LoadGrokFiles compiles the formats defined in the grok files at paths,
// in their order (LoadGrokFile): the first that matches a line wins.
func LoadGrokFiles(paths []string) ([]*GrokFormat, error) {
	var formats []*GrokFormat
	for _, path := range paths {
		fs, err := LoadGrokFile(path)
		if err != nil {
			return nil, err
		}
		formats = append(formats, fs...)
	}
	return formats, nil
}

// BuiltinGrokFormats returns the grok definitions of the built-in formats.
func BuiltinGrokFormats() ([]*GrokFormat, error) {
	var out []*GrokFormat
	err := fs.WalkDir(builtinGrok, "grok", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := builtinGrok.ReadFile(p)
		if err != nil {
			return err
		}
		fs, err := compileGrok(p, string(b))
		out = append(out, fs...)
		return err
	})
	return out, err
}

// compileGrok compiles the LOGCAUSE_<KIND> definitions of one grok file.
func compileGrok(name, text string) ([]*GrokFormat, error) {
	g, err := grok.NewWithConfig(&grok.Config{NamedCapturesOnly: true})
	if err != nil {
		return nil, fmt.Errorf("cannot set up grok: %w", err)
	}
	var tops []string
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		def, pattern, ok := strings.Cut(line, " ")
		if !ok || strings.TrimSpace(pattern) == "" {
			return nil, fmt.Errorf("cannot read %s line %d: want `NAME pattern`", name, n)
		}
		if err := g.AddPattern(def, strings.TrimSpace(pattern)); err != nil {
			return nil, fmt.Errorf("cannot compile %s line %d (%s): %w", name, n, def, err)
		}
		if strings.HasPrefix(def, "LOGCAUSE_") {
			tops = append(tops, def)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	var out []*GrokFormat
	for _, def := range tops {
		kind, err := ParseKind(strings.ToLower(strings.TrimPrefix(def, "LOGCAUSE_")))
		if err != nil {
			return nil, fmt.Errorf("cannot use %s in %s: %w", def, name, err)
		}
		if grokFields[kind] == nil {
			return nil, fmt.Errorf("cannot use %s in %s: grok formats of kind %s are not supported yet", def, name, kind)
		}
		// Compile now, once, before any concurrent use (the library's alias
		// map is not safe for concurrent compilation).
		if _, err := g.Parse("%{"+def+"}", ""); err != nil {
			return nil, fmt.Errorf("cannot compile %s in %s: %w", def, name, err)
		}
		out = append(out, &GrokFormat{Kind: kind, Name: def, g: g})
	}
	return out, nil
}

// Parser returns a Parser for f; loc is the zone of stamps without one.
// Stamps without a year are rejected: see ParserAt.
func (f *GrokFormat) Parser(loc *time.Location) Parser { return f.ParserAt(loc, time.Time{}) }

// ParserAt is Parser with a reference instant for stamps that carry no year
// (BSD syslog, HAProxy's syslog header), as NewParserAt: pass the
// modification time of the file. Such a stamp is read in loc, in ref's year
// or, when that puts it more than a day after ref, the latest year before
// that does not. With a zero ref those stamps are rejected, never guessed.
func (f *GrokFormat) ParserAt(loc *time.Location, ref time.Time) Parser {
	return grokParser{f, loc, ref}
}

type grokParser struct {
	f   *GrokFormat
	loc *time.Location
	ref time.Time
}

func (p grokParser) Parse(rec []byte, ev *Event) error {
	mm, err := p.f.g.ParseToMultiMap("%{"+p.f.Name+"}", string(rec))
	if err != nil || len(mm) == 0 { // the library answers a non-match with an empty map
		return malformed(p.f.Kind, "does not match "+p.f.Name)
	}
	// A name may be captured in several branches of a pattern: its value
	// is that of the branch that matched, the first non-empty one.
	m := make(map[string]string, len(mm))
	for k, vs := range mm {
		for _, v := range vs {
			if v != "" {
				m[k] = v
				break
			}
		}
	}
	out := Event{Kind: p.f.Kind, Path: ev.Path, Offset: ev.Offset, Text: string(rec)}
	if out.Time, err = grokTime(m, p.loc, p.ref); err != nil {
		return malformed(p.f.Kind, err.Error())
	}
	if err := grokFields[p.f.Kind](m, &out); err != nil {
		return malformed(p.f.Kind, err.Error())
	}
	if out.Time.IsZero() {
		return malformed(p.f.Kind, "no time capture (time_local, time_iso8601, msec, time or syslog_time)")
	}
	*ev = out
	return nil
}

// grokLayouts are the layouts a time or syslog_time capture may have,
// tried in order; a fraction of a second after the seconds is read in every
// one, and a run of spaces matches a run of spaces (mysql's `081127  8:51:20`).
var grokLayouts = []string{
	"2006/01/02 15:04:05",      // nginx error log
	"02-Jan-2006 15:04:05",     // php-fpm
	time.RFC3339Nano,           // ISO 8601 with Z or ±hh:mm
	"2006-01-02T15:04:05Z0700", // ISO 8601 with ±hhmm (journalctl -o short-iso)
	"2006-01-02T15:04:05",      // ISO 8601 without a zone
	"2006-01-02 15:04:05",      // MariaDB, MySQL 5.6
	"060102 15:04:05",          // MySQL <= 5.5 error and slow logs
	"Mon Jan _2 15:04:05 2006", // Apache httpd, dmesg -T
	"02/Jan/2006:15:04:05",     // HAProxy's accept date
	"Jan _2 15:04:05",          // BSD syslog: no year, see ParserAt
}

// grokTime reads the record's instant from the captures: time_local
// (nginx's $time_local), time_iso8601, msec (epoch seconds), time (one of
// grokLayouts, zoneless ones read in loc), else syslog_time (the stamp of a
// syslog header, for records without a time of their own). It returns the
// zero time when there is none of them.
func grokTime(m map[string]string, loc *time.Location, ref time.Time) (time.Time, error) {
	if v := m["time_local"]; v != "" {
		t, err := time.Parse("02/Jan/2006:15:04:05 -0700", v)
		return t.UTC(), err
	}
	if v := m["time_iso8601"]; v != "" {
		t, err := time.Parse(time.RFC3339, v)
		return t.UTC(), err
	}
	if v := m["msec"]; v != "" {
		f, err := strconv.ParseFloat(v, 64)
		return time.UnixMilli(int64(f * 1000)).UTC(), err
	}
	v := m["time"]
	if v == "" {
		v = m["syslog_time"]
	}
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range grokLayouts {
		t, err := time.ParseInLocation(layout, v, loc)
		if err != nil {
			continue
		}
		if t.Year() == 0 { // a layout without the year
			return grokYear(t, loc, ref)
		}
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("bad time or unknown layout: %q", v)
}

// grokYear gives the stamp t, read without a year, the year that puts it at
// most a day after ref (see ParserAt).
func grokYear(t time.Time, loc *time.Location, ref time.Time) (time.Time, error) {
	if ref.IsZero() {
		return time.Time{}, fmt.Errorf("the stamp has no year and the parser was given no reference time (use ParserAt with the file's modification time)")
	}
	limit := ref.Add(24 * time.Hour)
	ry := ref.In(loc).Year()
	for y := ry; y > ry-9; y-- {
		c := time.Date(y, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
		if c.Day() != t.Day() { // Feb 29 of a common year
			continue
		}
		if !c.After(limit) {
			return c.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("no year within 9 years puts the stamp before the reference time")
}

// grokFields fill a kind's field set from the captures.
var grokFields = map[Kind]func(m map[string]string, ev *Event) error{
	KindNginxAccess: func(m map[string]string, ev *Event) error {
		a := &Access{
			RemoteAddr: dash(m["remote_addr"]), RemoteUser: dash(m["remote_user"]),
			Method: m["method"], URI: m["uri"], HTTPReferer: dash(m["http_referer"]), HTTPUserAgent: dash(m["http_user_agent"]),
			XForwardedFor: dash(m["http_x_forwarded_for"]), BodyBytesSent: -1, RequestTime: -1,
		}
		if v := m["request_time"]; v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("request_time %q", v)
			}
			a.RequestTime = f
		}
		if v := m["http_version"]; v != "" {
			a.Protocol = "HTTP/" + v
		}
		if a.Method == "" && a.URI == "" {
			a.URI = m["request"]
		}
		var err error
		if a.Status, err = strconv.Atoi(m["status"]); err != nil {
			return fmt.Errorf("status %q", m["status"])
		}
		if v := m["body_bytes_sent"]; v != "" {
			if a.BodyBytesSent, err = strconv.ParseInt(v, 10, 64); err != nil {
				return fmt.Errorf("body_bytes_sent %q", v)
			}
		}
		ev.Access = a
		return nil
	},
	KindNginxError: func(m map[string]string, ev *Event) error {
		e := &NginxError{Level: m["level"], Message: m["message"], Action: m["action"], Client: m["client"],
			Server: m["server"], Request: m["request"], Upstream: m["upstream"], Host: m["host"], Referrer: m["referrer"]}
		e.PID, _ = strconv.Atoi(m["pid"])
		e.TID, _ = strconv.Atoi(m["tid"])
		e.Connection, _ = strconv.ParseInt(m["connection"], 10, 64)
		e.Errno, _ = strconv.Atoi(m["errno"])
		ev.Error = e
		return nil
	},
	KindFPMError: func(m map[string]string, ev *Event) error {
		f := &FPMError{Level: m["level"], Pool: m["pool"], Message: m["message"]}
		f.Child, _ = strconv.Atoi(m["pid"])
		f.fillRequest() // derived from the message, as the scanner does
		ev.FPM = f
		return nil
	},
	KindFPMSlow: func(m map[string]string, ev *Event) error {
		x := &FPMSlow{Pool: m["pool"], Script: m["script"], DumpFailed: m["dump_failed"] != ""}
		pid, err := grokInt(m, "pid", 64)
		if err != nil {
			return err
		}
		x.PID = int(pid)
		// frames: the lines after the header; the frame lines among them.
		for _, l := range strings.Split(m["frames"], "\n") {
			f := fpmSlowFrameLine.FindStringSubmatch(strings.TrimSuffix(l, "\r"))
			if f == nil {
				continue
			}
			n, err := strconv.ParseUint(f[3], 10, 32)
			if err != nil {
				return fmt.Errorf("frame line %q", f[3])
			}
			x.Frames = append(x.Frames, Frame{Function: f[1], File: f[2], Line: int(n)})
		}
		ev.FPMSlow = x
		return nil
	},
	KindMySQLSlow: grokSlow,
	KindMySQLError: func(m map[string]string, ev *Event) error {
		e := &MySQLError{Level: m["level"], Code: m["code"], Subsystem: m["subsystem"], Message: m["message"], Event: grokEvent(m["event"])}
		var err error
		if e.ThreadID, err = grokInt(m, "thread_id", 64); err != nil {
			return err
		}
		ev.MySQL = e
		return nil
	},
	KindSyslog: func(m map[string]string, ev *Event) error {
		x := &Syslog{Host: m["host"], Program: m["program"], Message: m["message"], Event: grokEvent(m["event"]),
			Comm: m["comm"], Unit: m["unit"]}
		if m["dmesg"] != "" { // dmesg's lines are the kernel's
			x.Program = "kernel"
		}
		if err := grokInts(m, 64, []string{"pid", "victim_pid"}, &x.PID, &x.VictimPID); err != nil {
			return err
		}
		var err error
		if x.AnonRSSKB, err = grokInt(m, "anon_rss_kb", 64); err != nil {
			return err
		}
		if x.TotalVMKB, err = grokInt(m, "total_vm_kb", 64); err != nil {
			return err
		}
		ev.Syslog = x
		return nil
	},
	KindApacheError: func(m map[string]string, ev *Event) error {
		a := &ApacheError{Module: m["module"], Level: m["level"], Client: m["client"], Code: m["code"],
			Message: m["message"], Upstream: m["upstream"], Referer: m["referer"]}
		if err := grokInts(m, 32, []string{"pid"}, &a.PID); err != nil {
			return err
		}
		if v := m["tid"]; v != "" {
			t, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fmt.Errorf("tid %q", v)
			}
			a.TID = int64(t)
		}
		// apr_code: "70007", "EAI 2" (670000 + 2) or "OS 10060" (720000 + 10060).
		if v := m["apr_code"]; v != "" {
			base := 0
			switch {
			case strings.HasPrefix(v, "EAI "):
				base, v = aprStartEAIErr, v[4:]
			case strings.HasPrefix(v, "OS "):
				base, v = aprStartSysErr, v[3:]
			}
			n, err := strconv.Atoi(v)
			if err != nil || n == 0 {
				return fmt.Errorf("apr_code %q", m["apr_code"])
			}
			a.APRCode = base + n
		}
		// "Error reading from remote server returned by /x" names no backend.
		if a.Upstream == "returned" {
			a.Upstream = ""
		}
		if a.Upstream == "" {
			a.Upstream = m["remote"] // [remote ADDR]: the backend of a proxy connection
		}
		ev.Apache = a
		return nil
	},
	KindHAProxy: func(m map[string]string, ev *Event) error {
		h := &HAProxy{Client: m["client"], Frontend: m["frontend"], Backend: m["backend"], Server: m["server"],
			TR: -1, Tw: -1, Tc: -1, Tr: -1, Ta: -1, TerminationState: m["termination_state"],
			Method: m["method"], URI: m["uri"], Protocol: m["protocol"], LogFormat: m["log_format"],
			TLS: m["tls"] != "", Host: m["host"], Message: m["message"]}
		if h.LogFormat == "" {
			switch {
			case m["request_ms"] != "":
				h.LogFormat = "http"
			case m["total_ms"] != "":
				h.LogFormat = "tcp"
			case m["listener"] != "": // FRONTEND/BIND: of a connection error
				h.LogFormat = "error"
			case h.Client != "":
				h.LogFormat = "default"
			default:
				h.LogFormat = "message"
			}
		}
		if err := grokInts(m, 32, []string{"request_ms", "queue_ms", "connect_ms", "response_ms", "total_ms", "status",
			"actconn", "feconn", "beconn", "srv_conn", "retries", "srv_queue", "backend_queue", "pid"},
			&h.TR, &h.Tw, &h.Tc, &h.Tr, &h.Ta, &h.Status, &h.ActConn, &h.FeConn, &h.BeConn, &h.SrvConn, &h.Retries,
			&h.SrvQueue, &h.BackendQueue, &h.PID); err != nil {
			return err
		}
		var err error
		if h.BytesRead, err = grokInt(m, "bytes_read", 64); err != nil {
			return err
		}
		ev.HAProxy = h
		return nil
	},
}

// grokInt reads the capture name of m as a decimal number of at most bits
// bits; an absent capture is 0.
func grokInt(m map[string]string, name string, bits int) (int64, error) {
	v := m[name]
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(v, "+"), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%s %q", name, v)
	}
	return n, nil
}

// grokInts reads several captures with grokInt into dst; an absent capture
// leaves its dst unchanged.
func grokInts(m map[string]string, bits int, names []string, dst ...*int) error {
	for i, name := range names {
		if m[name] == "" {
			continue
		}
		v, err := grokInt(m, name, bits)
		if err != nil {
			return err
		}
		*dst[i] = int(v)
	}
	return nil
}

// grokEvents maps the text a pattern captures as event (the phrase that
// names it in the log) to the event; a capture that is already an event's
// name is kept.
var grokEvents = map[string]string{
	// mysql_error
	"Aborted connection ":     "aborted_connection",
	"got signal ":             "crash",
	"starting as process":     "start",
	"Starting MariaDB":        "start",
	"mysqld started":          "start",
	"mysqld restarted":        "start",
	": ready for connections": "ready",
	": Shutdown complete":     "shutdown",
	// syslog
	" invoked oom-killer: ":       "oom_invoked",
	"Killed process ":             "oom_kill",
	"Kill process ":               "oom_kill",
	"oom_reaper: reaped process ": "oom_reaped",
	": A process of this unit has been killed by the OOM killer": "unit_oom_killed",
	": Failed with result 'oom-kill'":                            "unit_oom_killed",
}

func grokEvent(v string) string {
	if e, ok := grokEvents[v]; ok {
		return e
	}
	return v
}

// fpmSlowFrameLine is one frame of a PHP-FPM slow-log entry, as php-fpm
// writes it (zlog in fpm_php_trace.c): `[0xADDRESS] FUNCTION() FILE:LINE`;
// the function ends at the first "() ", the file at the last colon.
var fpmSlowFrameLine = regexp.MustCompile(`^\[0x[0-9a-fA-F]{1,16}\] (.*?)\(\) (.+):([0-9]{1,10})$`)

// slowSeconds is a slow log's number of seconds: "2.475469", "2".
var slowSeconds = regexp.MustCompile(`^[0-9]+(?:\.[0-9]*)?$`)

// slowKeyName is an attribute key of a slow log, "Query_time".
var slowKeyName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// grokSlowPairs calls set for each "Key: value" pair of a slow-log
// attribute line: a value is the next word, empty when that word is itself
// a "Key:" (MariaDB's "Schema:   QC_hit: No").
func grokSlowPairs(line string, set func(k, v string)) {
	w := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
	isKey := func(s string) bool {
		k, rest, ok := strings.Cut(s, ":")
		return ok && rest == "" && slowKeyName.MatchString(k)
	}
	for i := 0; i < len(w); i++ {
		k, v, ok := strings.Cut(w[i], ":")
		if !ok || !slowKeyName.MatchString(k) {
			continue
		}
		if v == "" && i+1 < len(w) && !isKey(w[i+1]) {
			v = w[i+1]
			i++
		}
		set(k, v)
	}
}

// grokSlow fills a SlowQuery from the captures of LOGCAUSE_MYSQL_SLOW:
// user, priv_user, host, ip; user_host_pairs (the rest of the User@Host
// line) and attributes (the "# …" lines after it), split into pairs here;
// schema (the database of the last "use"), timestamp (SET timestamp) and
// query.
func grokSlow(m map[string]string, ev *Event) error {
	q := &SlowQuery{User: m["user"], Host: m["host"], IP: m["ip"]}
	priv := m["priv_user"]
	if q.User == "" {
		q.User = priv
	}
	if priv == q.User {
		priv = ""
	}
	extra := map[string]string{}
	var explain []string
	attrSchema, hasSchema := "", false
	set := func(k, v string) {
		lk := strings.ToLower(k)
		var err error
		switch lk {
		case "query_time", "lock_time":
			if !slowSeconds.MatchString(v) {
				break
			}
			var f float64
			if f, err = strconv.ParseFloat(v, 64); err == nil {
				if lk == "query_time" {
					q.QueryTime = f
				} else {
					q.LockTime = f
				}
				return
			}
		case "rows_sent", "rows_examined", "rows_affected", "bytes_sent", "id", "thread_id":
			var n int64
			if len(v) > 18 {
				break
			}
			if n, err = strconv.ParseInt(v, 10, 64); err != nil || strings.HasPrefix(v, "+") || strings.HasPrefix(v, "-") {
				break
			}
			switch lk {
			case "rows_sent":
				q.RowsSent = n
			case "rows_examined":
				q.RowsExamined = n
			case "rows_affected":
				q.RowsAffected = n
			case "bytes_sent":
				q.BytesSent = n
			default:
				if q.ThreadID == 0 {
					q.ThreadID = n
				}
			}
			return
		case "schema":
			attrSchema, hasSchema = v, true
			return
		}
		if slowReserved(lk) {
			lk = "attr_" + lk
		}
		extra[lk] = v
	}
	grokSlowPairs(m["user_host_pairs"], set)
	query, admin := m["query"], false
	for _, l := range strings.Split(m["attributes"], "\n") {
		l = strings.TrimSuffix(l, "\r")
		switch {
		case l == "":
		case strings.HasPrefix(l, "# administrator command:"):
			// The entry ends here: what follows is not read.
			query, admin = strings.TrimRight(l[2:], "; "), true
		case strings.HasPrefix(l, "# explain:"):
			explain = append(explain, strings.TrimLeft(l[len("# explain:"):], " "))
		default:
			grokSlowPairs(l[1:], set)
		}
		if admin {
			break
		}
	}
	// A "use" line beats the Schema attribute; after an administrator
	// command in the attributes no "use" line is read.
	if !admin && m["schema"] != "" {
		q.Schema = m["schema"]
	} else if hasSchema {
		q.Schema = attrSchema
	}
	if ev.Time.IsZero() && !admin && m["timestamp"] != "" {
		if ts, err := strconv.ParseInt(m["timestamp"], 10, 64); err == nil && ts > 0 && ts < 1e11 {
			ev.Time = time.Unix(ts, 0).UTC()
		}
	}
	if query == "" && !admin {
		query = m["use"] // "use db;" with no statement after it is the statement
	}
	q.Query = query
	if q.Query != "" {
		q.Fingerprint = Fingerprint(q.Query)
		q.QueryID = QueryID(q.Fingerprint)
	}
	if explain != nil {
		extra["explain"] = strings.Join(explain, "\n")
	}
	if priv != "" {
		extra["priv_user"] = priv
	}
	if len(extra) > 0 {
		q.Extra = extra
	}
	ev.Slow = q
	return nil
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}
