package fleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logcause/logcause/alert"
	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/fleet"
)

// told records what a Consumer's Hook heard, as "event cause nodes".
type told struct {
	mu     sync.Mutex
	events []string
}

func (r *told) hook(event string, inc fleet.Incident) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf("%s %s %v", event, inc.RootCause, hostsOf(inc)))
}

func (r *told) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// twoStoppedFPMs is the stream of web1 and web2 publishing PHP-FPM stopped
// (real captures), and the number of its messages.
func twoStoppedFPMs(t *testing.T) (*memStream, uint64) {
	t.Helper()
	ms := newMemStream()
	for _, host := range []string{"web1", "web2"} {
		r := runPumpOf(t, host, loaded(t, host, "fpm-stopped"), ms)
		if err := r.await(t); err != nil {
			t.Fatal(err)
		}
		r.stop()
	}
	return ms, uint64(len(ms.msgs))
}

// TestARestartTellsNothingAgain: a Consumer stopped just after it told an
// incident opened, and started again on its store, tells what one that
// never stopped tells after that point: the incident is not opened again,
// and it is resolved. The API's incidents list it, titled with its nodes.
func TestARestartTellsNothingAgain(t *testing.T) {
	ms, n := twoStoppedFPMs(t)

	var whole told
	var openedAt uint64
	cfg := fleet.ConsumerConfig{Hook: whole.hook, ResolveAfter: 5 * time.Second, OnBatch: func(last uint64) {
		if openedAt == 0 && len(whole.list()) > 0 {
			openedAt = last
		}
	}}
	_, stop := consumeUntil(t, ms, openStore(t, "whole"), 1, n, cfg)
	stop()
	want := whole.list()
	if len(want) < 2 || !strings.HasPrefix(want[0], "opened fpm_down") || !strings.HasPrefix(want[len(want)-1], "resolved fpm_down [web1 web2]") {
		t.Fatalf("without a restart, the Consumer told %q; want fpm_down opened, then resolved on web1 and web2", want)
	}
	if openedAt == n {
		t.Fatalf("the incident opened at the last message: nothing to restart after")
	}

	fst := openStore(t, "fleet")
	var split told
	cfg = fleet.ConsumerConfig{Hook: split.hook, ResolveAfter: 5 * time.Second}
	_, stop = consumeUntil(t, ms, fst, 1, openedAt, cfg)
	stop()
	if got := split.list(); len(got) != 1 || got[0] != want[0] {
		t.Fatalf("before the restart: %q; want %q", got, want[:1])
	}
	c2, stop := consumeUntil(t, ms, fst, 1, n, cfg)
	defer stop()
	if got := split.list(); !slices.Equal(got, want) {
		t.Errorf("with a restart, the Consumer told\n%q\nwant\n%q", got, want)
	}

	var incs api.Incidents
	serveAPI(t, c2)("/api/v1/incidents", &incs)
	if len(incs.Incidents) != 1 || incs.Incidents[0].State != "resolved" || incs.Incidents[0].RootCause != analyze.FPMDown ||
		!strings.Contains(incs.Incidents[0].Title, "(fleet: on web") || !strings.Contains(incs.Incidents[0].Title, "web2") {
		t.Errorf("the API's incidents: %+v", incs.Incidents)
	}
}

