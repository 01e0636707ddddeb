//go:build realserver

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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

	web1 := watch("web1")
	f.expect(f.out, "web1") // web1's gateway errors reached the fleet
	nodes[2].kill(t)
	web2 := watch("web2")
	line := f.expectLine(f.out, "shared by 2 nodes")
	for _, want := range []string{"db_unresponsive", "web1 50%", "web2 50%"} {
		if !strings.Contains(line, want) {
			t.Errorf("the fleet's incident %q does not say %q", line, want)
		}
	}
	for _, c := range []*child{web1, web2, f} {
		c.signal(syscall.SIGTERM)
		if code, _, errs := c.wait(); code != exitOK {
			t.Errorf("exit %d: %q", code, errs)
		}
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
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		gobin := filepath.Join(os.Getenv("HOME"), "go", "bin", "nats-server")
		if _, serr := os.Stat(gobin); serr != nil {
			t.Fatalf("no nats-server binary (%v): go install github.com/nats-io/nats-server/v2@v2.15.3", err)
		}
		bin = gobin
	}
	var cports, ports []int
	var routes []string
	for range n {
		cports, ports = append(cports, natstest.FreePort(t)), append(ports, natstest.FreePort(t))
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", cports[len(cports)-1]))
	}
	leader := make(chan struct{}, n)
	var nodes []*natsNode
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
		node := &natsNode{url: fmt.Sprintf("nats://127.0.0.1:%d", ports[i]), cmd: cmd}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
		})
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "metadata leader") {
					select {
					case leader <- struct{}{}:
					default:
					}
				}
			}
		}()
		nodes = append(nodes, node)
	}
	select {
	case <-leader:
	case <-time.After(safetyBound):
		t.Fatal("the nats-server cluster elected no metadata leader")
	}
	return nodes
}
