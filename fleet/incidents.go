package fleet

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/internal/printable"
)

// incidentState is what the Consumer keeps of a fleet incident, in memory
// and in the fleet's store (store.PutIncident, by the start it was first
// told with, as watch keeps its own), so that a restart neither tells
// again what it told nor forgets to resolve it.
type incidentState struct {
	Start    time.Time `json:"start"`  // as first told: its key
	Latest   Incident  `json:"latest"` // as last analyzed: what its resolution tells
	Told     string    `json:"told"`   // the signature last told
	Resolved bool      `json:"resolved,omitempty"`
}

// loadIncidents reads the incidents kept in the store: the open ones, and
// the resolved ones of the last Window before the latest.
func (c *Consumer) loadIncidents() error {
	kept, err := daemon.KeptIncidents(c.st, c.cfg.Window, func(s *incidentState) (time.Time, time.Time, bool) { return s.Start, s.Latest.End, !s.Resolved })
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	maps.Copy(c.incidents, kept)
	return nil
}

// keep writes s to the store.
func (c *Consumer) keep(s *incidentState) error { return daemon.KeepIncident(c.st, s.Start, s) }

// observe takes in the incidents of an analysis: a new one (or a resolved
// one that grew again or changed) opens, an open one whose cause, scope or nodes
// changed is updated. Called with c.mu held.
func (c *Consumer) observe(incs []Incident) (told []event, err error) {
	for _, inc := range incs {
		if len(inc.Nodes) == 0 {
			continue // its gateway-error lines have not come yet: told when they do
		}
		s, found := analyze.MatchIncident(c.incidents, inc.Incident, func(s *incidentState) (time.Time, time.Time) { return s.Start, s.Latest.End })
		ev := ""
		switch {
		case !found:
			s = &incidentState{Start: inc.Start}
			c.incidents[inc.Start] = s
			ev = "opened"
		case s.Resolved && (inc.End.After(s.Latest.End) || s.Told != inc.signature()):
			// It grew again, or a host that was behind brought its lines
			// (a node more, a shared cause): told anew.
			s.Resolved, ev = false, "opened"
		case s.Resolved:
			continue // resolved, and as it was
		case s.Told != inc.signature():
			ev = "updated"
		case inc.End.Equal(s.Latest.End):
			continue
		}
		s.Latest = inc
		if ev != "" {
			s.Told = inc.signature()
			told = append(told, event{ev, inc})
		}
		if err := c.keep(s); err != nil {
			return told, err
		}
	}
	return told, nil
}

// resolve resolves the open incidents quiet for ResolveAfter before last
// (the newest second the store holds: the hosts' time, not this
// machine's), and forgets the resolved ones that left the window. Called
// with c.mu held.
func (c *Consumer) resolve(last time.Time) (told []event, err error) {
	for _, start := range slices.SortedFunc(maps.Keys(c.incidents), time.Time.Compare) {
		s := c.incidents[start]
		switch {
		case s.Resolved:
			if s.Latest.End.Before(last.Add(-c.cfg.Window)) {
				delete(c.incidents, start)
			}
		case !last.Before(s.Latest.End.Add(c.cfg.ResolveAfter)):
			s.Resolved = true
			told = append(told, event{"resolved", s.Latest})
			if err := c.keep(s); err != nil {
				return told, err
			}
		}
	}
	return told, nil
}

// event is an incident told the Hook.
type event struct {
	name string
	inc  Incident
}

// incidentStates are the incidents kept, for the status, each titled with
// its nodes (Announced).
func (c *Consumer) incidentStates() []daemon.IncidentState {
	out := []daemon.IncidentState{}
	for _, start := range slices.SortedFunc(maps.Keys(c.incidents), time.Time.Compare) {
		s := c.incidents[start]
		state := "open"
		if s.Resolved {
			state = "resolved"
		}
		out = append(out, daemon.IncidentState{Incident: s.Latest.Announced(), State: state})
	}
	return out
}

// Announced is the incident as watch's alerts, reports and API tell one:
// its title names its nodes and their shares, and whether its cause is
// shared (the nodes' names stripped of control characters).
func (i Incident) Announced() analyze.Incident {
	a := i.Incident
	nodes := make([]string, len(i.Nodes))
	for k, n := range i.Nodes {
		nodes[k] = fmt.Sprintf("%s %.0f%%", printable.String(n.Host), 100*n.Share)
	}
	scope := "on"
	if i.Shared {
		scope = "shared by"
	}
	a.Title = fmt.Sprintf("%s (fleet: %s %s)", a.Title, scope, strings.Join(nodes, ", "))
	return a
}

// Update is the daemon's Update of an incident's event, titled with its
// nodes: what watch's alerts take (alert.Switch's Notify).
func Update(ev string, inc Incident) daemon.Update {
	var u daemon.Update
	a := inc.Announced()
	switch ev {
	case "opened":
		u.Opened = append(u.Opened, a)
	case "updated":
		u.Updated = append(u.Updated, a)
	case "resolved":
		u.Resolved = append(u.Resolved, a)
	}
	return u
}