// TestFleetAlerts: the Teller hands the fleet's incidents to watch's
// alerts: a real webhook receiver hears the incident open and resolve, its
// title naming both nodes.
func TestFleetAlerts(t *testing.T) {
	bodies := make(chan string, 16)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- string(b)
	}))
	defer recv.Close()
	a, err := alert.New(config.Alerts{Webhooks: []config.Webhook{{URL: recv.URL, Format: "json"}}}, alert.Options{Host: "fleet shop", Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	alerting := make(chan error, 1)
	go func() { alerting <- a.Run(ctx) }()
	defer func() {
		cancel()
		<-alerting
	}()
	ms, n := twoStoppedFPMs(t)
	var out strings.Builder
	teller := &fleet.Teller{Out: &out, Site: "shop", Alerts: a}
	_, stop := consumeUntil(t, ms, openStore(t, "fleet"), 1, n, fleet.ConsumerConfig{Hook: teller.Tell, ResolveAfter: 5 * time.Second})
	defer stop()
	var got []string
	for len(got) < 2 {
		select {
		case b := <-bodies:
			var ev struct {
				Event    string           `json:"event"`
				Host     string           `json:"host"`
				Incident analyze.Incident `json:"incident"`
			}
			if err := json.Unmarshal([]byte(b), &ev); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			// web1's lines come first: it opens on web1; web2's follow
			// before it resolves.
			want := map[string]string{"open": "(fleet: on web1 100%)", "resolve": "(fleet: on web1 50%, web2 50%)"}[ev.Event]
			if want == "" || !strings.HasSuffix(ev.Incident.Title, want) || ev.Host != "fleet shop" {
				t.Errorf("the alert %s names %q from %q; want %q from fleet shop", ev.Event, ev.Incident.Title, ev.Host, want)
			}
			got = append(got, ev.Event+" "+string(ev.Incident.RootCause))
		case <-time.After(guard):
			t.Fatalf("the webhook heard %q, then nothing", got)
		}
	}
	if want := []string{"open fpm_down", "resolve fpm_down"}; !slices.Equal(got, want) {
		t.Errorf("the webhook heard %q; want %q", got, want)
	}
	if !strings.Contains(out.String(), "resolved fleet incident") {
		t.Errorf("the text says %q", out.String())
	}
}

// TestAHostBehindReopensAResolvedIncident: web1's incident is told and
// resolved before web2 publishes (a host offline, catching up); web2's
// lines of the same minutes, read after a restart, open it again on both
// nodes, and it resolves again.
func TestAHostBehindReopensAResolvedIncident(t *testing.T) {
	ms := newMemStream()
	publish := func(host string) uint64 {
		r := runPumpOf(t, host, loaded(t, host, "fpm-stopped"), ms)
		if err := r.await(t); err != nil {
			t.Fatal(err)
		}
		r.stop()
		return uint64(len(ms.msgs))
	}
	fst := openStore(t, "fleet")
	var got told
	cfg := fleet.ConsumerConfig{Hook: got.hook, ResolveAfter: 5 * time.Second}
	_, stop := consumeUntil(t, ms, fst, 1, publish("web1"), cfg)
	stop()
	_, stop = consumeUntil(t, ms, fst, 1, publish("web2"), cfg)
	stop()
	want := []string{"opened fpm_down [web1]", "resolved fpm_down [web1]", "opened fpm_down [web1 web2]", "resolved fpm_down [web1 web2]"}
	if !slices.Equal(got.list(), want) {
		t.Errorf("told %q; want %q", got.list(), want)
	}
}

// TestFleetNightlyReport: the config's report is sent as watch sends its
// own, at its first run after it was scheduled: the analysis of the
// site's store, both hosts merged (their evidence under host:path), each
// incident titled with its nodes as the alerts title it: by the
// Consumer's MinShare (at 0.6 neither host's 50 % makes it a node).
func TestFleetNightlyReport(t *testing.T) {
	for _, tc := range []struct {
		minShare float64
		suffix   string
	}{{0, " (fleet: on web1 50%, web2 50%)"}, {0.6, "not accepting connections"}} {
		t.Run(fmt.Sprint(tc.minShare), func(t *testing.T) { fleetNightlyReport(t, tc.minShare, tc.suffix) })
	}
}

func fleetNightlyReport(t *testing.T, minShare float64, suffix string) {
	cfg, err := config.Parse("test", []byte("reports:\n  - name: nightly\n    schedule: \"0 7 * * *\"\n    tz: UTC\n    email: [oncall@example.com]\n"))
	if err != nil {
		t.Fatal(err)
	}
	ms, n := twoStoppedFPMs(t)
	fst := openStore(t, "fleet")
	c, stop := consumeUntil(t, ms, fst, 1, n, fleet.ConsumerConfig{MinShare: minShare})
	defer stop()
	sent := make(chan analyze.Result, 4)
	var mu sync.Mutex
	calls := 0
	now := func() time.Time { // scheduled at 06:59, then 07:00:01: the 07:00 run is due
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return time.Date(2026, 11, 24, 6, 59, 0, 0, time.UTC)
		}
		return time.Date(2026, 11, 24, 7, 0, 1, 0, time.UTC)
	}
	deliver := func(_ context.Context, _ config.Report, res analyze.Result) error {
		sent <- res
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait, err := fleet.Reports{Jobs: cfg.Reports, Deliver: deliver, Now: now,
		After: func(time.Duration) <-chan time.Time { return nil }}.Start(ctx, c) // no wait ends: the next run is tomorrow
	if err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-sent:
		if len(res.Incidents) != 1 || res.Incidents[0].RootCause != analyze.FPMDown {
			t.Fatalf("the report's incidents: %+v", res.Incidents)
		}
		if hosts := evidenceHosts(res.Incidents[0]); !hosts["web1"] || !hosts["web2"] {
			t.Errorf("the report's evidence names the hosts %v, want web1 and web2", hosts)
		}
		if title := res.Incidents[0].Title; !strings.HasSuffix(title, suffix) {
			t.Errorf("the report's incident is titled %q, want it to end %q", title, suffix)
		}
	case <-time.After(guard):
		t.Fatal("no report sent")
	}
	cancel()
	wait() // the run is kept as sent before the schedule waits again
	if v, ok, err := fst.Meta("report/nightly"); err != nil || !ok || !strings.Contains(string(v), `"last_run":"2026-11-24T07:00:00Z"`) {
		t.Errorf("the fleet's store keeps of the report %s (%t, %v); want its last run 07:00", v, ok, err)
	}
}

