package pipeline_test

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/pipeline"
)

// scenario is what logcause must find in the logs of one failure induced on
// real servers (testdata/scenarios/<name>/capture.sh, CAPTURE.md).
type scenario struct {
	chains [][]analyze.Kind // one per incident, root first
	// quotes are what the first incident's root cause must say of the
	// servers' configuration (capture.sh copies it to config/), in its
	// summary or its recommendations. They hold for every live capture
	// too: a 2 s timeout's 504s take "2.0 s" in the committed capture, and
	// "2.0–2.1 s" in some live ones (the committed report is checked whole
	// against expected.json).
	quotes []string
}

// scenarios lists the captured scenarios and the analysis each must get.
var scenarios = map[string]scenario{
	"healthy":            {},
	"upstream-timeout":   {chains: [][]analyze.Kind{{analyze.UpstreamTimeout}}, quotes: []string{"nginx waits fastcgi_read_timeout 2s (/etc/nginx/nginx.conf:", "and the 504s took 2.0", "[www] request_terminate_timeout = 0 ("}},
	"fpm-stopped":        {chains: [][]analyze.Kind{{analyze.FPMDown}}},
	"fpm-killed":         {chains: [][]analyze.Kind{{analyze.FPMDown}}},
	"request-terminated": {chains: [][]analyze.Kind{{analyze.FPMRequestTerminated}}, quotes: []string{"[www] request_terminate_timeout = 2s (/etc/php/8.2/fpm/php-fpm.conf:"}},
	"worker-crash":       {chains: [][]analyze.Kind{{analyze.WorkerCrash}}},
	"header-too-big":     {chains: [][]analyze.Kind{{analyze.UpstreamHeaderTooBig}}, quotes: []string{"Raise fastcgi_buffer_size 4k (/etc/nginx/nginx.conf:"}},
	"socket-permission":  {chains: [][]analyze.Kind{{analyze.SocketPermission}}, quotes: []string{"[www] listen.owner = root (/etc/php/8.2/fpm/php-fpm.conf:11), [www] listen.group = root", "[www] listen.mode = 0600", "user www-data (/etc/nginx/nginx.conf:"}},
	"backend-down":       {chains: [][]analyze.Kind{{analyze.BackendDown}}, quotes: []string{"nginx takes a server out of the group for fail_timeout 10s (nginx default) after max_fails 1 (nginx default) failed attempts (connecting with proxy_connect_timeout 5s (/etc/nginx/nginx.conf:"}},
	"invalid-response":   {chains: [][]analyze.Kind{{analyze.InvalidUpstreamResponse}}},
	"http09-response":    {chains: [][]analyze.Kind{{analyze.InvalidUpstreamResponse}}},
	"slow-queries":       {chains: [][]analyze.Kind{{analyze.SlowQueries, analyze.FPMWorkerExhaustion}}, quotes: []string{"long_query_time = 1 (/etc/mysql/my.cnf:", "[www] pm.max_children = 4 ("}},
	"two-incidents":      {chains: [][]analyze.Kind{{analyze.FPMWorkerExhaustion}, {analyze.FPMDown}}, quotes: []string{"Raise pm.max_children = "}},
	"dns-failure":        {chains: [][]analyze.Kind{{analyze.DNSFailure}}},
	// What held the PHP workers, from the PHP-FPM slow log's traces.
	"db-unresponsive":    {chains: [][]analyze.Kind{{analyze.DBUnresponsive, analyze.FPMWorkerExhaustion}}, quotes: []string{"waited in `__construct()` (", "/lib/db.php:9)", "[www] request_terminate_timeout = 0 ("}},
	"row-lock-waits":     {chains: [][]analyze.Kind{{analyze.SlowQueries, analyze.FPMWorkerExhaustion}}, quotes: []string{"waited in `execute()` (", "innodb_lock_wait_timeout = 50 (MySQL/MariaDB default)", "lock_wait_timeout = 86400 (MySQL/MariaDB default)"}},
	"metadata-lock":      {chains: [][]analyze.Kind{{analyze.SlowQueries, analyze.FPMWorkerExhaustion}}, quotes: []string{"waited in `execute()` (", "the slow log has no entry that ran then", "lock_wait_timeout = 86400 (MySQL/MariaDB default)"}},
	"session-lock":       {chains: [][]analyze.Kind{{analyze.SessionLock, analyze.FPMWorkerExhaustion}}, quotes: []string{"waited in `session_start()` (", "session_write_close()"}},
	"slow-external-call": {chains: [][]analyze.Kind{{analyze.SlowExternalCall, analyze.FPMWorkerExhaustion}}, quotes: []string{"waited in `file_get_contents()` (", "/lib/rates.php:", "CURLOPT_TIMEOUT"}},
	"fpm-reload":         {chains: [][]analyze.Kind{{analyze.FPMDown}}, quotes: []string{"php-fpm was reloaded at ", "no child exited on a signal", "process_control_timeout = 0 ("}},
	"load-alone":         {chains: [][]analyze.Kind{{analyze.FPMWorkerExhaustion}}, quotes: []string{"were in `usleep()` (", "the load alone exceeded the pool", "shows the requests in their own code"}},
}

// TestScenarios analyzes each committed capture and checks the chains, the
// windows (against the 502/504 seconds counted from the access log without
// logcause's parsers) and the whole report against its expected.json.
func TestScenarios(t *testing.T) {
	t.Chdir("..") // paths in the reports are the repository's
	dirs, _ := filepath.Glob("testdata/scenarios/*/capture.sh")
	if len(dirs) != len(scenarios) {
		t.Errorf("%d capture scripts, %d scenarios with expectations: every scenario needs both", len(dirs), len(scenarios))
	}
	for name, sc := range scenarios {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata/scenarios", name)
			res, out := analyzeScenario(t, dir)
			checkScenario(t, dir, res, sc)
			golden(t, filepath.Join(dir, "expected.json"), out)
		})
	}
}

