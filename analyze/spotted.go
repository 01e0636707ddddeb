package analyze

import (
	"fmt"
	"runtime"
	"time"

	"github.com/logcause/logcause/timeline"
)

// Window is the span [Start, End) of an incident Spot found, with its
// gateway errors: what the caller of Explain decides on whether an
// earlier explanation of it will do.
type Window struct {
	Start, End time.Time
	Gateway    int64
}

// Explanation is an incident as explained, with the configuration its
// findings quote (nil: none).
type Explanation struct {
	Incident Incident
	Config   *ConfigUse
}

// Windows returns the windows of the incidents spotted, in time order.
func (sp *Spotted) Windows() []Window {
	out := make([]Window, len(sp.windows))
	for i, w := range sp.windows {
		out[i] = Window{w.start, w.end, w.gateway}
	}
	return out
}

// Explain explains the incidents spotted and returns the analysis, with
// the explanation of each window (in Windows' order). earlier is nil, or
// holds for each window an earlier explanation to reuse instead of
// explaining it (nil: explain it). A reused explanation is made current in
// what the window's seconds tell (refresh: its span, requests, statuses
// and upstreams); the rest (causes, chain, evidence, top lists, title) is
// as it was when it was explained. Explaining an incident reads all its
// records; reusing one reads its seconds only.
func (sp *Spotted) Explain(r Reader, cfg Config, earlier []*Explanation) (Result, []Explanation, error) {
	res, xs := sp.res, make([]Explanation, len(sp.windows))
	var (
		fresh []window
		at    []int // the index of each of fresh in windows
	)
	for i, w := range sp.windows {
		if i < len(earlier) && earlier[i] != nil {
			inc, err := refresh(r, earlier[i].Incident, w)
			if err != nil {
				return res, nil, err
			}
			xs[i] = Explanation{inc, earlier[i].Config}
			continue
		}
		fresh, at = append(fresh, w), append(at, i)
	}
	for j, x := range explainAll(r, fresh, cfg, runtime.GOMAXPROCS(0)) {
		if x.err != nil {
			return res, nil, x.err
		}
		xs[at[j]].Incident = x.inc
		if x.quoted {
			xs[at[j]].Config = &ConfigUse{Root: cfg.Stack.Root, Files: cfg.Stack.Files, Problems: cfg.Stack.Problems}
		}
	}
	res.Incidents = make([]Incident, 0, len(xs))
	for _, x := range xs {
		res.Incidents = append(res.Incidents, x.Incident)
		if res.Config == nil {
			res.Config = x.Config
		}
	}
	return res, xs, nil
}

// refresh returns inc, explained earlier, with what w's seconds tell now:
// its span, requests, 5xx statuses and shares by upstream.
func refresh(r Reader, inc Incident, w window) (Incident, error) {
	var err error
	inc.Start, inc.End = w.start, w.end
	inc.Requests, inc.Status, inc.ByUpstream, err = windowCounts(r, w)
	return inc, err
}

// windowCounts reads w's seconds and returns what they tell of its
// incident (secondsCounts): what explain counts first, and refresh
// anew.
func windowCounts(r Reader, w window) (requests int64, status map[string]int64, byUpstream []UpstreamShare, err error) {
	secs, err := r.Seconds(w.start, w.end)
	if err != nil {
		return 0, map[string]int64{}, nil, fmt.Errorf("cannot read the request counts of the incident at %s: %w", w.start.Format(time.RFC3339), err)
	}
	requests, status, byUpstream = secondsCounts(secs)
	return requests, status, byUpstream, nil
}

// secondsCounts returns what an incident's seconds tell of it: its
// requests, its responses by 5xx (and gateway) status, and how each
// upstream fared.
func secondsCounts(secs []timeline.Second) (requests int64, status map[string]int64, byUpstream []UpstreamShare) {
	status = map[string]int64{}
	shares := map[string]*UpstreamShare{}
	for _, s := range secs {
		for _, c := range s.Status {
			requests += c.Count
			if c.Code >= 500 || isGateway(c.Code) {
				status[statusKey(c.Code)] += c.Count
			}
		}
		for _, u := range s.Upstreams {
			sh := shares[u.Addr]
			if sh == nil {
				sh = &UpstreamShare{Upstream: u.Addr}
				shares[u.Addr] = sh
			}
			sh.Requests += u.Status.Requests()
			sh.GatewayErrors += gatewayErrors(u.Status)
		}
	}
	return requests, status, upstreamShares(shares)
}
