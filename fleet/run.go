package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logcause/logcause/alert"
	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/internal/printable"
	"github.com/logcause/logcause/store"
)

// Publishing is what `watch` runs with a fleet key: a Pump of its store,
// on a NATS connection and a goroutine of its own. Its methods do nothing
// on a nil *Publishing (no fleet key).
type Publishing struct {
	pump   *Pump
	js     *JetStream
	cancel context.CancelFunc
	done   chan error
}

// StartPublishing starts publishing src as the fleet key f says, the host
// named hostname unless f names it; nil when f asks for nothing. NATS out
// of reach is no error: the store keeps what is not published yet.
func StartPublishing(f config.Fleet, hostname string, src Source) (*Publishing, error) {
	if !f.Enabled() {
		return nil, nil
	}
	host := f.HostOr(hostname)
	if !config.ValidToken(host) {
		return nil, fmt.Errorf("cannot publish to the fleet: no host name (the machine's is %q): give fleet.host in the config", hostname)
	}
	js, err := Connect(f.NATS, "logcause watch "+host)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Publishing{pump: NewPump(src, js, PumpConfig{Site: f.Site, Host: host}), js: js, cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- p.pump.Run(ctx) }()
	slog.Info("publishing to the fleet", "site", f.Site, "host", host, "nats", f.NATS.URL)
	return p, nil
}

// Wake asks for a round of publishing (something was committed).
func (p *Publishing) Wake() {
	if p != nil {
		p.pump.Wake()
	}
}

// OnCommit is the daemon's OnCommit: a round of publishing asked, then
// next (when set) told.
func (p *Publishing) OnCommit(next func(path string)) func(path string) {
	return func(path string) {
		p.Wake()
		if next != nil {
			next(path)
		}
	}
}

// Incidents publishes the daemon's incident events.
func (p *Publishing) Incidents(opened, updated, resolved []analyze.Incident) {
	if p != nil {
		p.pump.Incidents(opened, updated, resolved)
	}
}

// Collectors are its metrics, for the API.
func (p *Publishing) Collectors() []prometheus.Collector {
	if p == nil {
		return nil
	}
	return []prometheus.Collector{p.pump.Collector()}
}

// Close stops publishing, waits until it stopped, and closes the
// connection. Before the store is closed.
func (p *Publishing) Close() error {
	if p == nil {
		return nil
	}
	p.cancel()
	err := <-p.done
	p.js.Close()
	return err
}

// Notifier is what hears of the fleet's incidents as watch's alerts do
// (*alert.Switch is one).
type Notifier interface {
	Notify(daemon.Update)
}

// Teller tells each fleet incident's event: a line of text or of JSON to
// Out, and the alerts (when set) the incident titled with its nodes.
type Teller struct {
	Out    io.Writer
	JSON   bool
	Site   string
	Alerts Notifier

	mu sync.Mutex
}

// Tell is the Consumer's Hook.
func (t *Teller) Tell(event string, inc Incident) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var err error
	if t.JSON {
		err = json.NewEncoder(t.Out).Encode(struct {
			Event    string   `json:"event"`
			Site     string   `json:"site"`
			Incident Incident `json:"incident"`
		}{event, t.Site, inc})
	} else {
		err = WriteText(t.Out, event, inc)
	}
	if err != nil {
		slog.Error("cannot print the fleet's incident", "err", err)
	}
	if t.Alerts != nil {
		t.Alerts.Notify(Update(event, inc))
	}
}

// Following is what `logcause fleet` follows and where it tells.
type Following struct {
	Fleet  config.Fleet // its NATS servers
	Site   string
	Out    io.Writer // each incident's event, a line of text or JSON
	Format string    // "text" or "json"
	Listen string    // the API's address, or off
	Alerts Notifier  // nil: none
	Reports
	ResolveAfter time.Duration // ConsumerConfig's; default 30 s

	// Hangups ask for a reload (SIGHUP): Load reads the config anew,
	// its reports replace the running ones and OnReload (the alerts'
	// Reload) is told of it. A config that cannot be read, or whose
	// reports or alerts cannot be set up, leaves the running ones and
	// the log says why. Nil Load: nothing to reload from (no --config).
	Hangups  <-chan os.Signal
	Load     func() (config.Config, Reports, error)
	OnReload func(config.Config) error
	// Reloaded, when set, hears of each reload's end (nil: applied; else
	// why not), on the reloading goroutine (tests).
	Reloaded func(error)
}

// Follow is `logcause fleet`: it consumes the site's subjects from the
// NATS servers into st until ctx is done, and writes each fleet incident
// to Out as it opens, changes or resolves, tells the alerts, and sends the
// reports on their schedules. Unless Listen is off, it serves watch's API
// there (status, incidents, reports of the site's store, metrics;
// api.Start).
func Follow(ctx context.Context, st *store.Store, fw Following) error {
	if fw.Format != "text" && fw.Format != "json" {
		return config.Usagef("invalid --format %q: give text or json", fw.Format)
	}
	if !config.ValidToken(fw.Site) {
		return config.Usagef("invalid site %q: give letters, digits, '_' or '-' (a token of the NATS subjects, no wildcard)", fw.Site)
	}
	if fw.Fleet.NATS.URL == "" {
		return fmt.Errorf("cannot follow the fleet: no fleet.nats.url in the config; give the NATS servers (see `logcause config example`)")
	}
	js, err := Connect(fw.Fleet.NATS, "logcause fleet "+fw.Site)
	if err != nil {
		return err
	}
	defer js.Close()
	t := &Teller{Out: fw.Out, JSON: fw.Format == "json", Site: fw.Site, Alerts: fw.Alerts}
	c := NewConsumer(st, ConsumerConfig{
		Hook: t.Tell, ResolveAfter: fw.ResolveAfter,
		HostIncident: func(host, event string, inc analyze.Incident) {
			slog.Info("a host's incident", "host", printable.String(host), "event", event, "cause", inc.RootCause, "start", inc.Start)
		},
	})
	ctx, cancel := context.WithCancel(ctx)
	reports := &running{}
	defer func() { cancel(); reports.stop() }() // the reports stop before the store closes
	if err := reports.start(ctx, fw.Reports, c); err != nil {
		return err
	}
	if fw.Hangups != nil {
		reloads := make(chan struct{})
		defer func() { cancel(); <-reloads }() // before the reports stop
		go func() {
			defer close(reloads)
			fw.serveReloads(ctx, c, reports)
		}()
	}
	if !api.Off(fw.Listen) {
		srv, err := api.Start(fw.Listen, st.Dir(), c, api.Options{Alerts: alertCounts(fw.Alerts)})
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	slog.Info("following the fleet", "site", fw.Site, "nats", fw.Fleet.NATS.URL, "store", st.Dir())
	return c.Run(ctx, func(ctx context.Context, from uint64) (Feeder, error) { return js.Subscribe(ctx, fw.Site, from) })
}

// running are the reports sent on their schedules, replaced by a reload.
type running struct {
	cancel context.CancelFunc
	wait   func()
}

// start sends r's reports of c's store until ctx is done or stop.
func (rn *running) start(ctx context.Context, r Reports, c *Consumer) error {
	ctx, cancel := context.WithCancel(ctx)
	wait, err := r.Start(ctx, c)
	rn.cancel, rn.wait = cancel, wait
	if err != nil {
		rn.stop()
	}
	return err
}

// stop stops the reports and waits until they stopped.
func (rn *running) stop() {
	if rn.cancel != nil {
		rn.cancel()
		rn.wait()
		rn.cancel = nil
	}
}

// serveReloads reloads at each hangup until ctx is done.
func (fw Following) serveReloads(ctx context.Context, c *Consumer, reports *running) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-fw.Hangups:
		}
		err := fw.reload(ctx, c, reports)
		if err != nil {
			slog.Error("cannot reload the config: the running one is kept", "err", err)
		}
		if fw.Reloaded != nil {
			fw.Reloaded(err)
		}
	}
}

// reload reads the config anew and applies it: its alerts, then its
// reports. Either that cannot be set up leaves the running ones.
func (fw Following) reload(ctx context.Context, c *Consumer, reports *running) error {
	if fw.Load == nil {
		slog.Info("SIGHUP: there is no config file to reload (no --config): the settings of the command line are kept")
		return nil
	}
	cfg, r, err := fw.Load()
	if err != nil {
		return err
	}
	if _, err := r.sender(c); err != nil {
		return err
	}
	if fw.OnReload != nil {
		if err := fw.OnReload(cfg); err != nil {
			return fmt.Errorf("cannot reload the alerts: %w", err)
		}
	}
	reports.stop()
	if err := reports.start(ctx, r, c); err != nil {
		return err // checked above: not expected
	}
	slog.Info("the fleet's config reloaded", "reports", len(r.Jobs))
	return nil
}

// alertCounts are the alerts' counts for the metrics, when n keeps them
// (*alert.Switch does); nil otherwise.
func alertCounts(n Notifier) func() api.AlertCounts {
	a, ok := n.(interface{ Stats() alert.Stats })
	if !ok {
		return nil
	}
	return func() api.AlertCounts {
		s := a.Stats()
		return api.AlertCounts{SentTo: s.SentTo, Failed: s.Failed, Dropped: s.Dropped, Folded: s.Folded}
	}
}
