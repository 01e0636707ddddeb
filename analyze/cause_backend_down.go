package analyze

import (
	"fmt"
	"slices"

	"github.com/logcause/logcause/internal/numfmt"
)

// backendDown: a proxied backend (anything but PHP-FPM) did not accept
// connections, or nginx had marked every server of its group down.
var backendDown = rule{
	kind:     BackendDown,
	describe: "the backend was unreachable",
	advice: []string{
		"Check that every server in the upstream block is up and listening; `no live upstreams` follows earlier connect failures that marked the servers down (max_fails / fail_timeout).",
	},
	reads: []signal{sigRefused, sigNoSocket, sigUnreachable, sigNoLive},
	match: func(e evidenceSet) *Cause {
		_, refused := e.split(sigRefused)
		_, missing := e.split(sigNoSocket)
		unreachable := join(refused, missing, e.sig[sigUnreachable])
		noLive := e.sig[sigNoLive]
		if unreachable.n == 0 && noLive.n == 0 {
			return nil
		}
		nginx := join(unreachable, noLive)
		summary := e.matched(e.linked(linkUnreachable), "connect() … failed (refused / unreachable)", "the backend did not accept connections")
		if noLive.n > 0 {
			summary += fmt.Sprintf("; %s `no live upstreams` lines: nginx had marked every server of the upstream group down", numfmt.Int(noLive.n))
		}
		return e.cause(e.linked(linkBackendDown), false, summary, list{}, nginx)
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		lines := join(e.sig[sigRefused], e.sig[sigNoLive], e.sig[sigUnreachable])
		connect := cfg.nginx(lines, "connect_timeout")
		fails, timeout := cfg.serverParams(lines, "max_fails"), cfg.serverParams(lines, "fail_timeout")
		c.Settings = slices.Concat(connect, fails, timeout)
		if len(fails) > 0 && len(timeout) > 0 {
			found = append(found, fmt.Sprintf("nginx takes a server out of the group for %s after %s failed attempts (connecting with %s)", quotes(timeout), quotes(fails), quotes(connect)))
			recs = append(recs, fmt.Sprintf("Bring the servers back (check that each listens), then size the group's tolerance: with %s a server that fails that often is left alone for %s; add a `backup` server, or more servers, so that one failure does not leave `no live upstreams`.",
				quotes(fails), quotes(timeout)))
		}
		return found, recs
	},
}
