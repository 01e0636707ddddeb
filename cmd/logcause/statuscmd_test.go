package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/logcause/logcause/daemon"
)

// TestStatusAndReportAskTheDaemon: with `logcause watch` running on the
// demo's logs (in a child process, the API on a free loopback port or on a
// unix socket), `logcause status` shows what it follows and `logcause
// report` gets the daemon's report of the store it holds, the same as the
// store gives once the daemon stopped; then status says no daemon runs.
func TestStatusAndReportAskTheDaemon(t *testing.T) {
	for name, listen := range map[string]string{"tcp": "127.0.0.1:0", "unix": "unix:" + filepath.Join(t.TempDir(), "api.sock")} {
		t.Run(name, func(t *testing.T) {
			logs, st := t.TempDir(), filepath.Join(t.TempDir(), "store")
			want := map[string]int64{"access.log": 500, "error.log": 235, "php-fpm.log": 6} // records
			for f := range want {
				b, err := os.ReadFile(filepath.Join("../../testdata/demo", f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(logs, f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			w := startChild(t, "commits", t.TempDir(), "watch", "--store", st, "--from-start", "--interval", "1h", "--listen", listen,
				"--tz", "+01:00", "--config-root", emptyRoot, logs)

			// After each commit, ask the daemon, until it read every record.
			var status daemon.Status
			for caughtUp := false; !caughtUp; {
				w.expect(w.out, "committed ")
				code, out, errs := runIn(t, demoEnv(), "status", "--store", st, "--format", "json")
				if code != exitOK {
					t.Fatalf("status: exit %d %s", code, errs)
				}
				if err := json.Unmarshal([]byte(out), &status); err != nil {
					t.Fatalf("%v: %s", err, out)
				}
				caughtUp = len(status.Files) == len(want)
				for _, f := range status.Files {
					caughtUp = caughtUp && f.Records == want[filepath.Base(f.Path)] && f.Behind == 0 && f.Unparsed == 0
				}
			}
			if !status.Running || status.Store != st || status.Commits < 3 {
				t.Errorf("status %+v", status)
			}
			code, out, errs := runIn(t, demoEnv(), "status", "--store", st)
			if code != exitOK || !strings.Contains(out, "logcause watch: running since") || !strings.Contains(out, "3 files followed") ||
				!strings.Contains(out, "0 open incidents") || !strings.Contains(out, "gateway errors since the start: 502: 235") {
				t.Errorf("status: exit %d %s\n%s", code, errs, out)
			}
			row := "[" + filepath.Join(logs, "access.log") + " nginx_access 500 0 0 KiB]"
			if !slices.ContainsFunc(strings.Split(out, "\n"), func(l string) bool { return fmt.Sprint(strings.Fields(l)) == row }) {
				t.Errorf("status has no row %s:\n%s", row, out)
			}

			report := func(format string) string {
				t.Helper()
				code, out, errs := runIn(t, demoEnv(), "report", "--store", st, "--since", "2026-11-23", "--tz", "UTC", "--format", format)
				if code != exitOK {
					t.Fatalf("report: exit %d %s", code, errs)
				}
				return out
			}
			fromDaemon := map[string]string{"json": report("json"), "text": report("text")}
			if res := decode(t, fromDaemon["json"]); len(res.Incidents) != 1 || res.Incidents[0].RootCause != "fpm_worker_exhaustion" || res.Totals.Requests != 500 {
				t.Errorf("the daemon's report: %d incidents, %d requests", len(res.Incidents), res.Totals.Requests)
			}

			w.signal(syscall.SIGTERM)
			if code, _, errs := w.wait(); code != exitOK {
				t.Fatalf("watch: exit %d %q", code, errs)
			}
			code, _, errs = runIn(t, demoEnv(), "status", "--store", st)
			if code != exitRuntime || !strings.Contains(errs, "no running `logcause watch` holds the store in "+st) {
				t.Errorf("status without a daemon: exit %d %q", code, errs)
			}
			for format, daemonSaid := range fromDaemon {
				if got := report(format); got != daemonSaid {
					t.Errorf("%s: the store's report differs from the daemon's:\n%s\nthe daemon's:\n%s", format, got, daemonSaid)
				}
			}
		})
	}
}

// TestWatchListen: watch serves where --listen says, else where the config
// file's listen says; an address it cannot listen on stops it at the start.
// Its context is done before it starts: a watch that listened (or did not
// try) would return at once, with 0.
func TestWatchListen(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	logs := t.TempDir()
	writeLogs(t, logs)
	conf := filepath.Join(t.TempDir(), "logcause.yaml")
	if err := os.WriteFile(conf, []byte("listen: "+taken.Addr().String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "cannot serve the API on " + taken.Addr().String() + ": "
	for _, args := range [][]string{{"--listen", taken.Addr().String()}, {"--config", conf}} {
		args = append([]string{"watch", "--store", filepath.Join(t.TempDir(), "store"), "--tz", "UTC"}, append(args, logs)...)
		var errb strings.Builder
		e := testEnv()
		e.stdout, e.stderr = io.Discard, &errb
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		code, errs := run(ctx, args, e), errb.String()
		if code != exitRuntime || !strings.Contains(errs, want) || !strings.Contains(errs, "address already in use; give --listen another address, or off") {
			t.Errorf("%v: exit %d %q, want %q", args, code, errs, want)
		}
	}
}
