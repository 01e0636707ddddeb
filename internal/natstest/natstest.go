// Package natstest (tests only) runs a real NATS JetStream cluster in
// process, on loopback: the servers of github.com/nats-io/nats-server/v2,
// each with its JetStream store in a test's temporary directory, routed to
// each other. Readiness is awaited on the servers' own notices (the
// metadata leader elected), never on the clock.
package natstest

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// guard bounds every wait: a hang guard, not a pace.
const guard = 60 * time.Second

// Cluster is a running cluster.
type Cluster struct {
	t       *testing.T
	mu      sync.Mutex
	servers []*server.Server
	leaders chan string // notices of a new leader (metadata or stream)
}

// Start runs n servers with JetStream routed into one cluster, and waits
// until they elected a metadata leader. They are shut down when the test
// ends.
func Start(t *testing.T, n int) *Cluster {
	t.Helper()
	c := &Cluster{t: t, leaders: make(chan string, 1024)}
	routes := make([]*url.URL, n)
	ports := make([]int, n)
	for i := range n {
		ports[i] = FreePort(t)
		routes[i] = &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", ports[i])}
	}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
			JetStream: true, StoreDir: t.TempDir(),
			Cluster: server.ClusterOpts{Name: "logcause-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:  routes,
		}
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		s.SetLogger(notices{c.leaders}, false, false)
		go s.Start()
		if !s.ReadyForConnections(guard) {
			t.Fatalf("NATS server %d did not start", i+1)
		}
		c.servers = append(c.servers, s)
	}
	t.Cleanup(func() {
		for _, s := range c.servers {
			s.Shutdown()
			s.WaitForShutdown()
		}
	})
	c.AwaitLeader("metadata")
	return c
}

// URL is the client URL of every server, comma-separated.
func (c *Cluster) URL() string {
	var us []string
	for _, s := range c.servers {
		us = append(us, s.ClientURL())
	}
	return strings.Join(us, ",")
}

// AwaitLeader waits for the next notice of a new leader whose text holds
// what ("metadata", or a stream's name).
func (c *Cluster) AwaitLeader(what string) {
	c.t.Helper()
	deadline := time.After(guard)
	for {
		select {
		case n := <-c.leaders:
			if strings.Contains(n, what) {
				return
			}
		case <-deadline:
			c.t.Fatalf("no new %s leader", what)
		}
	}
}

// KillStreamLeader shuts down the server that leads stream (of the
// global account) and returns its name; "" when none leads it.
func (c *Cluster) KillStreamLeader(stream string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.servers {
		if s.Running() && s.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			s.Shutdown()
			s.WaitForShutdown()
			return s.Name()
		}
	}
	return ""
}

// FreePort is a TCP port of loopback that nothing listens on now.
func FreePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// notices is a server's logger that passes on its notices of a new
// leader, dropping them when nobody reads.
type notices struct{ c chan string }

func (n notices) Noticef(format string, v ...any) {
	s := fmt.Sprintf(format, v...)
	if strings.Contains(s, "leader") {
		select {
		case n.c <- s:
		default:
		}
	}
}
func (notices) Warnf(string, ...any)  {}
func (notices) Fatalf(string, ...any) {}
func (notices) Errorf(string, ...any) {}
func (notices) Debugf(string, ...any) {}
func (notices) Tracef(string, ...any) {}
