// Package natstest (tests only) runs a real NATS JetStream cluster in
// process, on loopback: the servers of github.com/nats-io/nats-server/v2,
// each with its JetStream store in a test's temporary directory, routed to
// each other. Readiness is awaited on the servers' own notices (the
// metadata leader elected), never on the clock.
package natstest

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/logcause/logcause/internal/freeport"
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
// ends. The cluster ports are chosen free before the servers bind them:
// when another process took one meanwhile (the server says so, fatally),
// the servers started are shut down and the cluster started again on
// other ports, three times at most.
func Start(t *testing.T, n int) *Cluster {
	t.Helper()
	return startOn(t, n, func() int { return freeport.Loopback(t) })
}

// startOn is Start, its cluster ports chosen by port.
func startOn(t *testing.T, n int, port func() int) *Cluster {
	t.Helper()
	c := &Cluster{t: t, leaders: make(chan string, 1024)}
	var failed string
	for range 3 {
		if failed = c.start(n, port); failed == "" {
			break
		}
		c.shutdown()
		for len(c.leaders) > 0 { // the notices of the servers shut down
			<-c.leaders
		}
	}
	if failed != "" {
		t.Fatal(failed)
	}
	t.Cleanup(c.shutdown)
	c.AwaitLeader("metadata")
	return c
}

// start starts n servers routed to each other on free cluster ports, and
// says why one did not start ("" when all did).
func (c *Cluster) start(n int, port func() int) string {
	routes := make([]*url.URL, n)
	ports := make([]int, n)
	for i := range n {
		ports[i] = port()
		routes[i] = &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", ports[i])}
	}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
			JetStream: true, StoreDir: c.t.TempDir(),
			Cluster: server.ClusterOpts{Name: "logcause-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:  routes,
		}
		s, err := server.NewServer(opts)
		if err != nil {
			c.t.Fatal(err)
		}
		fatal := make(chan string, 1)
		s.SetLogger(notices{c: c.leaders, fatal: fatal}, false, false)
		c.servers = append(c.servers, s)
		go s.Start()
		ready := make(chan bool, 1)
		go func() { ready <- s.ReadyForConnections(guard) }()
		select {
		case ok := <-ready:
			if !ok {
				return fmt.Sprintf("NATS server %d did not start", i+1)
			}
		case msg := <-fatal: // its ReadyForConnections ends by the guard
			return fmt.Sprintf("NATS server %d did not start: %s", i+1, msg)
		}
	}
	return ""
}

// shutdown stops the servers started, and forgets them.
func (c *Cluster) shutdown() {
	for _, s := range c.servers {
		s.Shutdown()
		s.WaitForShutdown()
	}
	c.servers = nil
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

// PortTaken reports whether a nats-server's fatal error (a line of the
// binary's stderr, or what its logger's Fatalf got) says that a port it
// was to listen on is taken: another process bound it between its choice
// (freeport.Loopback) and the server's bind. The realserver test's nats-server
// binaries are then started again on other ports (as Start does in
// process); any other fatal error ends that test.
func PortTaken(fatal string) bool {
	return strings.Contains(fatal, "Error listening on") && strings.Contains(fatal, "address already in use")
}

// notices is a server's logger that passes on its notices of a new
// leader, dropping them when nobody reads.
type notices struct {
	c     chan string
	fatal chan string // the server's first fatal error (it stops then)
}

func (n notices) Noticef(format string, v ...any) {
	s := fmt.Sprintf(format, v...)
	if strings.Contains(s, "leader") {
		select {
		case n.c <- s:
		default:
		}
	}
}
func (notices) Warnf(string, ...any) {}
func (n notices) Fatalf(format string, v ...any) {
	select {
	case n.fatal <- fmt.Sprintf(format, v...):
	default:
	}
}
func (notices) Errorf(string, ...any) {}
func (notices) Debugf(string, ...any) {}
func (notices) Tracef(string, ...any) {}
