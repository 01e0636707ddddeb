package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
)

// parsed is what a test reads of `parse`'s objects.
type parsed struct {
	Time    time.Time `json:"time"`
	Format  string    `json:"format"`
	Path    string    `json:"path"`
	Offset  int64     `json:"offset"`
	Client  string    `json:"client"`
	Request string    `json:"request"`
	Remote  string    `json:"remote_addr"`
	Method  string    `json:"method"`
	URI     string    `json:"uri"`
	Proto   string    `json:"protocol"`
	Status  int       `json:"status"`
}

func parseOut(t *testing.T, out string) []parsed {
	t.Helper()
	var recs []parsed
	for l := range strings.Lines(out) {
		var p parsed
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		recs = append(recs, p)
	}
	return recs
}

// TestParseAndAnalyzeAgreeOnTime: `parse` reads the demo's zoneless logs in
// the zone `analyze` reads them in (learned from the access log), and says
// which on stderr: every evidence line of the analysis has the time parse
// gives its record.
func TestParseAndAnalyzeAgreeOnTime(t *testing.T) {
	t.Chdir("../..")
	code, out, errs := runCmd(t, "analyze", "--format", "json", "testdata/demo")
	if code != exitOK {
		t.Fatalf("analyze: exit %d: %s", code, errs)
	}
	var res analyze.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCmd(t, "parse", "testdata/demo/error.log", "testdata/demo/php-fpm.log", "testdata/demo/access.log")
	if code != exitOK {
		t.Fatalf("parse: exit %d: %s", code, errs)
	}
	at := map[string]time.Time{}
	for _, p := range parseOut(t, out) {
		at[fmt.Sprint(p.Path, "@", p.Offset)] = p.Time
	}
	var n int
	for _, inc := range res.Incidents {
		for _, c := range inc.Causes {
			for _, e := range c.Evidence {
				n++
				if got, ok := at[fmt.Sprint(e.Path, "@", e.Offset)]; !got.Equal(e.Time) {
					t.Errorf("%s @ %d: parse says %s (found %v), analyze %s", e.Path, e.Offset, got, ok, e.Time)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no evidence to compare")
	}
	for _, s := range res.Sources {
		if s.Format == "nginx_access" {
			continue
		}
		if want := "logcause: " + s.Path + ": stamps without a zone read in " + s.TZ + "\n"; !strings.Contains(errs, want) {
			t.Errorf("stderr %q does not say %q", errs, want)
		}
	}
}

// TestParseLearnsTheZoneFromTheAccessLog: wherever it runs, parse reads an
// error log in the offset of the access log given with it: each error
// line's request has the time of its 502 in the access log. The offset is
// one this machine's zone does not have, so that reading in the local zone
// cannot pass.
func TestParseLearnsTheZoneFromTheAccessLog(t *testing.T) {
	local := time.Date(2026, 11, 23, 14, 0, 0, 0, time.Local)
	offset := 5*3600 + 45*60 // +05:45
	if _, off := local.Zone(); off == offset {
		offset = -(3*3600 + 30*60) // -03:30
	}
	zone := time.FixedZone("", offset)
	dir := t.TempDir()
	var access, nginxErr strings.Builder
	for s := range 60 {
		at := time.Date(2026, 11, 23, 14, 0, s, 0, zone)
		status := 200
		if s%3 == 0 {
			status = 502
			fmt.Fprintf(&nginxErr, "%s [error] 100#100: *%d connect() to unix:/tmp/php-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 10.0.0.%d, server: _, request: \"GET /p?i=%d HTTP/1.1\", upstream: \"fastcgi://unix:/tmp/php-fpm.sock:\", host: \"h\"\n",
				at.Format("2006/01/02 15:04:05"), s, s, s)
		}
		fmt.Fprintf(&access, "10.0.0.%d - - [%s] \"GET /p?i=%d HTTP/1.1\" %d 150 \"-\" \"curl/7.88.1\"\n", s, at.Format("02/Jan/2006:15:04:05 -0700"), s, status)
	}
	for name, data := range map[string]string{"access.log": access.String(), "error.log": nginxErr.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	errLog := filepath.Join(dir, "error.log")
	code, out, errs := runCmd(t, "parse", errLog, filepath.Join(dir, "access.log"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	failed := map[string]time.Time{}
	var errRecs []parsed
	for _, p := range parseOut(t, out) {
		switch {
		case p.Format == "nginx_access" && p.Status == 502:
			failed[p.Remote+" "+p.Method+" "+p.URI+" "+p.Proto] = p.Time
		case p.Format == "nginx_error":
			errRecs = append(errRecs, p)
		}
	}
	if len(errRecs) != 20 || len(failed) != 20 {
		t.Fatalf("%d error records, %d 502s; want 20 of each", len(errRecs), len(failed))
	}
	for _, e := range errRecs {
		if want := failed[e.Client+" "+e.Request]; !e.Time.Equal(want) {
			t.Errorf("%s %s at %s, its 502 at %s", e.Client, e.Request, e.Time, want)
		}
	}
	want := errLog + ": stamps without a zone read in " + local.In(zone).Format("-07:00") + " (learned from the access log"
	if !strings.Contains(errs, want) {
		t.Errorf("stderr %q does not say %q", errs, want)
	}
}
