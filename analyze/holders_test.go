package analyze

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/logcause/logcause/patterns"
)

// trace adds a PHP-FPM slow-log entry whose innermost frame is fn, called
// at file:line.
func (f *fake) trace(sec int, fn, file string, line int) {
	f.events = append(f.events, &patterns.Event{
		Time: at(sec), Kind: patterns.KindFPMSlow, Path: "php-fpm.slow.log", Offset: int64(len(f.events)),
		Text: fmt.Sprintf("[pool www] pid 7\n[0x1] %s() %s:%d", fn, file, line),
		FPMSlow: &patterns.FPMSlow{Pool: "www", PID: 7, Frames: []patterns.Frame{
			{Function: fn, File: file, Line: line}, {Function: "main", File: "/var/www/index.php", Line: 3},
		}},
	})
}

// exhausted is a pool that filled at second 20: EAGAIN 502s for 6 s.
func exhausted() *fake {
	f := &fake{}
	f.healthy(0, 60)
	f.fpm(20, "WARNING", maxChildren)
	for s := 20; s < 26; s++ {
		f.access(s, 502, "/x", 2)
		f.nginx(s, 2, 11, eagain, connecting, fpmSock)
	}
	return f
}

func TestHoldersNameWhatHeldTheWorkers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fn    string
		chain []Kind
		says  string
		fix   string
	}{
		{"database handshake", "__construct", []Kind{DBUnresponsive, FPMWorkerExhaustion}, "waited in `__construct()` (/var/www/lib/db.php:9)", "PDO::ATTR_TIMEOUT"},
		{"mysqli connect", "mysqli_real_connect", []Kind{DBUnresponsive, FPMWorkerExhaustion}, "opening a database connection", "PDO::ATTR_TIMEOUT"},
		{"session lock", "session_start", []Kind{SessionLock, FPMWorkerExhaustion}, "waited in `session_start()`", "session_write_close()"},
		{"curl", "curl_exec", []Kind{SlowExternalCall, FPMWorkerExhaustion}, "an outbound call", "CURLOPT_TIMEOUT"},
		{"redis, class-prefixed", "Redis->connect", []Kind{SlowExternalCall, FPMWorkerExhaustion}, "waited in `Redis->connect()`", "CURLOPT_TIMEOUT"},
		{"query with no slow-log entry: a lock wait", "execute", []Kind{SlowQueries, FPMWorkerExhaustion}, "lock time out of the long_query_time comparison", "innodb_lock_wait_timeout"},
		{"load alone", "usleep", []Kind{FPMWorkerExhaustion}, "the load alone exceeded the pool", "pm.max_children"},
		{"file lock", "flock", []Kind{FPMWorkerExhaustion}, "a lock on a file, held by another request or process", "pm.max_children"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := exhausted()
			for s := 14; s < 24; s++ {
				f.trace(s, tc.fn, "/var/www/lib/db.php", 9)
			}
			f.trace(22, "str_repeat", "/var/www/index.php", 4) // one request at its own work
			inc := onlyIncident(t, analyzeFake(t, f))
			if !reflect.DeepEqual(inc.Chain, tc.chain) {
				t.Fatalf("chain %v, want %v; causes %+v", inc.Chain, tc.chain, inc.Causes)
			}
			root := inc.Causes[0]
			for _, c := range inc.Causes {
				if c.Kind == inc.RootCause {
					root = c
				}
			}
			if !strings.Contains(root.Summary, tc.says) || !strings.Contains(root.Summary, "of 11 traced requests") {
				t.Errorf("summary %q, want %q and the share of 11 traces", root.Summary, tc.says)
			}
			if !strings.Contains(strings.Join(root.Recommendations, "\n"), tc.fix) {
				t.Errorf("recommendations %q, want %q", root.Recommendations, tc.fix)
			}
		})
	}
}

