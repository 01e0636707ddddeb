package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/timeline"
)

// runner is the state of one Run: the followers, what the store held at
// the start, and the files passed over.
type runner struct {
	d   *Daemon
	ctx context.Context
	wg  sync.WaitGroup
	n   *notifier // nil without Inotify

	batches chan batch
	ended   chan followEnd
	ready   *caughtUp // the followers started with the daemon have caught up

	saved   map[string][]byte          // the committed positions, by path
	restart bool                       // the store held positions: not its first start
	prior   map[string]timeline.Source // what the store knew of each file
	held    *pipeline.Held

	following map[string]bool     // the followed live paths
	passed    map[string]passedBy // the files not followed, and how they were when tried
	problems  map[string]bool     // the problems of the last rescan, warned of once
	failed    map[string]string   // the last failure of each path, told once until it commits again

	life lifecycle // the reloadable settings (lifecycle.go)

	uncovered map[int64]int64 // gateway errors outside the open incidents, by second
	newest    int64           // the newest second of uncovered
	analyzed  int64           // the uncovered errors the last analysis they started saw
}

// followEnd is a follower that ended, where, and why.
type followEnd struct {
	path string
	pos  ingest.Position
	err  error
}

// passedBy is a file not followed: why, and how it was then (it is tried
// again when that changes).
type passedBy struct {
	why   passReason
	state fileState
}

type passReason int

const (
	notALog    passReason = iota + 1 // tried again when another file is at the path
	empty                            // tried again once it holds bytes
	unreadable                       // tried again when its inode, mode or owner change (its ctime)
)

// fileState is what is compared of a file passed over.
type fileState struct {
	dev, ino uint64
	size     int64
	ctime    [2]int64
}

func stateOf(path string) (fileState, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileState{}, false
	}
	return fileState{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, ctime: [2]int64{st.Ctim.Sec, st.Ctim.Nsec}}, true
}

// same reports whether a file passed over is as it was for its reason.
func (p passedBy) same(now fileState) bool {
	if p.state.dev != now.dev || p.state.ino != now.ino {
		return false
	}
	switch p.why {
	case empty:
		return now.size == 0
	case unreadable:
		return p.state.ctime == now.ctime
	}
	return true
}

func (d *Daemon) newRunner(ctx context.Context) (*runner, error) {
	r := &runner{d: d, ctx: ctx, batches: make(chan batch), ended: make(chan followEnd), ready: newCaughtUp(),
		following: map[string]bool{}, passed: map[string]passedBy{}, problems: map[string]bool{}, failed: map[string]string{},
		uncovered: map[int64]int64{}}
	var err error
	if r.saved, err = d.st.Positions(); err != nil {
		return nil, err
	}
	r.restart = len(r.saved) > 0
	known, err := d.st.Sources()
	if err != nil {
		return nil, fmt.Errorf("cannot read the store's sources: %w", err)
	}
	r.prior = map[string]timeline.Source{}
	for _, s := range known {
		r.prior[s.Path] = s
	}
	marks, err := d.st.Marks()
	if err != nil {
		return nil, err
	}
	if r.held, err = pipeline.ReadHeld(marks); err != nil {
		return nil, err
	}
	r.initLifecycle()
	if d.cfg.Inotify {
		r.n = newNotifier()
		for _, p := range d.cfg.Watch {
			r.n.watchPath(p)
		}
	}
	return r, nil
}

