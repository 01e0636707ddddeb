package daemon

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/logcause/logcause/ingest"
)

// errChanged is the cause of a follower's wait cut short by an event.
var errChanged = errors.New("the file changed")

// notifier turns the inotify events of the watched directories (never of
// files: a rotation replaces the file, not its directory) into early wakes
// of the followers of the series they concern, and into rescans for new
// files. Events are hints: the followers' rounds and the periodic rescan
// stay the safety net (a queue overflow, a file system without inotify).
type notifier struct {
	w      *fsnotify.Watcher // nil: no inotify here
	rescan chan struct{}     // a rescan is due (buffered 1: requests coalesce)

	mu      sync.Mutex
	dirs    map[string]bool
	subs    map[string]int                     // followers by series name
	waiting map[string]context.CancelCauseFunc // the series whose follower waits, and how to wake it
	early   map[string]bool                    // changed while its follower was reading
	series  map[string]string                  // the series of the names events were about (for the run goroutine only)
}

// newNotifier returns a notifier, on inotify when it can be had (a warning
// says why not: the followers then read once a round, and new files are
// found by the periodic rescan alone).
func newNotifier() *notifier {
	n := &notifier{rescan: make(chan struct{}, 1), dirs: map[string]bool{}, subs: map[string]int{},
		waiting: map[string]context.CancelCauseFunc{}, early: map[string]bool{}, series: map[string]string{}}
	// Unbuffered: while the events are not taken (see run), fsnotify's
	// reader waits and the kernel merges repeated writes.
	w, err := fsnotify.NewWatcher()
	if err != nil {
		slog.Warn("no inotify: reading the logs once a second instead of as they are written", "err", err)
		return n
	}
	n.w = w
	return n
}

// watchDir watches dir (once), and with subdirs its directories below,
// hidden ones excepted as discovery skips them.
func (n *notifier) watchDir(dir string, subdirs bool) {
	if n.w == nil {
		return
	}
	add := func(d string) {
		d = filepath.Clean(d)
		n.mu.Lock()
		seen := n.dirs[d]
		n.dirs[d] = true
		n.mu.Unlock()
		if seen {
			return
		}
		if err := n.w.Add(d); err != nil {
			// Not fatal: the rounds and the rescan still see what happens there.
			slog.Warn("cannot watch a directory for changes: its logs are read once a second", "dir", d, "err", err)
		}
	}
	if !subdirs {
		add(dir)
		return
	}
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		switch {
		case err != nil || !e.IsDir():
			return nil
		case p != dir && strings.HasPrefix(e.Name(), "."):
			return fs.SkipDir
		}
		add(p)
		return nil
	})
}

// watchPath watches what a watched path (a file, a directory, a glob) may
// hold new logs in.
func (n *notifier) watchPath(p string) {
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		n.watchDir(p, true)
		return
	}
	if dir := filepath.Dir(p); !strings.ContainsAny(dir, `*?[`) {
		n.watchDir(dir, false) // a file, or a glob's directory
	}
}

// Taking inotify's events: each write of a log is an event, and a busy
// log is written line by line. Events are taken as they come until
// eventSettle passes without one, then not for eventPause: meanwhile the
// kernel merges a file's repeated writes into one event in its queue,
// instead of waking the daemon at each line. The first event after a quiet
// spell is taken at once.
const (
	eventSettle = time.Millisecond
	eventPause  = 100 * time.Millisecond
)

// run dispatches the events until ctx is done, then closes the watcher.
func (n *notifier) run(ctx context.Context) {
	if n.w == nil {
		return
	}
	defer n.w.Close()
	settle := time.NewTimer(eventSettle)
	defer settle.Stop()
	for {
		// Wait for an event, take those that follow it, then pause.
		if !n.take(ctx, nil) {
			return
		}
		for {
			settle.Reset(eventSettle)
			if !n.take(ctx, settle.C) {
				break
			}
		}
		if ctx.Err() != nil {
			return
		}
		settle.Reset(eventPause)
		select {
		case <-ctx.Done():
			return
		case <-settle.C:
		}
	}
}

// take takes one event or error, and reports whether it did: false when
// ctx is done, the watcher closed, or timeout came first.
func (n *notifier) take(ctx context.Context, timeout <-chan time.Time) bool {
	select {
	case <-ctx.Done():
		return false
	case <-timeout:
		return false
	case ev, ok := <-n.w.Events:
		if !ok {
			return false
		}
		n.event(ev)
	case err, ok := <-n.w.Errors:
		if !ok {
			return false
		}
		// An overflow lost events: look at everything now.
		slog.Warn("inotify", "err", err)
		n.mu.Lock()
		for s := range n.subs {
			n.wakeLocked(s)
		}
		n.mu.Unlock()
		n.requestRescan()
	}
	return true
}

