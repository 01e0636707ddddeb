package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
)

// destination is one place alerts go: a webhook or the mail recipients,
// with its queue. Its fields are used by its own goroutine only (work),
// but for q.
type destination struct {
	name   string // in logs: "webhook 1 (slack)", "email"; never a URL
	format string // a config.Format*, or "email"
	q      *queue
	// attempt returns how to send m (the function is called at each
	// attempt), or nil when there is nothing to send.
	attempt func(m message) func(ctx context.Context) error
	// post sends a webhook's payload.
	post func(ctx context.Context, body []byte) error
	// firing holds Alertmanager's open incidents by key, as last sent;
	// resend sends them all again.
	firing map[time.Time]analyze.Incident
}

// errPermanent marks a failure that trying again cannot mend.
var errPermanent = errors.New("not tried again")

// webhook is the destination of one configured webhook.
func (a *Alerter) webhook(name, format, target string, h http.Header) *destination {
	d := &destination{name: name, format: format, q: newQueue(a.opt.QueueSize)}
	body := func(b []byte) func(context.Context) error {
		return func(ctx context.Context) error { return d.post(ctx, b) }
	}
	switch format {
	case config.FormatAlertmanager:
		target = strings.TrimSuffix(target, "/")
		if !strings.HasSuffix(target, "/api/v2/alerts") {
			target += "/api/v2/alerts"
		}
		d.firing = map[time.Time]analyze.Incident{}
		d.attempt = func(m message) func(context.Context) error {
			if alerts := a.amChange(d, m); alerts != nil {
				return body(alerts)
			}
			return nil
		}
	case config.FormatSlack:
		d.attempt = func(m message) func(context.Context) error { return body(a.slack(m)) }
	default:
		d.attempt = func(m message) func(context.Context) error { return body(a.jsonEvent(m)) }
	}
	d.post = a.poster(target, h)
	return d
}

// mail is the destination of the alert mails.
func (a *Alerter) mail(to []string) *destination {
	return &destination{name: "email", format: "email", q: newQueue(a.opt.QueueSize), attempt: func(m message) func(context.Context) error {
		subject, text, html := a.mailParts(m)
		return func(ctx context.Context) error { return a.opt.Mailer.SendAlert(ctx, to, subject, text, html) }
	}}
}

// work sends d's messages in order, each with its retries, and re-sends
// Alertmanager's firing alerts every ResendEvery, until ctx is done.
func (a *Alerter) work(ctx context.Context, d *destination) {
	var resend <-chan time.Time
	for {
		for {
			m, ok := d.q.pop()
			if !ok {
				break
			}
			a.deliver(ctx, d, m)
			if ctx.Err() != nil {
				return
			}
		}
		switch {
		case len(d.firing) == 0:
			resend = nil
		case resend == nil:
			resend = a.opt.After(a.opt.ResendEvery)
		}
		select {
		case <-ctx.Done():
			return
		case <-d.q.wake:
		case <-resend:
			resend = nil
			a.resend(ctx, d)
		}
	}
}

// deliver sends m to d, trying again after failures: after Backoff, then
// twice as long each time (at most a minute), MaxAttempts times in all.
func (a *Alerter) deliver(ctx context.Context, d *destination, m message) {
	send := d.attempt(m)
	if send == nil {
		return
	}
	var err error
	for n := 1; ; n++ {
		if err = send(ctx); err == nil || ctx.Err() != nil || n >= a.opt.MaxAttempts || errors.Is(err, errPermanent) {
			break
		}
		delay := min(a.opt.Backoff<<(n-1), time.Minute)
		a.count(func(s *Stats) { s.Retried++ })
		a.log.Warn("cannot send an alert; trying again", "destination", d.name, "event", m.event, "start", m.key,
			"attempt", n, "retry_in", delay, "err", err)
		select {
		case <-a.opt.After(delay):
		case <-ctx.Done():
		}
	}
	switch {
	case err == nil:
		a.count(func(s *Stats) { s.Sent++; s.SentTo[d.name]++ })
		a.log.Info("alert sent", "destination", d.name, "event", m.event, "start", m.key, "root_cause", m.inc.RootCause)
	case ctx.Err() != nil:
		a.count(func(s *Stats) { s.Dropped++ })
		a.log.Warn("alert not sent: logcause stopped first", "destination", d.name, "event", m.event, "start", m.key, "err", err)
	default:
		a.count(func(s *Stats) { s.Failed++ })
		a.log.Error("cannot send an alert; given up", "destination", d.name, "event", m.event, "start", m.key,
			"root_cause", m.inc.RootCause, "err", err)
	}
	if a.observe != nil {
		a.observe(d.name, m, err)
	}
}

// resend sends Alertmanager the firing alerts again, once: the next
// re-send is its retry.
func (a *Alerter) resend(ctx context.Context, d *destination) {
	err := d.post(ctx, a.amFiring(d))
	if a.observe != nil {
		a.observe(d.name, message{event: "resend"}, err)
	}
	if err == nil {
		a.count(func(s *Stats) { s.Resent += int64(len(d.firing)) })
	} else if ctx.Err() == nil {
		a.log.Warn("cannot send Alertmanager the firing alerts again; next try in a while", "destination", d.name,
			"alerts", len(d.firing), "retry_in", a.opt.ResendEvery, "err", err)
	}
}

// poster returns how to POST a JSON body to target with the headers h.
func (a *Alerter) poster(target string, h http.Header) func(context.Context, []byte) error {
	return func(ctx context.Context, body []byte) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("%w: %w", err, errPermanent)
		}
		req.Header = h.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "logcause")
		resp, err := a.opt.Client.Do(req)
		if err != nil {
			// Not the url.Error: it quotes the URL, which may be a secret.
			if ue := (*url.Error)(nil); errors.As(err, &ue) {
				err = ue.Err
			}
			return fmt.Errorf("cannot reach it: %w", err)
		}
		defer resp.Body.Close()
		said, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // for the connection's reuse
		if resp.StatusCode/100 == 2 {
			return nil
		}
		err = fmt.Errorf("it answered %s: %s", resp.Status, oneLine(string(said), 200))
		if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
			err = fmt.Errorf("%w (%w: check the webhook's URL, headers and format)", err, errPermanent)
		}
		return err
	}
}
