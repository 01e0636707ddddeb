package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMessagesToUsersAreLogcauseLines: what a user running analyze reads
// on stderr are "logcause: …" lines, for what matters (a source that
// matches nothing), and no debug chatter (an empty file skipped, a line
// that does not parse, Badger's log); --verbose shows all of it, as the
// structured log.
func TestMessagesToUsersAreLogcauseLines(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	os.WriteFile(filepath.Join(dir, "empty.log"), nil, 0o644)
	f, _ := os.OpenFile(filepath.Join(dir, "access.log"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("not an access log line\n")
	f.Close()
	missing := filepath.Join(dir, "nothing-*.log")
	cfg := filepath.Join(t.TempDir(), "logcause.yaml")
	os.WriteFile(cfg, []byte("sources:\n  - path: "+dir+"\n  - path: "+missing+"\n"), 0o644)

	code, out, errs := runCmd(t, "analyze", "--config", cfg)
	if code != exitOK || !strings.Contains(out, "fpm_worker_exhaustion") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	want := "logcause: a configured source matches no file: " + missing + " (config " + cfg + ")\n"
	if errs != want {
		t.Errorf("stderr:\n%s\nwant only:\n%s", errs, want)
	}

	code, _, errs = runCmd(t, "analyze", "--verbose", "--config", cfg)
	if code != exitOK {
		t.Fatalf("--verbose: exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{
		`level=WARN msg="a configured source matches no file"`,
		`level=INFO msg="skipping an empty file" path=` + filepath.Join(dir, "empty.log"),
		`level=DEBUG msg="unparsed record"`,
		`component=badger badger_level=info`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("--verbose: stderr lacks %q:\n%s", want, errs)
		}
	}
}

// TestVerboseIsEveryCommands: --verbose is a flag of every command.
func TestVerboseIsEveryCommands(t *testing.T) {
	if code, out, errs := runCmd(t, "version", "--verbose"); code != exitOK || !strings.HasPrefix(out, "logcause ") {
		t.Errorf("version --verbose: exit %d, %q %q", code, out, errs)
	}
}

// TestWatchWritesTheStructuredLog: the daemon's log is structured, from
// Info up; stopped by SIGTERM, watch ends with 0 and says how long its
// stop took.
func TestWatchWritesTheStructuredLog(t *testing.T) {
	logs := t.TempDir()
	writeLogs(t, logs)
	c := startChild(t, "plain", t.TempDir(), "watch", "--store", filepath.Join(t.TempDir(), "store"), logs)
	c.expect(c.err, `level=INFO msg=watching files=3`)
	c.signal(syscall.SIGTERM)
	code, _, stderr := c.wait()
	if code != exitOK || len(stderr) != 2 || stderr[0] != "logcause: stopping on SIGTERM (a second one stops at once)" || !strings.Contains(stderr[1], "level=INFO msg=stopped took=") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestWatchPrintsJSONLines: watch --format json prints an incident's
// opening as one JSON line as soon as its 502s are read.
func TestWatchPrintsJSONLines(t *testing.T) {
	logs := t.TempDir()
	var access strings.Builder
	now := time.Now()
	for i := range 30 {
		status := 200
		if i >= 10 {
			status = 502
		}
		fmt.Fprintf(&access, "127.0.0.1 - - [%s] \"GET /a.php?i=%d HTTP/1.1\" %d 150 \"-\" \"curl/7.88.1\"\n", now.Format("02/Jan/2006:15:04:05 -0700"), i, status)
	}
	if err := os.WriteFile(filepath.Join(logs, "access.log"), []byte(access.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startChild(t, "plain", t.TempDir(), "watch", "--format", "json", "--from-start", "--store", filepath.Join(t.TempDir(), "store"), logs)
	c.expect(c.out, `{"event":"open","incident":{"start":"`)
	c.signal(syscall.SIGTERM)
	if code, _, _ := c.wait(); code != exitOK {
		t.Errorf("exit %d", code)
	}
}
