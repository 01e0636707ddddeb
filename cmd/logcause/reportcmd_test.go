package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
)

// demoNow is a clock a week after the demo's incident (2026-11-23
// 22:21:36–22:21:50 UTC).
func demoNow() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }

func demoEnv() env {
	e := testEnv()
	e.now = demoNow
	return e
}

func decode(t *testing.T, out string) analyze.Result {
	t.Helper()
	var res analyze.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return res
}

// storeDemo analyzes testdata/demo into a new store and returns the store
// and the report analyze gave.
func storeDemo(t *testing.T) (string, analyze.Result) {
	t.Helper()
	st := filepath.Join(t.TempDir(), "store")
	code, out, errs := runIn(t, demoEnv(), "analyze", "--store", st, "--format", "json", "../../testdata/demo")
	if code != exitOK {
		t.Fatalf("analyze: exit %d %s", code, errs)
	}
	return st, decode(t, out)
}

// TestReportFromAStore: report, on the store analyze kept, gives the same
// incidents and sources, reading no log.
func TestReportFromAStore(t *testing.T) {
	st, want := storeDemo(t)
	if len(want.Incidents) != 1 {
		t.Fatalf("the demo gave %d incidents", len(want.Incidents))
	}
	code, out, errs := runIn(t, demoEnv(), "report", "--store", st, "--since", "2026-11-23", "--tz", "UTC", "--format", "json")
	if code != exitOK {
		t.Fatalf("report: exit %d %s", code, errs)
	}
	got := decode(t, out)
	g, _ := json.Marshal(got.Incidents)
	w, _ := json.Marshal(want.Incidents)
	if string(g) != string(w) {
		t.Errorf("report's incidents differ from analyze's:\n%s\n%s", g, w)
	}
	if len(got.Sources) != len(want.Sources) {
		t.Errorf("report has %d sources, analyze %d", len(got.Sources), len(want.Sources))
	}
	for i := range got.Sources {
		if i < len(want.Sources) && got.Sources[i].Path != want.Sources[i].Path {
			t.Errorf("source %d: %s, want %s", i, got.Sources[i].Path, want.Sources[i].Path)
		}
	}
	wantRange := analyze.TimeRange{Start: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), End: demoNow().Add(-time.Second)}
	if got.Range != wantRange {
		t.Errorf("range %v, want the window %v", got.Range, wantRange)
	}

	// A window before the incident: none, and exit 0.
	code, out, errs = runIn(t, demoEnv(), "report", "--store", st, "--since", "2026-11-23T22:00:00Z", "--until", "2026-11-23T22:21:30Z", "--format", "json")
	if res := decode(t, out); code != exitOK || len(res.Incidents) != 0 {
		t.Errorf("before the incident: exit %d, %d incidents %s", code, len(res.Incidents), errs)
	}
}

func TestReportMarkdownToAFile(t *testing.T) {
	st, _ := storeDemo(t)
	file := filepath.Join(t.TempDir(), "r.md")
	code, out, errs := runIn(t, demoEnv(), "report", "--store", st, "--since", "7d", "--format", "markdown", "--output", file)
	if code != exitOK || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errs)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "# ") || !strings.Contains(string(b), "PHP-FPM") {
		t.Errorf("not the demo's Markdown report:\n%s", b)
	}
}

func TestReportErrors(t *testing.T) {
	empty := t.TempDir()
	code, _, errs := runIn(t, demoEnv(), "report", "--store", empty, "--since", "24h")
	if code != exitRuntime || !strings.Contains(errs, "no logcause store") {
		t.Errorf("no store: exit %d %q", code, errs)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("report created %v", entries)
	}
	for _, args := range [][]string{
		{"--since", "last week"},
		{"--until", "tomorrow"},
		{"--since", "today", "--until", "yesterday"},
		{"--format", "xml"},
	} {
		code, _, errs := runIn(t, demoEnv(), append([]string{"report", "--store", empty}, args...)...)
		if code != exitUsage || (args[0] != "--format" && !strings.Contains(errs, "invalid ")) {
			t.Errorf("%v: exit %d %q", args, code, errs)
		}
		if strings.Contains(args[1], "w") && !strings.Contains(errs, "yesterday or today") {
			t.Errorf("%v: the error does not show the forms: %q", args, errs)
		}
	}
}

// TestAnalyzeWindow: --since and --until clip the analysis of what was
// loaded, and the report's range says the window.
func TestAnalyzeWindow(t *testing.T) {
	for _, tc := range []struct {
		since, until string
		incidents    int
	}{
		{"", "", 1},
		{"2026-11-23T22:21:00Z", "2026-11-23T22:30:00Z", 1},
		{"2026-11-23T22:00:00Z", "2026-11-23T22:21:30Z", 0}, // before it
		{"2026-11-23T22:22:00Z", "", 0},                     // after it
		{"2026-11-23T22:30:00Z", "", 0},                     // after the last record
		{"2026-11-23", "2026-11-23", 1},                     // the day, in --tz
		{"8d", "", 1},
		{"2d", "", 0},
	} {
		args := []string{"analyze", "--format", "json", "--tz", "+01:00"}
		if tc.since != "" {
			args = append(args, "--since", tc.since)
		}
		if tc.until != "" {
			args = append(args, "--until", tc.until)
		}
		code, out, errs := runIn(t, demoEnv(), append(args, "../../testdata/demo")...)
		if code != exitOK {
			t.Errorf("%s–%s: exit %d %s", tc.since, tc.until, code, errs)
			continue
		}
		res := decode(t, out)
		if len(res.Incidents) != tc.incidents {
			t.Errorf("%s–%s: %d incidents, want %d", tc.since, tc.until, len(res.Incidents), tc.incidents)
		}
		if tc.since == "2026-11-23T22:30:00Z" && (!res.Range.Start.Equal(res.Range.End) || res.Range.Start.Format(time.RFC3339) != tc.since) {
			t.Errorf("a window past the last record: range %v, want it empty at %s", res.Range, tc.since)
		}
		if tc.since == "2026-11-23" && (!res.Range.Start.Equal(time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC)) || !res.Range.End.Equal(time.Date(2026, 11, 23, 22, 59, 59, 0, time.UTC))) {
			t.Errorf("the day in +01:00: range %v", res.Range)
		}
	}
	code, _, errs := runIn(t, demoEnv(), "analyze", "--since", "soon", "../../testdata/demo")
	if code != exitUsage || !strings.Contains(errs, "invalid --since") {
		t.Errorf("bad --since: exit %d %q", code, errs)
	}
}

// TestReportOnAHeldStore: report on a store that another process holds
// without serving the API (a watch --listen off) says which, and what to
// do.
func TestReportOnAHeldStore(t *testing.T) {
	st, _ := storeDemo(t)
	holder := startChild(t, "hold", t.TempDir(), st)
	holder.expect(holder.out, "held")
	code, _, errs := runIn(t, demoEnv(), "report", "--store", st)
	want := "logcause: cannot read the store in " + st + ": process " + strconv.Itoa(holder.cmd.Process.Pid) + " ("
	if code != exitRuntime || !strings.HasPrefix(errs, want) ||
		!strings.HasSuffix(errs, ") holds it and serves no API: stop it, or start `logcause watch` with --listen (default 127.0.0.1:9841), or read a copy of the store\n") {
		t.Errorf("exit %d, stderr %q; want it to start %q", code, errs, want)
	}
	holder.stdin.Close()
	if code, _, errs := holder.wait(); code != exitOK {
		t.Fatalf("holder: exit %d %q", code, errs)
	}
}
