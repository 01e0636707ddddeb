package patterns

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/internal/lineartest"
)

// fuzzFormats are the formats FuzzAccessFormatParse picks from.
func fuzzFormats(tb testing.TB) []*AccessFormat {
	fs := append(BuiltinAccessFormats(), JSONAccessFormat())
	seen := map[string]bool{}
	for _, tc := range formatCases {
		if seen[tc.escape+tc.format] {
			continue
		}
		seen[tc.escape+tc.format] = true
		f, err := CompileLogFormat("fuzz", tc.escape, tc.format)
		if err != nil {
			tb.Fatal(err)
		}
		fs = append(fs, f)
	}
	return fs
}

// checkAccessLine checks what every successful parse must give.
func checkAccessLine(t *testing.T, f *AccessFormat, line []byte, a *AccessLine) {
	t.Helper()
	for _, b := range [][]byte{a.RemoteAddr, a.RemoteUser, a.Method, a.URI, a.Protocol, a.HTTPReferer, a.HTTPUserAgent,
		a.Host, a.RequestID, a.XForwardedFor, a.UpstreamAddr, a.UpstreamStatus, a.UpstreamResponseTime, a.UpstreamConnectTime, a.UpstreamHeaderTime} {
		if !bytes.Contains(line, b) {
			t.Fatalf("field %q is not part of the line", b)
		}
	}
	for _, v := range a.Extra() {
		if !bytes.Contains(line, v.Value) || len(v.Name) == 0 {
			t.Fatalf("extra %q=%q is not part of the line", v.Name, v.Value)
		}
	}
	if a.Status < -1 || a.Status > 999 || a.BodyBytesSent < -1 || a.RequestTime < -1 || a.Connection < 0 {
		t.Fatalf("numbers out of range: %+v", a)
	}
	if a.Time.Location() != time.UTC || a.ZoneOffset <= -24*3600 || a.ZoneOffset >= 24*3600 {
		t.Fatalf("time %v zone %d", a.Time, a.ZoneOffset)
	}
	if f.HasTime() && a.Time.IsZero() {
		t.Fatal("no time from a format that logs one")
	}
	_ = a.LastUpstreamStatus()
	_ = a.LastUpstreamAddr()
	x := a.Access()
	_ = x.UpstreamStatuses()
	_ = x.UpstreamAddrs()
	if n := len(x.UpstreamAttempts()); n > len(line) {
		t.Fatalf("%d attempts from a %d-byte line", n, len(line))
	}
	if f.HasTime() {
		var ev Event
		if err := NewAccessParser(f).Parse(line, &ev); err != nil {
			t.Fatalf("Parser fails where Parse succeeds: %v", err)
		}
		if *ev.Access != *x || !ev.Time.Equal(a.Time) {
			t.Fatalf("Event differs:\n%+v\n%+v", *ev.Access, *x)
		}
		checkJSON(t, &ev, map[string]string{"uri": x.URI, "upstream_status": x.UpstreamStatus})
	}
}

func FuzzLogFormatCompile(f *testing.F) {
	for _, b := range BuiltinAccessFormats() {
		f.Add(b.Text(), "")
	}
	for _, tc := range formatCases {
		f.Add(tc.format, tc.escape)
	}
	f.Add(jsonText, "json")
	f.Add("${a}${b}$c$d x", "none")
	f.Add("$", "")
	f.Add("${", "html")
	f.Add("'\"\\\n\t", "")
	lines := [][]byte{[]byte(accessCases[0].line), []byte(combinedTailCases[2].line), []byte(jsonAccessCases[0].line)}
	f.Fuzz(func(t *testing.T, text, escape string) {
		ft, err := CompileLogFormat("f", escape, text)
		if err != nil {
			return
		}
		if len(ft.Variables()) > maxLogFormatVars || ft.Text() != text {
			t.Fatalf("%d variables, text %q", len(ft.Variables()), ft.Text())
		}
		// That String is a directive giving the same format back is
		// fuzzed by stackconf's FuzzLogFormatString.
		// The format parses its own text (as a line) and real lines
		// without panicking, in bounded time.
		for _, l := range append(lines, []byte(text)) {
			var a AccessLine
			if err := ft.Parse(l, &a); err == nil {
				checkAccessLine(t, ft, l, &a)
			} else if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
		}
	})
}

