// Package freeport (tests only) answers one question: which TCP port of
// loopback may a server of a test listen on? One nothing listens on now,
// chosen by the kernel; another process may take it before the server
// binds it (a test that cannot afford that starts again on another).
package freeport

import (
	"net"
	"testing"
)

// Loopback is a TCP port of 127.0.0.1 that nothing listens on now.
func Loopback(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