// analyzeScenario analyzes the logs a capture.sh wrote to dir, with the
// configuration it copied to dir/config.
func analyzeScenario(t *testing.T, dir string) (analyze.Result, string) {
	t.Helper()
	return analyzeLogs(t, filepath.Join(dir, "config"), pipeline.Options{}, dir)
}

// checkScenario checks an analysis against the scenario's facts.
func checkScenario(t *testing.T, dir string, res analyze.Result, sc scenario) {
	t.Helper()
	var chains [][]analyze.Kind
	for _, inc := range res.Incidents {
		chains = append(chains, inc.Chain)
	}
	if len(chains) != len(sc.chains) || (len(chains) > 0 && !reflect.DeepEqual(chains, sc.chains)) {
		t.Fatalf("chains %v, want %v; causes: %s", chains, sc.chains, causesOf(res))
	}
	if len(sc.quotes) > 0 {
		var root analyze.Cause
		for _, c := range res.Incidents[0].Causes {
			if c.Kind == res.Incidents[0].RootCause {
				root = c
			}
		}
		said := root.Summary + "\n" + strings.Join(root.Recommendations, "\n")
		for _, q := range sc.quotes {
			if !strings.Contains(said, q) {
				t.Errorf("the root cause does not quote %q from %s/config:\n%s", q, dir, said)
			}
		}
	}
	spans := gatewaySpans(t, accessLog(dir))
	if len(spans) < len(res.Incidents) {
		t.Fatalf("%d incidents, but the access log has %d spans of 502/504", len(res.Incidents), len(spans))
	}
	for i, inc := range res.Incidents {
		// Every incident lies within the span of gateway errors it explains.
		found := false
		for _, s := range spans {
			if !inc.Start.Before(s[0]) && !inc.End.After(s[1]) {
				found = true
			}
		}
		if !found {
			t.Errorf("incident %d (%s–%s) matches no span of 502/504 in the access log %v", i+1, inc.Start, inc.End, spans)
		}
	}
}

func causesOf(res analyze.Result) string {
	var b strings.Builder
	for _, inc := range res.Incidents {
		for _, c := range inc.Causes {
			b.WriteString(string(c.Kind) + " " + c.Summary + "\n")
		}
	}
	return b.String()
}

// accessLog is the access log a capture wrote to dir: dir/access.log, or
// where Debian's nginx writes it in a capture laid out as /var/log.
func accessLog(dir string) string {
	if p := filepath.Join(dir, "var/log/nginx/access.log"); fileExists(p) {
		return p
	}
	return filepath.Join(dir, "access.log")
}

// accessTime reads a line's stamp: $time_local in brackets, a leading
// $msec (the harness's access_format=msec), or the "time" of its json
// log_format ($time_iso8601), to the second.
func accessTime(line string) (time.Time, error) {
	if rest, ok := strings.CutPrefix(line, `{"time":"`); ok {
		stamp, _, _ := strings.Cut(rest, `"`)
		ts, err := time.Parse(time.RFC3339, stamp)
		return ts.UTC(), err
	}
	if i, j := strings.IndexByte(line, '['), strings.IndexByte(line, ']'); i >= 0 && j > i {
		ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", line[i+1:j])
		return ts.UTC(), err
	}
	sec, _, _ := strings.Cut(line, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	return time.Unix(n, 0).UTC(), err
}

// gatewaySpans reads the 502/504/009 lines of a combined access log and returns
// the spans [first, last+1s) of seconds with them, gaps under analyze's
// merge gap joined.
func gatewaySpans(t *testing.T, path string) [][2]time.Time {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var spans [][2]time.Time
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `" 502 `) && !strings.Contains(line, `" 504 `) && !strings.Contains(line, `" 009 `) &&
			!strings.Contains(line, `"status":502,`) && !strings.Contains(line, `"status":504,`) && !strings.Contains(line, `"status":9,`) {
			continue
		}
		ts, err := accessTime(line)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(spans); n > 0 && ts.Sub(spans[n-1][1]) < analyze.DefaultConfig.MergeGap {
			if ts.Add(time.Second).After(spans[n-1][1]) {
				spans[n-1][1] = ts.Add(time.Second)
			}
			continue
		}
		spans = append(spans, [2]time.Time{ts, ts.Add(time.Second)})
	}
	return spans
}

// TestScenarioWithoutSlowLog analyzes db-unresponsive's capture without its
// PHP-FPM slow log: what held the workers cannot be told, and the report
// must say so, and what to give it, rather than name a holder or nothing.
func TestScenarioWithoutSlowLog(t *testing.T) {
	t.Chdir("..")
	dir := "testdata/scenarios/db-unresponsive"
	var logs []string
	for _, f := range []string{"nginx/access.log", "nginx/error.log", "php8.2-fpm.log", "mysql/error.log", "mysql/mariadb-slow.log"} {
		logs = append(logs, filepath.Join(dir, "var/log", f))
	}
	res, _ := analyzeLogs(t, filepath.Join(dir, "config"), pipeline.Options{}, logs...)
	checkScenario(t, dir, res, scenario{
		chains: [][]analyze.Kind{{analyze.FPMWorkerExhaustion}},
		quotes: []string{
			"php-fpm logged 4 `executing too slow` warnings, but its slow log is not among the logs read: give it to logcause to tell what held the workers",
			"give logcause the pool's slow log (slowlog = ",
		},
	})
}