// TestHostIncidentsToldOnceCommitted: a host's incident event is told
// once the batch that holds it is in the fleet's store (its sequence
// committed), not before: a consumer that stopped before that commit
// reads it again, and tells it then.
func TestHostIncidentsToldOnceCommitted(t *testing.T) {
	st := openStore(t, "web1")
	commit(t, st, t0, 502, 1, gatewayLine(t0, 0))
	ms := newMemStream()
	r := runPump(t, st, ms)
	inc := analyze.Incident{Start: t0, End: t0.Add(time.Second), Title: "502s", Status: map[string]int64{"502": 1}}
	r.p.Incidents([]analyze.Incident{inc}, nil, nil)
	for ms.len() < 3 { // the seconds, the record, the incident: in one round or two
		if err := r.await(t); err != nil {
			t.Fatal(err)
		}
	}
	r.stop()
	var seq uint64
	for _, d := range ms.msgs {
		if d.Subject == fleet.Subject("shop", "web1", fleet.KindIncident) {
			seq = d.Seq
		}
	}
	fst := openStore(t, "fleet")
	var committed []string
	_, stop := consumeUntil(t, ms, fst, 10, uint64(len(ms.msgs)), fleet.ConsumerConfig{HostIncident: func(host, event string, _ analyze.Incident) {
		pos, err := fst.Positions()
		if err != nil {
			t.Error(err)
		}
		committed = append(committed, fmt.Sprintf("%s %s at %s", host, event, pos["fleet/"+fleet.StreamName]))
	}})
	stop()
	if want := []string{fmt.Sprintf("web1 opened at %d", len(ms.msgs))}; !slices.Equal(committed, want) || seq == 0 {
		t.Errorf("the host's incident was told %q, want %q (its sequence %d committed first)", committed, want, seq)
	}
}

// TestALaggingHostKeepsTheIncidentOpen: web2 has published only what
// came before the incident (it lags, its clock, say, behind) when web1
// has published all of it and the quiet after: the incident stays open,
// for web2's seconds of it are still to come; when they come, it is on
// both nodes, and resolves once both hosts are past its quiet.
func TestALaggingHostKeepsTheIncidentOpen(t *testing.T) {
	behind, all := lagging(t, 0, 0)
	if want := []string{"opened fpm_down [web1]"}; !slices.Equal(behind, want) {
		t.Errorf("with web2 behind, told %q; want %q (not resolved: web2's seconds of it are to come)", behind, want)
	}
	want := []string{"opened fpm_down [web1]", "updated fpm_down [web1 web2]", "resolved fpm_down [web1 web2]"}
	if !slices.Equal(all, want) {
		t.Errorf("told %q; want %q", all, want)
	}
}

