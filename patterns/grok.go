package patterns

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"os"
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
// A grok file holds pattern definitions, one per line: `NAME pattern`.
// A definition named LOGCAUSE_<KIND> (e.g. LOGCAUSE_NGINX_ACCESS) defines a
// format of that kind. Its named captures are the fields of the kind, named
// as `logcause parse` prints them (remote_addr, status, request, …; for the
// time: time_local, time_iso8601, msec or time).

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
func (f *GrokFormat) Parser(loc *time.Location) Parser { return grokParser{f, loc} }

type grokParser struct {
	f   *GrokFormat
	loc *time.Location
}

func (p grokParser) Parse(rec []byte, ev *Event) error {
	m, err := p.f.g.Parse("%{"+p.f.Name+"}", string(rec))
	if err != nil || len(m) == 0 { // the library answers a non-match with an empty map
		return malformed(p.f.Kind, "does not match "+p.f.Name)
	}
	var out Event
	out.Kind, out.Text = p.f.Kind, string(rec)
	if out.Time, err = grokTime(m, p.loc); err != nil {
		return malformed(p.f.Kind, err.Error())
	}
	if err := grokFields[p.f.Kind](m, &out); err != nil {
		return malformed(p.f.Kind, err.Error())
	}
	*ev = out
	return nil
}

// grokTime reads the record's instant from the captures.
func grokTime(m map[string]string, loc *time.Location) (time.Time, error) {
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
	for _, layout := range []string{"2006/01/02 15:04:05", "02-Jan-2006 15:04:05", "02-Jan-2006 15:04:05.000000",
		time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("no time capture (time_local, time_iso8601, msec or time) in a known layout: %q", v)
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
		f.Child, _ = strconv.Atoi(m["child"])
		ev.FPM = f
		return nil
	},
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}
