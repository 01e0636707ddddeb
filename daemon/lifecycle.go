package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/internal/sdnotify"
	"github.com/logcause/logcause/pipeline"
)

// Lifecycle is how a running daemon is asked to reload its settings, and
// how it tells the service manager (systemd) how it is.
type Lifecycle struct {
	// Hangups ask for a reload (SIGHUP): Load reads the settings anew and
	// they replace the running ones; settings that cannot be read or are
	// invalid are logged (Error) and the running ones kept.
	Hangups <-chan os.Signal
	// Load reads the settings; nil: there is nothing to read them from
	// (no config file), and a hangup says so in the log.
	Load func() (Settings, error)
	// OnReload is told the config of each reload applied, after the
	// daemon took its part: where the alerts take their new settings. It
	// runs on the committing goroutine; an error (the new settings kept
	// out) is logged.
	OnReload func(config.Config) error
	// Notify hears the service manager's messages (sd_notify(3): READY=1
	// once the followers started, STATUS=, RELOADING=1 and READY=1 around
	// a reload, STOPPING=1); nil: nobody.
	Notify Notifier
	// Watchdog is how often the committing loop tells it is alive
	// (WATCHDOG=1): a loop that hangs stops telling, and systemd restarts
	// the daemon; 0: never. WatchdogTicks, when set, replaces its ticker.
	Watchdog      time.Duration
	WatchdogTicks <-chan time.Time
	// Monotonic is the clock of a reload's MONOTONIC_USEC; default
	// sdnotify.Monotonic.
	Monotonic func() time.Duration
}

// Notifier takes sd_notify(3) messages (sdnotify.Conn).
type Notifier interface {
	Notify(state string) error
}

// Settings are what a reload replaces.
type Settings struct {
	Watch   []string         // as Config.Watch
	Options pipeline.Options // as Config.Options: the formats of the logs followed from now on
	Reports []config.Report  // as Config.Reports
	Sender  Sender           // as Config.Sender: the reports sent from now on go through it
	Config  config.Config    // the config read, for OnReload
}

// lifecycle is what a Run holds of its reloadable settings: the watched
// paths, the options, the followers' stops and the reports' goroutines.
type lifecycle struct {
	watch    atomic.Pointer[[]string] // read by the scanner
	opts     pipeline.Options
	fixed    map[string]bool               // Config.Files: followed whatever the settings
	stops    map[string]context.CancelFunc // of each follower
	stopped  map[string]bool               // followers stopped by a reload, until they ended
	reports  map[string]reportRun          // the reports' goroutines, by key
	reload   bool                          // in a reload: the logs found are new sources
	status   string                        // the last STATUS= told
	shape    string                        // the logs and incidents it told: a change is told at once
	records  int64                         // the records committed since the start
	stopping atomic.Int64                  // when the stop was asked (UnixNano); 0: not yet
	asked    <-chan struct{}               // closed once stopping is stored
}

type reportRun struct {
	job  config.Report
	stop context.CancelFunc
}

func (r *runner) initLifecycle() {
	r.life.watch.Store(&r.d.cfg.Watch)
	r.life.opts = r.d.cfg.Options
	r.life.fixed, r.life.stops, r.life.stopped, r.life.reports = map[string]bool{}, map[string]context.CancelFunc{}, map[string]bool{}, map[string]reportRun{}
	for _, f := range r.d.cfg.Files {
		r.life.fixed[filepath.Clean(f.Path)] = true
	}
	asked := make(chan struct{})
	r.life.asked = asked
	context.AfterFunc(r.ctx, func() {
		r.life.stopping.Store(time.Now().UnixNano())
		close(asked)
	})
}

// watched returns the paths watched now.
func (r *runner) watched() []string { return *r.life.watch.Load() }

// notify sends msg to the service manager, if any.
func (d *Daemon) notify(msg string) {
	if d.cfg.Lifecycle.Notify == nil {
		return
	}
	if err := d.cfg.Lifecycle.Notify.Notify(msg); err != nil {
		slog.Warn("cannot tell systemd", "msg", msg, "err", err)
	}
}

// statusLine is what STATUS= tells: the logs followed, the incidents
// open, the records committed since the start; shape is the first two.
func (r *runner) statusLine() (line, shape string) {
	open := 0
	for _, s := range r.d.incidents {
		if s.open() {
			open++
		}
	}
	shape = fmt.Sprintf("following %d logs, %d open incidents", len(r.following), open)
	return fmt.Sprintf("%s, %d records read", shape, r.life.records), shape
}

