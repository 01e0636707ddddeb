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
	return Loopbacks(t, 1)[0]
}

// Loopbacks are n different TCP ports of 127.0.0.1 that nothing listens
// on now, for one server that listens on several: each is held until all
// are chosen (two calls of Loopback, one after the other, may give the
// same port, the first closed before the second is chosen: mailpit's
// SMTP and HTTP servers once got one port, and the test's mail went to
// the wrong one).
func Loopbacks(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}
