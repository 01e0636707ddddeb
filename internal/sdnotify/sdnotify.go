// Package sdnotify answers one question: how does a service tell systemd
// how it is? It sends sd_notify(3) messages (READY=1, RELOADING=1,
// STOPPING=1, STATUS=…, WATCHDOG=1) as datagrams to the unix socket that
// systemd names in NOTIFY_SOCKET, and reads the watchdog's period from
// WATCHDOG_USEC. Without NOTIFY_SOCKET (not started by systemd, or
// Type=simple) every message is dropped quietly.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Conn sends messages to the service manager. The nil *Conn sends
// nothing: a service started by hand needs no notifications.
type Conn struct {
	addr *net.UnixAddr
}

// FromEnv returns the Conn of the socket in NOTIFY_SOCKET (a path, or an
// abstract socket when it starts with @), or nil without one. getenv is
// os.Getenv but in tests.
func FromEnv(getenv func(string) string) *Conn {
	name := getenv("NOTIFY_SOCKET")
	if name == "" {
		return nil
	}
	if strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:]
	}
	return &Conn{addr: &net.UnixAddr{Name: name, Net: "unixgram"}}
}

// Notify sends one message: lines of KEY=VALUE (sd_notify(3)). A
// message lost (systemd gone, or the socket not writable) is an error.
func (c *Conn) Notify(state string) error {
	if c == nil {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, c.addr)
	if err != nil {
		return fmt.Errorf("cannot notify systemd: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("cannot notify systemd: %w", err)
	}
	return nil
}

// Ready is the message of a service that started, or finished a reload.
func Ready(status string) string { return "READY=1\nSTATUS=" + status }

// Reloading is the message of a service that starts reloading its
// configuration, with the time of the monotonic clock that systemd ≥ 253
// asks for (Type=notify-reload); older systemd ignores it.
func Reloading(now time.Duration) string {
	return "RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(now.Microseconds(), 10)
}

// Monotonic reads CLOCK_MONOTONIC, the clock of MONOTONIC_USEC.
func Monotonic() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// Stopping is the message of a service that starts stopping.
const Stopping = "STOPPING=1"

// Watchdog is the message that keeps the watchdog from restarting the
// service.
const Watchdog = "WATCHDOG=1"

// Status is the message of a status line alone.
func Status(status string) string { return "STATUS=" + status }

// WatchdogPeriod is how often a service must send Watchdog: half the
// WATCHDOG_USEC systemd sets with WatchdogSec= (sd_watchdog_enabled(3)),
// or 0 when there is no watchdog, or it watches another process
// (WATCHDOG_PID). A value that is not a duration is an error.
func WatchdogPeriod(getenv func(string) string) (time.Duration, error) {
	usec := getenv("WATCHDOG_USEC")
	if usec == "" {
		return 0, nil
	}
	if pid := getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0, nil
	}
	n, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("cannot read WATCHDOG_USEC=" + strconv.Quote(usec) + ": not a positive number of microseconds; check WatchdogSec= in the unit")
	}
	return time.Duration(n) * time.Microsecond / 2, nil
}
