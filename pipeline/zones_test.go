package pipeline_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/pipeline"
)

// The demo's logs (real nginx and php-fpm in Europe/Paris) with the access
// log rewritten in UTC, as a container or a $time_iso8601 log in UTC would
// write it: the same instants, another offset. Assuming the access log's
// offset would put the error log an hour off; lining up the requests both
// logs name finds +01:00, and the analysis is the demo's.
func TestZoneInferredFromMatchingRequests(t *testing.T) {
	res, _ := analyzeLogs(t, "", pipeline.Options{}, demoInUTC(t, 0))
	assertInferredFromTheDemosRequests(t, res)
}

// An error log opens with the requests that did not fail, as a day's
// does: scanners' 404s, each an access-log line of status 404 and an
// error-log line "open() … failed (2: No such file or directory)" naming
// its client and request. The index holds only failed requests; those
// lines cannot vote, and the inference reads on to the failed requests'
// lines. (It stopped at the first 2,000 named requests, all 404s here,
// and read the error log in the access log's offset, an hour off.)
func TestZoneInferredPastRequestsThatDidNotFail(t *testing.T) {
	res, _ := analyzeLogs(t, "", pipeline.Options{}, demoInUTC(t, 2500))
	assertInferredFromTheDemosRequests(t, res)
}

// demoInUTC writes the demo's logs in a directory, the access log in UTC
// (TestZoneInferredFromMatchingRequests), after notFound 404s of the hour
// and a half before its incident, in both the access and the error log.
func demoInUTC(t *testing.T, notFound int) string {
	t.Helper()
	dir := t.TempDir()
	access, err := os.ReadFile("../testdata/demo/access.log")
	if err != nil {
		t.Fatal(err)
	}
	errorLog, err := os.ReadFile("../testdata/demo/error.log")
	if err != nil {
		t.Fatal(err)
	}
	paris := time.FixedZone("+01:00", 3600)
	var before, beforeErr strings.Builder
	start := time.Date(2026, 11, 23, 21, 50, 0, 0, paris)
	for i := range notFound {
		at := start.Add(time.Duration(i) * 2 * time.Second)
		client := fmt.Sprintf("198.51.100.%d", i%250+1)
		uri := fmt.Sprintf("/wp-content/plugins/p%d/readme.txt", i)
		fmt.Fprintf(&before, "%s - - [%s] \"GET %s HTTP/1.1\" 404 153 \"-\" \"Mozilla/5.0 (compatible; scanner)\"\n", client, at.Format("02/Jan/2006:15:04:05 -0700"), uri)
		fmt.Fprintf(&beforeErr, "%s [error] 29030#29030: *%d open() \"/var/www/shop%s\" failed (2: No such file or directory), client: %s, server: shop.example.test, request: \"GET %s HTTP/1.1\", host: \"shop.example.test\"\n",
			at.Format("2006/01/02 15:04:05"), i+1, uri, client, uri)
	}
	stamp := regexp.MustCompile(`\[(\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\]`)
	utc := stamp.ReplaceAllStringFunc(before.String()+string(access), func(m string) string {
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
	os.WriteFile(filepath.Join(dir, "error.log"), append([]byte(beforeErr.String()), errorLog...), 0o644)
	fpm, err := os.ReadFile("../testdata/demo/php-fpm.log")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "php-fpm.log"), fpm, 0o644)
	return dir
}

// assertInferredFromTheDemosRequests checks that the error log of
// demoInUTC was read in +01:00, found by its 235 failed requests, and
// php-fpm's in the error log's zone, and that the analysis is the demo's.
func assertInferredFromTheDemosRequests(t *testing.T, res analyze.Result) {
	t.Helper()
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
