//go:build realserver

package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/internal/freeport"
	"github.com/logcause/logcause/internal/natstest"
)

// TestFleetOnARealCluster: two `logcause watch` daemons publish the
// db-unresponsive capture (real nginx, php-fpm and MariaDB logs) as web1
// and web2 to a real 3-node nats-server cluster (the binary, `go install
// github.com/nats-io/nats-server/v2@v2.15.3`), one node is killed (SIGKILL)
// after web1's records reached the fleet and before web2 starts, and
// `logcause fleet` tells one incident: the database, shared by both
// hosts. Run:
// go test -tags realserver -count=1 -run TestFleetOnARealCluster ./cmd/logcause
func TestFleetOnARealCluster(t *testing.T) {
	nodes := startNATSCluster(t, 3)
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.url)
	}
	dir := t.TempDir()
	capture := "../../testdata/scenarios/db-unresponsive/var/log"
	watch := func(host string) *child {
		logs := filepath.Join(dir, host)
		for _, f := range []string{"nginx/access.log", "nginx/error.log", "php8.2-fpm.log", "php8.2-fpm.slow.log", "mysql/error.log", "mysql/mariadb-slow.log"} {
			b, err := os.ReadFile(filepath.Join(capture, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(filepath.Join(logs, f)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(logs, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cfg := filepath.Join(dir, host+".yaml")
		body := fmt.Sprintf("sources:\n  - path: %s\nfleet:\n  nats:\n    url: %s\n  site: shop\n  host: %s\n", logs, strings.Join(urls, ","), host)
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return startChild(t, "plain", t.TempDir(), "watch", "--config", cfg, "--store", filepath.Join(dir, host+"-store"), "--from-start",
			"--tz", "Europe/Paris", "--interval", "100ms", "--config-root", emptyRoot, "--listen", "off")
	}
	fcfg := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(fcfg, []byte(fmt.Sprintf("fleet:\n  nats:\n    url: %s\n  site: shop\n", strings.Join(urls, ","))), 0o644); err != nil {
		t.Fatal(err)
	}
	f := startChild(t, "plain", t.TempDir(), "fleet", "--config", fcfg, "--store", filepath.Join(dir, "fleet-store"))

	var children []*child // running: on a failure, what they said is told
	defer func() {
		if !t.Failed() {
			return
		}
		for _, c := range children {
			c.signal(syscall.SIGQUIT) // Go's runtime prints every goroutine's stack, and exits
			_, out, errs := c.wait()
			t.Logf("%s:\nstdout %s\nstderr %s", strings.Join(c.cmd.Args, " "), strings.Join(out, "\n"), strings.Join(errs, "\n"))
		}
	}()
	web1 := watch("web1")
	children = append(children, f, web1)
	f.expect(f.out, "web1") // web1's gateway errors reached the fleet
	nodes[2].kill(t)
	web2 := watch("web2")
	children = append(children, web2)
	line := f.expectLine(f.out, "shared by 2 nodes")
	for _, want := range []string{"db_unresponsive", "web1 50%", "web2 50%"} {
		if !strings.Contains(line, want) {
			t.Errorf("the fleet's incident %q does not say %q", line, want)
		}
	}
	ending := children
	children = nil
	for _, c := range ending {
		c.signal(syscall.SIGTERM)
		if code, _, errs := c.wait(); code != exitOK {
			t.Errorf("exit %d: %q", code, errs)
		}
	}
}

// TestNATSClusterStartsAgainOnATakenPort: a port chosen free and taken
// by another process before nats-server binds it (a client port, a route
// port): the process says so and ends, and the cluster starts again on
// other ports. Run:
// go test -tags realserver -count=1 -run TestNATSClusterStartsAgainOnATakenPort ./cmd/logcause
func TestNATSClusterStartsAgainOnATakenPort(t *testing.T) {
	for name, pick := range map[string]int{"a route port": 3, "a client port": 4} { // the second node's, in the first attempt
		t.Run(name, func(t *testing.T) {
			taken, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer taken.Close()
			busy, picks := taken.Addr().(*net.TCPAddr).Port, 0
			nodes := startNATSClusterOn(t, 3, func() int {
				if picks++; picks == pick {
					return busy
				}
				return freeport.Loopback(t)
			})
			if picks != 12 {
				t.Errorf("%d ports chosen, want 6 for the failed attempt and 6 for the next", picks)
			}
			for _, node := range nodes {
				if node.cmd.ProcessState != nil || strings.HasSuffix(node.url, fmt.Sprintf(":%d", busy)) {
					t.Errorf("node %s ended, or on the taken port", node.url)
				}
			}
		})
	}
}

// natsNode is one nats-server process of the cluster.
type natsNode struct {
	url string
	cmd *exec.Cmd
}

// kill ends the node with SIGKILL: no goodbye to its peers.
func (n *natsNode) kill(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	n.cmd.Wait()
}

// startNATSCluster runs n nats-server processes with JetStream routed
// into one cluster on loopback, each with its store in a temporary
// directory, and waits until one says the cluster has a metadata leader.
// They are killed by their PIDs when the test ends.
func startNATSCluster(t *testing.T, n int) []*natsNode {
	t.Helper()
	return startNATSClusterOn(t, n, func() int { return freeport.Loopback(t) })
}

// startNATSClusterOn is startNATSCluster, its ports chosen by port. A port
// is chosen free, then the process binds it: when another process took it
// meanwhile, nats-server says so, fatally, and ends (natstest.PortTaken);
// then the nodes started are killed and the cluster started again on
// other ports, three times at most.
func startNATSClusterOn(t *testing.T, n int, port func() int) []*natsNode {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		gobin := filepath.Join(os.Getenv("HOME"), "go", "bin", "nats-server")
		if _, serr := os.Stat(gobin); serr != nil {
			t.Fatalf("no nats-server binary (%v): go install github.com/nats-io/nats-server/v2@v2.15.3", err)
		}
		bin = gobin
	}
	for attempt := 1; ; attempt++ {
		nodes, leader, fatal := startNATSNodes(t, bin, n, port)
		if fatal == "" {
			select {
			case <-leader:
			case <-time.After(safetyBound):
				t.Fatal("the nats-server cluster elected no metadata leader")
			}
			return nodes
		}
		for _, node := range nodes {
			node.kill(t)
		}
		if !natstest.PortTaken(fatal) || attempt == 3 {
			t.Fatalf("nats-server did not start (attempt %d): %s", attempt, fatal)
		}
	}
}

// startNATSNodes starts n nats-server processes routed to each other, on
// ports chosen by port, one after the other, each once it listens on its
// client and its route ports; it returns those started, a channel told
// when one says the cluster has a metadata leader, and the fatal error of
// the one that did not start ("" when all did).
func startNATSNodes(t *testing.T, bin string, n int, port func() int) (nodes []*natsNode, leader chan struct{}, fatal string) {
	t.Helper()
	var cports, ports []int
	var routes []string
	for range n {
		cports, ports = append(cports, port()), append(ports, port())
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", cports[len(cports)-1]))
	}
	leader = make(chan struct{}, n)
	for i := range n {
		cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", fmt.Sprint(ports[i]), "-js", "-sd", t.TempDir(), "-n", fmt.Sprintf("n%d", i+1),
			"--cluster_name", "logcause", "--cluster", routes[i], "--routes", strings.Join(routes, ","))
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
		})
		nodes = append(nodes, &natsNode{url: fmt.Sprintf("nats://127.0.0.1:%d", ports[i]), cmd: cmd})
		listening, failed := watchNATS(stderr, leader)
		select {
		case <-listening:
		case fatal = <-failed:
			return nodes, leader, fatal
		case <-time.After(safetyBound):
			t.Fatalf("nats-server n%d did not listen on its ports", i+1)
		}
	}
	return nodes, leader, ""
}

