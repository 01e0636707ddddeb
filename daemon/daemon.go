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
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/store"
	"github.com/logcause/logcause/timeline"
)

// Config says what a Daemon follows and how.
type Config struct {
	Files  []pipeline.File // the live logs to follow (pipeline.LiveFiles)
	Zone   *time.Location  // zone of zoneless stamps, for files without their own; nil: UTC
	Limits ingest.Limits
	// FromStart reads a log never followed before from its beginning;
	// otherwise from its end (what is written from now on).
	FromStart bool
	// Interval is how often the recent history is analyzed (when
	// something was committed since the last time); Ticks, when set,
	// replaces the ticker (tests send the instants themselves).
	Interval time.Duration
	Ticks    <-chan time.Time
	// Window is how much recent history each analysis reads; default 15
	// minutes.
	Window time.Duration
	// ResolveAfter is how long an incident must stay quiet (no gateway
	// errors past its end) to be resolved; default the analysis's
	// MergeGap, after which a new burst is a new incident anyway.
	ResolveAfter time.Duration
	// Retention is the days the store keeps, pruned once a UTC day (and
	// at the first tick); 0: never pruned.
	Retention int
	Analysis  analyze.Config // default analyze.DefaultConfig
	// Stack reads the servers' configuration, to quote in the findings of
	// incidents as they open or change (read then: a fix applied since
	// shows); nil: none.
	Stack func() *stackconf.Config
	Now   func() time.Time // when a gap is noticed; default time.Now
	// Waker returns how the follower of a path waits for more; required.
	// A waker with a Stop method is stopped when its follower ends.
	Waker func(path string) ingest.Waker
	// Hook hears of the incidents that opened, changed or resolved, once
	// per analysis that found any; it runs on the committing goroutine.
	Hook func(Update)
	// OnCommit and OnAnalyzed are called on the committing goroutine after
	// each commit (with the followed path) and each tick.
	OnCommit   func(path string)
	OnAnalyzed func()
}

// Update is what changed among the incidents of the recent history.
type Update struct {
	// Result is the analysis that saw the changes: its Incidents are all
	// those of the window, its Sources are not filled.
	Result   analyze.Result
	Opened   []analyze.Incident // new since the last analysis
	Updated  []analyze.Incident // seen before, with more requests, a longer window or another cause
	Resolved []analyze.Incident // quiet for ResolveAfter: the last analysis of each
}

// Daemon follows logs into a store and reports incidents. Run it once.
type Daemon struct {
	st  *store.Store
	cfg Config

	mu     sync.Mutex
	cancel context.CancelFunc // of the running Run
	done   chan struct{}      // closed when Run returned

	prunedDay int64                          // the UTC day of the last prune
	known     map[time.Time]analyze.Incident // incidents of the window, by start
	resolved  map[time.Time]bool
	status    *status // what Status returns (status.go)
}

