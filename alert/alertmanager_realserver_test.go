//go:build realserver

package alert

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/prometheus/alertmanager/api/v2/models"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/internal/freeport"
)

// amVersion is the Alertmanager .ci/run installs.
const amVersion = "v0.28.1"

// TestRealAlertmanager posts an incident's alerts to a real Alertmanager:
// it fires (read back from GET /api/v2/alerts with our labels, start and
// end), Alertmanager notifies its own webhook receiver, and the resolve
// ends it: gone from the active alerts, and notified as resolved with our
// endsAt.
func TestRealAlertmanager(t *testing.T) {
	notified := make(chan amNotification, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n amNotification
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			t.Errorf("Alertmanager's notification: %v", err)
		}
		notified <- n
	}))
	defer hook.Close()
	base := startAlertmanager(t, hook.URL)

	h := prepare(t, config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatAlertmanager, base)}}, Options{})
	now := time.Now().UTC().Truncate(time.Second)
	h.clock.set(now)
	h.run(t)
	inc := incident(now.Add(-2*time.Minute), analyze.FPMWorkerExhaustion, title)

	h.Notify(opened(inc))
	h.sent(t)
	got := activeAlerts(t, base)
	if len(got) != 1 {
		t.Fatalf("Alertmanager holds %d alerts, want 1", len(got))
	}
	a := got[0]
	if a.Labels["alertname"] != AlertName || a.Labels["cause"] != "fpm_worker_exhaustion" || a.Labels["host"] != "web1" || a.Labels["severity"] != "critical" {
		t.Errorf("labels %v", a.Labels)
	}
	if !time.Time(*a.StartsAt).Equal(inc.Start) || !time.Time(*a.EndsAt).Equal(now.Add(4*time.Minute)) || *a.Status.State != "active" {
		t.Errorf("alert from %v to %v, %s; want from %v to %v, active", a.StartsAt, a.EndsAt, *a.Status.State, inc.Start, now.Add(4*time.Minute))
	}
	if a.Annotations["summary"] != title || a.Annotations["fix"] == "" {
		t.Errorf("annotations %v", a.Annotations)
	}
	if n := <-notified; n.Status != "firing" || len(n.Alerts) != 1 || n.Alerts[0].Labels["cause"] != "fpm_worker_exhaustion" {
		t.Errorf("notified %+v, want it firing", n)
	}

	h.Notify(resolved(inc))
	h.sent(t)
	if got := activeAlerts(t, base); len(got) != 0 {
		t.Fatalf("still %d active alerts after the resolve: %+v", len(got), got)
	}
	n := <-notified
	if n.Status != "resolved" || len(n.Alerts) != 1 || n.Alerts[0].Status != "resolved" || !n.Alerts[0].EndsAt.Equal(inc.End) {
		t.Errorf("notified %+v, want it resolved at %v", n, inc.End)
	}
}

// amNotification is what Alertmanager's webhook receiver gets.
type amNotification struct {
	Status string `json:"status"`
	Alerts []struct {
		Status   string            `json:"status"`
		Labels   map[string]string `json:"labels"`
		StartsAt time.Time         `json:"startsAt"`
		EndsAt   time.Time         `json:"endsAt"`
	} `json:"alerts"`
}

// activeAlerts reads Alertmanager's active alerts (GET /api/v2/alerts),
// validated with its own model.
func activeAlerts(t *testing.T, base string) models.GettableAlerts {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts?active=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v2/alerts: %s: %s", resp.Status, body)
	}
	var alerts models.GettableAlerts
	if err := json.Unmarshal(body, &alerts); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if err := alerts.Validate(strfmt.Default); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return alerts
}

// startAlertmanager runs a real Alertmanager on loopback, routing every
// alert to the webhook at hook (at once, then each second), and stops it
// by its PID when the test ends. It returns its URL once it listens.
func startAlertmanager(t *testing.T, hook string) string {
	t.Helper()
	exe, err := exec.LookPath("alertmanager")
	if err != nil {
		exe = filepath.Join(build.Default.GOPATH, "bin", "alertmanager")
		if _, err := os.Stat(exe); err != nil {
			t.Fatalf("no alertmanager on the PATH nor in %s: `go install github.com/prometheus/alertmanager/cmd/alertmanager@%s` (.ci/run does)", filepath.Dir(exe), amVersion)
		}
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, cause, host]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %s
        send_resolved: true
`, hook)), 0o644)
	addr := freeAddr(t)
	cmd := exec.Command(exe, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// Ready when it logs that it listens; its log is read to the end.
	listening := make(chan bool, 1)
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		said := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !said && strings.Contains(sc.Text(), "Listening on") {
				said = true
				listening <- true
			}
		}
		if !said {
			listening <- false
		}
	}()
	if !<-listening {
		t.Fatalf("alertmanager ended before it listened:\n%s", log.String())
	}
	return "http://" + addr
}

// freeAddr is a loopback address with a port free now.
func freeAddr(t *testing.T) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.Loopback(t)))
}
