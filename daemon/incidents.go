package daemon

import (
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/patterns"
)

// incidentState is what the daemon keeps of an incident, in memory and in
// the store (by the start it was first announced with), so that a restart
// neither announces again what was announced nor forgets to resolve it.
// Its last explanation is kept in memory only: after a restart, the
// incidents are explained anew.
type incidentState struct {
	Start     time.Time        `json:"start"`     // as first announced: its key
	Announced analyze.Incident `json:"announced"` // as last told the hook
	Latest    analyze.Incident `json:"latest"`    // as last analyzed: what its resolution tells
	Told      time.Time        `json:"told"`      // when it was last told opened or updated
	Resolved  time.Time        `json:"resolved,omitzero"`

	explained  *analyze.Explanation // as last explained, its counts of then; nil: not by this Run
	evidence   int64                // records that may tell its cause committed by this Run (noteEvidence)
	evidenceAt int64                // evidence when it was last explained
}

func (s *incidentState) open() bool { return s.Resolved.IsZero() }

// loadIncidents reads the incidents kept in the store: the open ones, and
// the resolved ones of the last Window before the latest.
func (d *Daemon) loadIncidents() error {
	kept, err := KeptIncidents(d.st, d.cfg.Window, func(s *incidentState) (time.Time, time.Time, bool) { return s.Start, s.Latest.End, s.open() })
	if err != nil {
		return err
	}
	maps.Copy(d.incidents, kept)
	return nil
}

// keep writes s to the store.
func (d *Daemon) keep(s *incidentState) error { return KeepIncident(d.st, s.Start, s) }

// analyzeRecent analyzes the window before now, and tells the hook what
// opened, changed and (with resolve: at a tick, not right after a batch,
// so that the other logs' lines of the same seconds are read first)
// resolved. An incident is explained only when explainDue says so;
// otherwise its last explanation is reused with its counts made current:
// an outage is not explained again, all of its records read, at every
// tick (docs/benchmarks.md, "The daemon during a live outage").
func (d *Daemon) analyzeRecent(now time.Time, resolve bool) error {
	rng := analyze.TimeRange{Start: now.Add(-d.cfg.Window), End: now}
	began := d.cfg.Now()
	sp, err := analyze.Spot(d.st, rng, d.cfg.Analysis)
	if err != nil {
		return err
	}
	ws := sp.Windows()
	earlier := make([]*analyze.Explanation, len(ws))
	explained := 0
	for i, w := range ws {
		if s := d.match(analyze.Incident{Start: w.Start, End: w.End}); s != nil && !d.explainDue(s, w, now, resolve) {
			earlier[i] = s.explained
			continue
		}
		explained++
	}
	cfg := d.cfg.Analysis
	if explained > 0 && d.cfg.Stack != nil {
		// Explained with the servers' configuration, read now (a fix
		// applied since the last incident shows; an analysis that explains
		// nothing reads nothing): once, whether or not what it explains
		// is told.
		cfg.Stack = d.cfg.Stack()
	}
	var (
		res analyze.Result
		xs  []analyze.Explanation
	)
	explain := func() (err error) {
		res, xs, err = sp.Explain(d.st, cfg, earlier)
		return err
	}
	if explained > 0 {
		// Explaining reads the incidents' records: their pages given back
		// as they are read (store.Reading).
		err = d.st.Reading(explain)
	} else {
		err = explain()
	}
	if err != nil {
		return err
	}
	// What an analysis costs (the daemon during an outage: docs/benchmarks.md).
	slog.Debug("analyzed", "took", d.cfg.Now().Sub(began), "incidents", len(res.Incidents), "explained", explained, "at_tick", resolve)
	u, err := d.observe(res, now)
	if err != nil {
		return err
	}
	for i := range xs {
		if earlier[i] != nil {
			continue
		}
		if s := d.match(xs[i].Incident); s != nil {
			s.explained, s.evidenceAt = &xs[i], s.evidence
		}
		if d.cfg.OnExplained != nil {
			d.cfg.OnExplained(xs[i].Incident)
		}
	}
	return d.tell(now, u, resolve)
}

