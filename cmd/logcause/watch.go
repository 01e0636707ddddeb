package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/report"
	"github.com/logcause/logcause/store"
	"github.com/logcause/logcause/timeline"
)

func newWatchCmd() *cobra.Command {
	var (
		in        inputFlags
		storeDir  string
		interval  time.Duration
		fromStart bool
		retention int
	)
	c := &cobra.Command{
		Use:   "watch [flags] [PATH...]",
		Short: "Follow the logs through rotation and report incidents as they happen",
		Long: `watch follows the live logs under the paths given (without any, the
configured sources, by default the common Debian/Ubuntu layout) through
rotation and truncation, keeps what it reads in the store, and every
--interval analyzes the last 15 minutes and prints each new incident.

Positions are committed with the events they cover: after a crash or a
restart, watch goes on where it stopped, losing and repeating nothing. On
its first start it reads only what is written from then on, unless
--from-start. Stamps without a zone are read in this machine's zone unless
--tz or the config says otherwise: watch runs where the logs are written.

The store is locked while watch runs: stop it to run store commands on it.`,
		Example: `  # Follow this server's logs
  logcause watch

  # Follow these logs, keeping the store elsewhere, analyzing every 30 s
  logcause watch --store /srv/logcause --interval 30s /var/log/nginx /var/log/php8.2-fpm.log`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			opts, cfg, err := in.options()
			if err != nil {
				return err
			}
			if opts.zone == nil {
				opts.zone = time.Local
			}
			if args, err = in.paths(args, cfg); err != nil {
				return err
			}
			if interval <= 0 {
				return usagef("invalid --interval %s: give a positive duration such as 10s", interval)
			}
			if retention = cmp.Or(retention, cfg.RetentionDays); retention < 1 {
				return usagef("invalid --retention-days %d: keep at least 1 day", retention)
			}
			st, err := store.OpenQuiet(cmp.Or(storeDir, cfg.Store)) // idle most of the time: no compaction workers polling
			if err != nil {
				return err
			}
			defer st.Close()
			files, err := liveLogs(args, opts)
			if err != nil {
				return err
			}
			ticker := time.NewTicker(interval)
			defer ticker.Stop()
			w := &watcher{st: st, opts: opts, out: c.OutOrStdout(), now: time.Now, fromStart: fromStart, retention: retention,
				waker: func(string) ingest.Waker { return ingest.NewTickWaker(time.Second) }} // a second of latency; an idle daemon wakes 4× less than at 250 ms
			return w.run(c.Context(), files, ticker.C)
		},
	}
	in.register(c, "log-format", " (default Local)")
	c.Flags().StringVar(&storeDir, "store", "", "keep the store in `DIR` (default: the config's store, "+defaultStoreDir+")")
	c.Flags().DurationVar(&interval, "interval", 10*time.Second, "analyze the recent logs every `DURATION`")
	c.Flags().BoolVar(&fromStart, "from-start", false, "on the first start, read the live logs from their beginning")
	c.Flags().IntVar(&retention, "retention-days", 0, "keep `N` days in the store, pruning older ones once a day (default: the config's retention_days, 14)")
	return c
}

// liveLogs returns the live file of each series of logs under paths, with
// its format: rotated siblings are read by analyze, not followed.
func liveLogs(paths []string, opts loadOptions) ([]detectedFile, error) {
	files, _, err := ingest.Discover(paths)
	if err != nil {
		return nil, err
	}
	var out []detectedFile
	for _, s := range ingest.GroupSeries(files) {
		f := s.Files[len(s.Files)-1]
		d, err := detect(f, opts)
		if err != nil {
			// A live log may be empty just after rotation: its name tells.
			hint := ingest.NameHint(f.Path)
			kind, kerr := patterns.ParseKind(hint)
			if hint == "" || kerr != nil {
				slog.Info("not following", "path", f.Path, "reason", err)
				continue
			}
			d = detectedFile{path: f.Path, format: logFormat{kind: kind}}
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no log to follow in %v", paths)
	}
	return out, nil
}

// watcher follows logs into the store and reports new incidents.
type watcher struct {
	st        *store.Store
	opts      loadOptions
	out       io.Writer
	now       func() time.Time
	waker     func(path string) ingest.Waker // how each follower waits for more
	fromStart bool
	window    time.Duration // how much recent history each analysis reads; default 15 minutes
	retention int           // days the store keeps (retention_days); 0: never pruned
	prunedDay int64         // the UTC day of the last prune

	reported map[time.Time]bool // incidents printed, by start

	// Test hooks, called on the committing goroutine.
	onCommit   func(path string)
	onAnalyzed func()
}

// batch is what one follower hands to the committer: events and requests
// ready to store, and the position after them.
type batch struct {
	path     string
	events   []*patterns.Event
	requests []request
	gaps     []timeline.Gap
	position []byte
	done     chan error
}

type request struct {
	at       time.Time
	status   int
	upstream string
}

// run follows files until ctx is done. Every tick, the recent history is
// analyzed and new incidents printed.
func (w *watcher) run(ctx context.Context, files []detectedFile, ticks <-chan time.Time) error {
	if w.window == 0 {
		w.window = 15 * time.Minute
	}
	if w.now == nil {
		w.now = time.Now
	}
	w.reported = map[time.Time]bool{}
	saved, err := w.st.Positions()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch)
	errs := make(chan error, len(files))
	for _, d := range files {
		from, err := w.startPosition(d.path, saved[d.path])
		if err != nil {
			return err
		}
		go func() { errs <- w.follow(ctx, d, from, batches) }()
	}
	slog.Info("watching", "files", len(files))
	running := len(files)
	fresh := false // something was committed since the last analysis
	for {
		select {
		case b := <-batches:
			wr := w.st.NewCommitWriter()
			var err error
			for _, r := range b.requests {
				err = errors.Join(err, wr.Request(r.at, r.status, []byte(r.upstream)))
			}
			for _, ev := range b.events {
				err = errors.Join(err, wr.Event(ev))
			}
			for _, g := range b.gaps {
				wr.Gap(g)
			}
			if err == nil {
				err = wr.Commit(map[string][]byte{b.path: b.position})
			}
			b.done <- err
			fresh = fresh || (err == nil && (len(b.requests) > 0 || len(b.events) > 0 || len(b.gaps) > 0))
			if err == nil && w.onCommit != nil {
				w.onCommit(b.path)
			}
		case now := <-ticks:
			w.prune(now)
			// Nothing new since the last analysis: no new incident can show
			// (only old seconds left the window), and an idle daemon stays idle.
			if fresh {
				if err := w.analyzeRecent(now); err != nil {
					slog.Error("analysis failed", "err", err)
				}
				fresh = false
			}
			if w.onAnalyzed != nil {
				w.onAnalyzed()
			}
		case err := <-errs:
			running--
			if err != nil && !errors.Is(err, context.Canceled) {
				cancel()
				return err
			}
			if running == 0 {
				return nil
			}
		}
	}
}

