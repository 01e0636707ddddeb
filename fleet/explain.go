package fleet

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/internal/printable"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
)

// Incident is a fleet's incident: the analysis of the site's merged
// history, the hosts whose gateway errors it counts, and whether its cause
// is one they share.
type Incident struct {
	analyze.Incident
	// Nodes are the hosts that threw at least MinShare of its gateway
	// errors, the most first.
	Nodes []NodeShare `json:"nodes"`
	// Shared: two nodes or more failed at once for a cause they share (the
	// database, an upstream they all pass to). Otherwise the incident is
	// its first node's.
	Shared bool `json:"shared"`
}

// NodeShare is one host's part of an incident's gateway errors.
type NodeShare struct {
	Host          string  `json:"host"`
	GatewayErrors int64   `json:"gateway_errors"`
	Share         float64 `json:"share"`
}

// sharedCause reports whether a cause lies outside the web nodes: the
// database they all query.
func sharedCause(k analyze.Kind) bool {
	switch k {
	case analyze.MySQLDown, analyze.MySQLTooManyConnections, analyze.DBUnresponsive, analyze.SlowQueries:
		return true
	}
	return false
}

// Reader is what Explain reads: a store of the site's merged history,
// whose records' paths are "host:path" (*store.Store is one).
type Reader interface {
	pipeline.Store
	EventsOf(kind patterns.Kind, from, to time.Time, fn func(*patterns.Event) error) error
}

// Explain analyzes [since, until) of the site's store, and names each
// incident's nodes: the hosts whose gateway-error access lines in its
// window are at least minShare of them.
func Explain(st Reader, since, until time.Time, cfg analyze.Config, minShare float64) ([]Incident, error) {
	res, err := pipeline.Report(st, since, until, cfg)
	if err != nil {
		if err == pipeline.ErrEmptyStore {
			return nil, nil
		}
		return nil, fmt.Errorf("cannot analyze the fleet's history: %w", err)
	}
	out := make([]Incident, 0, len(res.Incidents))
	for _, inc := range res.Incidents {
		fi, err := withNodes(st, inc, minShare)
		if err != nil {
			return nil, err
		}
		out = append(out, fi)
	}
	return out, nil
}

// withNodes is inc with its nodes (the hosts that threw at least minShare
// of its gateway errors, by their access lines in st) and its scope.
func withNodes(st Reader, inc analyze.Incident, minShare float64) (Incident, error) {
	by := map[string]int64{}
	var total int64
	err := st.EventsOf(patterns.KindNginxAccess, inc.Start, inc.End.Add(time.Second), func(ev *patterns.Event) error {
		if ev.Access != nil && analyze.IsGateway(ev.Access.Status) {
			host, _, _ := strings.Cut(ev.Path, ":")
			by[host]++
			total++
		}
		return nil
	})
	if err != nil {
		return Incident{}, fmt.Errorf("cannot read the fleet's gateway errors: %w", err)
	}
	fi := Incident{Incident: inc}
	for host, n := range by {
		if share := float64(n) / float64(total); share >= minShare {
			fi.Nodes = append(fi.Nodes, NodeShare{Host: host, GatewayErrors: n, Share: share})
		}
	}
	slices.SortFunc(fi.Nodes, func(a, b NodeShare) int {
		return cmp.Or(cmp.Compare(b.GatewayErrors, a.GatewayErrors), strings.Compare(a.Host, b.Host))
	})
	fi.Shared = len(fi.Nodes) > 1 && (sharedCause(inc.RootCause) || sharedUpstream(inc))
	return fi, nil
}

// titledWithNodes is deliver (a report's mailer) handed the report with
// each incident titled with its nodes in st (a host with minShare of its
// gateway errors), as the fleet's alerts title it (Announced).
func titledWithNodes(st Reader, minShare float64, deliver func(ctx context.Context, job config.Report, res analyze.Result) error) func(ctx context.Context, job config.Report, res analyze.Result) error {
	return func(ctx context.Context, job config.Report, res analyze.Result) error {
		incs := slices.Clone(res.Incidents)
		for i, inc := range incs {
			fi, err := withNodes(st, inc, minShare)
			if err != nil {
				return err
			}
			if len(fi.Nodes) > 0 {
				incs[i] = fi.Announced()
			}
		}
		res.Incidents = incs
		return deliver(ctx, job, res)
	}
}

// sharedUpstream reports whether the incident's failed requests went
// mostly to one upstream that is not on the node itself (loopback, a
// unix socket): one the nodes share.
func sharedUpstream(inc analyze.Incident) bool {
	if len(inc.TopUpstreams) == 0 {
		return false
	}
	u := inc.TopUpstreams[0].Value
	if _, rest, ok := strings.Cut(u, "://"); ok { // fastcgi://, http://
		u = rest
	}
	local := strings.HasPrefix(u, "unix:") || strings.HasPrefix(u, "127.") || strings.HasPrefix(u, "localhost") || strings.HasPrefix(u, "[::1]")
	return !local
}

// signature is what, changed, makes an incident told again.
func (i Incident) signature() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%t", i.RootCause, i.Shared)
	for _, n := range i.Nodes {
		b.WriteString("|" + n.Host)
	}
	return b.String()
}

// WriteText writes one line of an incident's event: when, the cause,
// shared or whose, the nodes and their shares. Hosts and causes are
// stripped of control characters (a subject's token is what a publisher
// chose).
func WriteText(w io.Writer, event string, inc Incident) error {
	scope := "on one node"
	if inc.Shared {
		scope = fmt.Sprintf("shared by %d nodes", len(inc.Nodes))
	} else if len(inc.Nodes) > 1 {
		scope = fmt.Sprintf("on %d nodes, no shared cause", len(inc.Nodes))
	}
	nodes := make([]string, len(inc.Nodes))
	for i, n := range inc.Nodes {
		nodes[i] = fmt.Sprintf("%s %.0f%% (%d)", printable.String(n.Host), 100*n.Share, n.GatewayErrors)
	}
	_, err := fmt.Fprintf(w, "%s fleet incident %s–%s UTC: %s, %s: %s\n", event,
		inc.Start.UTC().Format(time.DateTime), inc.End.UTC().Format(time.TimeOnly), printable.String(string(inc.RootCause)), scope, strings.Join(nodes, ", "))
	return err
}
