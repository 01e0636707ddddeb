package fleet_test

import (
	"context"
	"io"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/alert"
	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/fleet"
)

// TestFleetReloads: `logcause fleet` on a real JetStream server reloads
// its config at each hangup. A config whose reports cannot be sent keeps
// the running alerts and reports (web1's incident still goes to the first
// webhook); a good one replaces them: web2's lines, which reopen the
// incident on both nodes, go to the new webhook only, and the new config's
// report is sent on its schedule.
func TestFleetReloads(t *testing.T) {
	nats, js := onCluster(t)
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
	closeAlerts := sync.OnceValue(alerts.Close) // waits for what the alerts were sending
	defer closeAlerts()

	fst := openStore(t, "fleet")
	sent := make(chan analyze.Result, 4)
	deliver := func(_ context.Context, _ config.Report, res analyze.Result) error {
		sent <- res
		return nil
	}
	clock := newNightlyClock()
	good := fleet.Reports{Jobs: cfgB.Reports, Deliver: deliver,
		Now: clock.now, After: clock.after}
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
	if err := reload(broken); err == nil {
		t.Fatal("a config whose reports nothing sends was reloaded")
	}
	publishHosts(t, js, "web1")
	hear(t, "the first webhook", heardA, "open", "resolve")
	if err := reload(good); err != nil {
		t.Fatal(err)
	}
	publishHosts(t, js, "web2")
	hear(t, "the second webhook", heardB, "open", "resolve")
	clock.runDue()
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
	// Every alert is now sent, failed, or dropped unsent (one in flight
	// at the close): the first webhook heard all it was sent.
	closeAlerts()
	if s := alerts.Stats(); s.Sent+s.Failed+s.Dropped != 4 || len(heardA) != 0 {
		t.Errorf("the alerts: %+v, and %d more to the first webhook after the reload; want web1's 2 to the first, web2's 2 to the second, nothing else", s, len(heardA))
	}
}

// nightlyClock is a report schedule's clock: 06:59 on 24 November (the
// captures' day), its waits ended by runDue, which makes it 07:00:01 (the
// nightly run of "0 7 * * *" due).
type nightlyClock struct {
	mu   sync.Mutex
	at   time.Time
	tick chan time.Time
}

func newNightlyClock() *nightlyClock {
	return &nightlyClock{at: time.Date(2026, 11, 24, 6, 59, 0, 0, time.UTC), tick: make(chan time.Time)}
}

func (c *nightlyClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *nightlyClock) after(time.Duration) <-chan time.Time { return c.tick }

func (c *nightlyClock) runDue() {
	c.mu.Lock()
	c.at = time.Date(2026, 11, 24, 7, 0, 1, 0, time.UTC)
	c.mu.Unlock()
	c.tick <- c.now()
}
