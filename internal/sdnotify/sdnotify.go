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
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Conn sends messages to the service manager. The nil *Conn sends
// nothing: a service started by hand needs no notifications.
type Conn struct {
	addr *unix.SockaddrUnix
}

// FromEnv returns the Conn of the socket in NOTIFY_SOCKET (a path, or an
// abstract socket when it starts with @), or nil without one. getenv is
// os.Getenv but in tests.
func FromEnv(getenv func(string) string) *Conn {
	name := getenv("NOTIFY_SOCKET")
	if name == "" {
		return nil
	}
	return &Conn{addr: &unix.SockaddrUnix{Name: name}} // "@…": abstract (x/sys/unix)
}

// Notify sends one message: lines of KEY=VALUE (sd_notify(3)). It never
// waits: a message the socket cannot take now (its reader stopped
// reading and its queue is full) is dropped and is an error, as is one
// lost (systemd gone). A service manager that hangs must not hang the
// service that tells it how it is.
func (c *Conn) Notify(state string) error {
	if c == nil {
		return nil
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cannot notify systemd: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, []byte(state), unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, c.addr); err != nil {
		if errors.Is(err, unix.EAGAIN) {
			return fmt.Errorf("cannot notify systemd: %s does not take messages now (its queue is full): %w", c.addr.Name, err)
		}
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
