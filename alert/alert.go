// Package alert answers one question: who must hear of an incident now?
// It announces the daemon's incidents when they open and when they
// resolve, to webhooks (Slack or Mattermost, Alertmanager, plain JSON) and
// by e-mail, as the config's alerts key says. Notify never blocks the
// daemon: each destination has a bounded queue (when it is full, the
// oldest alert is dropped, counted and logged) and a goroutine of its own
// that sends, retrying with exponential backoff; Run owns them.
//
// De-duplication. The daemon tells each incident's open and resolve once;
// Notify announces both, except that an incident that opens less than
// Cooldown after the last alert (open or resolve) of an incident of the
// same root cause on the same host is folded into it: it is logged and
// counted (Stats.Folded), and neither its open nor its resolve is sent
// anywhere. A folded incident does not extend the cooldown. A resolve of
// an incident this process never saw open (it opened before a restart:
// the daemon keeps its incidents in the store) is announced. Alertmanager
// also hears of the open incidents every ResendEvery, as it expects.
package alert

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
)

// Mailer sends one alert mail. The subject holds no control character
// (no CR or LF); text and html are the plain and HTML bodies of the same
// message.
type Mailer interface {
	SendAlert(ctx context.Context, to []string, subject, text, html string) error
}

// MailerFunc is a function that is a Mailer.
type MailerFunc func(ctx context.Context, to []string, subject, text, html string) error

// SendAlert calls f.
func (f MailerFunc) SendAlert(ctx context.Context, to []string, subject, text, html string) error {
	return f(ctx, to, subject, text, html)
}

// Options are what an Alerter uses besides its configuration; the zero
// value of each is a sensible default.
type Options struct {
	Client *http.Client // default: one with a 10 s timeout
	Mailer Mailer       // required when the config lists e-mail recipients
	// Host names this server in alerts when the config gives no host;
	// default the machine's host name (os.Hostname), else "localhost".
	Host string
	Now  func() time.Time // default time.Now
	// After is how the retries and Alertmanager's re-sends wait; default
	// time.After. Tests fire the waits themselves.
	After func(time.Duration) <-chan time.Time
	Log   *slog.Logger // default slog.Default()
	// QueueSize bounds each destination's queue; default 64.
	QueueSize int
	// MaxAttempts is how many times an alert is tried before it is given
	// up; default 5. Backoff is the wait before the second attempt,
	// doubled before each next one up to a minute; default 2 s (so 2, 4,
	// 8 and 16 s).
	MaxAttempts int
	Backoff     time.Duration
	// ResendEvery is how often the open incidents are sent to Alertmanager
	// again; default DefaultResendEvery.
	ResendEvery time.Duration
}

// DefaultResendEvery is how often Alertmanager hears again of the open
// incidents. Each firing alert it is sent ends 4 re-sends later unless
// sent again, as Prometheus does: an Alertmanager stops showing the
// alerts of a logcause that stopped within 4 minutes, whatever its
// resolve_timeout.
const DefaultResendEvery = time.Minute

// Stats counts what an Alerter did.
type Stats struct {
	Sent int64 // alerts delivered (each destination counts)
	// SentTo is Sent by destination: `webhook "oncall"`, "webhook 2
	// (json)", "email".
	SentTo  map[string]int64
	Retried int64 // attempts that failed and were tried again
	Failed  int64 // alerts given up after MaxAttempts, or refused (HTTP 4xx)
	Dropped int64 // alerts dropped from a full queue, or left unsent at Close
	Folded  int64 // incidents not announced: within the cooldown of their cause
	Resent  int64 // firing alerts sent again to Alertmanager
}

// Events of an incident as alerts tell them.
const (
	EventOpen    = "open"
	EventResolve = "resolve"
	eventUpdate  = "update" // only Alertmanager hears of it, at the next re-send
)

// message is one event of an incident for one destination.
type message struct {
	event string
	key   time.Time // the start the incident was first told with: its identity
	inc   analyze.Incident
	at    time.Time // when it was told
}

// tracked is an incident announced (or folded) and not resolved yet.
type tracked struct {
	key    time.Time
	latest analyze.Incident
	folded bool
}

// Alerter announces incidents. Make it with New, Run it once, Notify it
// from the daemon's hook.
type Alerter struct {
	opt   Options
	log   *slog.Logger
	host  string
	cool  time.Duration
	dests []*destination

	mu      sync.Mutex
	open    map[time.Time]*tracked // by key
	last    map[string]time.Time   // the last alert of each root cause
	stats   Stats
	cancel  context.CancelFunc
	closed  bool
	done    chan struct{}
	started bool

	// observe, when set (tests), hears of each message handled by a
	// destination, after its last attempt.
	observe func(dest string, m message, err error)
}

