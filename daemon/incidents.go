package daemon

import (
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/logcause/logcause/analyze"
)

// analyzeRecent analyzes the window before now, tells the hook what opened,
// changed and resolved since the last analysis.
func (d *Daemon) analyzeRecent(now time.Time) error {
	rng := analyze.TimeRange{Start: now.Add(-d.cfg.Window), End: now}
	res, err := analyze.Analyze(d.st, rng, d.cfg.Analysis)
	if err != nil {
		return err
	}
	u := d.changes(res)
	if len(u.Opened)+len(u.Updated) > 0 && d.cfg.Stack != nil {
		// Explained again with the servers' configuration, read now (a fix
		// applied since the last incident shows; an idle daemon reads
		// nothing).
		cfg := d.cfg.Analysis
		cfg.Stack = d.cfg.Stack()
		if res, err = analyze.Analyze(d.st, rng, cfg); err != nil {
			return err
		}
		u = d.changes(res)
	}
	for _, inc := range u.Opened {
		slog.Warn("incident opened", "start", inc.Start, "root_cause", inc.RootCause, "title", inc.Title)
	}
	for _, inc := range slices.Concat(u.Opened, u.Updated) {
		d.known[inc.Start] = inc
	}
	d.resolve(now, u)
	return nil
}

// changes compares the incidents of res with those known.
func (d *Daemon) changes(res analyze.Result) Update {
	u := Update{Result: res}
	for _, inc := range res.Incidents {
		old, seen := d.known[inc.Start]
		switch {
		case !seen:
			u.Opened = append(u.Opened, inc)
		case !d.resolved[inc.Start] && changed(old, inc):
			u.Updated = append(u.Updated, inc)
		}
	}
	return u
}

// changed reports whether an incident grew or its explanation changed.
func changed(old, inc analyze.Incident) bool {
	return !old.End.Equal(inc.End) || old.Requests != inc.Requests || !maps.Equal(old.Status, inc.Status) ||
		!slices.Equal(old.Chain, inc.Chain)
}

// resolve resolves the known incidents that stayed quiet for ResolveAfter
// before now, forgets those that left the window, and tells the hook of
// every change (u's and the resolutions).
func (d *Daemon) resolve(now time.Time, u Update) {
	for _, start := range slices.SortedFunc(maps.Keys(d.known), time.Time.Compare) {
		inc := d.known[start]
		switch {
		case inc.End.Before(now.Add(-d.cfg.Window)):
			delete(d.known, start)
			delete(d.resolved, start)
		case !d.resolved[start] && !now.Before(inc.End.Add(d.cfg.ResolveAfter)):
			d.resolved[start] = true
			u.Resolved = append(u.Resolved, inc)
			slog.Info("incident resolved", "start", inc.Start, "end", inc.End, "root_cause", inc.RootCause)
		}
	}
	if d.cfg.Hook != nil && len(u.Opened)+len(u.Updated)+len(u.Resolved) > 0 {
		d.cfg.Hook(u)
	}
}
