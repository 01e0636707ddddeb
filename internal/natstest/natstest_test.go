package natstest

import (
	"net"
	"testing"

	"github.com/logcause/logcause/internal/freeport"
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
		return freeport.Loopback(t)
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

// TestPortTaken: the fatal errors of nats-server (v2.15.3) that say a
// port was taken, client or route, as the binary writes them on stderr;
// not its other fatal errors, nor a port taken for another reason.
func TestPortTaken(t *testing.T) {
	for line, want := range map[string]bool{
		`[1234] 2026/12/06 13:31:02.123456 [FTL] Error listening on port: 127.0.0.1:41234, "listen tcp 127.0.0.1:41234: bind: address already in use"`: true,
		`[1234] 2026/12/06 13:31:02.123456 [FTL] Error listening on router port: 41235 - listen tcp 127.0.0.1:41235: bind: address already in use`:     true,
		`[1234] 2026/12/06 13:31:02.123456 [FTL] Error listening on router port: 80 - listen tcp 127.0.0.1:80: bind: permission denied`:                false,
		`[1234] 2026/12/06 13:31:02.123456 [FTL] Can't start JetStream: could not create storage directory`:                                            false,
		`[1234] 2026/12/06 13:31:02.123456 [INF] Listening for route connections on 127.0.0.1:41235`:                                                   false,
	} {
		if got := PortTaken(line); got != want {
			t.Errorf("PortTaken(%q) = %t, want %t", line, got, want)
		}
	}
}
