package alert

import (
	"context"
	"maps"
	"sync"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
)

// Switch is the Alerter of the running config: a reload (SIGHUP)
// replaces it with one of the new config's alerts key, and Notify goes to
// whichever runs. It owns the running Alerter's goroutines.
type Switch struct {
	build  func(config.Config) (*Alerter, error)
	ctx    context.Context
	cancel context.CancelFunc
	runs   sync.WaitGroup

	mu   sync.Mutex
	cur  *Alerter
	past Stats // of the Alerters replaced
}

// NewSwitch builds the Alerter of cfg with build (New, with the options
// of the caller's choosing: the mailer of cfg's smtp key, the host) and
// starts it. Close stops it.
func NewSwitch(cfg config.Config, build func(config.Config) (*Alerter, error)) (*Switch, error) {
	a, err := build(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Switch{build: build, ctx: ctx, cancel: cancel, cur: a}
	s.start(a)
	return s, nil
}

// Build is the build of NewSwitch that makes an Alerter of a config's
// alerts key with opt, its mails sent through the Mailer that mailer makes
// of the config (nil when it sends none: its smtp key is then not needed).
func Build(opt Options, mailer func(config.Config) (Mailer, error)) func(config.Config) (*Alerter, error) {
	return func(cfg config.Config) (*Alerter, error) {
		m, err := mailer(cfg)
		if err != nil {
			return nil, err
		}
		o := opt
		o.Mailer = m
		return New(cfg.Alerts, o)
	}
}

func (s *Switch) start(a *Alerter) {
	s.runs.Go(func() { a.Run(s.ctx) })
}

// Reload replaces the running Alerter with one of cfg. When cfg's alerts
// cannot be set up (a secret that cannot be read, an e-mail without an
// SMTP server), the running one is kept and the error says why. The new
// one takes over which incidents were announced or folded and the
// cooldowns; the alerts still queued in the old one (a receiver that is
// down) are dropped, counted and logged.
func (s *Switch) Reload(cfg config.Config) error {
	next, err := s.build(cfg)
	if err != nil {
		return err
	}
	s.mu.Lock()
	old := s.cur
	next.takeOver(old)
	s.cur = next
	s.mu.Unlock()
	s.start(next)
	old.Close()
	s.mu.Lock()
	s.past = s.past.plus(old.Stats())
	s.mu.Unlock()
	next.log.Info("alerts reloaded", "destinations", len(next.dests), "cooldown", next.cool)
	return nil
}

// Notify hands u to the running Alerter.
func (s *Switch) Notify(u daemon.Update) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur.Notify(u)
}

// Stats is the counts of every Alerter the Switch ran.
func (s *Switch) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.past.plus(s.cur.Stats())
}

// Close stops the running Alerter and waits until its goroutines ended.
func (s *Switch) Close() error {
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	err := cur.Close()
	s.cancel()
	s.runs.Wait()
	return err
}

// plus is the sum of a and b.
func (a Stats) plus(b Stats) Stats {
	sum := Stats{Sent: a.Sent + b.Sent, Retried: a.Retried + b.Retried, Failed: a.Failed + b.Failed,
		Dropped: a.Dropped + b.Dropped, Folded: a.Folded + b.Folded, Resent: a.Resent + b.Resent,
		SentTo: maps.Clone(a.SentTo)}
	if sum.SentTo == nil {
		sum.SentTo = map[string]int64{}
	}
	for dest, n := range b.SentTo {
		sum.SentTo[dest] += n
	}
	return sum
}

// takeOver copies old's incidents and cooldowns into a, which has not run
// yet.
func (a *Alerter) takeOver(old *Alerter) {
	old.mu.Lock()
	defer old.mu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, t := range old.open {
		c := *t
		a.open[k] = &c
	}
	maps.Copy(a.last, old.last)
}