// explainDue reports whether the incident of s, spotted again as w, is to
// be explained at now rather than its last explanation reused. It is when
// it was not explained by this Run (a restart keeps no explanation); when
// it resolved and grew again (it opens again); when it is to resolve (its
// final report); when its gateway errors grew by half since it was last
// explained (growth), so that an outage is explained a number of times
// that grows with the logarithm of its length, not with its length; while
// its cause is unknown, when enough records that may tell it came since
// (evidenceDue); and when it is to be announced (updateDue, its chain as
// last explained): every announcement carries an explanation of all its
// records. A chain that changed between two explanations is seen at the
// next one.
func (d *Daemon) explainDue(s *incidentState, w analyze.Window, now time.Time, resolve bool) bool {
	last := s.explained
	switch {
	case last == nil:
		return true
	case !s.open():
		return w.End.After(s.Latest.End)
	case resolve && d.quietFor(s, now):
		return true
	case grown(gatewayErrors(last.Incident), w.Gateway):
		return true
	case last.Incident.RootCause == analyze.Unknown && d.evidenceDue(s):
		return true
	}
	return d.due(s.Announced, last.Incident.RootCause, last.Incident.Chain, w.Gateway, s.Told, now)
}

// noteEvidence counts, for each open incident, the records of evs that
// may tell its cause (analyze.CauseEvidence: an nginx error, PHP-FPM's
// warnings, MySQL's restarts, an OOM kill...) stamped where its
// explanation reads them: from the analysis's Lookback before its start
// to MergeGap past its end (where it may grow to). It reports whether
// any was.
func (d *Daemon) noteEvidence(evs []*patterns.Event) bool {
	var open []*incidentState
	for _, s := range d.incidents {
		if s.open() {
			open = append(open, s)
		}
	}
	if len(open) == 0 {
		return false // no record classified: a daemon without an open incident commits as it did
	}
	found := false
	for _, ev := range evs {
		if ev.Access != nil || !analyze.CauseEvidence(ev) {
			continue
		}
		for _, s := range open {
			if !ev.Time.Before(s.Start.Add(-d.cfg.Analysis.Lookback)) && ev.Time.Before(s.Latest.End.Add(d.cfg.Analysis.MergeGap)) {
				s.evidence++
				found = true
			}
		}
	}
	return found
}

// evidenceDue reports whether enough records that may tell its cause were
// committed since s was last explained (noteEvidence) to explain it again
// while its cause is unknown: the first ones at once (the error log's
// lines are often read just after the access log's that opened it), then
// when they are half as many again as those before. An outage whose logs
// write such lines that do not explain it is explained a number of times
// that grows with the logarithm of their number, not with it.
func (d *Daemon) evidenceDue(s *incidentState) bool { return grown(s.evidenceAt, s.evidence) }

// grown reports whether a count is now at least half as large again as
// it was (and at least one more).
func grown(was, is int64) bool { return is >= was+max(was/2, 1) }

// match returns the state of the incident inc is (the same start, or
// overlapping: a late line may move its start), or nil.
func (d *Daemon) match(inc analyze.Incident) *incidentState {
	s, _ := analyze.MatchIncident(d.incidents, inc, func(s *incidentState) (time.Time, time.Time) { return s.Start, s.Latest.End })
	return s
}

// resolveDue reports whether an open incident is to resolve at now: its
// final report is to be explained, with the configuration. One whose
// quiet was not read yet is not (quietRead): a daemon behind its logs
// would explain it again at every tick.
func (d *Daemon) resolveDue(now time.Time) bool {
	for _, s := range d.incidents {
		if s.open() && d.quietFor(s, now) {
			return true
		}
	}
	return false
}

// quietFor reports whether s has been quiet for ResolveAfter at now, and
// the daemon read that quiet (quietRead).
func (d *Daemon) quietFor(s *incidentState, now time.Time) bool {
	return !now.Before(s.Latest.End.Add(d.cfg.ResolveAfter)) && d.quietRead(s.Latest.End)
}

// observe takes in an analysis: its new incidents open (and so does a
// resolved one that grew again), the others are their state's latest.
func (d *Daemon) observe(res analyze.Result, now time.Time) (Update, error) {
	u := Update{Result: res}
	for _, inc := range res.Incidents {
		s := d.match(inc)
		switch {
		case s == nil:
			s = &incidentState{Start: inc.Start}
			d.incidents[inc.Start] = s
		case s.open():
			s.Latest = inc
			continue
		case !inc.End.After(s.Latest.End):
			continue // resolved, and as it was
		}
		s.Announced, s.Latest, s.Told, s.Resolved = inc, inc, now, time.Time{}
		u.Opened = append(u.Opened, inc)
		slog.Warn("incident opened", "start", inc.Start, "root_cause", inc.RootCause, "title", inc.Title)
		if err := d.keep(s); err != nil {
			return u, err
		}
	}
	return u, nil
}