// New returns a Daemon that keeps what it reads in st.
func New(st *store.Store, cfg Config) *Daemon {
	cfg.Window = cmp.Or(cfg.Window, 15*time.Minute)
	if cfg.Analysis == (analyze.Config{}) {
		cfg.Analysis = analyze.DefaultConfig
	}
	cfg.ResolveAfter = cmp.Or(cfg.ResolveAfter, cfg.Analysis.MergeGap)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Zone == nil {
		cfg.Zone = time.UTC
	}
	d := &Daemon{st: st, cfg: cfg, done: make(chan struct{}), known: map[time.Time]analyze.Incident{}, resolved: map[time.Time]bool{}, status: newStatus()}
	d.cfg.Hook = func(u Update) {
		d.status.update(u)
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

// Run follows the files until ctx is done, Close is called, or a follower
// or the store fails. Every goroutine it starts has ended when it returns.
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

	ticks := d.cfg.Ticks
	if ticks == nil {
		if d.cfg.Interval <= 0 {
			return fmt.Errorf("cannot run the daemon: no analysis interval")
		}
		t := time.NewTicker(d.cfg.Interval)
		defer t.Stop()
		ticks = t.C
	}
	saved, err := d.st.Positions()
	if err != nil {
		return err
	}
	known, err := d.st.Sources()
	if err != nil {
		return fmt.Errorf("cannot read the store's sources: %w", err)
	}
	prior := map[string]timeline.Source{}
	for _, s := range known {
		prior[s.Path] = s
	}
	marks, err := d.st.Marks()
	if err != nil {
		return err
	}
	held, err := pipeline.ReadHeld(marks)
	if err != nil {
		return err
	}
	starts := make([]ingest.Position, len(d.cfg.Files))
	tracks := make([]*tracker, len(d.cfg.Files))
	for i, f := range d.cfg.Files {
		tracks[i] = &tracker{held: held, now: d.cfg.Now}
		if starts[i], err = d.startPosition(ctx, f.Path, saved[f.Path], tracks[i]); err != nil {
			return err
		}
	}

	var wg sync.WaitGroup
	defer wg.Wait() // after cancel (deferred later, run first): every follower ends
	batches := make(chan batch)
	errs := make(chan error, len(d.cfg.Files))
	for i, f := range d.cfg.Files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- d.follow(ctx, f, starts[i], tracks[i], prior[f.Path], batches)
		}()
	}
	defer cancel()
	slog.Info("watching", "files", len(d.cfg.Files))
	running := len(d.cfg.Files)
	fresh := false // something was committed since the last analysis
	for {
		select {
		case b := <-batches:
			err := d.commit(b)
			d.status.committed(b, err, d.cfg.Now())
			b.done <- err
			fresh = fresh || (err == nil && (len(b.requests) > 0 || len(b.events) > 0 || len(b.gaps) > 0))
			if err == nil && d.cfg.OnCommit != nil {
				d.cfg.OnCommit(b.path)
			}
		case now := <-ticks:
			d.prune(ctx, now)
			// Nothing new since the last analysis: no new incident can show
			// (only old seconds left the window), and an idle daemon stays idle.
			if fresh {
				if err := d.analyzeRecent(now); err != nil {
					slog.Error("analysis failed", "err", err)
				}
				fresh = false
			} else {
				d.resolve(now, Update{})
			}
			if d.cfg.OnAnalyzed != nil {
				d.cfg.OnAnalyzed()
			}
		case err := <-errs:
			running--
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			if running == 0 {
				return nil
			}
		case <-ctx.Done():
			return nil
		}
	}
}

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
// FromStart). t learns whether the store holds the file from its start.
func (d *Daemon) startPosition(ctx context.Context, path string, saved []byte, t *tracker) (ingest.Position, error) {
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
	case d.cfg.FromStart:
		t.fromStart()
		return ingest.Position{Path: path}, nil
	}
	return ingest.EndPosition(path)
}

// follow reads one log and hands its batches to the committer, waiting for
// each to be committed before reading on, with the marks t keeps of the
// files read. prior is what the store knows of the file already.
func (d *Daemon) follow(ctx context.Context, f pipeline.File, from ingest.Position, t *tracker, prior timeline.Source, out chan<- batch) error {
	d.status.follow(f, from, prior)
	zone := cmp.Or(f.Zone, d.cfg.Zone)
	col := &collector{}
	step, err := pipeline.NewStep(f, zone, pipeline.ZoneLabel(zone), prior, col)
	if err != nil {
		return err
	}
	waker := d.cfg.Waker(f.Path)
	if s, ok := waker.(interface{ Stop() }); ok {
		defer s.Stop()
	}
	fl := ingest.NewFollower(f.Path, from, ingest.FollowConfig{Limits: d.cfg.Limits, StartsRecord: f.Format.RecordStart(), Waker: waker})
	defer fl.Close()
	done := make(chan error, 1)
	for {
		fb, err := fl.Next(ctx)
		if err != nil {
			return err
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
				return err
			}
		}
		b.events, b.requests = col.events, col.requests
		col.events, col.requests = nil, nil
		b.source = step.Source()
		st := fl.Stats()
		b.source.Cut = prior.Cut + st.CutLines + st.CutRecords
		if b.position, err = json.Marshal(fb.Position); err != nil {
			return err
		}
		for key, pos := range t.marks(fb) {
			m, err := t.held.Mark(key, pos)
			if err != nil {
				return err
			}
			if b.marks == nil {
				b.marks = map[string][]byte{}
			}
			b.marks[key] = m
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := <-done; err != nil {
			return err
		}
	}
}
