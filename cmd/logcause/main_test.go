package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/store"
)

// runCmd runs logcause in-process and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runIn(t, testEnv(), args...)
}

// testEnv is a machine without logs or configuration of its own: no
// nginx.conf, php-fpm pools or my.cnf is read unless a test says so, and
// watch serves no API unless a test gives --listen.
func testEnv() env {
	return env{now: time.Now, configRoot: emptyRoot, layout: []config.Source{{Path: "/nonexistent/logcause-test-layout"}}, listen: "off"}
}

// runIn runs logcause in-process on the machine e and returns its exit
// code and output.
func runIn(t *testing.T, e env, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e.stdout, e.stderr = &out, &errb
	code := run(context.Background(), args, e)
	return code, out.String(), errb.String()
}

// writeLogs writes a small two-zone incident: an access log in +01:00 with
// 502s at 14:00:50–14:00:59 local, and zoneless error and FPM logs.
func writeLogs(t *testing.T, dir string) {
	t.Helper()
	var access, nginxErr strings.Builder
	for s := 0; s < 90; s++ {
		status := 200
		if s >= 50 && s < 60 {
			status = 502
		}
		for i := 0; i < 3; i++ {
			fmt.Fprintf(&access, "127.0.0.1 - - [23/Nov/2026:14:%02d:%02d +0100] \"GET /slow.php?i=%d HTTP/1.1\" %d 150 \"-\" \"curl/7.88.1\"\n", s/60, s%60, i, status)
			if status == 502 {
				fmt.Fprintf(&nginxErr, "2026/11/23 14:%02d:%02d [error] 100#100: *%d connect() to unix:/tmp/php-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET /slow.php?i=%d HTTP/1.1\", upstream: \"fastcgi://unix:/tmp/php-fpm.sock:\", host: \"127.0.0.1:18080\"\n", s/60, s%60, s*3+i, i)
			}
		}
	}
	fpm := "[23-Nov-2026 14:00:49] WARNING: [pool www] server reached pm.max_children setting (4), consider raising it\n"
	for name, data := range map[string]string{"access.log": access.String(), "error.log": nginxErr.String(), "php-fpm.log": fpm} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAnalyzeJSONLearnsTheZoneFromTheAccessLog(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	code, out, errs := runCmd(t, "analyze", "--format", "json", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res analyze.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Incidents) != 1 {
		t.Fatalf("%d incidents", len(res.Incidents))
	}
	inc := res.Incidents[0]
	if inc.RootCause != analyze.FPMWorkerExhaustion || inc.Start.Format("15:04:05") != "13:00:50" || inc.Status["502"] != 30 {
		t.Errorf("incident %+v", inc)
	}
	// The error lines only match the 502s if they were read in +01:00.
	if !strings.HasPrefix(inc.Causes[0].Summary, "30 of 30 gateway errors") {
		t.Errorf("summary %q: the zoneless logs were not aligned", inc.Causes[0].Summary)
	}
	for _, s := range res.Sources {
		if s.Format != "nginx_access" && !strings.HasPrefix(s.TZ, "+01:00") {
			t.Errorf("%s read in zone %q, want +01:00 learned from the access log", s.Path, s.TZ)
		}
	}
}

func TestAnalyzeWithExplicitZone(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	// Read in UTC, the error lines land an hour after the 502s: no match.
	_, out, _ := runCmd(t, "analyze", "--format", "json", "--tz", "UTC", dir)
	var res analyze.Result
	json.Unmarshal([]byte(out), &res)
	if len(res.Incidents) != 1 || res.Incidents[0].RootCause != analyze.Unknown {
		t.Fatalf("with --tz UTC the causes should not align: %+v", res.Incidents)
	}
}

func TestAnalyzeText(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	code, out, errs := runCmd(t, "analyze", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if errs != "" {
		t.Errorf("stderr is not a terminal, yet something was drawn on it: %q", errs)
	}
	for _, want := range []string{"INCIDENT 1", "Root cause:  fpm_worker_exhaustion", "server reached pm.max_children", "/slow.php"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadInput(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "random.bin")
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(i*7919 + i/13)
	}
	os.WriteFile(bin, junk, 0o644)
	empty := filepath.Join(t.TempDir(), "empty.log")
	os.WriteFile(empty, nil, 0o644)
	good := t.TempDir()
	writeLogs(t, good)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	b, _ := os.ReadFile(filepath.Join(good, "access.log"))
	zw.Write(b)
	zw.Close()
	truncated := filepath.Join(t.TempDir(), "access.log.2.gz")
	os.WriteFile(truncated, z.Bytes()[:z.Len()*2/3], 0o644)

	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no path, and no log where the config says", []string{"analyze", "--config", emptyConfig(t)}, exitUsage, "no path given, and none of the sources"},
		{"bad config", []string{"analyze", "--config", badConfig(t)}, exitRuntime, "field nope not found"},
		{"missing config", []string{"analyze", "--config", "/no/such.yaml"}, exitRuntime, "cannot read the config file"},
		{"unknown flag", []string{"analyze", "--nope", "x"}, exitUsage, "unknown flag"},
		{"unknown command", []string{"analyse"}, exitUsage, "unknown command"},
		{"flag without its value", []string{"analyze", "--format"}, exitUsage, "flag needs an argument"},
		{"bad flag value", []string{"watch", "--interval", "soon", good}, exitUsage, "invalid argument \"soon\" for \"--interval\""},
		{"unknown shorthand flag", []string{"store", "stats", "-Q"}, exitUsage, "unknown shorthand flag"},
		{"bad output format", []string{"analyze", "--format", "xml", good}, exitUsage, "use text, json, markdown or html"},
		{"bad zone", []string{"analyze", "--tz", "Mars/Olympus", good}, exitUsage, "invalid --tz"},
		{"bad retention", []string{"watch", "--retention-days", "-1", "--store", t.TempDir(), good}, exitUsage, "invalid --retention-days -1: keep at least 1 day"},
		{"config root missing", []string{"analyze", "--config-root", "/nonexistent/root", good}, exitUsage, "invalid --config-root /nonexistent/root: not a directory"},
		{"bad log format", []string{"analyze", "--log-format", "apache", good}, exitUsage, "unknown log format"},
		{"missing path", []string{"analyze", "/no/such/dir"}, exitRuntime, "no such file or directory"},
		{"empty directory", []string{"analyze", t.TempDir()}, exitRuntime, "no log files found"},
		{"binary file", []string{"analyze", bin}, exitRuntime, "cannot detect the format of " + bin},
		{"empty file", []string{"analyze", empty}, exitRuntime, "the file is empty"},
		{"binary file beside good logs", []string{"analyze", good, bin}, exitRuntime, "the report above is incomplete"},
		{"truncated gzip", []string{"analyze", truncated}, exitRuntime, "truncated or corrupt"},
		{"parse: binary file", []string{"parse", bin}, exitRuntime, "cannot detect the format"},
		{"version with argument", []string{"version", "x"}, exitUsage, ""},
		{"watch with a bad interval", []string{"watch", "--interval", "0s", good}, exitUsage, "invalid --interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCmd(t, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.msg)
			}
			if strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine ") {
				t.Errorf("panic: %s", errs)
			}
		})
	}
}

