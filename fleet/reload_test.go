package fleet_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/alert"
	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/internal/natstest"
)

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

// TestFleetReloads: `logcause fleet` on a real JetStream server reloads
// its config at each hangup. A config whose reports cannot be sent keeps
// the running alerts and reports (web1's incident still goes to the first
// webhook); a good one replaces them: web2's lines, which reopen the
// incident on both nodes, go to the new webhook only, and the new config's
// report is sent on its schedule.
func TestFleetReloads(t *testing.T) {
	cluster := natstest.Start(t, 3)
	nats := config.NATS{URL: cluster.URL()}
	js, err := fleet.Connect(nats, "publisher")
	if err != nil {
		t.Fatal(err)
	}
	defer js.Close()
	urlA, heardA := webhook(t)
	urlB, heardB := webhook(t)
	cfgA := config.Config{Alerts: config.Alerts{Webhooks: []config.Webhook{{URL: urlA, Format: "json"}}}}
	cfgB, err := config.Parse("test", []byte("reports:\n  - name: nightly\n    schedule: \"0 7 * * *\"\n    tz: UTC\n    email: [oncall@example.com]\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfgB.Alerts = config.Alerts{Webhooks: []config.Webhook{{URL: urlB, Format: "json"}}}
	alerts, err := alert.NewSwitch(cfgA, alert.Build(alert.Options{Host: "fleet shop"}, func(config.Config) (alert.Mailer, error) { return nil, nil }))
	if err != nil {
		t.Fatal(err)
	}
	defer alerts.Close()

	fst := openStore(t, "fleet")
	sent := make(chan analyze.Result, 4)
	deliver := func(_ context.Context, _ config.Report, res analyze.Result) error {
		sent <- res
		return nil
	}
	var mu sync.Mutex
	now := time.Date(2026, 11, 24, 6, 59, 0, 0, time.UTC)
	tick := make(chan time.Time)
	good := fleet.Reports{Jobs: cfgB.Reports, Sender: daemon.AnalyzedSender(fst, nil, deliver),
		Now:   func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		After: func(time.Duration) <-chan time.Time { return tick }}
	broken := fleet.Reports{Jobs: cfgB.Reports} // nothing sends them: no smtp
	loads := make(chan fleet.Reports, 2)
	hup := make(chan os.Signal)
	reloaded := make(chan error)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	followed := make(chan error, 1)
	go func() {
		followed <- fleet.Follow(ctx, fst, fleet.Following{Fleet: config.Fleet{NATS: nats}, Site: "shop", Out: io.Discard, Format: "text", Listen: "off",
			Alerts: alerts, OnReload: alerts.Reload, ResolveAfter: 5 * time.Second,
			Hangups: hup, Load: func() (config.Config, fleet.Reports, error) { return cfgB, <-loads, nil },
			Reloaded: func(err error) { reloaded <- err }})
	}()
	reload := func(r fleet.Reports) error {
		loads <- r
		hup <- syscall.SIGHUP
		return <-reloaded
	}
	publish := func(host string) {
		r := runPumpOf(t, host, loaded(t, host, "fpm-stopped"), js)
		hang := time.After(guard)
		for err := r.await(t); err != nil; err = r.await(t) { // no stream leader yet: tried again
			select {
			case <-hang:
				t.Fatal(err)
			case r.retry <- time.Now():
			}
		}
		r.stop()
	}

	if err := reload(broken); err == nil {
		t.Fatal("a config whose reports nothing sends was reloaded")
	}
	publish("web1")
	hear(t, "the first webhook", heardA, "open", "resolve")
	if err := reload(good); err != nil {
		t.Fatal(err)
	}
	publish("web2")
	hear(t, "the second webhook", heardB, "open", "resolve")
	select {
	case ev := <-heardA:
		t.Errorf("the first webhook heard %q after the reload", ev)
	default:
	}
	mu.Lock()
	now = time.Date(2026, 11, 24, 7, 0, 1, 0, time.UTC)
	mu.Unlock()
	tick <- now
	select {
	case res := <-sent:
		if len(res.Incidents) != 1 || res.Incidents[0].RootCause != analyze.FPMDown {
			t.Errorf("the reloaded report's incidents: %+v", res.Incidents)
		}
	case <-time.After(guard):
		t.Fatal("the reloaded config's report was not sent")
	}
	cancel()
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
}
