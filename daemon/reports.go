package daemon

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/ingest"
)

// Sender sends one scheduled report: what the store holds of [since,
// until) to the job's recipients. It must return once ctx is done.
type Sender interface {
	SendReport(ctx context.Context, job config.Report, since, until time.Time) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, job config.Report, since, until time.Time) error

// SendReport calls f.
func (f SenderFunc) SendReport(ctx context.Context, job config.Report, since, until time.Time) error {
	return f(ctx, job, since, until)
}

const (
	// maxSleep is the longest the report scheduler waits before reading
	// the clock again: a timer does not count the time a machine spends
	// suspended, nor a step of the wall clock.
	maxSleep = time.Minute
	// A failed send is retried after firstRetry, then twice as long each
	// time, up to lastRetry; a later run supersedes it.
	firstRetry = time.Minute
	lastRetry  = time.Hour
)

// reportState is what the store keeps of a report, under report/<key>.
type reportState struct {
	// LastRun is the run last sent (its scheduled instant).
	LastRun time.Time `json:"last_run,omitzero"`
	// Scheduled is when the daemon first scheduled the report, before
	// any run was sent: the runs before it are not owed.
	Scheduled time.Time `json:"scheduled,omitzero"`
}

func reportMeta(job config.Report) string { return "report/" + job.Key() }

// caughtUp tells when every follower started with the daemon has read
// what its log held when Run started (it waited for more, or it ended): a
// report sent before would miss what was written while the daemon was
// stopped. Followers are added as they start; seal says no more will be.
type caughtUp struct {
	left atomic.Int64 // the followers still reading, plus one until sealed
	done chan struct{}
}

func newCaughtUp() *caughtUp {
	c := &caughtUp{done: make(chan struct{})}
	c.left.Store(1)
	return c
}

// add counts one more follower, before seal.
func (c *caughtUp) add() { c.left.Add(1) }

// seal says every follower started with the daemon was added.
func (c *caughtUp) seal() { c.reached() }

// reached is called once by each follower added.
func (c *caughtUp) reached() {
	if c.left.Add(-1) == 0 {
		close(c.done)
	}
}

// firstWait is a follower's waker that tells ready when it first waits.
type firstWait struct {
	ingest.Waker
	ready *caughtUp
	once  sync.Once
}

func (w *firstWait) Wait(ctx context.Context) error {
	w.once.Do(w.ready.reached)
	return w.Waker.Wait(ctx)
}

// Round keeps what the waker wrapped says of its waits (ingest.Rounder).
func (w *firstWait) Round() bool {
	r, ok := w.Waker.(ingest.Rounder)
	return !ok || r.Round()
}

// ReportSchedule is how reports are sent on their schedules: the store
// keeping each one's last run (under report/<key>), the clock, how a
// wait is made, and the Sender of the moment. watch's daemon and the
// fleet send theirs so.
type ReportSchedule struct {
	Store interface {
		Meta(name string) ([]byte, bool, error)
		PutMeta(name string, v []byte) error
	}
	Now    func() time.Time
	After  func(time.Duration) <-chan time.Time
	Sender func() Sender
}

// Send sends job on its schedule until ctx is done: each run once, when
// it is due or, missed while the sender was stopped, when ready is closed
// (the daemon's followers, the fleet's consumer, have caught up); only the
// latest of the runs missed. A run is
// recorded as sent in the store after the Sender succeeded; a failure is
// retried with backoff. It runs on a goroutine of its own: a send never
// holds the followers or the committer.
func (s ReportSchedule) Send(ctx context.Context, job config.Report, ready <-chan struct{}) {
	log := slog.With("report", job.Key())
	sched := job.Cron()
	after, ok := s.reportStart(ctx, job, log)
	if !ok {
		return
	}
	var retry time.Duration
	for {
		now := s.Now()
		run, due := sched.Latest(after, now)
		if !due {
			next := sched.Next(after) // after now: no run is due
			if next.IsZero() {
				log.Warn("the report's schedule has no run left", "schedule", job.Schedule)
				<-ctx.Done()
				return
			}
			if !s.sleep(ctx, min(next.Sub(now), maxSleep)) {
				return
			}
			continue
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return
		}
		since, until := job.Window(run)
		if err := s.Sender().SendReport(ctx, job, since, until); err != nil {
			if ctx.Err() != nil {
				return
			}
			retry = min(max(2*retry, firstRetry), lastRetry)
			log.Error("cannot send the report; retrying", "run", run, "retry_in", retry, "err", err)
			if !s.sleep(ctx, retry) {
				return
			}
			continue
		}
		retry, after = 0, run
		log.Info("sent the report", "run", run, "since", since, "until", until)
		if err := s.putReportState(job, reportState{LastRun: run}); err != nil {
			log.Error("cannot record the report as sent: a restart before its next run sends it again", "run", run, "err", err)
		}
	}
}

// reportStart reads from the store after which instant job's runs are
// owed: its last run sent, else when it was first scheduled (now, on its
// first start, recorded). Reading is retried with backoff; false: ctx is
// done.
func (s ReportSchedule) reportStart(ctx context.Context, job config.Report, log *slog.Logger) (time.Time, bool) {
	var retry time.Duration
	for {
		var st reportState
		v, found, err := s.Store.Meta(reportMeta(job))
		if err == nil && found {
			if err = json.Unmarshal(v, &st); err != nil {
				log.Error("cannot read the report's last run in the store: scheduling it afresh", "err", err)
				found, err = false, nil
			}
		}
		if err == nil && !found {
			st.Scheduled = s.Now()
			err = s.putReportState(job, st)
		}
		if err == nil {
			if !st.LastRun.IsZero() {
				return st.LastRun, true
			}
			return st.Scheduled, true
		}
		retry = min(max(2*retry, firstRetry), lastRetry)
		log.Error("cannot read the report's last run; retrying", "retry_in", retry, "err", err)
		if !s.sleep(ctx, retry) {
			return time.Time{}, false
		}
	}
}

func (s ReportSchedule) putReportState(job config.Report, st reportState) error {
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return s.Store.PutMeta(reportMeta(job), v)
}

// sleep waits for dur, or for ctx; false: ctx is done.
func (s ReportSchedule) sleep(ctx context.Context, dur time.Duration) bool {
	select {
	case <-s.After(dur):
		return true
	case <-ctx.Done():
		return false
	}
}
