package natstest

import (
	"net"
	"testing"
)

// A cluster port taken by another process between its choice and the
// server's bind: the cluster starts again on other ports.
func TestStartAgainWhenAPortWasTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	picks := 0
	c := startOn(t, 3, func() int {
		picks++
		if picks == 2 { // the second server's, in the first attempt
			return taken.Addr().(*net.TCPAddr).Port
		}
		return FreePort(t)
	})
	if picks != 6 {
		t.Errorf("%d ports chosen, want 3 for the failed attempt and 3 for the next", picks)
	}
	if len(c.servers) != 3 {
		t.Errorf("%d servers run, want 3", len(c.servers))
	}
	for _, s := range c.servers {
		if !s.Running() {
			t.Errorf("server %s is not running", s.Name())
		}
	}
}