// event wakes the follower of the series the file belongs to (a write to a
// rotated sibling being drained concerns the live file's follower) and asks
// for a rescan when a file appeared or changed its permissions.
func (n *notifier) event(ev fsnotify.Event) {
	name := filepath.Clean(ev.Name)
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		n.mu.Lock()
		delete(n.dirs, name) // a watched directory gone: watched again if it comes back under a watched one
		n.mu.Unlock()
	}
	if ev.Has(fsnotify.Create) {
		if st, err := os.Stat(name); err == nil && st.IsDir() && n.watchedParent(name) {
			n.watchDir(name, true)
		}
	}
	series, ok := n.series[ev.Name]
	if !ok {
		if len(n.series) >= 4096 { // names that came and went: forget them
			clear(n.series)
		}
		series = ingest.SeriesName(name)
		n.series[ev.Name] = series
	}
	n.mu.Lock()
	followed := n.subs[series] > 0
	if followed {
		n.wakeLocked(series)
	}
	n.mu.Unlock()
	// Writes to the files not followed (syslog, a journal, a file that is
	// no log) are many and tell nothing new: an empty file that gets its
	// first lines is found by the rescan of the next second.
	if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Chmod) {
		n.requestRescan()
	}
}

func (n *notifier) watchedParent(dir string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dirs[filepath.Dir(dir)]
}

func (n *notifier) wakeLocked(series string) {
	if cancel, ok := n.waiting[series]; ok {
		cancel(errChanged)
		delete(n.waiting, series)
		return
	}
	n.early[series] = true
}

func (n *notifier) requestRescan() {
	select {
	case n.rescan <- struct{}{}:
	default:
	}
}

// waker returns the waker of the follower of path: inner's rounds, cut
// short by the events of its series.
func (n *notifier) waker(path string, inner ingest.Waker) *eventWaker {
	series := ingest.SeriesName(filepath.Clean(path))
	n.mu.Lock()
	n.subs[series]++
	n.mu.Unlock()
	return &eventWaker{n: n, series: series, inner: inner}
}

// eventGap is the least time between two early wakes of a follower: a log
// written all the time (each line is a write, and an event) is read in
// batches of up to this long, not line by line; the first write after a
// quiet spell is read at once.
const eventGap = 250 * time.Millisecond

// eventWaker is a follower's waker: its inner waker's rounds, and early
// wakes (no round: see ingest.Rounder) when its file changed.
type eventWaker struct {
	n      *notifier
	series string
	inner  ingest.Waker
	round  bool
	last   time.Time // of the last early wake
}

// early ends a wait early, eventGap after the last early wake at the
// soonest. Meanwhile the inner waker is waited on (the gap passed: asked,
// with a done context, whether its round is due): a round that comes is
// reported as one. Else a file written all the time, an early wake every
// gap, would end no round, and the draining of its rotated file (quiet
// rounds, ingest.FollowConfig.MaxDrainRounds) would never end while it is
// written: its lines would wait, unread, for the writes to stop.
func (w *eventWaker) early(ctx context.Context) error {
	gctx, cancel := context.WithDeadline(ctx, w.last.Add(eventGap))
	err := w.inner.Wait(gctx)
	cancel()
	if err := ctx.Err(); err != nil {
		return err
	}
	w.last, w.round = time.Now(), err == nil
	return nil
}

var _ ingest.Rounder = (*eventWaker)(nil)

func (w *eventWaker) Wait(ctx context.Context) error {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w.n.mu.Lock()
	if w.n.early[w.series] {
		delete(w.n.early, w.series)
		w.n.mu.Unlock()
		return w.early(ctx)
	}
	w.n.waiting[w.series] = cancel
	w.n.mu.Unlock()
	err := w.inner.Wait(wctx)
	w.n.mu.Lock()
	delete(w.n.waiting, w.series)
	w.n.mu.Unlock()
	if ctx.Err() == nil && errors.Is(context.Cause(wctx), errChanged) {
		return w.early(ctx)
	}
	w.round = true
	return err
}

func (w *eventWaker) Round() bool { return w.round }

// Stop stops the inner waker and forgets the follower.
func (w *eventWaker) Stop() {
	w.n.mu.Lock()
	if w.n.subs[w.series]--; w.n.subs[w.series] <= 0 {
		delete(w.n.subs, w.series)
		delete(w.n.early, w.series)
	}
	w.n.mu.Unlock()
	if s, ok := w.inner.(interface{ Stop() }); ok {
		s.Stop()
	}
}