// start follows f, unless it is followed already. A file found at the
// start (initial) is read from its end on the store's first start (unless
// FromStart), one found later from its beginning: its first lines are the
// point. Only a failing store is an error: a file that cannot be followed
// is told (failure).
func (r *runner) start(f pipeline.File, initial bool) error {
	f.Path = filepath.Clean(f.Path)
	if r.following[f.Path] {
		return nil
	}
	d := r.d
	t := &tracker{held: r.held, now: d.cfg.Now}
	// A log a reload added to the sources is new to the daemon as those of
	// a first start are: read from its end (or its saved position).
	fromStart := d.cfg.FromStart || (!initial && !r.life.reload) || (initial && r.restart)
	from, err := d.startPosition(r.ctx, f.Path, r.saved[f.Path], t, fromStart)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // gone again: the next rescan sees
		}
		return r.failure(f.Path, ingest.Position{}, err)
	}
	if r.saved[f.Path] == nil && !from.ID.IsZero() {
		// Followed from its end (or where a batch load left it): kept at
		// once, so that a restart before its first line goes on from
		// there rather than taking it for a log that appeared meanwhile.
		pos, err := json.Marshal(from)
		if err == nil {
			err = d.st.NewWriter().Commit(map[string][]byte{f.Path: pos})
		}
		if err != nil {
			return fmt.Errorf("cannot keep where %s is followed from: %w", f.Path, err)
		}
		r.saved[f.Path] = pos
	}
	waker := d.cfg.Waker(f.Path)
	if r.n != nil {
		r.n.watchDir(filepath.Dir(f.Path), false)
		waker = r.n.waker(f.Path, waker)
	}
	r.following[f.Path] = true
	delete(r.passed, f.Path)
	switch {
	case initial:
	case r.saved[f.Path] != nil: // stopped by a reload, or failed, and back
		slog.Info("following a log again", "path", f.Path, "format", f.Format.Kind)
	default:
		slog.Info("following a new log", "path", f.Path, "format", f.Format.Kind)
	}
	if d.cfg.OnFollow != nil {
		d.cfg.OnFollow(f.Path, nil)
	}
	var ready *caughtUp
	if initial {
		ready = r.ready
		ready.add()
	}
	ctx, stop := context.WithCancel(r.ctx) // a reload may stop it alone
	r.life.stops[f.Path] = stop
	prior := r.prior[f.Path] // the committer updates the map as it commits
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		pos, err := d.follow(ctx, f, from, t, prior, waker, r.batches, ready)
		select {
		case r.ended <- followEnd{f.Path, pos, err}:
		case <-r.ctx.Done():
		}
	}()
	return nil
}

// committed commits a follower's batch (a failed commit is the
// follower's to return, and its end ends Run), and reports whether it is
// to be analyzed at once: its gateway errors outside the open incidents
// make enough for an incident (see uncoveredErrors), or it holds records
// that may tell the cause of an open incident without a known one
// (evidenceDue).
func (r *runner) committed(b batch) (urgent bool) {
	err := r.d.commit(b)
	r.d.status.committed(b, err, r.d.cfg.Now())
	b.done <- err
	if err != nil {
		return false
	}
	delete(r.failed, b.path)
	// Where a follower started again (a reload) goes on from.
	r.life.records += b.source.Records - r.prior[b.path].Records
	r.saved[b.path], r.prior[b.path] = b.position, b.source
	if r.d.noteEvidence(b.events) && r.d.unexplained() {
		return true
	}
	grew := false
	for _, q := range b.requests {
		if analyze.IsGateway(q.status) && !r.d.covered(q.at) {
			sec := q.at.Unix()
			r.uncovered[sec]++
			r.newest, grew = max(r.newest, sec), true
		}
	}
	if !grew {
		return false
	}
	n := r.uncoveredErrors()
	if n < r.d.cfg.Analysis.MinErrors {
		r.analyzed = 0
		return false
	}
	return n >= 2*r.analyzed
}

// uncoveredErrors counts the gateway errors outside the open incidents
// of the last MergeGap before the newest. An analysis starts once they
// are as many as an incident needs, and again each time they doubled
// since: a site that always fails a little is not analyzed at each line.
func (r *runner) uncoveredErrors() int64 {
	var n int64
	since := r.newest - int64(r.d.cfg.Analysis.MergeGap/time.Second)
	for sec, c := range r.uncovered {
		if sec < since {
			delete(r.uncovered, sec)
			continue
		}
		n += c
	}
	return n
}

// end handles a follower that ended: a failed store ends Run; a file that
// failed is a gap and a warning, and is tried again when it changes.
func (r *runner) end(e followEnd) error {
	delete(r.following, e.path)
	r.d.status.unfollow(e.path)
	stopped := r.followerEnded(e.path)
	var se *storeError
	switch {
	case e.err == nil || errors.Is(e.err, context.Canceled):
		return stopped()
	case errors.As(e.err, &se):
		return se.err
	}
	return r.failure(e.path, e.pos, e.err)
}

// failure tells that path cannot be followed: a warning and a gap in the
// store, once until it commits again; a rescan tries it again once its
// inode, mode or owner changed.
func (r *runner) failure(path string, pos ingest.Position, err error) error {
	if st, ok := stateOf(path); ok {
		r.passed[path] = passedBy{why: unreadable, state: st}
	}
	if r.d.cfg.OnFollow != nil {
		defer r.d.cfg.OnFollow(path, err)
	}
	msg := err.Error()
	if r.failed[path] == msg {
		slog.Debug("still cannot follow", "path", path, "err", err)
		return nil
	}
	r.failed[path] = msg
	slog.Warn("cannot follow a log: its lines are not read until it can be", "path", path, "err", err)
	return r.gap(path, pos.Offset, "cannot follow the log: "+msg+"; lines written meanwhile may be missing")
}

// gap records a gap in the store.
func (r *runner) gap(path string, offset int64, reason string) error {
	w := r.d.st.NewWriter()
	w.Gap(timeline.Gap{Time: r.d.cfg.Now(), Path: path, Offset: offset, Reason: reason})
	if err := w.Commit(nil); err != nil {
		return fmt.Errorf("cannot record a gap in the store: %w", err)
	}
	return nil
}

// scanResult is what one rescan found: the live logs, and what could not
// be looked at.
type scanResult struct {
	files    []ingest.File
	problems []error
}

// scan lists the live files under paths: the newest of each series when
// it is the live file (access.log; a series of rotated files alone is not
// followed: its live file, when it comes, is).
func scan(paths []string) scanResult {
	found, _ := ingest.Discover(paths)
	res := scanResult{problems: found.Problems}
	for _, s := range ingest.GroupSeries(found.Files) {
		if live := s.Files[len(s.Files)-1]; filepath.Clean(live.Path) == filepath.Clean(s.Name) {
			res.files = append(res.files, live)
		}
	}
	return res
}

// scanner rescans the watched paths once a second (or at each of
// Config.Rescans), and at once when the notifier asks, until ctx is done.
func (r *runner) scanner(ctx context.Context, out chan<- scanResult) {
	ticks := r.d.cfg.Rescans
	if ticks == nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		ticks = t.C
	}
	var asked chan struct{}
	if r.n != nil {
		asked = r.n.rescan
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		case <-asked:
		}
		select {
		case out <- scan(r.watched()):
		case <-ctx.Done():
			return
		}
	}
}

// found follows the live files of a rescan that are not followed yet,
// and tells once what cannot be looked at.
func (r *runner) found(res scanResult, initial bool) error {
	now := map[string]bool{}
	for _, p := range res.problems {
		msg := p.Error()
		now[msg] = true
		if r.problems[msg] {
			continue
		}
		// A path that holds nothing yet (a source of the default layout,
		// a glob that matches nothing) loses nothing: its logs are
		// followed when they appear.
		var pe *fs.PathError
		if !errors.Is(p, fs.ErrPermission) || !errors.As(p, &pe) {
			slog.Info("not following", "problem", p)
			continue
		}
		slog.Warn("not following", "problem", p)
		if err := r.gap(pe.Path, 0, "cannot look for logs there: "+msg); err != nil {
			return err
		}
	}
	r.problems = now
	seen := map[string]bool{}
	for _, f := range res.files {
		path := filepath.Clean(f.Path)
		seen[path] = true
		if r.following[path] || !covered(path, r.watched()) { // a rescan of paths a reload removed
			continue
		}
		st, ok := stateOf(path)
		if p, passed := r.passed[path]; ok && passed && p.same(st) {
			continue
		}
		lf, err := pipeline.LiveFile(f, r.life.opts)
		var fe *pipeline.FormatError
		switch {
		case err == nil:
			if err := r.start(lf, initial); err != nil {
				return err
			}
		case errors.Is(err, pipeline.ErrEmpty):
			r.passed[path] = passedBy{why: empty, state: st}
			slog.Debug("not following an empty file yet", "path", path)
		case errors.As(err, &fe):
			r.passed[path] = passedBy{why: notALog, state: st}
			slog.Info("not following", "path", path, "reason", err)
		case errors.Is(err, fs.ErrNotExist):
		default:
			if err := r.failure(path, ingest.Position{}, err); err != nil {
				return err
			}
		}
	}
	for p := range r.passed {
		if !seen[p] && !r.following[p] {
			delete(r.passed, p)
		}
	}
	return nil
}