func TestBinaryFileBesideGoodLogsStillReports(t *testing.T) {
	good := t.TempDir()
	writeLogs(t, good)
	bin := filepath.Join(t.TempDir(), "x.bin")
	os.WriteFile(bin, []byte{0, 1, 2, 3, 0xff, 0xfe, 0, 0}, 0o644)
	code, out, _ := runCmd(t, "analyze", good, bin)
	if code != exitRuntime || !strings.Contains(out, "fpm_worker_exhaustion") {
		t.Fatalf("exit %d, report:\n%s", code, out)
	}
}

func TestTruncatedGzipKeepsWhatCameBefore(t *testing.T) {
	good := t.TempDir()
	writeLogs(t, good)
	b, _ := os.ReadFile(filepath.Join(good, "access.log"))
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b)
	zw.Close()
	os.Remove(filepath.Join(good, "access.log"))
	os.WriteFile(filepath.Join(good, "access.log.1.gz"), z.Bytes()[:z.Len()*2/3], 0o644)
	code, out, errs := runCmd(t, "analyze", "--format", "json", good)
	if code != exitRuntime || !strings.Contains(errs, "access.log.1.gz") {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	var res analyze.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Sources {
		if strings.HasSuffix(s.Path, ".gz") && (s.Records == 0 || s.Error == "") {
			t.Errorf("truncated archive source %+v: want its records before the damage and the error", s)
		}
	}
}