// A holder must hold the most traced requests: a few traces in
// session_start() beside many in the database's handshake are victims.
func TestTheMostTracedHolderWins(t *testing.T) {
	f := exhausted()
	for s := 14; s < 24; s++ {
		f.trace(s, "__construct", "/var/www/lib/db.php", 9)
	}
	f.trace(21, "session_start", "/var/www/cart.php", 2)
	f.trace(22, "session_start", "/var/www/cart.php", 2)
	inc := onlyIncident(t, analyzeFake(t, f))
	if want := []Kind{DBUnresponsive, FPMWorkerExhaustion}; !reflect.DeepEqual(inc.Chain, want) {
		t.Fatalf("chain %v, want %v", inc.Chain, want)
	}
	for _, c := range inc.Causes {
		if c.Kind == SessionLock {
			t.Errorf("session_lock from 2 of 12 traces: %+v", c)
		}
	}
}

// Slow-log entries beside traces that waited elsewhere are not the cause.
func TestSlowQueriesYieldToTheTraces(t *testing.T) {
	f := exhausted()
	for s := 14; s < 24; s++ {
		f.trace(s, "curl_exec", "/var/www/lib/http.php", 12)
	}
	f.slow(24, 6, "SELECT * FROM orders", "select * from orders")
	inc := onlyIncident(t, analyzeFake(t, f))
	if want := []Kind{SlowExternalCall, FPMWorkerExhaustion}; !reflect.DeepEqual(inc.Chain, want) {
		t.Fatalf("chain %v, want %v; causes %+v", inc.Chain, want, inc.Causes)
	}
}

func TestMissingSlowLogIsSaid(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tooSlow bool
		want    string
	}{
		{"not enabled", false, "no PHP-FPM slow log traced a request in the window"},
		{"not given", true, "php-fpm logged 1 `executing too slow` warnings, but its slow log is not among the logs read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := exhausted()
			if tc.tooSlow {
				f.fpm(18, "WARNING", `child 7, script '/var/www/x.php' (request: "GET /x.php") executing too slow (5.001 sec), logging`)
			}
			inc := onlyIncident(t, analyzeFake(t, f))
			if inc.RootCause != FPMWorkerExhaustion || !strings.Contains(inc.Causes[0].Summary, tc.want) {
				t.Fatalf("root %s, summary %q; want %q", inc.RootCause, inc.Causes[0].Summary, tc.want)
			}
		})
	}
}

// A reload cuts requests with the line a crash gives; php-fpm's log tells
// them apart.
func TestReloadIsNotACrash(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fpm   []string
		root  Kind
		title string
	}{
		{"reload", []string{"Reloading in progress ...", `reloading: execvp("/usr/sbin/php-fpm8.2", {"/usr/sbin/php-fpm8.2"})`, "ready to handle connections"},
			FPMDown, "php-fpm was reloaded at 13:00:20 UTC and cut 6 in-flight requests"},
		{"crash", []string{"child 77 exited on signal 11 (SIGSEGV - core dumped) after 3.2 seconds from start"}, WorkerCrash, "PHP-FPM workers died mid-request"},
		{"crashes, then php-fpm's emergency reload", []string{"child 77 exited on signal 11 (SIGSEGV - core dumped) after 3.2 seconds from start", "Reloading in progress ..."},
			WorkerCrash, "PHP-FPM workers died mid-request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{}
			f.healthy(0, 60)
			for _, m := range tc.fpm {
				f.fpm(20, "NOTICE", m)
			}
			for s := 20; s < 22; s++ {
				f.access(s, 502, "/slow.php", 3)
				f.nginx(s, 3, 104, reset, readHeader, fpmSock)
			}
			inc := onlyIncident(t, analyzeFake(t, f))
			if inc.RootCause != tc.root || !strings.HasSuffix(inc.Title, tc.title) {
				t.Fatalf("root %s, title %q; want %s, %q; causes %+v", inc.RootCause, inc.Title, tc.root, tc.title, inc.Causes)
			}
		})
	}
}

// A connection reset alone is no crash evidence.
func TestResetAloneIsNoCrash(t *testing.T) {
	f := &fake{}
	f.healthy(0, 60)
	for s := 20; s < 22; s++ {
		f.access(s, 502, "/x", 3)
		f.nginx(s, 3, 104, reset, readHeader, fpmSock)
	}
	inc := onlyIncident(t, analyzeFake(t, f))
	for _, c := range inc.Causes {
		if c.Kind == WorkerCrash {
			t.Errorf("worker_crash without an exited child or a prematurely closed connection: %+v", c)
		}
	}
}

