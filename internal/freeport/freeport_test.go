package freeport

import (
	"net"
	"strconv"
	"testing"
)

// TestLoopbackIsFree: the port is one (not 0, which would let the server
// choose another than the test's) that a server can listen on.
func TestLoopbackIsFree(t *testing.T) {
	for range 3 {
		port := Loopback(t)
		if port <= 0 || port > 65535 {
			t.Fatalf("port %d", port)
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatalf("cannot listen on port %d: %v", port, err)
		}
		l.Close()
	}
}

// TestLoopbacksDiffer: the ports of one server are different ones, each
// one a server can listen on, all at once.
func TestLoopbacksDiffer(t *testing.T) {
	for range 50 {
		ports := Loopbacks(t, 3)
		var ls []net.Listener
		for _, port := range ports {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				t.Fatalf("ports %v: cannot listen on %d: %v", ports, port, err)
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
	}
}