// tellStatus sends STATUS= when the logs followed or the incidents open
// changed, or with force (at each watchdog ping) when the records read
// did too: a busy daemon does not send a message at each commit.
func (r *runner) tellStatus(force bool) {
	if r.d.cfg.Lifecycle.Notify == nil {
		return
	}
	line, shape := r.statusLine()
	if shape != r.life.shape || (force && line != r.life.status) {
		r.life.status, r.life.shape = line, shape
		r.d.notify(sdnotify.Status(line))
	}
}

// tellReady tells the service manager that the daemon (re)started
// following.
func (r *runner) tellReady() {
	r.life.status, r.life.shape = r.statusLine()
	r.d.notify(sdnotify.Ready(r.life.status))
}

// stoppedIn logs how long the stop took, from the moment it was asked
// (the context's cancel) to the end of Run: every follower ended, every
// batch handed over committed.
//
// The instant is stored by a context.AfterFunc, on a goroutine of its own
// that a loaded machine may run after Run's last step: once the context
// is done (Run cancels it before its end), stoppedIn waits for it, or the
// line was sometimes missing.
func (r *runner) stoppedIn() {
	if r.ctx.Err() == nil || r.life.asked == nil {
		return
	}
	<-r.life.asked
	slog.Info("stopped", "took", time.Since(time.Unix(0, r.life.stopping.Load())).Round(time.Microsecond))
}

// startReports starts a goroutine per report job, and stops those of the
// jobs no longer there or changed; unchanged ones go on. It reports what
// changed.
func (r *runner) startReports(jobs []config.Report, ready *caughtUp) (added, removed []string) {
	keep := map[string]bool{}
	for _, job := range jobs {
		key := job.Key()
		keep[key] = true
		if old, ok := r.life.reports[key]; ok {
			if reflect.DeepEqual(old.job, job) {
				continue
			}
			old.stop()
			removed = append(removed, key)
		}
		ctx, stop := context.WithCancel(r.ctx)
		r.life.reports[key] = reportRun{job, stop}
		added = append(added, key)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			ReportSchedule{Store: r.d.st, Now: r.d.cfg.Now, After: r.d.cfg.After, Sender: r.d.sender.get}.Send(ctx, job, ready.done)
		}()
	}
	for key, run := range r.life.reports {
		if !keep[key] {
			run.stop()
			delete(r.life.reports, key)
			removed = append(removed, key)
		}
	}
	return added, removed
}

// CheckReports says why reports cannot be sent: none sends them, or a
// schedule is invalid.
func CheckReports(jobs []config.Report, s Sender) error {
	if len(jobs) > 0 && s == nil {
		return errors.New("reports are configured, but nothing sends them")
	}
	for _, job := range jobs {
		if job.Cron() == nil {
			return fmt.Errorf("report %s has an invalid schedule %q; check the config file with `logcause config check`", job.Key(), job.Schedule)
		}
	}
	return nil
}

// reloadAsked handles a hangup: the settings read anew replace the running
// ones, or the running ones are kept when they cannot be read. Only a
// failing store is an error.
func (r *runner) reloadAsked() error {
	lc := r.d.cfg.Lifecycle
	if lc.Load == nil {
		slog.Info("SIGHUP: there is no config file to reload (no --config): the settings of the command line are kept")
		return nil
	}
	mono := lc.Monotonic
	if mono == nil {
		mono = sdnotify.Monotonic
	}
	r.d.notify(sdnotify.Reloading(mono()))
	defer r.tellReady()
	s, err := lc.Load()
	if err == nil {
		err = CheckReports(s.Reports, s.Sender)
	}
	if err != nil {
		slog.Error("cannot reload the config: the running one is kept", "err", err)
		return nil
	}
	if err := r.apply(s); err != nil {
		return err
	}
	if lc.OnReload != nil {
		if err := lc.OnReload(s.Config); err != nil {
			slog.Error("cannot reload the alerts: the running ones are kept", "err", err)
		}
	}
	return nil
}

