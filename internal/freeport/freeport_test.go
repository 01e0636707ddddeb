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
