//go:build realserver

package pipeline_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/pipeline"
)

// TestRealServerWorkerExhaustion starts a real nginx and php-fpm on loopback
// (testdata/demo/capture.sh, Debian packages), overloads the pool, and
// checks that logcause names the cause of the 502s it produced.
//
// Run: go test -tags realserver -count=1 ./pipeline (as root: the harness
// installs nginx and php-fpm with apt-get when they are missing).
func TestRealServerWorkerExhaustion(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the real-server suite must run as root: it installs nginx and php8.2-fpm and runs them as www-data")
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../testdata/demo/capture.sh", out)
	cmd.Env = append(os.Environ(), "LC_QUIET=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("capture failed: %v\n%s", err, b)
	}

	res, stdout := analyzeLogs(t, "", pipeline.Options{}, out)

	// What the servers wrote, counted without logcause's parsers.
	n502, first, last := count502(t, filepath.Join(out, "access.log"))
	assertWorkerExhaustion(t, res, n502)
	inc := res.Incidents[0]
	if !inc.Start.Equal(first) || !inc.End.Equal(last.Add(time.Second)) {
		t.Errorf("incident window %s–%s, want the 502s' %s–%s", inc.Start, inc.End, first, last.Add(time.Second))
	}
	// php-fpm logs the max_children warning once, when the pool fills; the
	// socket's backlog can absorb requests for a while before nginx's first
	// EAGAIN (seen here: 0 to 12 s). With the zones aligned it lands in that
	// span before the 502s, not an hour away.
	for _, e := range inc.Causes[0].Evidence {
		if e.Source == "fpm_error" {
			if d := e.Time.Sub(first); d < -analyze.DefaultConfig.Lookback || d > 2*time.Second {
				t.Errorf("max_children warning at %s, %s from the first 502", e.Time, d)
			}
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s", stdout)
	}
}

// count502 counts the 502 lines of a combined access log and returns the
// instants of the first and the last.
func count502(t *testing.T, path string) (n int64, first, last time.Time) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		_, after, ok := strings.Cut(line, `" 502 `)
		if !ok || after == "" {
			continue
		}
		open, close := strings.IndexByte(line, '['), strings.IndexByte(line, ']')
		ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", line[open+1:close])
		if err != nil {
			t.Fatalf("bad stamp in %q: %v", line, err)
		}
		ts = ts.UTC()
		if n == 0 || ts.Before(first) {
			first = ts
		}
		if ts.After(last) {
			last = ts
		}
		n++
	}
	if n == 0 {
		t.Fatal("the capture produced no 502")
	}
	return n, first, last
}

// TestRealServerScenarios induces every failure of testdata/scenarios on
// real servers again, and checks that logcause finds what the committed
// capture shows (chains, windows within the 502/504 spans).
func TestRealServerScenarios(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the real-server suite must run as root: it installs nginx, php8.2-fpm and mariadb-server")
	}
	for name, sc := range scenarios {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", filepath.Join("../testdata/scenarios", name, "capture.sh"), out)
			cmd.Env = append(os.Environ(), "LC_QUIET=1")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("capture failed: %v\n%s", err, b)
			}
			res, _ := analyzeScenario(t, out)
			checkScenario(t, out, res, sc)
		})
	}
}
