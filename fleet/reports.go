package fleet

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/email"
)

// Reports are the fleet's scheduled reports (the config's reports:), sent
// as watch sends its own (daemon.ReportSchedule): the Consumer's store
// analyzed over each run's window (daemon.AnalyzedSender), each incident
// titled with its nodes as the alerts title it (by the Consumer's
// MinShare), handed to Deliver (the mailer's SendReport); each run once,
// the last run kept in the store, a run missed while stopped sent once
// the Consumer caught up.
type Reports struct {
	Jobs    []config.Report
	Deliver func(ctx context.Context, job config.Report, res analyze.Result) error // nil: nothing sends them
	Now     func() time.Time                                                       // default time.Now
	After   func(time.Duration) <-chan time.Time                                   // default time.After
}

// Start sends r's reports of c's store until ctx is done; wait waits until
// they stopped.
func (r Reports) Start(ctx context.Context, c *Consumer) (wait func(), err error) {
	var wg sync.WaitGroup
	sender, err := r.sender(c)
	if err != nil {
		return wg.Wait, err
	}
	sched := daemon.ReportSchedule{Store: c.st, Now: r.Now, After: r.After, Sender: func() daemon.Sender { return sender }}
	if sched.Now == nil {
		sched.Now = time.Now
	}
	if sched.After == nil {
		sched.After = time.After
	}
	for _, job := range r.Jobs {
		wg.Go(func() { sched.Send(ctx, job, c.CaughtUp()) })
	}
	return wg.Wait, nil
}

// sender is what sends r's reports of c's store, or why none can.
func (r Reports) sender(c *Consumer) (daemon.Sender, error) {
	var s daemon.Sender
	if r.Deliver != nil {
		s = daemon.AnalyzedSender(c.st, nil, titledWithNodes(c.st, c.cfg.MinShare, r.Deliver))
	}
	if err := daemon.CheckReports(r.Jobs, s); err != nil {
		return nil, fmt.Errorf("cannot send the fleet's reports: %w", err)
	}
	return s, nil
}

// MailerFor is the fleet's mailer of cfg (email.ForConfig: nil when cfg
// mails nothing), its report mails titled "fleet <site>" unless the
// config's smtp.name names them.
func MailerFor(cfg config.Config, site string, zone *time.Location) (*email.Mailer, error) {
	cfg.SMTP.Name = cmp.Or(cfg.SMTP.Name, "fleet "+site)
	return email.ForConfig(cfg, zone)
}
