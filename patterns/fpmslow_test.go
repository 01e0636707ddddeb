package patterns

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The real slow log and php-fpm log captured by testdata/fpmslow/capture.sh.
const (
	fpmSlowCapture   = "../testdata/fpmslow/slow.log"
	fpmSlowCaptureFP = "../testdata/fpmslow/php-fpm.log"
)

// fpmSlowCase is one record of the slow-log table; the fuzz seeds reuse it.
type fpmSlowCase struct {
	name string
	rec  string
	want *FPMSlow // nil: the record must fail
	time string   // RFC 3339 UTC, for loc = tableLoc (UTC+1)
	err  string
}

var fpmSlowCases = []fpmSlowCase{
	{
		name: "catalog entry",
		rec: "[23-Nov-2026 14:02:10]  [pool www] pid 12345\n" +
			"script_filename = /var/www/html/index.php\n" +
			"[0x00007f2d286c2790] curl_exec() /var/www/html/lib/http.php:42\n" +
			"[0x00007f2d286c2420] fetch() /var/www/html/index.php:7",
		want: &FPMSlow{Pool: "www", PID: 12345, Script: "/var/www/html/index.php", Frames: []Frame{
			{"curl_exec", "/var/www/html/lib/http.php", 42},
			{"fetch", "/var/www/html/index.php", 7},
		}},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "debug stamp, other frame shapes, trailing blank line",
		rec: "[23-Nov-2026 14:02:10.123456]  [pool shop-api] pid 4321\n" +
			"script_filename = /srv/shop/public/index.php\n" +
			"[0x00007f2d286c2790] PDOStatement->execute() /srv/shop/src/Db.php:88\n" +
			"[0x00007f2d286c2700] Cache::remember() /srv/shop/src/Cache.php:12\n" +
			"[0x00007f2d286c2690] {closure}() /srv/shop/src/Routes.php:30\n" +
			"[0x00007f2d286c2600] ???() unknown:0\n" +
			"[0x00007f2d286c2580] [INCLUDE_OR_EVAL]() /srv/shop/public/index.php:3\n",
		want: &FPMSlow{Pool: "shop-api", PID: 4321, Script: "/srv/shop/public/index.php", Frames: []Frame{
			{"PDOStatement->execute", "/srv/shop/src/Db.php", 88},
			{"Cache::remember", "/srv/shop/src/Cache.php", 12},
			{"{closure}", "/srv/shop/src/Routes.php", 30},
			{"???", "unknown", 0},
			{"[INCLUDE_OR_EVAL]", "/srv/shop/public/index.php", 3},
		}},
		time: "2026-11-23T13:02:10.123456Z",
	},
	{
		name: "eval'd code and a path with spaces (real php 8.2 output shape)",
		rec: "[23-Nov-2026 23:39:41]  [pool www] pid 29133\n" +
			"script_filename = /var/www/my site/eval.php\n" +
			"[0x00007f9d9c213110] sleep() /var/www/my site/eval.php(4) : eval()'d code:1\n" +
			"[0x00007f9d9c2130a0] [INCLUDE_OR_EVAL]() /var/www/my site/eval.php:4",
		want: &FPMSlow{Pool: "www", PID: 29133, Script: "/var/www/my site/eval.php", Frames: []Frame{
			{"sleep", "/var/www/my site/eval.php(4) : eval()'d code", 1},
			{"[INCLUDE_OR_EVAL]", "/var/www/my site/eval.php", 4},
		}},
		time: "2026-11-23T22:39:41Z",
	},
	{
		name: "PHP 8.4 closure name with a colon",
		rec: "[23-Nov-2026 14:02:10]  [pool www] pid 7\n" +
			"script_filename = /a.php\n" +
			"[0x00007f2d286c2790] {closure:/a.php:3}() /a.php:4",
		want: &FPMSlow{Pool: "www", PID: 7, Script: "/a.php", Frames: []Frame{{"{closure:/a.php:3}", "/a.php", 4}}},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "32-bit addresses and CRLF",
		rec:  "[23-Nov-2026 14:02:10]  [pool www] pid 99\r\nscript_filename = /a.php\r\n[0x08a3c2f0] main() /a.php:1\r",
		want: &FPMSlow{Pool: "www", PID: 99, Script: "/a.php", Frames: []Frame{{"main", "/a.php", 1}}},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "dump failed after the header",
		rec:  "[23-Nov-2026 14:02:10]  [pool www] pid 12345\n+++ dump failed",
		want: &FPMSlow{Pool: "www", PID: 12345, DumpFailed: true},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "dump failed after some frames",
		rec: "[23-Nov-2026 14:02:10]  [pool www] pid 12345\nscript_filename = /a.php\n" +
			"[0x00007f2d286c2790] usleep() /a.php:9\n+++ dump failed",
		want: &FPMSlow{Pool: "www", PID: 12345, Script: "/a.php", Frames: []Frame{{"usleep", "/a.php", 9}}, DumpFailed: true},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "header only",
		rec:  "[29-Feb-2024 00:30:00]  [pool www] pid 1",
		want: &FPMSlow{Pool: "www", PID: 1},
		time: "2024-02-28T23:30:00Z",
	},
	{name: "fpm_error line", rec: `[23-Nov-2026 14:02:10] WARNING: [pool www] child 1234, script '/a.php' (request: "GET /a.php") executing too slow (1.2 sec), logging`, err: "header"},
	{name: "one space before [pool", rec: "[23-Nov-2026 14:02:10] [pool www] pid 12345", err: "header"},
	{name: "no pid", rec: "[23-Nov-2026 14:02:10]  [pool www] pid \nscript_filename = /a.php", err: "pid"},
	{name: "pid then junk", rec: "[23-Nov-2026 14:02:10]  [pool www] pid 12x", err: "pid"},
	{name: "no such date", rec: "[31-Nov-2026 14:02:10]  [pool www] pid 1", err: "bad time"},
	{name: "frame without line", rec: "[23-Nov-2026 14:02:10]  [pool www] pid 1\n[0x00007f2d286c2790] curl_exec() /a.php", err: "frame"},
	{name: "frame without ()", rec: "[23-Nov-2026 14:02:10]  [pool www] pid 1\n[0x00007f2d286c2790] curl_exec /a.php:1", err: "frame"},
	{name: "frame with a bad address", rec: "[23-Nov-2026 14:02:10]  [pool www] pid 1\n[0xzz] f() /a.php:1", err: "frame"},
	{name: "foreign line", rec: "[23-Nov-2026 14:02:10]  [pool www] pid 1\nscript_filename = /a.php\nPHP Warning:  oops", err: "none of"},
	{name: "empty", rec: "", err: "header"},
}