// prune drops the days past the retention, once a UTC day (and at the
// first tick): the daemon holds the store's lock, so `logcause store
// prune` cannot run beside it.
func (w *watcher) prune(now time.Time) {
	day := now.Unix() / 86400
	if w.retention < 1 || day == w.prunedDay {
		return
	}
	w.prunedDay = day
	n, err := w.st.Prune(w.retention, now)
	if err != nil {
		slog.Error("cannot prune the store", "err", err)
		return
	}
	if n > 0 {
		slog.Info("pruned the store", "days_dropped", n, "days_kept", w.retention)
	}
}

// startPosition is where to follow path from: the committed position, or
// on a first start its end (or its beginning with --from-start).
func (w *watcher) startPosition(path string, saved []byte) (ingest.Position, error) {
	if saved != nil {
		var p ingest.Position
		if err := json.Unmarshal(saved, &p); err != nil {
			return p, fmt.Errorf("cannot read the saved position of %s: %w (remove the store to start afresh)", path, err)
		}
		return p, nil
	}
	if w.fromStart {
		return ingest.Position{Path: path}, nil
	}
	return ingest.EndPosition(path)
}

// follow reads one log and hands its batches to the committer, waiting for
// each to be committed before reading on.
func (w *watcher) follow(ctx context.Context, d detectedFile, from ingest.Position, out chan<- batch) error {
	mtime := modTime(d.path)
	p, err := d.format.parser(w.opts.zone, mtime)
	if err != nil {
		return err
	}
	f := ingest.NewFollower(d.path, from, ingest.FollowConfig{Limits: w.opts.limits, StartsRecord: d.format.startsRecord, Waker: w.waker(d.path)})
	defer f.Close()
	done := make(chan error, 1)
	for {
		fb, err := f.Next(ctx)
		if err != nil {
			return err
		}
		b := batch{path: d.path, done: done}
		for _, n := range fb.Notices {
			if n.Loss {
				// Recorded with the position, so that reports near it say
				// their evidence from this log may be short.
				slog.Warn("gap in a followed log: lines may be missing", "path", n.Path, "notice", n.Kind, "detail", n.Detail)
				b.gaps = append(b.gaps, timeline.Gap{Time: w.now(), Path: n.Path, Offset: n.Offset, Reason: n.Detail})
				continue
			}
			slog.Info("follow", "path", n.Path, "notice", n.Kind, "detail", n.Detail)
		}
		for _, r := range fb.Records {
			ev := new(patterns.Event)
			if perr := p.Parse(r.Text, ev); perr != nil {
				continue // counted by analyze's batch reading; the daemon does not stop for a bad line
			}
			ev.Path, ev.Offset = fb.Path, r.Offset
			if counted(ev) {
				b.requests = append(b.requests, request{ev.Time, ev.Access.Status, ev.Access.UpstreamAddr})
			}
			if keep(ev) {
				b.events = append(b.events, ev)
			}
		}
		if b.position, err = json.Marshal(fb.Position); err != nil {
			return err
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

// analyzeRecent analyzes the last window before now and prints the
// incidents not printed before.
func (w *watcher) analyzeRecent(now time.Time) error {
	rng := analyze.TimeRange{Start: now.Add(-w.window), End: now}
	res, err := analyze.Analyze(w.st, rng, analyze.DefaultConfig)
	if err != nil || !slices.ContainsFunc(res.Incidents, func(inc analyze.Incident) bool { return !w.reported[inc.Start] }) {
		return err
	}
	// A new incident: explained again with the servers' configuration, read
	// now (a fix applied since the last incident shows; an idle daemon reads
	// nothing).
	cfg := analyze.DefaultConfig
	cfg.Stack = stack(w.opts.configRoot)
	if res, err = analyze.Analyze(w.st, rng, cfg); err != nil {
		return err
	}
	var fresh []analyze.Incident
	for _, inc := range res.Incidents {
		if !w.reported[inc.Start] {
			w.reported[inc.Start] = true
			fresh = append(fresh, inc)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	res.Incidents = fresh
	res.Sources = nil
	res.Noise = analyze.Noise{Bursts: []analyze.NoiseBurst{}}
	slog.Warn("incident", "count", len(fresh), "root_cause", fresh[0].RootCause, "start", fresh[0].Start)
	return report.Text(w.out, res)
}