// New returns an Alerter for the configuration cfg. It reads the webhooks'
// secrets (config.Webhook.Target) now: a missing one is an error naming
// the webhook.
func New(cfg config.Alerts, opt Options) (*Alerter, error) {
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.After == nil {
		opt.After = time.After
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	opt.QueueSize = cmp.Or(opt.QueueSize, 64)
	opt.MaxAttempts = cmp.Or(opt.MaxAttempts, 5)
	opt.Backoff = cmp.Or(opt.Backoff, 2*time.Second)
	opt.ResendEvery = cmp.Or(opt.ResendEvery, DefaultResendEvery)
	a := &Alerter{
		opt: opt, log: opt.Log, cool: cfg.Cooldown,
		host: cmp.Or(oneLine(cmp.Or(cfg.Host, opt.Host, hostname()), 200), "localhost"),
		open: map[time.Time]*tracked{}, last: map[string]time.Time{}, done: make(chan struct{}),
		stats: Stats{SentTo: map[string]int64{}},
	}
	for i, w := range cfg.Webhooks {
		u, h, err := w.Target(i)
		if err != nil {
			return nil, fmt.Errorf("cannot set up the alerts: %w", err)
		}
		a.dests = append(a.dests, a.webhook("webhook "+w.Label(i), w.Format, u, h))
	}
	if len(cfg.Email) > 0 {
		if opt.Mailer == nil {
			return nil, errors.New("cannot set up the alerts: alerts.email lists recipients, but no SMTP server is configured to send through (smtp: in the config file)")
		}
		a.dests = append(a.dests, a.mail(slices.Clone(cfg.Email)))
	}
	return a, nil
}

// hostname is the machine's host name; "" when it has none.
func hostname() string {
	h, _ := os.Hostname()
	return h
}

// Notify takes in what the daemon saw change (the hook's Update): it
// decides at once what to announce and queues it for each destination.
// It never blocks on a destination.
func (a *Alerter) Notify(u daemon.Update) {
	now := a.opt.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, inc := range u.Opened {
		a.opened(inc, now)
	}
	for _, inc := range u.Updated {
		a.updated(inc, now)
	}
	for _, inc := range u.Resolved {
		a.resolved(inc, now)
	}
}

func (a *Alerter) opened(inc analyze.Incident, now time.Time) {
	cause := string(inc.RootCause)
	t := &tracked{key: inc.Start, latest: inc}
	a.open[inc.Start] = t
	if last, ok := a.last[cause]; ok && now.Sub(last) < a.cool {
		t.folded = true
		a.stats.Folded++
		a.log.Info("alert folded: an alert of the same cause was sent within the cooldown", "start", inc.Start,
			"root_cause", cause, "host", a.host, "last_alert", last, "cooldown", a.cool, "folded", a.stats.Folded)
		return
	}
	a.last[cause] = now
	a.queue(message{event: EventOpen, key: t.key, inc: inc, at: now}, nil)
}

// updated keeps the latest form of an open incident (Alertmanager hears
// of it). One this process did not see open opened before a restart: it
// is taken as announced.
func (a *Alerter) updated(inc analyze.Incident, now time.Time) {
	t := a.match(inc)
	if t == nil {
		t = &tracked{key: inc.Start}
		a.open[inc.Start] = t
	}
	t.latest = inc
	if !t.folded {
		a.queue(message{event: eventUpdate, key: t.key, inc: inc, at: now}, func(d *destination) bool { return d.format == config.FormatAlertmanager })
	}
}

func (a *Alerter) resolved(inc analyze.Incident, now time.Time) {
	t := a.match(inc)
	key := inc.Start
	if t != nil {
		delete(a.open, t.key)
		key = t.key
		if t.folded {
			a.log.Info("resolve not announced: the incident was folded", "start", t.key, "root_cause", inc.RootCause, "host", a.host)
			return
		}
		a.last[string(t.latest.RootCause)] = now
	}
	a.last[string(inc.RootCause)] = now
	a.queue(message{event: EventResolve, key: key, inc: inc, at: now}, nil)
}

// match finds the tracked incident inc is: the same start, else one whose
// window overlaps inc's (a late line may move an incident's start).
func (a *Alerter) match(inc analyze.Incident) *tracked {
	t, _ := analyze.MatchIncident(a.open, inc, func(t *tracked) (time.Time, time.Time) { return t.key, t.latest.End })
	return t
}

// queue pushes m onto the queues of the destinations that want it (all
// when want is nil). a.mu is held.
func (a *Alerter) queue(m message, want func(*destination) bool) {
	for _, d := range a.dests {
		if want != nil && !want(d) {
			continue
		}
		if old, dropped := d.q.push(m); dropped {
			a.stats.Dropped++
			a.log.Warn("alert queue full: the oldest alert was dropped", "destination", d.name, "event", old.event,
				"start", old.key, "root_cause", old.inc.RootCause, "dropped", a.stats.Dropped)
		}
	}
}

// Stats returns the counts so far.
func (a *Alerter) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.stats
	s.SentTo = maps.Clone(s.SentTo)
	return s
}

func (a *Alerter) count(f func(*Stats)) {
	a.mu.Lock()
	f(&a.stats)
	a.mu.Unlock()
}

// Run sends what Notify queues until ctx is done or Close is called. Every
// goroutine it starts has ended when it returns; what was left unsent is
// counted as dropped and logged.
func (a *Alerter) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.started {
		a.mu.Unlock()
		return errors.New("alert: Run called twice")
	}
	a.started = true
	ctx, cancel := context.WithCancel(ctx)
	a.cancel = cancel
	closed := a.closed
	a.mu.Unlock()
	defer close(a.done)
	defer cancel()
	if closed {
		return nil
	}
	var wg sync.WaitGroup
	for _, d := range a.dests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.work(ctx, d)
		}()
	}
	<-ctx.Done()
	wg.Wait()
	a.opt.Client.CloseIdleConnections()
	left := 0
	for _, d := range a.dests {
		left += d.q.len()
	}
	if left > 0 {
		a.count(func(s *Stats) { s.Dropped += int64(left) })
		a.log.Warn("alerts not sent: logcause stopped first", "alerts", left)
	}
	return nil
}

// Close stops a running Run and waits until it returned; a Run after it
// returns at once.
func (a *Alerter) Close() error {
	a.mu.Lock()
	a.closed = true
	cancel, started := a.cancel, a.started
	a.mu.Unlock()
	if !started {
		return nil
	}
	cancel()
	<-a.done
	return nil
}
