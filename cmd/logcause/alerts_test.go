package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/api"
)

// alertEvent is what the json webhook receives: the event and the
// incident's root cause.
type alertEvent struct {
	Event    string `json:"event"`
	Host     string `json:"host"`
	Incident struct {
		RootCause string `json:"root_cause"`
		Status    map[string]int64
	} `json:"incident"`
}

// alertReceiver is a real HTTP server that takes the json webhook's
// alerts.
func alertReceiver(t *testing.T) (url string, events <-chan alertEvent) {
	t.Helper()
	got := make(chan alertEvent, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev alertEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("the alert does not parse: %v: %s", err, b)
		}
		got <- ev
	}))
	t.Cleanup(srv.Close)
	return srv.URL, got
}

// nextAlert waits for the next alert received; the bound is only against
// a hang.
func nextAlert(t *testing.T, events <-chan alertEvent) alertEvent {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(safetyBound):
		t.Fatal("no alert received")
	}
	return alertEvent{}
}

// writeBurst writes an access log of 30 seconds of requests up to now,
// the last 15 seconds' 45 of them 502s.
func writeBurst(t *testing.T, path string) {
	t.Helper()
	var b strings.Builder
	start := time.Now().UTC().Add(-30 * time.Second)
	for s := range 30 {
		status := 200
		if s >= 15 {
			status = 502
		}
		for i := range 3 {
			fmt.Fprintf(&b, "127.0.0.1 - - [%s] \"GET /slow.php?i=%d HTTP/1.1\" %d 150 \"-\" \"curl/7.88.1\"\n",
				start.Add(time.Duration(s)*time.Second).Format("02/Jan/2006:15:04:05 -0700"), i, status)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWatchAlerts: `logcause watch` with a json webhook in its config: a
// burst of 502s in a followed log is announced once when its incident
// opens, and once when it resolves (quiet for --resolve-after: 3 s of
// the daemon's clock, seen at a tick of --interval); nothing else is
// sent.
func TestWatchAlerts(t *testing.T) {
	dir := t.TempDir()
	logs, st, cfg := filepath.Join(dir, "logs"), filepath.Join(dir, "store"), filepath.Join(dir, "logcause.yaml")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	writeBurst(t, filepath.Join(logs, "access.log"))
	url, events := alertReceiver(t)
	config := fmt.Sprintf("sources:\n  - path: %s\nalerts:\n  webhooks:\n    - format: json\n      url: %s\n  host: web1\n", logs, url)
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	w := startChild(t, "plain", t.TempDir(), "watch", "--config", cfg, "--store", st, "--from-start", "--format", "json",
		"--interval", "100ms", "--resolve-after", "3s", "--config-root", emptyRoot, "--listen", "127.0.0.1:0")

	open := nextAlert(t, events)
	if open.Event != "open" || open.Host != "web1" || open.Incident.Status["502"] != 45 {
		t.Errorf("first alert %+v, want the incident's open with its 45 502s", open)
	}
	if resolve := nextAlert(t, events); resolve.Event != "resolve" || resolve.Incident.RootCause != open.Incident.RootCause {
		t.Errorf("second alert %+v, want the incident's resolve", resolve)
	}
	// Counted once sent (the receiver answered): the API's metrics say so.
	w.expect(w.err, `msg="alert sent" destination="webhook 1 (json)" event=resolve`)
	metrics := scrapeMetrics(t, st)
	for _, want := range []string{`logcause_alerts_sent_total{destination="webhook 1 (json)"} 2`, "logcause_alerts_failed_total 0",
		"logcause_alerts_dropped_total 0", "logcause_alerts_folded_total 0"} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("the metrics lack %q:\n%s", want, metrics)
		}
	}
	w.signal(syscall.SIGTERM)
	code, out, errs := w.wait()
	if code != exitOK {
		t.Fatalf("watch: exit %d: %q", code, errs)
	}
	select {
	case ev := <-events:
		t.Errorf("an alert more: %+v", ev)
	default:
	}
	var printed []string
	for _, l := range out {
		var ev struct{ Event string }
		if json.Unmarshal([]byte(l), &ev) == nil {
			printed = append(printed, ev.Event)
		}
	}
	if strings.Join(printed, " ") != "open resolve" {
		t.Errorf("watch printed the events %q:\n%s", printed, strings.Join(out, "\n"))
	}
}

// scrapeMetrics reads /metrics of the watch that holds the store in dir.
func scrapeMetrics(t *testing.T, dir string) string {
	t.Helper()
	c, err := api.Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	resp, err := http.Get("http://" + c.Listen() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics: %s %v", resp.Status, err)
	}
	return string(b)
}

// TestWatchRefusesAlertMailWithoutSMTP: alerts.email without an SMTP
// server to send through stops watch before it starts, saying what to
// set.
func TestWatchRefusesAlertMailWithoutSMTP(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "logcause.yaml")
	if err := os.WriteFile(cfg, []byte("sources:\n  - path: "+dir+"\nalerts:\n  email: [oncall@example.com]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runIn(t, testEnv(), "watch", "--config", cfg, "--store", filepath.Join(dir, "store"), "--config-root", emptyRoot)
	if code == exitOK || !strings.Contains(errs, "set smtp.host and smtp.from") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
