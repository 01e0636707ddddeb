package pipeline_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/pipeline"
)

// The demo's logs (real nginx and php-fpm in Europe/Paris) with the access
// log rewritten in UTC, as a container or a $time_iso8601 log in UTC would
// write it: the same instants, another offset. Assuming the access log's
// offset would put the error log an hour off; lining up the requests both
// logs name finds +01:00, and the analysis is the demo's.
func TestZoneInferredFromMatchingRequests(t *testing.T) {
	dir := t.TempDir()
	access, err := os.ReadFile("../testdata/demo/access.log")
	if err != nil {
		t.Fatal(err)
	}
	stamp := regexp.MustCompile(`\[(\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d \+0100)\]`)
	utc := stamp.ReplaceAllStringFunc(string(access), func(m string) string {
		at, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[1:len(m)-1])
		if err != nil {
			t.Fatal(err)
		}
		return "[" + at.UTC().Format("02/Jan/2006:15:04:05 -0700") + "]"
	})
	if strings.Contains(utc, "+0100") || !strings.Contains(utc, "+0000") {
		t.Fatal("the access log was not rewritten in UTC")
	}
	os.WriteFile(filepath.Join(dir, "access.log"), []byte(utc), 0o644)
	for _, f := range []string{"error.log", "php-fpm.log"} {
		b, err := os.ReadFile(filepath.Join("../testdata/demo", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}

	res, _ := analyzeLogs(t, "", pipeline.Options{}, dir)
	zones := map[string]string{}
	for _, s := range res.Sources {
		zones[filepath.Base(s.Path)] = s.TZ
	}
	if z := zones["error.log"]; !strings.HasPrefix(z, "+01:00 (inferred: 235 of 235 ") || !strings.Contains(z, "the access log's stamps say +00:00") {
		t.Errorf("error.log read in %q, want +01:00 inferred from 235 requests", z)
	}
	if z := zones["php-fpm.log"]; !strings.HasPrefix(z, "+01:00 (inferred for ") {
		t.Errorf("php-fpm.log read in %q, want the error log's +01:00", z)
	}
	assertWorkerExhaustion(t, res, 235)
}

// Without the access log's failed requests to line up with, the access
// log's offset is assumed and the report says so.
func TestZoneAssumedWithoutMatches(t *testing.T) {
	dir := t.TempDir()
	access := "127.0.0.1 - - [23/Nov/2026:23:21:11 +0100] \"GET / HTTP/1.1\" 200 94 \"-\" \"curl/7.88.1\"\n"
	os.WriteFile(filepath.Join(dir, "access.log"), []byte(access), 0o644)
	b, err := os.ReadFile("../testdata/demo/error.log")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "error.log"), b, 0o644)
	res, _ := analyzeLogs(t, "", pipeline.Options{}, dir)
	for _, s := range res.Sources {
		if filepath.Base(s.Path) == "error.log" && s.TZ != "+01:00 (learned from the access log)" {
			t.Errorf("error.log read in %q", s.TZ)
		}
	}
}
