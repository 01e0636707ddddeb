// Package daemon answers one question: what is happening in the logs right
// now? It follows the live logs through rotation (ingest.Follower), runs
// every record through the pipeline's Step, commits each batch to the
// store with the file position it reaches, analyzes the recent history
// when something new was committed, keeps the store's retention, and tells
// one hook about the incidents as they open, change and resolve: the point
// where reports, alerts, an API or a fleet attach.
package daemon

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/internal/sdnotify"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/store"
	"github.com/logcause/logcause/timeline"
)

// Config says what a Daemon follows and how.
type Config struct {
	Files []pipeline.File // logs to follow from the start (pipeline.LiveFiles)
	// Watch are paths (files, directories, globs) whose live logs are
	// followed: those there at the start, and those that appear later
	// (found by a rescan once a second, and at once on an inotify event
	// with Inotify), read from their beginning. Options says how their
	// formats are detected. Only live files are followed (access.log, not
	// access.log.1: rotated files are the follower's business).
	Watch   []string
	Options pipeline.Options
	// Rescans, when set, replaces the once-a-second rescan of Watch
	// (tests send the instants themselves).
	Rescans <-chan time.Time
	// Inotify wakes a follower as soon as its file is written (inotify
	// on the directories, github.com/fsnotify/fsnotify), and rescans as
	// soon as a file appears, instead of at the next round or rescan.
	Inotify bool
	Zone    *time.Location // zone of zoneless stamps, for files without their own; nil: UTC
	Limits  ingest.Limits
	// FromStart reads a log never followed before from its beginning;
	// otherwise from its end (what is written from now on) on the store's
	// first start, and from its beginning on a later start (it appeared
	// while the daemon was down).
	FromStart bool
	// Interval is how often the recent history is analyzed (when
	// something was committed since the last time) and quiet incidents
	// resolved; Ticks, when set, replaces the ticker (tests send the
	// instants themselves). Once the gateway errors outside the open
	// incidents are as many as an incident needs (Analysis.MinErrors in
	// a MergeGap; then each time they doubled), they are analyzed at once,
	// without waiting for a tick.
	Interval time.Duration
	Ticks    <-chan time.Time
	// Window is how much recent history each analysis reads; default 15
	// minutes.
	Window time.Duration
	// ResolveAfter is how long an incident must stay quiet (no gateway
	// errors past its end) to be resolved; default the analysis's
	// MergeGap, after which a new burst is a new incident anyway.
	ResolveAfter time.Duration
	// UpdateEvery is the least time between two announcements of one
	// incident (its opening, then its updates); default 30 s. An update
	// is announced only when the chain changed or the gateway errors grew
	// by half since the last announcement.
	UpdateEvery time.Duration
	// Retention is the days the store keeps, pruned once a UTC day (and
	// at the first tick); 0: never pruned.
	Retention int
	Analysis  analyze.Config // default analyze.DefaultConfig
	// Stack reads the servers' configuration, to quote in the findings of
	// incidents as they open or change (read then: a fix applied since
	// shows); nil: none.
	Stack func() *stackconf.Config
	Now   func() time.Time // the time of gaps, analyses started by a gateway error, incident states; default time.Now
	// Waker returns how the follower of a path waits for more (its
	// rounds); default: rounds of a second (rotation, flushes), which
	// Inotify's wakes shorten as the logs are written. A waker with a Stop
	// method is stopped when its follower ends.
	Waker func(path string) ingest.Waker
	// Hook hears of the incidents that opened, changed or resolved, once
	// per analysis that found any; it runs on the committing goroutine.
	Hook func(Update)
	// OnCommit and OnAnalyzed are called on the committing goroutine after
	// each commit (with the followed path; after the analysis it started,
	// if any) and each tick.
	OnCommit   func(path string)
	OnAnalyzed func()
	// OnExplained is called on the committing goroutine for each incident
	// an analysis explains, not for those it reuses the last explanation
	// of (incidents.go: explainDue).
	OnExplained func(analyze.Incident)
	// OnFollow is called on the committing goroutine when a follower
	// starts (err nil) and when a log cannot be followed (err says why).
	OnFollow func(path string, err error)
	// Reports are sent by Sender on their schedules (reports.go), each on
	// a goroutine of its own; the last run sent of each is kept in the
	// store. After is how their scheduler waits: default time.After.
	Reports []config.Report
	Sender  Sender
	After   func(time.Duration) <-chan time.Time
	// Lifecycle is how a reload is asked, and how systemd is told
	// (lifecycle.go).
	Lifecycle Lifecycle
}