// apply replaces the running settings with s: the logs no longer under a
// watched path are no longer followed (their positions stay in the store:
// watched again, they resume there), those whose format or zone changed
// are followed again from their position with the new options, those
// newly watched are followed from their end (from their position, when
// the store has one); the others go on untouched. The reports' schedules
// are replaced. What changed is logged.
func (r *runner) apply(s Settings) error {
	watch := make([]string, len(s.Watch))
	for i, p := range s.Watch {
		watch[i] = filepath.Clean(p)
	}
	old := r.watched()
	added, removed := diff(old, watch)
	oldOpts := r.life.opts
	r.life.watch.Store(&watch)
	r.life.opts = s.Options
	if r.n != nil {
		for _, p := range added {
			r.n.watchPath(p)
		}
	}
	var stopped, refollowed []string
	for path := range r.following {
		if r.life.fixed[path] || r.life.stopped[path] {
			continue
		}
		switch {
		case !covered(path, watch):
			stopped = append(stopped, path)
		case !sameOverride(overrideOf(oldOpts, path), overrideOf(s.Options, path)):
			refollowed = append(refollowed, path)
		default:
			continue
		}
		r.life.stopped[path] = true
		r.life.stops[path]()
	}
	r.d.sender.set(s.Sender)
	reportsAdded, reportsRemoved := r.startReports(s.Reports, r.ready)
	slices.Sort(stopped)
	slices.Sort(refollowed)
	slog.Info("reloaded the config",
		"sources_added", added, "sources_removed", removed,
		"logs_stopped", stopped, "logs_followed_again", refollowed,
		"reports_scheduled", reportsAdded, "reports_unscheduled", reportsRemoved)
	r.life.reload = true
	defer func() { r.life.reload = false }()
	return r.found(scan(watch), false)
}

// followerEnded forgets a follower that ended, and returns what follows
// its stop: one a reload stopped is followed again at once if it is still
// watched (its options changed).
func (r *runner) followerEnded(path string) (stopped func() error) {
	if stop := r.life.stops[path]; stop != nil {
		stop()
		delete(r.life.stops, path)
	}
	byReload := r.life.stopped[path]
	delete(r.life.stopped, path)
	return func() error {
		if !byReload {
			return nil
		}
		return r.followAgain(path)
	}
}

// followAgain follows a log a reload stopped again, if it is still
// watched.
func (r *runner) followAgain(path string) error {
	if !covered(path, r.watched()) {
		slog.Info("stopped following a log no longer configured: its position is kept", "path", path)
		return nil
	}
	return r.found(scan(r.watched()), false)
}

// diff returns the paths of b not in a, and those of a not in b.
func diff(a, b []string) (added, removed []string) {
	for _, p := range b {
		if !slices.Contains(a, p) {
			added = append(added, p)
		}
	}
	for _, p := range a {
		if !slices.Contains(b, p) {
			removed = append(removed, p)
		}
	}
	return added, removed
}

// covered reports whether path is one of the watched paths, under one of
// their directories, or matched by one of their globs (or under a
// directory a glob matches).
func covered(path string, watch []string) bool {
	for _, w := range watch {
		if (pipeline.Override{Pattern: w}).Matches(path) {
			return true
		}
		if strings.ContainsAny(w, `*?[`) {
			for dir := filepath.Dir(path); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
				if ok, _ := filepath.Match(w, dir); ok {
					return true
				}
			}
		}
	}
	return false
}

// overrideOf is the override of the first source of opts that matches
// path (pipeline.Options' rule).
func overrideOf(opts pipeline.Options, path string) pipeline.Override {
	for _, ov := range opts.Overrides {
		if ov.Matches(path) {
			return ov
		}
	}
	return pipeline.Override{}
}

// sameOverride compares what two overrides say of a file: its format and
// zone (zones by name: each reading of a config makes new ones).
func sameOverride(a, b pipeline.Override) bool {
	zone := func(z *time.Location) string {
		if z == nil {
			return ""
		}
		return z.String()
	}
	return a.Format == b.Format && zone(a.Zone) == zone(b.Zone)
}

// senderBox is the Sender of the reports: a reload replaces it while the
// reports' goroutines read it.
type senderBox struct {
	mu sync.Mutex
	s  Sender
}

func (b *senderBox) set(s Sender) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.s = s
}

func (b *senderBox) get() Sender {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s
}

// SystemdLifecycle is the Lifecycle of a daemon that systemd runs: the
// notifications to NOTIFY_SOCKET (none without it), and the watchdog's
// period from WATCHDOG_USEC. getenv is os.Getenv but in tests.
func SystemdLifecycle(getenv func(string) string) (Lifecycle, error) {
	period, err := sdnotify.WatchdogPeriod(getenv)
	if err != nil {
		return Lifecycle{}, err
	}
	var lc Lifecycle
	if c := sdnotify.FromEnv(getenv); c != nil {
		lc.Notify = c
	}
	lc.Watchdog = period
	return lc, nil
}
