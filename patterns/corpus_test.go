package patterns

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The public sample logs copied into the repository (see SOURCE.md there).
const corpusDir = "../testdata/corpus"

var (
	filebeatNginxError    = corpusDir + "/elastic-beats/filebeat/module/nginx/error/test/error.log"
	filebeatNginxExpected = corpusDir + "/elastic-beats/filebeat/module/nginx/error/test/error.log-expected.json"
	filebeatNginxAccess   = corpusDir + "/elastic-beats/filebeat/module/nginx/access/test/test.log"
	lnavDir               = corpusDir + "/tstack-lnav/test/"
	lnavShopAccess        = lnavDir + "logfile_shop_access_log.0"
)

func readCorpus(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("cannot read corpus file: %v", err)
	}
	return b
}

// physicalLines splits b at '\n'; a final line without newline counts.
func physicalLines(b []byte) [][]byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte("\n"))
	}
	return lines
}

// record is one framed record of a file and the offset of its first byte.
type record struct {
	offset int64
	text   []byte
}

// frame groups the physical lines of b into records of kind k with
// StartsRecord, as the ingest stage does. Lines before the first record
// start form a record of their own.
func frame(k Kind, b []byte) []record {
	var recs []record
	var off int64
	for _, l := range physicalLines(b) {
		if len(recs) == 0 || StartsRecord(k, l) {
			recs = append(recs, record{offset: off, text: append([]byte(nil), l...)})
		} else {
			last := &recs[len(recs)-1]
			last.text = append(append(last.text, '\n'), l...)
		}
		off += int64(len(l)) + 1
	}
	return recs
}

// rebuildNginxMessage puts the parsed parts of an error record back together
// in nginx's order: the text after "*CID " that nginx wrote.
func rebuildNginxMessage(e *NginxError) string {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Action != "" {
		b.WriteString(" while " + e.Action)
	}
	if e.Client == "" {
		return b.String()
	}
	b.WriteString(", client: " + e.Client + ", server: " + e.Server)
	for _, f := range []struct{ name, v string }{{"request", e.Request}, {"upstream", e.Upstream}, {"host", e.Host}, {"referrer", e.Referrer}} {
		if f.v != "" {
			b.WriteString(", " + f.name + `: "` + f.v + `"`)
		}
	}
	return b.String()
}