// Update is what changed among the incidents of the recent history.
type Update struct {
	// Result is the analysis that saw the changes: its Incidents are all
	// those of the window, its Sources are not filled. It is empty when
	// only resolutions or updates due are told without a new analysis.
	Result   analyze.Result
	Opened   []analyze.Incident // new since the last analysis
	Updated  []analyze.Incident // announced before, with a new chain or half as many gateway errors more
	Resolved []analyze.Incident // quiet for ResolveAfter: the last analysis of each
}

// Daemon follows logs into a store and reports incidents. Run it once.
type Daemon struct {
	st  *store.Store
	cfg Config

	mu     sync.Mutex
	cancel context.CancelFunc // of the running Run
	done   chan struct{}      // closed when Run returned

	sender    senderBox                    // cfg.Sender, or a reload's (lifecycle.go)
	prunedDay int64                        // the UTC day of the last prune
	incidents map[time.Time]*incidentState // the incidents known, by the start they were announced with
	status    *status                      // what Status returns (status.go)
}

// New returns a Daemon that keeps what it reads in st.
func New(st *store.Store, cfg Config) *Daemon {
	cfg.Window = cmp.Or(cfg.Window, 15*time.Minute)
	if cfg.Analysis == (analyze.Config{}) {
		cfg.Analysis = analyze.DefaultConfig
	}
	cfg.ResolveAfter = cmp.Or(cfg.ResolveAfter, cfg.Analysis.MergeGap)
	cfg.UpdateEvery = cmp.Or(cfg.UpdateEvery, 30*time.Second)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Zone == nil {
		cfg.Zone = time.UTC
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Waker == nil {
		cfg.Waker = func(string) ingest.Waker { return ingest.NewTickWaker(time.Second) }
	}
	d := &Daemon{st: st, cfg: cfg, done: make(chan struct{}), incidents: map[time.Time]*incidentState{}, status: newStatus()}
	d.sender.set(cfg.Sender)
	d.cfg.Hook = func(u Update) {
		d.status.update(u, d.cfg.Now().Add(-d.cfg.Window))
		if cfg.Hook != nil {
			cfg.Hook(u)
		}
	}
	return d
}

// batch is what one follower hands to the committer: events and requests
// ready to store, what is known of the file, and the position after them.
type batch struct {
	path     string
	events   []*patterns.Event
	requests []request
	gaps     []timeline.Gap
	source   timeline.Source
	position []byte
	marks    map[string][]byte // what the store holds of the files read, by mark key
	done     chan error
}

type request struct {
	at       time.Time
	status   int
	upstream string
}

// collector is the Sink of a follower's Step: what one batch keeps.
type collector struct {
	events   []*patterns.Event
	requests []request
}

func (c *collector) Request(t time.Time, status int, upstream []byte) error {
	c.requests = append(c.requests, request{t, status, string(upstream)})
	return nil
}

func (c *collector) Event(ev *patterns.Event) error {
	c.events = append(c.events, ev)
	return nil
}

// Run follows the files until ctx is done, Close is called, or the store
// fails. A log that cannot be followed (it may not be read, it went away
// mid-read) is a gap in the store and a warning, and is tried again when
// it changes. Every goroutine it starts has ended when it returns.
func (d *Daemon) Run(ctx context.Context) (err error) {
	d.mu.Lock()
	if d.cancel != nil {
		d.mu.Unlock()
		return errors.New("daemon: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	d.cancel = cancel
	d.mu.Unlock()
	d.status.run(d.cfg.Now())
	defer func() { d.status.ended(err) }()
	defer close(d.done)
	defer cancel()

	if err := CheckReports(d.cfg.Reports, d.cfg.Sender); err != nil {
		return fmt.Errorf("cannot run the daemon: %w", err)
	}
	ticks := d.cfg.Ticks
	if ticks == nil {
		if d.cfg.Interval <= 0 {
			return fmt.Errorf("cannot run the daemon: no analysis interval")
		}
		t := time.NewTicker(d.cfg.Interval)
		defer t.Stop()
		ticks = t.C
	}
	if err := d.loadIncidents(); err != nil {
		return err
	}
	r, err := d.newRunner(ctx)
	if err != nil {
		return err
	}
	defer r.stoppedIn()
	defer r.wg.Wait() // after cancel (deferred later, run first): every goroutine ends
	defer cancel()
	watchdog := d.cfg.Lifecycle.WatchdogTicks
	if watchdog == nil && d.cfg.Lifecycle.Watchdog > 0 {
		t := time.NewTicker(d.cfg.Lifecycle.Watchdog)
		defer t.Stop()
		watchdog = t.C
	}
	if r.n != nil {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.n.run(ctx)
		}()
	}
	for _, f := range d.cfg.Files {
		if err := r.start(f, true); err != nil {
			return err
		}
	}
	var scans chan scanResult
	if len(d.cfg.Watch) > 0 {
		if err := r.found(scan(d.cfg.Watch), true); err != nil {
			return err
		}
		scans = make(chan scanResult)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.scanner(ctx, scans)
		}()
	}
	// The followers started so far read what their logs held while the
	// daemon was stopped: a missed report waits for them.
	r.ready.seal()
	r.startReports(d.cfg.Reports, r.ready)
	slog.Info("watching", "files", len(r.following))
	r.tellReady()
	fresh := false // something was committed since the last analysis
	for {
		r.tellStatus(false)
		select {
		case b := <-r.batches:
			urgent := r.committed(b)
			fresh = fresh || b.any()
			paths := []string{b.path}
			// Enough gateway errors outside the open incidents for one:
			// analyze now, with what the other followers handed over
			// meanwhile.
			for urgent {
				select {
				case b := <-r.batches:
					r.committed(b)
					paths = append(paths, b.path)
					continue
				default:
				}
				if err := d.analyzeRecent(d.cfg.Now(), false); err != nil {
					slog.Error("analysis failed", "err", err)
				}
				r.analyzed = r.uncoveredErrors()
				fresh, urgent = false, false
			}
			if d.cfg.OnCommit != nil {
				for _, p := range paths {
					d.cfg.OnCommit(p)
				}
			}
		case now := <-ticks:
			d.prune(ctx, now)
			// Nothing new since the last analysis: no new incident can show
			// (only old seconds left the window), and an idle daemon stays idle.
			// A resolution tells the final report: analyzed now.
			if fresh || d.resolveDue(now) {
				if err := d.analyzeRecent(now, true); err != nil {
					slog.Error("analysis failed", "err", err)
				}
				fresh = false
			} else if err := d.tell(now, Update{}, true); err != nil {
				slog.Error("cannot keep the incidents' state", "err", err)
			}
			if d.cfg.OnAnalyzed != nil {
				d.cfg.OnAnalyzed()
			}
		case res := <-scans:
			if err := r.found(res, false); err != nil {
				return err
			}
		case e := <-r.ended:
			if err := r.end(e); err != nil {
				return err
			}
			if len(r.following) == 0 && len(d.cfg.Watch) == 0 {
				return nil
			}
		case <-d.cfg.Lifecycle.Hangups:
			if err := r.reloadAsked(); err != nil {
				return err
			}
		case <-watchdog:
			// Told by the committing loop itself: a loop that hangs
			// stops telling, and systemd restarts the daemon.
			d.notify(sdnotify.Watchdog)
			r.tellStatus(true)
		case <-ctx.Done():
			d.notify(sdnotify.Stopping)
			return nil
		}
	}
}

// any reports whether b holds something an analysis reads.
func (b batch) any() bool { return len(b.requests) > 0 || len(b.events) > 0 || len(b.gaps) > 0 }

// Close stops a running Run and waits until it returned.
func (d *Daemon) Close() error {
	d.mu.Lock()
	cancel := d.cancel
	d.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	<-d.done
	return nil
}

// commit writes one batch with its position in one transaction.
func (d *Daemon) commit(b batch) error {
	wr := d.st.NewWriter()
	var err error
	for _, r := range b.requests {
		err = errors.Join(err, wr.Request(r.at, r.status, []byte(r.upstream)))
	}
	for _, ev := range b.events {
		err = errors.Join(err, wr.Event(ev))
	}
	if err != nil {
		return err
	}
	for _, g := range b.gaps {
		wr.Gap(g)
	}
	wr.Source(b.source)
	for key, m := range b.marks {
		wr.Mark(key, m)
	}
	return wr.Commit(map[string][]byte{b.path: b.position})
}

// prune drops the days past the retention, once a UTC day (and at the
// first tick): the daemon holds the store's lock, so `logcause store
// prune` cannot run beside it.
func (d *Daemon) prune(ctx context.Context, now time.Time) {
	day := now.Unix() / 86400
	if d.cfg.Retention < 1 || day == d.prunedDay {
		return
	}
	d.prunedDay = day
	n, err := d.st.Prune(ctx, d.cfg.Retention, now)
	if err != nil {
		if ctx.Err() == nil { // not the daemon's end
			slog.Error("cannot prune the store", "err", err)
		}
		return
	}
	if n > 0 {
		slog.Info("pruned the store", "days_dropped", n, "days_kept", d.cfg.Retention)
	}
}

// startPosition is where to follow path from: the committed position,
// unless a batch load read the file further since; on a first start, where
// a batch load left the file, else its end (or its beginning with
// fromStart). t learns whether the store holds the file from its start.
func (d *Daemon) startPosition(ctx context.Context, path string, saved []byte, t *tracker, fromStart bool) (ingest.Position, error) {
	key, mark, marked, err := t.held.Start(ctx, path, d.cfg.Limits)
	if err != nil {
		return ingest.Position{}, fmt.Errorf("cannot check what the store holds of %s: %w", path, err)
	}
	if saved != nil {
		var p ingest.Position
		if err := json.Unmarshal(saved, &p); err != nil {
			return p, fmt.Errorf("cannot read the saved position of %s: %w (remove the store to start afresh)", path, err)
		}
		if !marked || !mark.ID.SameInode(p.ID) || mark.Offset <= p.Offset {
			t.key, t.ok = t.held.KeyAt(p)
			t.pos = p
			return p, nil
		}
	}
	switch {
	case marked:
		t.ok, t.key, t.pos = true, key, mark
		return mark, nil
	case fromStart:
		t.fromStart()
		return ingest.Position{Path: path}, nil
	}
	return ingest.EndPosition(path)
}

// follow reads one log and hands its batches to the committer, waiting for
// each to be committed before reading on, with the marks t keeps of the
// files read. prior is what the store knows of the file already. A
// follower started with the daemon tells ready when it first waits for
// more (all its log held is committed) or ends. It returns
// where it stopped, and why: a *storeError when the store failed, any
// other error is the file's.
func (d *Daemon) follow(ctx context.Context, f pipeline.File, from ingest.Position, t *tracker, prior timeline.Source, waker ingest.Waker, out chan<- batch, ready *caughtUp) (ingest.Position, error) {
	if s, ok := waker.(interface{ Stop() }); ok {
		defer s.Stop()
	}
	if ready != nil {
		fw := &firstWait{Waker: waker, ready: ready}
		defer fw.once.Do(ready.reached) // ended before it waited
		waker = fw
	}
	d.status.follow(f, from, prior)
	zone := cmp.Or(f.Zone, d.cfg.Zone)
	col := &collector{}
	step, err := pipeline.NewStep(f, zone, pipeline.ZoneLabel(zone), prior, col)
	if err != nil {
		return from, err
	}
	fl := ingest.NewFollower(f.Path, from, ingest.FollowConfig{Limits: d.cfg.Limits, StartsRecord: f.Format.RecordStart(), Waker: waker})
	defer fl.Close()
	done := make(chan error, 1)
	for {
		fb, err := fl.Next(ctx)
		if err != nil {
			return fl.Position(), err
		}
		b := batch{path: f.Path, done: done}
		for _, n := range fb.Notices {
			if n.Loss {
				// Recorded with the position, so that reports near it say
				// their evidence from this log may be short.
				slog.Warn("gap in a followed log: lines may be missing", "path", n.Path, "notice", n.Kind, "detail", n.Detail)
				b.gaps = append(b.gaps, timeline.Gap{Time: d.cfg.Now(), Path: n.Path, Offset: n.Offset, Reason: n.Detail})
				continue
			}
			slog.Info("follow", "path", n.Path, "notice", n.Kind, "detail", n.Detail)
		}
		for _, r := range fb.Records {
			if err := step.Record(fb.Path, r.Text, r.Offset); err != nil {
				return fl.Position(), err
			}
		}
		b.events, b.requests = col.events, col.requests
		col.events, col.requests = nil, nil
		b.source = step.Source()
		st := fl.Stats()
		b.source.Cut = prior.Cut + st.CutLines + st.CutRecords
		if b.position, err = json.Marshal(fb.Position); err != nil {
			return fl.Position(), err
		}
		for key, pos := range t.marks(fb) {
			m, err := t.held.Mark(key, pos)
			if err != nil {
				return fl.Position(), err
			}
			if b.marks == nil {
				b.marks = map[string][]byte{}
			}
			b.marks[key] = m
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return fl.Position(), ctx.Err()
		}
		if err := <-done; err != nil {
			return fl.Position(), &storeError{err}
		}
	}
}

// storeError is a commit that failed: the daemon's end, not the file's.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }
