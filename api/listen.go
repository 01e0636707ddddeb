package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/store"
)

// Off reports whether listen disables the API ("" or "off").
func Off(listen string) bool { return listen == "" || strings.EqualFold(listen, "off") }

// unixPrefix marks a unix socket's path in a listen address.
const unixPrefix = "unix:"

// Listen opens the listener of listen: host:port (TCP) or unix:PATH. A
// socket file left by a daemon that was killed is replaced; one that a
// running process answers on is an error.
func Listen(listen string) (net.Listener, error) {
	fail := func(err error) error {
		return fmt.Errorf("cannot serve the API on %s: %w; give --listen another address, or off", listen, err)
	}
	path, isUnix := strings.CutPrefix(listen, unixPrefix)
	if !isUnix {
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return nil, fail(err)
		}
		return ln, nil
	}
	if path == "" {
		return nil, fail(errors.New("no socket path after unix:"))
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		c, err := net.Dial("unix", path)
		if err == nil {
			c.Close()
			return nil, fail(errors.New("another process serves on this socket"))
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			os.Remove(path) // left by a process that ended without removing it
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fail(err)
	}
	return ln, nil
}

// announceFile is written beside the store's holder file by the daemon
// that serves the API on it, and removed when it stops serving: it tells
// `logcause status` and `logcause report` where to ask.
const announceFile = "logcause.api"

type announcement struct {
	PID    int    `json:"pid"`
	Listen string `json:"listen"`
}

// Announce writes, in the store directory dir, that this process serves
// the API at ln's address; the returned function removes it.
func Announce(dir string, ln net.Listener) (remove func(), err error) {
	b, err := json.Marshal(announcement{PID: os.Getpid(), Listen: dialAddress(ln.Addr())})
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, announceFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("cannot write where the API listens in %s: %w", dir, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("cannot write where the API listens in %s: %w", dir, err)
	}
	return func() { os.Remove(path) }, nil
}

// dialAddress is how a client on this machine reaches a listener at a:
// an unspecified address (0.0.0.0, ::) through loopback.
func dialAddress(a net.Addr) string {
	if a.Network() == "unix" {
		return unixPrefix + a.String()
	}
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			host = "127.0.0.1"
		} else {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}

// ErrNoDaemon is wrapped when no running daemon holds a store.
var ErrNoDaemon = errors.New("no running `logcause watch` holds the store")

// Find returns a client of the daemon that holds the store in dir. Without
// one, the error wraps ErrNoDaemon; a daemon that serves no API (--listen
// off) is another error, that says so.
func Find(dir string) (*Client, error) {
	pid, command, held := store.Holder(dir)
	if !held {
		return nil, fmt.Errorf("%w in %s", ErrNoDaemon, dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, announceFile))
	var a announcement
	if err == nil {
		err = json.Unmarshal(b, &a)
	}
	if err != nil || a.PID != pid {
		return nil, fmt.Errorf("process %d (%s) holds it and serves no API: stop it, or start `logcause watch` with --listen (default %s), or read a copy of the store", pid, command, config.DefaultListen)
	}
	return NewClient(a.Listen), nil
}