// TestFilebeatNginxError parses Filebeat's nginx error sample and compares
// the result with Filebeat's expected documents. Filebeat ran that test with
// event.timezone -02:00, so the zoneless stamps are read in UTC-2.
func TestFilebeatNginxError(t *testing.T) {
	var expected []map[string]any
	if err := json.Unmarshal(readCorpus(t, filebeatNginxExpected), &expected); err != nil {
		t.Fatal(err)
	}
	recs := frame(KindNginxError, readCorpus(t, filebeatNginxError))
	if len(recs) != len(expected) {
		t.Fatalf("framed %d records, Filebeat expects %d", len(recs), len(expected))
	}
	p, _ := NewParser(KindNginxError, time.FixedZone("-02:00", -2*3600))
	for i, r := range recs {
		want := expected[i]
		var ev Event
		if err := p.Parse(r.text, &ev); err != nil {
			t.Errorf("record %d: %v", i, err)
			continue
		}
		e := ev.Error
		wantTime, err := time.Parse("2006-01-02T15:04:05.000-07:00", want["@timestamp"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if !ev.Time.Equal(wantTime) {
			t.Errorf("record %d: time %v, want %v", i, ev.Time, wantTime)
		}
		for _, c := range []struct {
			field     string
			got, want any
		}{
			{"log.offset", float64(r.offset), want["log.offset"]},
			{"log.level", e.Level, want["log.level"]},
			{"process.pid", float64(e.PID), want["process.pid"]},
			{"process.thread.id", float64(e.TID), want["process.thread.id"]},
			{"nginx.error.connection_id", float64(e.Connection), want["nginx.error.connection_id"]},
			{"message", rebuildNginxMessage(e), want["message"]},
		} {
			if c.got != c.want {
				t.Errorf("record %d: %s = %v, Filebeat has %v", i, c.field, c.got, c.want)
			}
		}
		if !strings.HasSuffix(string(r.text), want["message"].(string)) {
			t.Errorf("record %d: Filebeat's message is not the end of the record", i)
		}
	}
	// Spot checks of the context split.
	{
		var ev Event
		_ = p.Parse(recs[0].text, &ev)
		want := NginxError{Level: "error", PID: 54053, TID: 0, Connection: 1,
			Message: `open() "/usr/local/Cellar/nginx/1.10.2_1/html/favicon.ico" failed (2: No such file or directory)`, Errno: 2,
			Client: "127.0.0.1", Server: "localhost", Request: "GET /favicon.ico HTTP/1.1", Host: "localhost:8080", Referrer: "http://localhost:8080/"}
		if *ev.Error != want {
			t.Errorf("record 0:\n got %#v\nwant %#v", *ev.Error, want)
		}
		_ = p.Parse(recs[2].text, &ev)
		if ev.Error.Client != "" || strings.Count(ev.Error.Message, "\n") != 2 || ev.Error.Errno != 0 {
			t.Errorf("record 2 (3 physical lines, no context): %#v", *ev.Error)
		}
	}
}

// accessCorpus lists the access logs and the 0-based lines that must fail.
var accessCorpus = []struct {
	path string
	bad  map[int]string // line → part of the error, and why
}{
	{path: filebeatNginxAccess},
	{path: lnavDir + "logfile_access_log.0"},
	{path: lnavDir + "logfile_access_log.1"},
	{path: lnavShopAccess},
	// lnav's deliberately bad sample: its second line has no " - $remote_user"
	// between the address and [time_local], so it is not `combined`.
	{path: lnavDir + "logfile_bad_access_log.0", bad: map[int]string{1: "remote_user"}},
}

func TestAccessCorpus(t *testing.T) {
	p, _ := NewParser(KindNginxAccess, time.UTC)
	for _, f := range accessCorpus {
		t.Run(filepath.Base(f.path), func(t *testing.T) {
			lines := physicalLines(readCorpus(t, f.path))
			for i, l := range lines {
				var a AccessLine
				err := ParseCombined(l, &a)
				var ev Event
				if err2 := p.Parse(l, &ev); (err == nil) != (err2 == nil) {
					t.Fatalf("line %d: ParseCombined and Parse disagree: %v / %v", i+1, err, err2)
				}
				if why, bad := f.bad[i]; bad {
					if err == nil || !strings.Contains(err.Error(), why) {
						t.Errorf("line %d: error %v, want one about %q", i+1, err, why)
					}
					continue
				}
				if err != nil {
					t.Errorf("line %d: %v\n%s", i+1, err, l)
					continue
				}
				// The instant agrees with the time package's reading of $time_local.
				s := string(l)
				lb := strings.Index(s, " [") + 1
				want, err := time.Parse("02/Jan/2006:15:04:05 -0700", s[lb+1:lb+27])
				if err != nil {
					t.Fatalf("line %d: %v", i+1, err)
				}
				if !a.Time.Equal(want) || a.Time.Location() != time.UTC {
					t.Errorf("line %d: time %v, want %v", i+1, a.Time, want)
				}
				if _, off := want.Zone(); off != a.ZoneOffset {
					t.Errorf("line %d: zone %d, want %d", i+1, a.ZoneOffset, off)
				}
				if len(a.RemoteAddr) == 0 || a.Status < 100 || a.Status > 599 || a.BodyBytesSent < 0 {
					t.Errorf("line %d: implausible fields %+v", i+1, *a.Access())
				}
				if len(a.Method) > 0 && !strings.Contains(s, `"`+string(a.Method)+" "+string(a.URI)+" "+string(a.Protocol)+`"`) {
					t.Errorf("line %d: request split wrong: %q %q %q", i+1, a.Method, a.URI, a.Protocol)
				}
			}
		})
	}
}

// TestFilebeatAccessFields pins the choices for the odd lines of Filebeat's
// access sample (forwarded-for lists, the empty request).
func TestFilebeatAccessFields(t *testing.T) {
	lines := physicalLines(readCorpus(t, filebeatNginxAccess))
	want := []struct{ addr, method, uri string }{
		{"127.0.0.1", "GET", "/ocelot"},
		{"172.17.0.1", "GET", "/stringpatch"},
		{"85.181.35.98", "GET", "/ocelot"},
		{"85.181.35.98", "GET", "/ocelot"},
		{"10.2.1.185", "GET", "/assets/xxxx?q=100"},
		{"10.2.2.121", "GET", "/test.html"},
		{"127.0.0.1", "", ""},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, l := range lines {
		var a AccessLine
		if err := ParseCombined(l, &a); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if string(a.RemoteAddr) != want[i].addr || string(a.Method) != want[i].method || string(a.URI) != want[i].uri {
			t.Errorf("line %d: addr %q method %q uri %q, want %+v", i+1, a.RemoteAddr, a.Method, a.URI, want[i])
		}
	}
}