// TestAHostAwayIsNotWaitedFor: web2 is further behind web1 than Away:
// the site's clock does not wait for it, web1's incident resolves, and
// web2's lines, when they come, open it again.
func TestAHostAwayIsNotWaitedFor(t *testing.T) {
	behind, all := lagging(t, 10*time.Second, 0)
	if want := []string{"opened fpm_down [web1]", "resolved fpm_down [web1]"}; !slices.Equal(behind, want) {
		t.Errorf("with web2 away, told %q; want %q", behind, want)
	}
	want := []string{"opened fpm_down [web1]", "resolved fpm_down [web1]", "opened fpm_down [web1 web2]", "resolved fpm_down [web1 web2]"}
	if !slices.Equal(all, want) {
		t.Errorf("told %q; want %q", all, want)
	}
}

// TestAHostAheadDoesNotResolveTheOthers: web3's clock runs an hour
// ahead (its NTP broken): it is the one left out of the site's clock,
// not web1 and web2, so web1's incident stays open while web2 lags, as
// without web3.
func TestAHostAheadDoesNotResolveTheOthers(t *testing.T) {
	behind, all := lagging(t, 0, time.Hour)
	if want := []string{"opened fpm_down [web1]"}; !slices.Equal(behind, want) {
		t.Errorf("with web3 ahead and web2 behind, told %q; want %q", behind, want)
	}
	want := []string{"opened fpm_down [web1]", "updated fpm_down [web1 web2]", "resolved fpm_down [web1 web2]"}
	if !slices.Equal(all, want) {
		t.Errorf("told %q; want %q", all, want)
	}
}

// lagging publishes web1's PHP-FPM stopped, then web2's up to 4 s before
// the incident (38 s behind web1's last second), merges them, then the
// rest of web2's: what the fleet told at each step, with away the
// Consumer's Away (0: its default). With ahead, a third host, web3, with
// nothing to say, heartbeats that far past the fleet's clock (just past
// web1's last second).
func lagging(t *testing.T, away, ahead time.Duration) (behind, all []string) {
	ms := newMemStream()
	publish := func(r *pumpRun) uint64 {
		t.Helper()
		if err := r.await(t); err != nil {
			t.Fatal(err)
		}
		return uint64(ms.len())
	}
	web1 := runPumpOf(t, "web1", loaded(t, "web1", "fpm-stopped"), ms)
	publish(web1)
	web1.stop()
	var mu sync.Mutex
	now := time.Date(2026, 11, 24, 1, 20, 10, 0, time.UTC) // web2 publishes up to 02:21:10 +0100: the incident began 02:21:14
	web2 := runPumpOf(t, "web2", loaded(t, "web2", "fpm-stopped"), ms, func(c *fleet.PumpConfig) {
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	fleetNow := time.Date(2026, 11, 24, 1, 22, 0, 0, time.UTC)
	if ahead > 0 {
		web3 := runPumpOf(t, "web3", openStore(t, "web3"), ms, func(c *fleet.PumpConfig) {
			c.Heartbeat, c.Now = 10*time.Second, func() time.Time { return fleetNow.Add(ahead) }
		})
		publish(web3)
		web3.stop()
	}
	fst := openStore(t, "fleet")
	var got told
	cfg := fleet.ConsumerConfig{Hook: got.hook, ResolveAfter: 5 * time.Second, Away: away, Now: func() time.Time { return fleetNow }}
	_, stop := consumeUntil(t, ms, fst, 7, publish(web2), cfg)
	stop()
	behind = got.list()
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	web2.p.Wake()
	_, stop = consumeUntil(t, ms, fst, 7, publish(web2), cfg) // a restart: the hosts' newest seconds read from the store
	stop()
	return behind, got.list()
}
