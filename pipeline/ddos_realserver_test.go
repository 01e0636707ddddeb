//go:build realserver

package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/report"
)

// TestRealServerDDoSTopLists runs a real nginx on loopback that trusts
// X-Forwarded-For from 127.0.0.1 (set_real_ip_from, real_ip_header) and
// proxies to a dead upstream: 12,000 requests from distinct forwarded
// addresses and 6,000 from one get 502. The analysis of its logs names
// that one client first, its count within the bound, and the report says
// the clients' counts are approximate.
//
// Run: go test -tags realserver -count=1 -run DDoS ./pipeline (nginx
// installed: the Debian package, with its realip module).
func TestRealServerDDoSTopLists(t *testing.T) {
	const (
		oneOffs = 12_000
		heavy   = "198.51.100.23"
		heavyN  = 6_000
	)
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Fatalf("this test runs a real nginx: install it (apt-get install nginx): %v", err)
	}
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		os.Chmod(d, 0o755) // the workers run as nobody when nginx is started as root
	}
	os.Mkdir(filepath.Join(dir, "tmp"), 0o755)

	// The listening socket is made here and handed to nginx (its NGINX
	// variable names inherited sockets): requests sent before nginx
	// accepts wait in its backlog, so nothing waits for nginx to start.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	lf, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // lf keeps the socket
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there: every proxied request is refused

	conf := fmt.Sprintf(`worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log error;
events { worker_connections 1024; }
http {
    access_log %[1]s/access.log combined;
    client_body_temp_path %[1]s/tmp/body;
    proxy_temp_path %[1]s/tmp/proxy;
    fastcgi_temp_path %[1]s/tmp/fastcgi;
    uwsgi_temp_path %[1]s/tmp/uwsgi;
    scgi_temp_path %[1]s/tmp/scgi;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    upstream backend { server %[2]s; }
    server {
        listen %[3]s;
        server_name shop.example.test;
        location = /ok { return 200 "ok\n"; }
        location / { proxy_pass http://backend; }
    }
}
`, dir, deadAddr, addr)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nginx, "-p", dir, "-c", confPath)
	cmd.ExtraFiles = []*os.File{lf} // fd 3
	cmd.Env = append(os.Environ(), "NGINX=3;")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Signal(syscall.SIGQUIT) // graceful: the logs written whole
			cmd.Wait()
		}
	}
	defer stop()

	// Healthy requests, the attack (each one-off address once, the heavy
	// client's third of them among them), healthy requests again.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(path, from string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
		if err != nil {
			return err
		}
		req.Host = "shop.example.test"
		if from != "" {
			req.Header.Set("X-Forwarded-For", from)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	}
	for i := range 200 {
		if err := get("/ok", fmt.Sprintf("10.9.0.%d", i%50+1)); err != nil {
			t.Fatalf("nginx (%s): %v\n%s", addr, err, out.String())
		}
	}
	var (
		wg   sync.WaitGroup
		errs = make(chan error, 4)
	)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < oneOffs+heavyN; i += 4 {
				from, path := heavy, "/cart"
				if i%3 != 0 || i/3 >= heavyN {
					n := i - min(i/3+1, heavyN) // the one-offs, numbered in order
					from, path = fmt.Sprintf("100.%d.%d.%d", 64+n>>16, n>>8&255, n&255), fmt.Sprintf("/item/%d", n)
				}
				if err := get(path, from); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("the attack's requests: %v", err)
	}
	for i := range 200 {
		if err := get("/ok", fmt.Sprintf("10.9.0.%d", i%50+1)); err != nil {
			t.Fatal(err)
		}
	}
	client.CloseIdleConnections() // nginx's graceful stop waits for none
	stop()

	access, errorLog := filepath.Join(dir, "access.log"), filepath.Join(dir, "error.log")
	byClient := count502ByClient(t, access)
	if len(byClient) <= 10_000 || byClient[heavy] == 0 {
		t.Fatalf("nginx logged 502s from %d clients, %d from %s: want more than 10,000 and the heavy one's\n%s", len(byClient), byClient[heavy], heavy, out.String())
	}
	res, _ := analyzeLogs(t, "", pipeline.Options{}, access, errorLog)
	var inc *analyze.Incident
	for i := range res.Incidents {
		if inc == nil || gateway(res.Incidents[i]) > gateway(*inc) {
			inc = &res.Incidents[i]
		}
	}
	if inc == nil {
		t.Fatalf("no incident in the logs of %d 502s", sum(byClient))
	}
	a := inc.Approx(analyze.ListClients)
	if a == nil {
		t.Fatalf("clients exact: %v", inc.TopClients)
	}
	want := byClient[heavy]
	if len(inc.TopClients) == 0 || inc.TopClients[0].Value != heavy || inc.TopClients[0].Count < want || inc.TopClients[0].Count > want+a.Error {
		t.Errorf("clients %v (error %d), want %s first with %d", inc.TopClients, a.Error, heavy, want)
	}
	var text bytes.Buffer
	if err := report.Text(&text, res, report.DefaultWidth); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), heavy+" (≈") || !strings.Contains(text.String(), "distinct clients: counts approximate") {
		t.Errorf("the text report does not name %s with an approximate count:\n%s", heavy, text.String())
	}
	t.Logf("nginx: 502s from %d clients, %d from %s; listed %v, error bound %d", len(byClient), want, heavy, inc.TopClients, a.Error)
	if t.Failed() {
		t.Logf("report:\n%s", text.String())
	}
}

// count502ByClient counts the 502 lines of a combined access log by
// their first field, the client's address.
func count502ByClient(t *testing.T, path string) map[string]int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); strings.Contains(line, `" 502 `) {
			who, _, _ := strings.Cut(line, " ")
			out[who]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func gateway(inc analyze.Incident) int64 { return inc.Status["502"] + inc.Status["504"] }

func sum(m map[string]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}