func TestUnparsedLinesAreCountedAndSampled(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	f, _ := os.OpenFile(filepath.Join(dir, "access.log"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("this is not an access log line \x1b[31m\n\xff\xfe garbage\n")
	f.Close()
	code, out, errs := runCmd(t, "analyze", "--format", "json", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res analyze.Result
	json.Unmarshal([]byte(out), &res)
	for _, s := range res.Sources {
		if s.Format == "nginx_access" && (s.Unparsed != 2 || len(s.Samples) != 2) {
			t.Errorf("access source %+v: want 2 unparsed, sampled", s)
		}
	}
}

func TestParsePrintsOneJSONObjectPerRecord(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	code, out, errs := runCmd(t, "parse", "--tz", "+01:00", filepath.Join(dir, "error.log"), filepath.Join(dir, "php-fpm.log"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 31 {
		t.Fatalf("%d lines, want 31", len(lines))
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["time"] != "2026-11-23T13:00:50Z" || first["format"] != "nginx_error" || first["errno"] != float64(11) {
		t.Errorf("first record %v", first)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "logcause ") {
		t.Fatalf("exit %d: %q", code, out)
	}
}

func TestHelpShowsExamples(t *testing.T) {
	for _, cmd := range []string{"analyze", "watch", "parse", "version"} {
		code, out, _ := runCmd(t, cmd, "--help")
		if code != exitOK || !strings.Contains(out, "Examples:") || !strings.Contains(out, "logcause "+cmd) {
			t.Errorf("%s --help: exit %d\n%s", cmd, code, out)
		}
	}
}

func TestStoreFlagKeepsTheStoreAndRefusesASecondUser(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	st := filepath.Join(t.TempDir(), "store")
	if code, _, errs := runCmd(t, "analyze", "--store", st, dir); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(st, "MANIFEST")); err != nil {
		t.Fatalf("store not kept: %v", err)
	}
	held, err := store.Open(st)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	code, _, errs := runCmd(t, "analyze", "--store", st, dir)
	if code != exitRuntime || !strings.Contains(errs, "locked") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

// TestStoreCountsEachLogOnce: analyze --store over the same logs, again
// and again, gives the report one run gives (the totals, the confidence,
// the files the store holds); lines appended are counted once; a log
// given later adds only itself, and the report covers the whole store.
func TestStoreCountsEachLogOnce(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	access := filepath.Join(dir, "access.log")
	all, _ := os.ReadFile(access)
	cut := bytes.IndexByte(all[len(all)/3:], '\n') + len(all)/3 + 1
	first, rest := all[:cut], all[cut:]
	os.WriteFile(access, first, 0o644)
	st := filepath.Join(t.TempDir(), "store")
	analyzeStore := func(paths ...string) (string, analyze.Result) {
		t.Helper()
		code, out, errs := runCmd(t, append([]string{"analyze", "--format", "json", "--store", st}, paths...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var res analyze.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		return out, res
	}
	// The access log alone, with the error and FPM logs given later.
	_, res := analyzeStore(access)
	if res.Totals.Requests != int64(bytes.Count(first, []byte("\n"))) || len(res.Sources) != 1 {
		t.Fatalf("first run: %d requests, %d sources", res.Totals.Requests, len(res.Sources))
	}
	f, _ := os.OpenFile(access, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(rest)
	f.Close()
	reports := map[string]int{}
	for range 3 {
		out, res := analyzeStore(dir)
		reports[out]++
		if res.Totals.Requests != 270 || len(res.Sources) != 3 || res.Sources[0].Records != 270 {
			t.Errorf("%d requests, sources %+v; want the 270 requests of the logs, in 3 files", res.Totals.Requests, res.Sources)
		}
	}
	if len(reports) != 1 {
		t.Errorf("%d different reports from 3 runs over the same logs", len(reports))
	}
	_, once := analyzeStore(dir)
	code, out, errs := runCmd(t, "analyze", "--format", "json", dir) // a temporary store
	var want analyze.Result
	if code != exitOK || json.Unmarshal([]byte(out), &want) != nil {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if len(once.Incidents) != 1 || once.Incidents[0].Causes[0].Confidence != want.Incidents[0].Causes[0].Confidence ||
		once.Incidents[0].Causes[0].Summary != want.Incidents[0].Causes[0].Summary || once.Range != want.Range {
		t.Errorf("the kept store says\n%+v\none run says\n%+v", once.Incidents, want.Incidents)
	}
	// A run over one file of the store still reports all the store holds.
	code, text, errs := runCmd(t, "analyze", "--store", st, filepath.Join(dir, "php-fpm.log"))
	if code != exitOK || !strings.HasPrefix(text, "logcause: 3 files of logs, 2026-11-23 13:00:00 to 2026-11-23 13:01:29 UTC\n270 requests") {
		t.Errorf("exit %d: %s\n%s", code, errs, text)
	}
}

// TestClockGoingBackwards: lines out of time order (a clock stepped back,
// logs concatenated in the wrong order) give the same analysis.
func TestClockGoingBackwards(t *testing.T) {
	ordered := t.TempDir()
	writeLogs(t, ordered)
	reversed := t.TempDir()
	writeLogs(t, reversed)
	for _, name := range []string{"access.log", "error.log"} {
		b, _ := os.ReadFile(filepath.Join(reversed, name))
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		for i, j := 0, len(lines)-1; i < j; i, j = i+1, j-1 {
			lines[i], lines[j] = lines[j], lines[i]
		}
		os.WriteFile(filepath.Join(reversed, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
	incidents := func(dir string) string {
		code, out, errs := runCmd(t, "analyze", "--format", "json", dir)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var res analyze.Result
		json.Unmarshal([]byte(out), &res)
		for i := range res.Incidents {
			for j := range res.Incidents[i].Causes {
				res.Incidents[i].Causes[j].Evidence = nil // offsets differ, facts do not
			}
		}
		b, _ := json.Marshal(res.Incidents)
		return string(b)
	}
	if a, b := incidents(ordered), incidents(reversed); a != b {
		t.Errorf("reversed logs give another analysis:\n%s\n%s", a, b)
	}
}

// TestHostileRequestLine: a 502 on a URI made of escape sequences and
// invalid UTF-8 reaches the report escaped.
func TestHostileRequestLine(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	f, _ := os.OpenFile(filepath.Join(dir, "access.log"), os.O_APPEND|os.O_WRONLY, 0)
	for i := 0; i < 50; i++ {
		f.WriteString("127.0.0.1 - - [23/Nov/2026:14:00:55 +0100] \"GET /\x1b]0;owned\x07\x1b[2J\xff\xfe<script> HTTP/1.1\" 502 150 \"-\" \"\x1b[31mevil\"\n")
	}
	f.Close()
	code, out, errs := runCmd(t, "analyze", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control characters reached the terminal:\n%q", out)
	}
	_, js, _ := runCmd(t, "analyze", "--format", "json", dir)
	var res analyze.Result
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if res.Incidents[0].TopPaths[0].Count != 50 {
		t.Errorf("top paths %+v", res.Incidents[0].TopPaths)
	}
}

func TestGrokFormatOfYourOwn(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	// Replace the access log with a format nginx never wrote.
	var lb strings.Builder
	for s := 0; s < 90; s++ {
		status := 200
		if s >= 50 && s < 60 {
			status = 502
		}
		for i := 0; i < 3; i++ {
			fmt.Fprintf(&lb, "2026-11-23T14:%02d:%02d+01:00 lb1 127.0.0.1 GET /slow.php %d\n", s/60, s%60, status)
		}
	}
	os.Remove(filepath.Join(dir, "access.log"))
	os.WriteFile(filepath.Join(dir, "lb.log"), []byte(lb.String()), 0o644)
	grokFile := filepath.Join(t.TempDir(), "lb.grok")
	os.WriteFile(grokFile, []byte("LOGCAUSE_NGINX_ACCESS ^(?<time_iso8601>%{TIMESTAMP_ISO8601}) %{NOTSPACE} %{IP:remote_addr} %{WORD:method} %{NOTSPACE:uri} %{INT:status}$\n"), 0o644)

	code, out, errs := runCmd(t, "analyze", "--format", "json", "--tz", "+01:00", "--grok", grokFile, dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res analyze.Result
	json.Unmarshal([]byte(out), &res)
	if len(res.Incidents) != 1 || res.Incidents[0].RootCause != analyze.FPMWorkerExhaustion || res.Incidents[0].Status["502"] != 30 {
		t.Fatalf("%+v", res.Incidents)
	}
	if code, _, errs := runCmd(t, "analyze", "--grok", filepath.Join(dir, "nope.grok"), dir); code != exitRuntime || !strings.Contains(errs, "cannot read the grok file") {
		t.Errorf("missing grok file: exit %d %s", code, errs)
	}
	code, out, _ = runCmd(t, "parse", "--grok", grokFile, filepath.Join(dir, "lb.log"))
	if code != exitOK || !strings.Contains(out, `"status":502`) {
		t.Errorf("parse with grok: exit %d %.200s", code, out)
	}
}

// TestRotatedArchives: the same logs split into rotated, compressed
// siblings (gzip and zstd, numbered and dated) give the same analysis.
func TestRotatedArchives(t *testing.T) {
	whole := t.TempDir()
	writeLogs(t, whole)
	split := t.TempDir()
	writeLogs(t, split)
	for _, name := range []string{"access.log", "error.log"} {
		b, _ := os.ReadFile(filepath.Join(split, name))
		lines := strings.SplitAfter(string(b), "\n")
		third := len(lines) / 3
		parts := []string{strings.Join(lines[:third], ""), strings.Join(lines[third:2*third], ""), strings.Join(lines[2*third:], "")}
		os.Remove(filepath.Join(split, name))
		if name == "access.log" {
			os.WriteFile(filepath.Join(split, "access.log.2.gz"), gzipBytes(t, parts[0]), 0o644)
			os.WriteFile(filepath.Join(split, "access.log.1"), []byte(parts[1]), 0o644)
			os.WriteFile(filepath.Join(split, "access.log"), []byte(parts[2]), 0o644)
		} else {
			os.WriteFile(filepath.Join(split, "error.log-20261122"), []byte(parts[0]), 0o644)
			os.WriteFile(filepath.Join(split, "error.log-20261123.zst"), zstdBytes(t, parts[1]), 0o644)
			os.WriteFile(filepath.Join(split, "error.log"), []byte(parts[2]), 0o644)
		}
	}
	os.WriteFile(filepath.Join(split, "php-fpm.log.1"), nil, 0o644) // empty: just rotated

	get := func(dir string) analyze.Result {
		code, out, errs := runCmd(t, "analyze", "--format", "json", dir)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var res analyze.Result
		json.Unmarshal([]byte(out), &res)
		return res
	}
	a, b := get(whole), get(split)
	if len(b.Sources) != 7 {
		t.Errorf("%d sources read from the split logs, want 7", len(b.Sources))
	}
	if a.Totals.Requests != b.Totals.Requests || len(b.Incidents) != 1 ||
		b.Incidents[0].RootCause != a.Incidents[0].RootCause || b.Incidents[0].Causes[0].Summary != a.Incidents[0].Causes[0].Summary {
		t.Errorf("split logs give another analysis:\n%+v\n%+v", a.Incidents, b.Incidents)
	}
}

func TestLogNamedLikeOursThatDoesNotParse(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	os.WriteFile(filepath.Join(dir, "shop-access.log"), []byte("custom|format|502\ncustom|format|200\n"), 0o644)
	code, out, errs := runCmd(t, "analyze", dir)
	if code != exitRuntime || !strings.Contains(errs, "named like a nginx_access log") || !strings.Contains(errs, "--grok") {
		t.Errorf("exit %d, stderr %s", code, errs)
	}
	if !strings.Contains(out, "fpm_worker_exhaustion") {
		t.Errorf("the other logs were not analyzed:\n%s", out)
	}
}

func gzipBytes(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func zstdBytes(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w, err := zstd.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestStoreStatsAndPrune(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	st := filepath.Join(t.TempDir(), "store")
	if code, _, errs := runCmd(t, "analyze", "--store", st, dir); code != exitOK {
		t.Fatalf("analyze: exit %d: %s", code, errs)
	}
	code, out, errs := runCmd(t, "store", "stats", "--store", st, "--format", "json")
	if code != exitOK {
		t.Fatalf("stats: exit %d: %s", code, errs)
	}
	var stats struct {
		Requests int64            `json:"requests"`
		Days     int              `json:"days"`
		Events   map[string]int64 `json:"events"`
		Sources  []struct{ Path string }
	}
	if err := json.Unmarshal([]byte(out), &stats); err != nil {
		t.Fatal(err)
	}
	// 270 requests; 30 502s and 30 error lines and 1 FPM line kept in full.
	if stats.Requests != 270 || stats.Days != 1 || stats.Events["nginx_access"] != 30 || stats.Events["nginx_error"] != 30 ||
		stats.Events["fpm_error"] != 1 || len(stats.Sources) != 3 {
		t.Errorf("stats %+v", stats)
	}
	if code, out, _ := runCmd(t, "store", "stats", "--store", st); code != exitOK || !strings.Contains(out, "270 requests") {
		t.Errorf("text stats: exit %d\n%s", code, out)
	}
	// The logs are from 2026-11-23: on the 25th, a 2-day retention drops them.
	e := testEnv()
	e.now = func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	if code, out, _ := runIn(t, e, "store", "prune", "--store", st, "--keep-days", "3"); code != exitOK || !strings.HasPrefix(out, "dropped 0 day(s)") {
		t.Errorf("prune keeping 3 days: exit %d %q", code, out)
	}
	code, out, errs = runIn(t, e, "store", "prune", "--store", st, "--keep-days", "2")
	if code != exitOK || !strings.HasPrefix(out, "dropped 1 day(s)") {
		t.Errorf("prune: exit %d %q %s", code, out, errs)
	}
	if code, _, errs := runCmd(t, "store", "prune", "--store", st, "--keep-days", "0"); code != exitUsage {
		t.Errorf("prune --keep-days 0: exit %d %s", code, errs)
	}
	if _, out, _ := runCmd(t, "store", "stats", "--store", st); !strings.Contains(out, "empty") {
		t.Errorf("after pruning every day:\n%s", out)
	}
}

// TestLogFormatFromNginxConf: an access log in a log_format of the user's,
// learned from nginx.conf and its includes, and a JSON access log.
func TestLogFormatFromNginxConf(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	b, _ := os.ReadFile(filepath.Join(dir, "access.log"))
	var custom, jsonLog strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		// 127.0.0.1 - - [23/Nov/2026:14:00:50 +0100] "GET /slow.php?i=0 HTTP/1.1" 502 150 "-" "curl/7.88.1"
		stamp := l[strings.Index(l, "[")+1 : strings.Index(l, "]")]
		ts, _ := time.Parse("02/Jan/2006:15:04:05 -0700", stamp)
		rest := l[strings.Index(l, `"`)+1:]
		req, rest, _ := strings.Cut(rest, `" `)
		status := strings.Fields(rest)[0]
		fmt.Fprintf(&custom, "%s|%s|127.0.0.1|%s|0.003|%s\n", ts.Format(time.RFC3339), status, req, status)
		fmt.Fprintf(&jsonLog, `{"time":"%s","status":%s,"request":"%s","remote_addr":"127.0.0.1"}`+"\n", ts.Format(time.RFC3339), status, req)
	}
	os.Remove(filepath.Join(dir, "access.log"))
	os.WriteFile(filepath.Join(dir, "shop-access.log"), []byte(custom.String()), 0o644)
	conf := t.TempDir()
	os.MkdirAll(filepath.Join(conf, "conf.d"), 0o755)
	os.WriteFile(filepath.Join(conf, "nginx.conf"), []byte("http {\n  include conf.d/*.conf;\n}\n"), 0o644)
	os.WriteFile(filepath.Join(conf, "conf.d", "logs.conf"), []byte("log_format shop '$time_iso8601|$status|$remote_addr|$request|$request_time|$upstream_status';\n"), 0o644)

	get := func(args ...string) analyze.Result {
		t.Helper()
		code, out, errs := runCmd(t, append([]string{"analyze", "--format", "json"}, args...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var res analyze.Result
		json.Unmarshal([]byte(out), &res)
		return res
	}
	res := get("--nginx-conf", filepath.Join(conf, "nginx.conf"), dir)
	if res.Totals.Requests != 270 || len(res.Incidents) != 1 || res.Incidents[0].RootCause != analyze.FPMWorkerExhaustion {
		t.Fatalf("custom log_format: totals %+v, incidents %+v", res.Totals, res.Incidents)
	}
	// Without the conf, the file is named like an access log but unreadable.
	if code, _, errs := runCmd(t, "analyze", dir); code != exitRuntime || !strings.Contains(errs, "shop-access.log") {
		t.Errorf("without the conf: exit %d %s", code, errs)
	}
	if code, _, errs := runCmd(t, "analyze", "--nginx-conf", filepath.Join(conf, "missing.conf"), dir); code != exitRuntime || !strings.Contains(errs, "missing.conf") {
		t.Errorf("missing conf: exit %d %s", code, errs)
	}
	// The same format given as the directive's text.
	res = get("--nginx-log-format", "log_format shop '$time_iso8601|$status|$remote_addr|$request|$request_time|$upstream_status';", dir)
	if res.Totals.Requests != 270 || len(res.Incidents) != 1 {
		t.Fatalf("--nginx-log-format: totals %+v, incidents %+v", res.Totals, res.Incidents)
	}
	if code, _, errs := runCmd(t, "analyze", "--nginx-log-format", "log_format broken '$status", dir); code != exitUsage || !strings.Contains(errs, "invalid log_format") {
		t.Errorf("a broken directive: exit %d %s", code, errs)
	}

	os.Remove(filepath.Join(dir, "shop-access.log"))
	os.WriteFile(filepath.Join(dir, "access.json"), []byte(jsonLog.String()), 0o644)
	res = get("--tz", "+01:00", dir)
	if res.Totals.Requests != 270 || len(res.Incidents) != 1 || res.Incidents[0].Status["502"] != 30 {
		t.Fatalf("JSON access log: totals %+v, incidents %+v", res.Totals, res.Incidents)
	}
}

// TestSyslogYearFromModificationTime: BSD syslog stamps carry no year; the
// file's modification time gives it.
func TestSyslogYearFromModificationTime(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kern.log")
	os.WriteFile(p, []byte("Nov 23 14:00:45 web1 kernel: [12345.678901] Out of memory: Killed process 4242 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB, shmem-rss:0kB, UID:33 pgtables:1400kB oom_score_adj:0\n"), 0o644)
	mtime := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	os.Chtimes(p, mtime, mtime)
	code, out, errs := runCmd(t, "parse", "--tz", "+01:00", p)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rec map[string]any
	json.Unmarshal([]byte(out), &rec)
	if rec["time"] != "2026-11-23T13:00:45Z" || rec["format"] != "syslog" || rec["event"] != "oom_kill" || rec["comm"] != "php-fpm8.2" {
		t.Errorf("record %v", rec)
	}
}

func TestAnalyzeMarkdown(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	code, out, errs := runCmd(t, "analyze", "--format", "markdown", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"# logcause: 3 files of logs", "## Incident 1: 2026-11-23 13:00:50", "fpm\\_worker\\_exhaustion", "| Impact |  |", "\n```\n[23-Nov-2026 14:00:49] WARNING"} {
		if !strings.Contains(out, want) {
			t.Errorf("the Markdown report lacks %q:\n%s", want, out)
		}
	}
}

func TestAnalyzeOutputWritesTheFile(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	file := filepath.Join(t.TempDir(), "report.md")
	if err := os.WriteFile(file, []byte(strings.Repeat("an older, longer report\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "analyze", "--format", "markdown", "--output", file, dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if out != "" {
		t.Errorf("stdout %q, want nothing: the report is in the file", out)
	}
	_, want, _ := runCmd(t, "analyze", "--format", "markdown", dir)
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("the file holds\n%s\nwant the report on stdout:\n%s", got, want)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	left, _ := os.ReadDir(filepath.Dir(file))
	if len(left) != 1 {
		t.Errorf("the directory holds %d files, want the report alone: no temporary file left", len(left))
	}
}

func TestAnalyzeOutputUnwritable(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	file := filepath.Join(t.TempDir(), "no-such-dir", "report.md")
	code, out, errs := runCmd(t, "analyze", "--output", file, dir)
	if code != exitRuntime {
		t.Fatalf("exit %d, want %d: %s", code, exitRuntime, errs)
	}
	if want := "cannot write the report to " + file + ": "; !strings.Contains(errs, want) {
		t.Errorf("stderr %q lacks %q", errs, want)
	}
	if out != "" {
		t.Errorf("stdout %q, want nothing", out)
	}
}
