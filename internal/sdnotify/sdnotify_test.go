package sdnotify

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listen listens on a unix datagram socket as systemd does, and returns
// its NOTIFY_SOCKET value and the socket.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func read(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func env(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

func TestNotifyReachesTheSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	conn := listen(t, path)
	c := FromEnv(env("NOTIFY_SOCKET", path))
	for _, msg := range []string{Ready("following 2 logs"), Reloading(1500 * time.Millisecond), Watchdog, Stopping} {
		if err := c.Notify(msg); err != nil {
			t.Fatal(err)
		}
		if got := read(t, conn); got != msg {
			t.Errorf("received %q, want %q", got, msg)
		}
	}
	if got := Reloading(1500 * time.Millisecond); got != "RELOADING=1\nMONOTONIC_USEC=1500000" {
		t.Errorf("Reloading: %q", got)
	}
}

func TestNotifyAbstractSocket(t *testing.T) {
	name := "logcause-test-" + strconv.Itoa(os.Getpid())
	conn := listen(t, "\x00"+name)
	if err := FromEnv(env("NOTIFY_SOCKET", "@"+name)).Notify(Status("x")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, conn); got != "STATUS=x" {
		t.Errorf("received %q", got)
	}
}

func TestWithoutSocketNothingIsSent(t *testing.T) {
	c := FromEnv(env())
	if c != nil {
		t.Fatalf("FromEnv without NOTIFY_SOCKET: %v", c)
	}
	if err := c.Notify(Ready("")); err != nil {
		t.Errorf("the nil Conn: %v", err)
	}
}

func TestNotifyGoneSocketIsAnError(t *testing.T) {
	err := FromEnv(env("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "none"))).Notify(Watchdog)
	if err == nil || !strings.Contains(err.Error(), "cannot notify systemd") {
		t.Errorf("err %v", err)
	}
}

// TestNotifyNeverWaits: a service manager that stopped reading (its
// socket's queue full) makes Notify fail at once, not wait: the daemon
// tells systemd from its committing loop, and a write that waited would
// stop it (as the soak found: a stalled listener froze watch for good).
// Were Notify to wait, this test would hang rather than fail.
func TestNotifyNeverWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	conn := listen(t, path) // never read
	c := FromEnv(env("NOTIFY_SOCKET", path))
	msg := Status(strings.Repeat("x", 1000))
	var err error
	sent := 0
	for ; sent < 1_000_000 && err == nil; sent++ {
		err = c.Notify(msg)
	}
	if err == nil || !strings.Contains(err.Error(), "does not take messages now") {
		t.Fatalf("after %d messages nobody read: err %v, want the queue full", sent, err)
	}
	// What was queued is intact, and once read the socket takes more.
	for range sent - 1 {
		if got := read(t, conn); got != msg {
			t.Fatalf("received %.20q…, want the message sent", got)
		}
	}
	if err := c.Notify(Watchdog); err != nil {
		t.Fatalf("after the queue was read: %v", err)
	}
	if got := read(t, conn); got != Watchdog {
		t.Errorf("received %q, want %q", got, Watchdog)
	}
}

func TestWatchdogPeriod(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		env  func(string) string
		want time.Duration
		err  bool
	}{
		{env(), 0, false},
		{env("WATCHDOG_USEC", "20000000"), 10 * time.Second, false},
		{env("WATCHDOG_USEC", "20000000", "WATCHDOG_PID", self), 10 * time.Second, false},
		{env("WATCHDOG_USEC", "20000000", "WATCHDOG_PID", "1"), 0, false}, // another process's
		{env("WATCHDOG_USEC", "soon"), 0, true},
		{env("WATCHDOG_USEC", "0"), 0, true},
	} {
		got, err := WatchdogPeriod(tc.env)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("WatchdogPeriod(%q, %q) = %v, %v; want %v, error %v", tc.env("WATCHDOG_USEC"), tc.env("WATCHDOG_PID"), got, err, tc.want, tc.err)
		}
	}
	if Monotonic() <= 0 {
		t.Error("Monotonic: no time")
	}
}
