package patterns

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/logcause/logcause/internal/lineartest"
)

// Crashers found by fuzzing are kept in testdata/fuzz/FuzzXxx.

// checkJSON checks that ev's JSON is valid and, for valid UTF-8, carries
// the given string fields back unchanged.
func checkJSON(t *testing.T, ev *Event, fields map[string]string) {
	t.Helper()
	out := ev.AppendJSON(nil)
	if !json.Valid(out) {
		t.Fatalf("invalid JSON: %s", out)
	}
	if !utf8.ValidString(ev.Text) {
		return
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range fields {
		if got, _ := m[k].(string); got != v {
			t.Fatalf("JSON %s = %q, want %q", k, got, v)
		}
	}
}

func isSubstring(text, s string) bool { return len(s) <= len(text) && strings.Contains(text, s) }

func FuzzCombined(f *testing.F) {
	for _, tc := range accessCases {
		f.Add([]byte(tc.line))
	}
	f.Add(append([]byte(accessCases[0].line), 0xff, '"'))
	for _, l := range physicalLines(readCorpus(f, filebeatNginxAccess)) {
		f.Add(l)
	}
	p, _ := NewParser(KindNginxAccess, time.UTC)
	f.Fuzz(func(t *testing.T, line []byte) {
		var a AccessLine
		err := ParseCombined(line, &a)
		var ev Event
		err2 := p.Parse(line, &ev)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("ParseCombined and Parse disagree: %v / %v", err, err2)
		}
		if (Detect([][]byte{line}) == KindNginxAccess) != (err == nil) {
			t.Fatalf("Detect disagrees with ParseCombined (%v)", err)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) || !errors.Is(err2, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if a.Time.Location() != time.UTC || ev.Time.Location() != time.UTC || !a.Time.Equal(ev.Time) {
			t.Fatalf("time not UTC or differs: %v %v", a.Time, ev.Time)
		}
		if a.Status < 0 || a.Status > 999 {
			t.Fatalf("status %d", a.Status)
		}
		if a.ZoneOffset <= -24*3600 || a.ZoneOffset >= 24*3600 {
			t.Fatalf("zone offset %d", a.ZoneOffset)
		}
		if a.BodyBytesSent < -1 {
			t.Fatalf("body_bytes_sent %d", a.BodyBytesSent)
		}
		for _, b := range [][]byte{a.RemoteAddr, a.RemoteUser, a.Method, a.URI, a.Protocol, a.HTTPReferer, a.HTTPUserAgent} {
			if !bytes.Contains(line, b) {
				t.Fatalf("field %q is not part of the line", b)
			}
		}
		if len(a.RemoteAddr) == 0 {
			t.Fatal("empty remote_addr")
		}
		if *ev.Access != *a.Access() || ev.Text != string(line) || ev.Kind != KindNginxAccess {
			t.Fatalf("Event differs: %+v vs %+v", *ev.Access, *a.Access())
		}
		checkJSON(t, &ev, map[string]string{"uri": a.Access().URI, "http_user_agent": a.Access().HTTPUserAgent})
	})
}

func FuzzNginxError(f *testing.F) {
	for _, tc := range nginxErrorCases {
		f.Add([]byte(tc.rec))
	}
	f.Add([]byte("2026/11/23 14:03:21 [error] 1#1: *5 a\nb, client: c, server: d, request: \"e\", host: \""))
	for _, r := range frame(KindNginxError, readCorpus(f, filebeatNginxError)) {
		f.Add(r.text)
	}
	p, _ := NewParser(KindNginxError, time.FixedZone("x", -7*3600))
	f.Fuzz(func(t *testing.T, rec []byte) {
		var ev Event
		err := p.Parse(rec, &ev)
		first, _, _ := bytes.Cut(rec, []byte("\n"))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if !StartsRecord(KindNginxError, first) {
			t.Fatal("parsed a record that StartsRecord rejects")
		}
		e := ev.Error
		if ev.Kind != KindNginxError || e == nil || ev.Access != nil || ev.FPM != nil || ev.Text != string(rec) {
			t.Fatalf("kind/field sets/text wrong: %+v", ev)
		}
		if ev.Time.Location() != time.UTC {
			t.Fatalf("time not UTC: %v", ev.Time)
		}
		if e.Level == "" || e.PID < 0 || e.TID < 0 || e.Connection < 0 || e.Errno < 0 {
			t.Fatalf("bad numbers or level: %#v", *e)
		}
		for _, s := range []string{e.Level, e.Message, e.Action, e.Client, e.Server, e.Request, e.Upstream, e.Host, e.Referrer} {
			if !isSubstring(ev.Text, s) {
				t.Fatalf("field %q is not part of the record", s)
			}
		}
		if len(e.Message)+len(e.Action)+len(e.Client)+len(e.Server)+len(e.Request)+len(e.Upstream)+len(e.Host)+len(e.Referrer) > len(rec) {
			t.Fatalf("fields overlap: %#v", *e)
		}
		if e.Client == "" && (e.Server != "" || e.Request != "" || e.Upstream != "" || e.Host != "" || e.Referrer != "") {
			t.Fatalf("context fields without client: %#v", *e)
		}
		checkJSON(t, &ev, map[string]string{"message": e.Message, "request": e.Request, "host": e.Host})
	})
}

func FuzzFPMError(f *testing.F) {
	for _, tc := range fpmCases {
		f.Add([]byte(tc.rec))
	}
	p, _ := NewParser(KindFPMError, time.FixedZone("x", 5*3600+1800))
	f.Fuzz(func(t *testing.T, rec []byte) {
		var ev Event
		err := p.Parse(rec, &ev)
		first, _, _ := bytes.Cut(rec, []byte("\n"))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if !StartsRecord(KindFPMError, first) {
			t.Fatal("parsed a record that StartsRecord rejects")
		}
		x := ev.FPM
		if ev.Kind != KindFPMError || x == nil || ev.Access != nil || ev.Error != nil || ev.Text != string(rec) {
			t.Fatalf("kind/field sets/text wrong: %+v", ev)
		}
		if ev.Time.Location() != time.UTC {
			t.Fatalf("time not UTC: %v", ev.Time)
		}
		if x.Level == "" || x.Child < 0 {
			t.Fatalf("bad level or child: %#v", *x)
		}
		for _, s := range []string{x.Level, x.Pool, x.Message} {
			if !isSubstring(ev.Text, s) {
				t.Fatalf("field %q is not part of the record", s)
			}
		}
		checkJSON(t, &ev, map[string]string{"message": x.Message, "pool": x.Pool})
	})
}

func FuzzDetect(f *testing.F) {
	f.Add([]byte(validNginxErrorRecords()))
	f.Add([]byte(validFPMRecords()))
	var b strings.Builder
	for _, tc := range accessCases {
		b.WriteString(tc.line + "\n")
	}
	f.Add([]byte(b.String()))
	f.Add([]byte("\x00\x01\xff\n\n\r\n"))
	f.Add(readCorpus(f, filebeatNginxError))
	f.Add(readCorpus(f, lnavDir+"logfile_bad_access_log.0"))
	f.Add(readCorpus(f, lnavDir+"logfile_syslog.0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Split(data, []byte("\n"))
		if k := Detect(lines); k >= numKinds {
			t.Fatalf("Detect = %v", k)
		}
		for _, l := range lines {
			for k := KindUnknown; k < numKinds; k++ {
				StartsRecord(k, l)
			}
		}
	})
}

// TestBoundedWork feeds every parser and Detect 10 MB lines built to make
// their searches work hard; the work must grow linearly with the line
// (lineartest.Want). Under the race detector or -short the lines are 1 MB.
func TestBoundedWork(t *testing.T) {
	size := 10 << 20
	if raceEnabled || testing.Short() {
		size = 1 << 20
	}
	stamp := "1.2.3.4 - - [23/Nov/2026:14:02:10 +0000] "
	errHead := "2026/11/23 14:03:25 [error] 1#1: *1 "
	fpmHead := "[23-Nov-2026 14:02:10] WARNING: "
	ea, _ := NewParser(KindNginxAccess, time.UTC)
	ee, _ := NewParser(KindNginxError, time.UTC)
	ef, _ := NewParser(KindFPMError, time.UTC)
	for _, tc := range []struct {
		name string
		p    Parser
		rec  func(int) []byte
	}{
		{"access quotes in request", ea, lineartest.Filled(stamp+`"`, `"`)},
		{"access near-status quotes", ea, lineartest.Filled(stamp+`"`, `" 20`)},
		{"access quotes in referer", ea, lineartest.Filled(stamp+`"GET / HTTP/1.1" 200 1 "`, `"x`)},
		{"access dashes before time", ea, lineartest.Filled("", " - ")},
		{"access junk", ea, lineartest.Filled("", "\xff\x00[")},
		{"error fake contexts", ee, lineartest.Filled(errHead, `, client: a, server: b, request: "`)},
		{"error rejected contexts", ee, lineartest.Filled(errHead, `, client: a b`)},
		{"error quotes", ee, lineartest.Filled(errHead+`x, client: a, server: b, request: "`, `"`)},
		{"error near-keys", ee, lineartest.Filled(errHead+`x, client: a, server: b, request: "`, `", hos`)},
		{"error parens", ee, lineartest.Filled(errHead, "(1")},
		{"error whiles", ee, lineartest.Filled(errHead, " while ")},
		{"error newlines", ee, lineartest.Filled(errHead, "\n, client: a")},
		{"fpm pool", ef, lineartest.Filled(fpmHead+"[pool ", "x")},
		{"fpm debug", ef, lineartest.Filled("[23-Nov-2026 14:02:10.1] DEBUG: pid 1, ", "f")},
		{"fpm child", ef, lineartest.Filled(fpmHead+"child ", "1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lineartest.Want(t, size, tc.rec, func(rec []byte) {
				var ev Event
				_ = tc.p.Parse(rec, &ev)
				Detect([][]byte{rec, rec})
			})
		})
	}
}
