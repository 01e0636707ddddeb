package fleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/alert"
	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/internal/freeport"
	"github.com/logcause/logcause/internal/natstest"
)

// TestFollowAlertsAndServesIncidents: `logcause fleet`'s Follow on a real
// JetStream cluster (3 servers in process, on loopback), web1 and web2 having
// published PHP-FPM stopped (real captures): a real webhook receiver
// hears the fleet incident open and resolve, its text names the nodes,
// and the API lists the incident and counts the alerts sent.
func TestFollowAlertsAndServesIncidents(t *testing.T) {
	nats, js := onCluster(t)
	publishHosts(t, js, "web1", "web2")

	url, events := webhook(t)
	sent := make(chan struct{}, 16)
	a, err := alert.New(config.Alerts{Webhooks: []config.Webhook{{URL: url, Format: "json"}}}, alert.Options{Host: "fleet shop", Log: slog.New(sentLog{sent})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alerting := make(chan error, 1)
	go func() { alerting <- a.Run(ctx) }()

	listen := fmt.Sprintf("127.0.0.1:%d", freeport.Loopback(t))
	var out strings.Builder
	followed := make(chan error, 1)
	fctx, stop := context.WithCancel(ctx)
	go func() {
		followed <- fleet.Follow(fctx, openStore(t, "fleet"), fleet.Following{Fleet: config.Fleet{NATS: nats}, Site: "shop", Out: &out, Format: "text", Listen: listen, Alerts: a, ResolveAfter: 5 * time.Second})
	}()
	hear(t, "the webhook", events, "open", "resolve")
	for range 2 { // counted once the receiver answered
		select {
		case <-sent:
		case <-time.After(guard):
			t.Fatal("the alerts were not counted as sent")
		}
	}
	var incs api.Incidents
	serveGet(t, "http://"+listen+"/api/v1/incidents", func(r io.Reader) error { return json.NewDecoder(r).Decode(&incs) })
	if len(incs.Incidents) != 1 || incs.Incidents[0].State != "resolved" || !strings.HasSuffix(incs.Incidents[0].Title, "(fleet: on web1 50%, web2 50%)") {
		t.Errorf("the API's incidents: %+v", incs.Incidents)
	}
	var metrics string
	serveGet(t, "http://"+listen+"/metrics", func(r io.Reader) error {
		b, err := io.ReadAll(r)
		metrics = string(b)
		return err
	})
	if !strings.Contains(metrics, `logcause_alerts_sent_total{destination="webhook 1 (json)"} 2`) {
		t.Errorf("the metrics do not count the 2 alerts sent:\n%s", metrics)
	}
	stop()
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	cancel()
	<-alerting
	for _, want := range []string{"opened fleet incident", "resolved fleet incident", "web1 50% ("} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("fleet printed %q; want %q in it", out.String(), want)
		}
	}
}

// onCluster starts a real JetStream cluster (3 servers in process, on
// loopback), and a publisher connected to it.
func onCluster(t *testing.T) (config.NATS, *fleet.JetStream) {
	t.Helper()
	cluster := natstest.Start(t, 3)
	nats := config.NATS{URL: cluster.URL()}
	js, err := fleet.Connect(nats, "publisher")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(js.Close)
	return nats, js
}

// publishHosts publishes each host's PHP-FPM stopped (real captures) to
// pub. A new cluster may place no stream until its peers know each
// other: the round is tried again (its wait ended by the test).
func publishHosts(t *testing.T, pub fleet.Publisher, hosts ...string) {
	t.Helper()
	for _, host := range hosts {
		r := runPumpOf(t, host, loaded(t, host, "fpm-stopped"), pub)
		hang := time.After(guard)
		for err := r.await(t); err != nil; err = r.await(t) {
			select {
			case <-hang:
				t.Fatal(err)
			case r.retry <- time.Now():
			}
		}
		r.stop()
	}
}

// webhook is a real receiver of alerts: the events it heard.
func webhook(t *testing.T) (url string, events <-chan string) {
	c := make(chan string, 16)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Event string `json:"event"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("%v: %s", err, b)
		}
		c <- ev.Event
	}))
	t.Cleanup(recv.Close)
	return recv.URL, c
}

// hear waits for the events want, in order.
func hear(t *testing.T, who string, events <-chan string, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-events:
			if got != w {
				t.Fatalf("%s heard %q, want %q", who, got, w)
			}
		case <-time.After(guard):
			t.Fatalf("%s did not hear %q", who, w)
		}
	}
}

// serveGet gets url and reads its body with read.
func serveGet(t *testing.T, url string, read func(io.Reader) error) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s", url, resp.Status)
	}
	if err := read(resp.Body); err != nil {
		t.Fatal(err)
	}
}

// sentLog is an Alerter's log that tells each alert sent (and counted).
type sentLog struct{ sent chan<- struct{} }

func (h sentLog) Enabled(context.Context, slog.Level) bool { return true }
func (h sentLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h sentLog) WithGroup(string) slog.Handler            { return h }
func (h sentLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "alert sent" {
		h.sent <- struct{}{}
	}
	return nil
}
