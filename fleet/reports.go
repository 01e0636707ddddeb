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
	"github.com/logcause/logcause/store"
)

// Reports are the fleet's scheduled reports (the config's reports:), sent
// as watch sends its own (daemon.ReportSchedule): the site's store
// analyzed and handed to Sender (daemon.AnalyzedSender), each run once,
// the last run kept in the store, a run missed while stopped sent once
// the Consumer caught up.
type Reports struct {
	Jobs   []config.Report
	Sender daemon.Sender
	Now    func() time.Time                     // default time.Now
	After  func(time.Duration) <-chan time.Time // default time.After
}

// Start sends r's reports of c's store until ctx is done; wait waits until
// they stopped.
func (r Reports) Start(ctx context.Context, c *Consumer) (wait func(), err error) {
	var wg sync.WaitGroup
	if err := daemon.CheckReports(r.Jobs, r.Sender); err != nil {
		return wg.Wait, fmt.Errorf("cannot send the fleet's reports: %w", err)
	}
	if s, ok := r.Sender.(*reportSender); ok { // the nodes as the Consumer's alerts name them
		r.Sender = &reportSender{st: s.st, deliver: s.deliver, minShare: c.cfg.MinShare}
	}
	sched := daemon.ReportSchedule{Store: c.st, Now: r.Now, After: r.After, Sender: func() daemon.Sender { return r.Sender }}
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

// ReportSender is the Sender of the fleet's scheduled reports: the
// site's store analyzed over the run's window (daemon.AnalyzedSender),
// each incident titled with its nodes as the alerts title it (by the
// Consumer's MinShare, once Reports.Start runs it), handed to deliver
// (the mailer's SendReport).
func ReportSender(st *store.Store, deliver func(ctx context.Context, job config.Report, res analyze.Result) error) daemon.Sender {
	return &reportSender{st: st, deliver: deliver, minShare: defaultMinShare}
}

type reportSender struct {
	st       *store.Store
	deliver  func(ctx context.Context, job config.Report, res analyze.Result) error
	minShare float64
}

func (s *reportSender) SendReport(ctx context.Context, job config.Report, since, until time.Time) error {
	return daemon.AnalyzedSender(s.st, nil, titledWithNodes(s.st, s.minShare, s.deliver)).SendReport(ctx, job, since, until)
}

// MailerFor is the fleet's mailer of cfg (email.ForConfig: nil when cfg
// mails nothing), its report mails titled "fleet <site>" unless the
// config's smtp.name names them.
func MailerFor(cfg config.Config, site string, zone *time.Location) (*email.Mailer, error) {
	cfg.SMTP.Name = cmp.Or(cfg.SMTP.Name, "fleet "+site)
	return email.ForConfig(cfg, zone)
}
