package fleet

import (
	"context"
	"maps"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/pipeline"
)

var _ api.Daemon = (*Consumer)(nil)

// Status is what the fleet's API serves of the Consumer (api.Daemon): the
// store, its commits (one per batch of messages), the incidents opened by
// root cause and the gateway errors merged, by status: as watch counts
// those it committed, the requests with a gateway error status (502, 504,
// 009) of the hosts' seconds the Consumer committed to the site's store
// since it started. It names no followed file.
func (c *Consumer) Status() daemon.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := daemon.Status{Started: c.started, Running: c.running, Err: c.err, Store: c.st.Dir(), Commits: c.commits,
		LastCommit: c.lastCommit, Files: []daemon.FileStatus{}, Incidents: c.incidentStates(), Opened: maps.Clone(c.opened), GatewayErrors: maps.Clone(c.gateway)}
	if n, err := c.st.DiskUsage(); err == nil {
		s.StoreBytes = n
	}
	return s
}

// Report analyzes [since, until) of the site's store: the report of the
// hosts merged (api.Daemon).
func (c *Consumer) Report(ctx context.Context, since, until time.Time) (analyze.Result, error) {
	if err := ctx.Err(); err != nil {
		return analyze.Result{}, err
	}
	return pipeline.Report(c.st, since, until, c.cfg.Analysis)
}

// setRunning records that Run follows the stream (or why it does not).
func (c *Consumer) setRunning(running bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if running && c.started.IsZero() {
		c.started = time.Now()
	}
	c.running, c.err = running, ""
	if err != nil {
		c.err = err.Error()
	}
}
