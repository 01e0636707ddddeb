package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/store"
)

// systemd is the notify socket a test listens on as systemd does
// (NOTIFY_SOCKET), and the messages it received.
type systemd struct {
	t    testing.TB
	path string
	msgs chan string
}

func listenNotify(t testing.TB) *systemd {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	s := &systemd{t: t, path: path, msgs: make(chan string, 10000)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			// The listener never stops reading: when nobody took the
			// messages queued (a long run tells its status thousands of
			// times), the oldest is dropped for the newest, as a stalled
			// reader would have stalled the daemon's notifications (the
			// soak froze so once: sdnotify's writes now never wait).
			m := string(buf[:n])
			for sent := false; !sent; {
				select {
				case s.msgs <- m:
					sent = true
				default:
					select {
					case <-s.msgs:
					default:
					}
				}
			}
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return s
}

// expect returns the messages up to the first that holds want, but the
// watchdog's pings.
func (s *systemd) expect(want string) []string {
	s.t.Helper()
	var got []string
	timeout := time.After(safetyBound)
	for {
		select {
		case m := <-s.msgs:
			if m == "WATCHDOG=1" && want != m {
				continue
			}
			got = append(got, m)
			if strings.Contains(m, want) {
				return got
			}
		case <-timeout:
			s.t.Fatalf("systemd was not told %q (told %q)", want, got)
		}
	}
}

// appendRequests appends n requests answered 200 to the access log path,
// from the second from of 2026-11-23 14:00 UTC.
func appendRequests(t testing.TB, path string, from, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "10.0.0.1 - - [%s] \"GET /p.php?i=%d HTTP/1.1\" 200 512 \"-\" \"curl/7.88.1\"\n",
			t0.Add(time.Duration(from+i)*time.Second).Format("02/Jan/2006:15:04:05 -0700"), from+i)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// storedRequests counts the requests a stopped watch's store holds.
func storedRequests(t *testing.T, dir string) int64 {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stats, err := st.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return stats.Requests
}

// watchConfig writes a config file whose sources are dirs.
func watchConfig(t *testing.T, path string, dirs ...string) {
	t.Helper()
	text := "sources:\n"
	for _, d := range dirs {
		text += "  - path: " + d + "\n"
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// stopWatch sends sig to a watch and checks that it commits and exits 0,
// saying how long the stop took.
func stopWatch(t *testing.T, c *child, sd *systemd, sig syscall.Signal) {
	t.Helper()
	c.signal(sig)
	sd.expect("STOPPING=1")
	code, _, stderr := c.wait()
	if code != exitOK {
		t.Fatalf("watch stopped by %v: exit %d, want 0 (stderr %q)", sig, code, stderr)
	}
	for _, l := range stderr {
		if strings.Contains(l, "msg=stopped took=") {
			t.Logf("watch stopped by %v: %s", sig, l)
			return
		}
	}
	t.Errorf("watch did not say how long its stop took: %q", stderr)
}

// TestWatchReloadsAndStopsCleanly drives `logcause watch` as systemd
// would: READY=1 once following, a SIGHUP with a config that adds a
// source (followed) and one that is broken (kept, said at Error level),
// SIGTERM and SIGINT ending it with exit 0 after committing, and restarts
// that go on where it stopped: every line written is in the store once.
func TestWatchReloadsAndStopsCleanly(t *testing.T) {
	dir := t.TempDir()
	logsA, logsB, storeDir, cfg := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "store"), filepath.Join(dir, "logcause.yaml")
	for _, d := range []string{logsA, logsB} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	a, b := filepath.Join(logsA, "access.log"), filepath.Join(logsB, "access.log")
	appendRequests(t, a, 0, 10) // before the first start: not read
	appendRequests(t, b, 0, 10) // before its source is configured: not read
	watchConfig(t, cfg, logsA)
	sd := listenNotify(t)
	start := func() *child {
		c := startChildEnv(t, "plain", t.TempDir(), []string{"NOTIFY_SOCKET=" + sd.path, "WATCHDOG_USEC=200000"},
			"watch", "--config", cfg, "--store", storeDir, "--tz", "UTC", "--interval", "1h")
		return c
	}

	c := start()
	if got := sd.expect("READY=1"); got[len(got)-1] != "READY=1\nSTATUS=following 1 logs, 0 open incidents, 0 records read" {
		t.Errorf("told at the start %q", got)
	}
	sd.expect("WATCHDOG=1")
	appendRequests(t, a, 10, 30)
	sd.expect("30 records read") // told with a watchdog ping

	watchConfig(t, cfg, logsA, logsB)
	c.signal(syscall.SIGHUP)
	if got := sd.expect("READY=1"); !strings.HasPrefix(got[0], "RELOADING=1\nMONOTONIC_USEC=") || !strings.Contains(got[len(got)-1], "following 2 logs") {
		t.Errorf("told around the reload %q", got)
	}
	c.expect(c.err, `msg="reloaded the config" sources_added=[`+logsB+`] sources_removed=[]`)
	appendRequests(t, b, 10, 20)
	sd.expect("50 records read")

	if err := os.WriteFile(cfg, []byte("sources: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.signal(syscall.SIGHUP)
	sd.expect("READY=1")
	c.expect(c.err, `level=ERROR msg="cannot reload the config: the running one is kept"`)
	appendRequests(t, a, 40, 5)
	appendRequests(t, b, 30, 5)
	sd.expect("60 records read") // both still followed
	appendRequests(t, a, 45, 30) // perhaps read before the stop, perhaps after the restart
	stopWatch(t, c, sd, syscall.SIGTERM)

	committed := storedRequests(t, storeDir)
	if committed < 60 || committed > 90 {
		t.Fatalf("the store holds %d requests after the stop, want 60 to 90", committed)
	}
	watchConfig(t, cfg, logsA, logsB)
	c = start()
	sd.expect("READY=1")
	appendRequests(t, b, 35, 10)
	sd.expect(fmt.Sprintf(" %d records read", 90-committed+10))
	stopWatch(t, c, sd, syscall.SIGINT)
	if n := storedRequests(t, storeDir); n != 100 {
		t.Errorf("the store holds %d requests, want the 100 written while watch ran: none lost, none twice", n)
	}
}

// A daemon installed before the server it watches (the package on a fresh
// machine): none of its sources exists, and it starts anyway, says so, and
// follows the logs once they appear, instead of exiting for systemd to
// restart it for ever.
func TestWatchWaitsForItsLogsToAppear(t *testing.T) {
	dir := t.TempDir()
	logs, cfg := filepath.Join(dir, "nginx"), filepath.Join(dir, "logcause.yaml")
	watchConfig(t, cfg, logs) // no such directory yet
	sd := listenNotify(t)
	c := startChildEnv(t, "plain", t.TempDir(), []string{"NOTIFY_SOCKET=" + sd.path, "WATCHDOG_USEC=200000"},
		"watch", "--config", cfg, "--store", filepath.Join(dir, "store"), "--tz", "UTC", "--interval", "1h")
	if got := sd.expect("READY=1"); got[len(got)-1] != "READY=1\nSTATUS=following 0 logs, 0 open incidents, 0 records read" {
		t.Errorf("told at the start %q", got)
	}
	c.expect(c.err, `level=WARN msg="none of the sources exists yet: watching for them to appear" sources="the sources of `+cfg+`"`)
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	appendRequests(t, filepath.Join(logs, "access.log"), 0, 10)
	sd.expect("10 records read")
	stopWatch(t, c, sd, syscall.SIGTERM)
}