// watchNATS reads a nats-server's stderr: listening is closed once it
// listens on its client and its route ports; failed tells its fatal error
// (or that it ended) when it ends before; leader hears of each metadata
// leader it tells (dropped when nobody reads).
func watchNATS(stderr io.Reader, leader chan<- struct{}) (listening chan struct{}, failed chan string) {
	listening, failed = make(chan struct{}), make(chan string, 1)
	open := listening // the goroutine's own: the results are the caller's
	go func() {
		sc := bufio.NewScanner(stderr)
		client, route, fatal := false, false, ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.Contains(line, "Listening for client connections"):
				client = true
			case strings.Contains(line, "Listening for route connections"):
				route = true
			case strings.Contains(line, "[FTL]") && fatal == "":
				fatal = line
			case strings.Contains(line, "metadata leader"):
				select {
				case leader <- struct{}{}:
				default:
				}
			}
			if client && route && open != nil {
				close(open)
				open = nil
			}
		}
		if open != nil {
			failed <- cmp.Or(fatal, "it ended before it listened on its ports")
		}
	}()
	return listening, failed
}

// TestWatchNATSTellsListeningOnce: a nats-server whose stderr already
// holds both listening lines when it is read (a fast start) is told
// listening, never failed, whatever the goroutine's pace against
// watchNATS's return (under -race: the channel is the caller's alone).
func TestWatchNATSTellsListeningOnce(t *testing.T) {
	for range 50 {
		stderr := strings.NewReader("[1] [INF] Listening for client connections on 127.0.0.1:4222\n" +
			"[1] [INF] Listening for route connections on 127.0.0.1:6222\n")
		listening, failed := watchNATS(stderr, make(chan struct{}, 1))
		if listening == nil {
			t.Fatal("watchNATS returned no listening channel")
		}
		select {
		case <-listening:
		case f := <-failed:
			t.Fatalf("a server that listens told failed: %s", f)
		}
	}
}
