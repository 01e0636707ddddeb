package analyze

import (
	"fmt"
)

// upstreamTimeout: the upstream did not answer before nginx's timeout
// (504).
var upstreamTimeout = rule{
	kind:     UpstreamTimeout,
	describe: "the upstream did not answer within nginx's timeout",
	advice: []string{
		"Find what made the upstream slow in this window (PHP-FPM slow log, MySQL slow log) before raising timeouts.",
		"If the slow requests are legitimate, raise fastcgi_read_timeout / proxy_read_timeout in nginx to match PHP's max_execution_time, and keep request_terminate_timeout in the FPM pool just above it.",
	},
	reads: []signal{sigTimeout},
	match: func(e evidenceSet) *Cause {
		return e.lineCause(linkTimeouts, "upstream timed out (110: …)", "the upstream did not answer in time")
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		timeouts := e.sig[sigTimeout]
		c.Settings = cfg.nginx(timeouts, timeoutFor(firstAction(timeouts)))
		if len(c.Settings) > 0 {
			f := "nginx waits " + quotes(c.Settings)
			if lo, hi, ok := e.requestTimes(504); ok {
				f += " and the 504s took " + span(lo, hi)
			}
			found = append(found, f)
			recs = append(recs, fmt.Sprintf("The requests outlasted %s. Find what made them slow first (PHP-FPM slow log, MySQL slow log); if they are legitimate, raise %s there above the slowest of them.", c.Settings[0].Quote, c.Settings[0].Name))
		}
		if pools := cfg.pools(timeouts, list{}); len(pools) > 0 {
			ps := poolSettings(pools, "request_terminate_timeout")
			c.Settings = append(c.Settings, ps...)
			recs = append(recs, "Keep request_terminate_timeout at or just above nginx's timeout, so that PHP stops work nobody waits for any more; now "+quotes(ps)+" (0: never).")
		}
		return found, recs
	},
	deeper: holderKinds,
}

func firstAction(lines list) string {
	for _, ev := range lines.firsts() { // the action is a record's kind's
		if ev.Error != nil {
			return ev.Error.Action
		}
	}
	return ""
}