// updateDue reports whether an incident announced as was, when, is to be
// announced again as is at now: at once when its cause was unknown and is
// known now (the error log's lines are often read just after the access
// log's that opened it); otherwise when its chain changed or its gateway
// errors grew by half (at least one more), and UpdateEvery passed since.
func (d *Daemon) updateDue(was, is analyze.Incident, when, now time.Time) bool {
	return d.due(was, is.RootCause, is.Chain, gatewayErrors(is), when, now)
}

// due is updateDue of an incident whose root cause, chain and gateway
// errors are now cause, chain and gateway.
func (d *Daemon) due(was analyze.Incident, cause analyze.Kind, chain []analyze.Kind, gateway int64, when, now time.Time) bool {
	if was.RootCause == analyze.Unknown && cause != analyze.Unknown {
		return true
	}
	meaningful := !slices.Equal(was.Chain, chain) || grown(gatewayErrors(was), gateway)
	return meaningful && now.Sub(when) >= d.cfg.UpdateEvery
}

// unexplained reports whether an open incident is without a known cause,
// and the records committed since it was last explained may tell it now
// (evidenceDue).
func (d *Daemon) unexplained() bool {
	for _, s := range d.incidents {
		if !s.open() {
			continue
		}
		if last := s.explained; last == nil && s.Announced.RootCause == analyze.Unknown ||
			last != nil && last.Incident.RootCause == analyze.Unknown && d.evidenceDue(s) {
			return true
		}
	}
	return false
}

// gatewayErrors counts an incident's 502, 504 and 009 responses.
func gatewayErrors(inc analyze.Incident) int64 {
	var n int64
	for code, c := range inc.Status {
		if v, err := strconv.Atoi(code); err == nil && analyze.IsGateway(v) {
			n += c
		}
	}
	return n
}

// quietRead reports whether the daemon read the quiet past end that a
// resolution needs: each followed log read ResolveAfter past it (records
// stamped so late committed), or to its end. A daemon behind its logs (an
// analysis of a long outage holds its committer up for seconds) has not:
// the lines it is still to read may hold more of the incident's gateway
// errors, and resolved, it would open it again at once (docs/benchmarks.md,
// "The daemon during a live outage").
func (d *Daemon) quietRead(end time.Time) bool {
	return d.status.readPast(end.Add(d.cfg.ResolveAfter))
}

// covered reports whether a gateway error at t belongs to an open
// incident: no reason to analyze at once.
func (d *Daemon) covered(t time.Time) bool {
	gap := d.cfg.Analysis.MergeGap
	for _, s := range d.incidents {
		if s.open() && !t.Before(s.Start.Add(-gap)) && !t.After(s.Latest.End.Add(gap)) {
			return true
		}
	}
	return false
}

// tell resolves (with resolve) the open incidents quiet for ResolveAfter
// before now, announces the updates due, forgets the resolved incidents
// that left the window, and tells the hook of every change (u's and
// these).
func (d *Daemon) tell(now time.Time, u Update, resolve bool) error {
	for _, start := range slices.SortedFunc(maps.Keys(d.incidents), time.Time.Compare) {
		s := d.incidents[start]
		switch {
		case !s.open():
			if s.Latest.End.Before(now.Add(-d.cfg.Window)) {
				delete(d.incidents, start)
			}
			continue
		case resolve && d.quietFor(s, now):
			s.Resolved = now
			u.Resolved = append(u.Resolved, s.Latest)
			slog.Info("incident resolved", "start", s.Start, "end", s.Latest.End, "root_cause", s.Latest.RootCause)
		case d.updateDue(s.Announced, s.Latest, s.Told, now):
			s.Announced, s.Told = s.Latest, now
			u.Updated = append(u.Updated, s.Latest)
			slog.Info("incident updated", "start", s.Start, "end", s.Latest.End, "root_cause", s.Latest.RootCause)
		default:
			continue
		}
		if err := d.keep(s); err != nil {
			return err
		}
	}
	if d.cfg.Hook != nil && len(u.Opened)+len(u.Updated)+len(u.Resolved) > 0 {
		d.cfg.Hook(u)
	}
	return nil
}
