//go:build realserver

package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/api"
)

// TestRealPrometheusScrapes: a real Prometheus (Debian's prometheus
// package; .ci/run installs it) scrapes the daemon's /metrics, and its
// query API gives back what the daemon counted; promtool finds nothing to
// lint in them.
//
// Run: go test -tags realserver -count=1 -run TestRealPrometheus ./api
func TestRealPrometheusScrapes(t *testing.T) {
	for _, tool := range []string{"prometheus", "promtool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: apt-get install prometheus (.ci/run does)", tool)
		}
	}
	r := startDaemon(t, accessLog())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Each scrape that reaches /metrics is told to the test: after the
	// second, Prometheus has stored the first.
	scraped := make(chan struct{}, 100)
	h := api.New(r.d, api.Options{Now: clock}).Handler()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h.ServeHTTP(w, req)
		if req.URL.Path == "/metrics" {
			scraped <- struct{}{}
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()

	// promtool's lint of the exposition (names, units, help, types).
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	text.ReadFrom(resp.Body)
	resp.Body.Close()
	<-scraped
	lint := exec.Command("promtool", "check", "metrics")
	lint.Stdin = &text
	if out, err := lint.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}

	// Prometheus, on a free loopback port, scraping the daemon every second.
	dir := t.TempDir()
	webLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	web := webLn.Addr().String()
	webLn.Close() // Prometheus takes the port; nothing else asks for one meanwhile
	conf := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(conf, []byte(fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: logcause\n    static_configs:\n      - targets: ['%s']\n", ln.Addr())), 0o644)
	prom := exec.Command("prometheus", "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+web)
	var log bytes.Buffer
	prom.Stdout, prom.Stderr = &log, &log
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		prom.Process.Signal(syscall.SIGTERM)
		prom.Wait()
		if t.Failed() {
			t.Logf("prometheus:\n%s", log.String())
		}
	}()
	for range 2 {
		select {
		case <-scraped:
		case <-time.After(2 * time.Minute): // a bound for a Prometheus that never scrapes; it paces nothing
			t.Fatal("Prometheus did not scrape the daemon")
		}
	}

	query := func(q string) map[string]float64 { // the series' labels → value
		t.Helper()
		resp, err := http.Get("http://" + web + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ans struct {
			Status string
			Data   struct {
				Result []struct {
					Metric map[string]string
					Value  [2]any
				}
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || ans.Status != "success" {
			t.Fatalf("query %s: %v %s", q, err, ans.Status)
		}
		out := map[string]float64{}
		for _, s := range ans.Data.Result {
			v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
			var labels []string
			for _, k := range []string{"path", "format", "status", "cause"} {
				if s.Metric[k] != "" {
					labels = append(labels, k+"="+s.Metric[k])
				}
			}
			out[strings.Join(labels, ",")] = v
		}
		return out
	}
	file := "path=" + r.log + ",format=nginx_access"
	for q, want := range map[string]map[string]float64{
		`up{job="logcause"}`:                   {"": 1},
		"logcause_records_read_total":          {file: 183},
		"logcause_records_unparsed_total":      {file: 2},
		"logcause_file_behind_bytes":           {file: 0},
		"logcause_gateway_errors_total":        {"status=502": 30, "status=504": 6, "status=009": 1},
		"logcause_daemon_up":                   {"": 1},
		"logcause_incidents_open":              {"": 1}, // the burst, analyzed as it was committed
		"sum(logcause_incidents_opened_total)": {"": 1},
	} {
		got := query(q)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", q, got, want)
		}
	}
}