func FuzzAccessFormatParse(f *testing.F) {
	fs := fuzzFormats(f)
	for i, tc := range formatCases {
		f.Add(uint8(len(BuiltinAccessFormats())+1+i%len(fs)), []byte(tc.line))
	}
	for i := range fs {
		f.Add(uint8(i), []byte(combinedTailCases[i%len(combinedTailCases)].line))
		f.Add(uint8(i), []byte(jsonAccessCases[i%3].line))
	}
	for _, l := range physicalLines(readCorpus(f, ingressTestLog)) {
		f.Add(uint8(1), l)
	}
	f.Fuzz(func(t *testing.T, which uint8, line []byte) {
		ft := fs[int(which)%len(fs)]
		var a AccessLine
		err := ft.Parse(line, &a)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		checkAccessLine(t, ft, line, &a)
	})
}

func FuzzJSONAccess(f *testing.F) {
	for _, tc := range jsonAccessCases {
		f.Add([]byte(tc.line))
	}
	f.Add([]byte(`{"ts":1,"status":200,"a":{"b":[1,{"c":"]}"}]},"d":"\\\"","e":-1.5e3}`))
	f.Add([]byte(`{"@timestamp":"2026-11-23T14:02:10,5+0100","status":"200","request":"\u0047ET / HTTP/1.1"}`))
	jf := JSONAccessFormat()
	f.Fuzz(func(t *testing.T, line []byte) {
		var a AccessLine
		err := jf.Parse(line, &a)
		var b AccessLine
		err2 := ParseAccess(line, &b)
		if looksJSON(line) && (err == nil) != (err2 == nil) {
			t.Fatalf("ParseAccess and the JSON scanner disagree: %v / %v", err, err2)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if !looksJSON(line) || !a.JSONEscaped || a.Status < 0 {
			t.Fatalf("accepted without an object or a status: %+v", a)
		}
		checkAccessLine(t, jf, line, &a)
		x := a.Access()
		if *b.Access() != *x {
			t.Fatal("ParseAccess differs")
		}
		for _, s := range []string{x.URI, x.HTTPUserAgent, x.RequestID} {
			if strings.Contains(string(line), s) {
				continue
			}
			if !bytes.Contains(line, []byte{'\\'}) {
				t.Fatalf("%q changed without an escape in the line", s)
			}
		}
	})
}

// TestBoundedAccessWork feeds the compiled formats and the JSON scanner
// long lines built to make their searches work hard (many candidate
// literal positions, deep or long JSON); the work must grow linearly with
// the line (lineartest.Want).
func TestBoundedAccessWork(t *testing.T) {
	size := 4 << 20
	if raceEnabled || testing.Short() {
		size = 1 << 20
	}
	fill := func(prefix, unit, suffix string) func(int) []byte {
		head := lineartest.Filled(prefix, unit)
		return func(size int) []byte { return append(head(size), suffix...) }
	}
	none, _ := CompileLogFormat("n", "none", combinedText)
	lookahead, _ := CompileLogFormat("l", "", `$http_user_agent;$request_id|$status`)
	lists, _ := CompileLogFormat("u", "", `us=$upstream_status ua=$upstream_addr $status`)
	jsonFmt, _ := CompileLogFormat("j", "json", jsonText)
	stamp := `1.2.3.4 - - [23/Nov/2026:14:02:10 +0000] "`
	for _, tc := range []struct {
		name string
		f    *AccessFormat
		line func(int) []byte
	}{
		{"escape=none quotes", none, fill(stamp, `" `, `"`)},
		{"escape=none near-status", none, fill(stamp, `" 20`, `"`)},
		{"lookahead tokens", lookahead, fill("", ";", "|200")},
		{"long lists", lists, fill("us=", "502, ", "502 ua=x 200")},
		{"list separators", lists, fill("us=1", " : 1", "")},
		{"json escapes", jsonFmt, fill(`{"time":"`, `\"`, `"}`)},
		{"json scanner strings", JSONAccessFormat(), fill(`{"a":"`, `\\\"`, `"}`)},
		{"json scanner nesting", JSONAccessFormat(), fill(`{"ts":1,"status":200,"a":`, `[{"b":"]"},`, `]}`)},
		{"json scanner members", JSONAccessFormat(), fill(`{`, `"status":200,`, `"ts":1}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lineartest.Want(t, size, tc.line, func(line []byte) {
				var a AccessLine
				_ = tc.f.Parse(line, &a)
				_ = ParseAccess(line, &a)
				Detect([][]byte{line})
			})
		})
	}
}