func TestFPMSlowParser(t *testing.T) {
	p, err := NewParser(KindFPMSlow, tableLoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range fpmSlowCases {
		t.Run(tc.name, func(t *testing.T) {
			var ev Event
			err := p.Parse([]byte(tc.rec), &ev)
			if tc.want == nil {
				wantMalformed(t, KindFPMSlow, tc.rec, err, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != KindFPMSlow || ev.FPMSlow == nil || ev.FPM != nil || ev.Syslog != nil || ev.Text != tc.rec {
				t.Fatalf("kind/field sets/text wrong: %+v", ev)
			}
			if !reflect.DeepEqual(ev.FPMSlow, tc.want) {
				t.Errorf("fields:\n got %#v\nwant %#v", *ev.FPMSlow, *tc.want)
			}
			if got := ev.Time.Format(time.RFC3339Nano); got != tc.time || ev.Time.Location() != time.UTC {
				t.Errorf("Time = %s (%v), want %s UTC", got, ev.Time.Location(), tc.time)
			}
			first, _, _ := strings.Cut(tc.rec, "\n")
			if !StartsRecord(KindFPMSlow, []byte(first)) {
				t.Error("StartsRecord rejects the header")
			}
		})
	}
}

// TestFPMSlowMaxFrames parses an entry with php-fpm's default 20 frames,
// and one with 200 (request_slowlog_trace_depth = 200).
func TestFPMSlowMaxFrames(t *testing.T) {
	p, _ := NewParser(KindFPMSlow, time.UTC)
	for _, n := range []int{20, 200} {
		var b strings.Builder
		b.WriteString("[23-Nov-2026 14:02:10]  [pool www] pid 12345\nscript_filename = /var/www/index.php\n")
		for i := range n {
			fmt.Fprintf(&b, "[0x%016x] f%d() /var/www/lib/f%d.php:%d\n", 0x7f2d286c2790-i*0x70, i, i, i+1)
		}
		var ev Event
		if err := p.Parse([]byte(b.String()), &ev); err != nil {
			t.Fatal(err)
		}
		f := ev.FPMSlow.Frames
		if len(f) != n || f[0] != (Frame{"f0", "/var/www/lib/f0.php", 1}) || f[n-1].Line != n {
			t.Errorf("%d frames: got %d, first %+v, last %+v", n, len(f), f[0], f[len(f)-1])
		}
	}
}

func TestFPMSlowJSON(t *testing.T) {
	p, _ := NewParser(KindFPMSlow, tableLoc)
	var ev Event
	if err := p.Parse([]byte(fpmSlowCases[2].rec), &ev); err != nil {
		t.Fatal(err)
	}
	ev.Path, ev.Offset = "/var/log/php8.2-fpm/www-slow.log", 1234
	want := `{"time":"2026-11-23T22:39:41Z","format":"fpm_slow","path":"/var/log/php8.2-fpm/www-slow.log","offset":1234,` +
		`"pool":"www","pid":29133,"script":"/var/www/my site/eval.php","frames":[` +
		`{"function":"sleep","file":"/var/www/my site/eval.php(4) : eval()'d code","line":1},` +
		`{"function":"[INCLUDE_OR_EVAL]","file":"/var/www/my site/eval.php","line":4}]}`
	if got := string(ev.AppendJSON(nil)); got != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
	if err := p.Parse([]byte(fpmSlowCases[5].rec), &ev); err != nil {
		t.Fatal(err)
	}
	if got := string(ev.AppendJSON(nil)); !strings.HasSuffix(got, `"pool":"www","pid":12345,"frames":[],"dump_failed":true}`) {
		t.Errorf("JSON of a failed dump: %s", got)
	}
}

// fpmSlowTooSlow is an `executing too slow` warning of php-fpm.log.
type fpmSlowTooSlow struct {
	time   time.Time
	pid    int
	script string
}

// TestFPMSlowCapture parses the real slow log that php 8.2's php-fpm wrote
// (testdata/fpmslow) and checks it against the `executing too slow`
// warnings of the php-fpm.log written with it: one entry per warning, same
// pid, script and second.
func TestFPMSlowCapture(t *testing.T) {
	paris := time.FixedZone("CET", 3600) // November: Europe/Paris is UTC+1
	slow := readCorpus(t, fpmSlowCapture)
	fpmLog := readCorpus(t, fpmSlowCaptureFP)

	if k := Detect(sampleLines(slow, 64)); k != KindFPMSlow {
		t.Errorf("Detect(slow.log) = %v", k)
	}
	if k := Detect(sampleLines(fpmLog, 64)); k != KindFPMError {
		t.Errorf("Detect(php-fpm.log) = %v", k)
	}

	// The warnings, read with the fpm_error parser.
	fp, _ := NewParser(KindFPMError, paris)
	var warnings []fpmSlowTooSlow
	traced := map[int]int{} // pid → "about to trace" lines
	for _, r := range frame(KindFPMError, fpmLog) {
		var ev Event
		if err := fp.Parse(r.text, &ev); err != nil {
			t.Fatalf("php-fpm.log at %d: %v", r.offset, err)
		}
		m := ev.FPM.Message
		switch {
		case strings.Contains(m, ") executing too slow ("):
			q0 := strings.Index(m, "script '") + len("script '")
			q1 := strings.Index(m, "' (request: ")
			warnings = append(warnings, fpmSlowTooSlow{ev.Time, ev.FPM.Child, m[q0:q1]})
		case strings.HasPrefix(m, "about to trace "):
			var pid int
			fmt.Sscanf(m, "about to trace %d", &pid)
			traced[pid]++
		case strings.Contains(m, "failed to ptrace"):
			t.Errorf("the capture had no ptrace: %s", m)
		}
	}
	if len(warnings) < 5 {
		t.Fatalf("%d executing-too-slow warnings in php-fpm.log, want at least 5", len(warnings))
	}

	p, _ := NewParser(KindFPMSlow, paris)
	recs := frame(KindFPMSlow, slow)
	var entries []*Event
	for _, r := range recs {
		if len(bytes.TrimSpace(r.text)) == 0 {
			continue // the empty line before the first entry (ingest skips it)
		}
		ev := new(Event)
		if err := p.Parse(r.text, ev); err != nil {
			t.Fatalf("slow.log at %d: %v\n%s", r.offset, err, r.text)
		}
		entries = append(entries, ev)
	}
	if len(entries) != len(warnings) {
		t.Fatalf("%d slow-log entries, %d executing-too-slow warnings", len(entries), len(warnings))
	}
	// The master writes the warnings at once, then traces the workers one by
	// one: match each entry to the warning of its pid in the same second.
	used := make([]bool, len(warnings))
	for _, ev := range entries {
		x := ev.FPMSlow
		found := false
		for i, w := range warnings {
			if !used[i] && w.pid == x.PID && w.time.Equal(ev.Time) && w.script == x.Script {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("entry pid %d %s at %v has no matching executing-too-slow warning", x.PID, x.Script, ev.Time)
		}
		if x.Pool != "www" || x.DumpFailed || len(x.Frames) == 0 || traced[x.PID] == 0 {
			t.Errorf("entry pid %d: pool %q, dump failed %v, %d frames, traced %d times", x.PID, x.Pool, x.DumpFailed, len(x.Frames), traced[x.PID])
		}
		// The stacks the capture's pages build (see CAPTURE.md).
		root := x.Script[:strings.Index(x.Script, "/www/")+len("/www/")]
		var fns []string
		for _, f := range x.Frames {
			fns = append(fns, f.Function)
			if f.Line <= 0 || !strings.HasPrefix(f.File, root) {
				t.Errorf("entry pid %d: frame %+v", x.PID, f)
			}
		}
		want := map[string]string{
			"report.php":     "sleep execute query loadOrders buildReport renderPage",
			"api/export.php": "usleep fetchRemote {closure} array_map run",
			"sleep.php":      "sleep",
			"catalog.php":    "sleep [INCLUDE_OR_EVAL] warmCache showCatalog",
			"eval.php":       "sleep [INCLUDE_OR_EVAL]",
		}
		page := x.Script[len(root):]
		if got := strings.Join(fns, " "); got != want[page] {
			t.Errorf("%s: functions %q, want %q", page, got, want[page])
		}
		if page == "eval.php" && !strings.HasSuffix(x.Frames[0].File, "/www/eval.php(4) : eval()'d code") {
			t.Errorf("eval'd frame file %q", x.Frames[0].File)
		}
	}
}

func FuzzFPMSlow(f *testing.F) {
	for _, tc := range fpmSlowCases {
		f.Add([]byte(tc.rec))
	}
	for _, r := range frame(KindFPMSlow, readCorpus(f, fpmSlowCapture)) {
		f.Add(r.text)
	}
	p, _ := NewParser(KindFPMSlow, time.FixedZone("x", -3*3600-1800))
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
		if !StartsRecord(KindFPMSlow, first) || !formats[KindFPMSlow].matches(stripCR(first)) {
			t.Fatal("parsed a record whose header StartsRecord or matches rejects")
		}
		x := ev.FPMSlow
		if ev.Kind != KindFPMSlow || x == nil || ev.FPM != nil || ev.Text != string(rec) || ev.Time.Location() != time.UTC {
			t.Fatalf("kind/field sets/text/zone wrong: %+v", ev)
		}
		if x.PID < 0 || len(x.Frames) > bytes.Count(rec, []byte("\n")) {
			t.Fatalf("pid %d, %d frames", x.PID, len(x.Frames))
		}
		for _, s := range []string{x.Pool, x.Script} {
			if !isSubstring(ev.Text, s) {
				t.Fatalf("field %q is not part of the record", s)
			}
		}
		for _, fr := range x.Frames {
			if !isSubstring(ev.Text, fr.Function) || !isSubstring(ev.Text, fr.File) || fr.File == "" || fr.Line < 0 {
				t.Fatalf("bad frame %+v", fr)
			}
		}
		checkJSON(t, &ev, map[string]string{"pool": x.Pool, "script": x.Script})
	})
}

// fpmSlowRecords are the entries of the real capture.
func fpmSlowRecords(tb testing.TB) [][]byte {
	var recs [][]byte
	for _, r := range frame(KindFPMSlow, readCorpus(tb, fpmSlowCapture)) {
		if len(bytes.TrimSpace(r.text)) > 0 {
			recs = append(recs, r.text)
		}
	}
	return recs
}

func BenchmarkParseFPMSlow(b *testing.B) {
	p, _ := NewParser(KindFPMSlow, time.FixedZone("CET", 3600))
	var ev Event
	benchLines(b, fpmSlowRecords(b), func(r []byte) {
		if err := p.Parse(r, &ev); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkParseFPMSlowSpans is the scanner without the Event: no
// allocation.
func BenchmarkParseFPMSlowSpans(b *testing.B) {
	var s fpmSlowSpans
	benchLines(b, fpmSlowRecords(b), func(r []byte) {
		if err := parseFPMSlow(r, time.UTC, &s, nil); err != nil {
			b.Fatal(err)
		}
	})
}