// MariaDB stamps a slow-log entry with its query's start, MySQL with its
// end: either way the query ran during the spike.
func TestSlowQueryStampedAtEitherEnd(t *testing.T) {
	for _, stamp := range []int{14, 26} { // the start (MariaDB), the end (MySQL) of a 12 s query
		f := exhausted()
		f.slow(stamp, 12, "UPDATE stock SET qty = qty - 1 WHERE sku = 42", "update stock set qty = qty - ? where sku = ?")
		inc := onlyIncident(t, analyzeFake(t, f))
		if want := []Kind{SlowQueries, FPMWorkerExhaustion}; !reflect.DeepEqual(inc.Chain, want) {
			t.Errorf("stamp at %d s: chain %v, want %v", stamp, inc.Chain, want)
		}
	}
}

// Slow requests that filled no pool made no gateway error: their traces
// name no holder of the spike.
func TestTracesWithoutAFullPoolNameNoHolder(t *testing.T) {
	f := &fake{}
	f.healthy(0, 60)
	f.fpm(20, "WARNING", "child 77 exited on signal 11 (SIGSEGV - core dumped) after 3.2 seconds from start")
	for s := 14; s < 24; s++ {
		f.trace(s, "curl_exec", "/var/www/lib/http.php", 12)
	}
	for s := 20; s < 22; s++ {
		f.access(s, 502, "/x", 3)
		f.nginx(s, 3, 104, reset, readHeader, fpmSock)
	}
	inc := onlyIncident(t, analyzeFake(t, f))
	if want := []Kind{WorkerCrash}; !reflect.DeepEqual(inc.Chain, want) {
		t.Fatalf("chain %v, want %v; causes %+v", inc.Chain, want, inc.Causes)
	}
	for _, c := range inc.Causes {
		if c.Kind == SlowExternalCall {
			t.Errorf("a holder without a full pool: %+v", c)
		}
	}
}

// Over TCP a full pool shows as timeouts, with no max_children warning
// when php-fpm's log is not given: the holder comes before them.
func TestHolderBeforeTimeouts(t *testing.T) {
	f := &fake{}
	f.healthy(0, 60)
	for s := 14; s < 24; s++ {
		f.trace(s, "__construct", "/var/www/lib/db.php", 9)
	}
	for s := 20; s < 26; s++ {
		f.access(s, 504, "/x", 2)
		f.nginx(s, 2, 110, timedOut, readHeader, "fastcgi://127.0.0.1:9000")
	}
	inc := onlyIncident(t, analyzeFake(t, f))
	if want := []Kind{DBUnresponsive, UpstreamTimeout}; !reflect.DeepEqual(inc.Chain, want) {
		t.Fatalf("chain %v, want %v; causes %+v", inc.Chain, want, inc.Causes)
	}
}

// TestHolderBeforeTerminatedRequests: requests that php-fpm killed at
// request_terminate_timeout timed out too: what the traced ones waited
// on comes before the kills in the chain.
func TestHolderBeforeTerminatedRequests(t *testing.T) {
	f := &fake{}
	f.healthy(0, 60)
	for s := 14; s < 24; s++ {
		f.trace(s, "session_start", "/var/www/cart.php", 4)
	}
	f.fpm(20, "WARNING", "child 77, script '/var/www/cart.php' (request: \"GET /cart.php\") execution timed out (5.001 sec), terminating")
	for s := 20; s < 26; s++ {
		f.access(s, 502, "/cart.php", 1)
		f.nginx(s, 1, 104, reset, readHeader, fpmSock)
	}
	inc := onlyIncident(t, analyzeFake(t, f))
	if want := []Kind{SessionLock, FPMRequestTerminated}; !reflect.DeepEqual(inc.Chain, want) {
		t.Fatalf("chain %v, want %v; causes %+v", inc.Chain, want, inc.Causes)
	}
}
