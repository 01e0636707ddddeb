package analyze

import (
	"fmt"
	"strings"
)

// fpmWorkerExhaustion: the pool hit max_children; new connections overflow
// the unix socket's backlog (502, EAGAIN) or wait out nginx's timeouts on
// TCP (504), which then follow it in the chain.
var fpmWorkerExhaustion = rule{
	kind:     FPMWorkerExhaustion,
	describe: "PHP-FPM ran out of workers (pm.max_children reached)",
	advice: []string{
		"Raise pm.max_children in the PHP-FPM pool if memory allows: max_children ≈ (RAM for PHP) / (average worker RSS, see `ps -o rss -C php-fpm`).",
		"Find what held the workers busy: enable request_slowlog_timeout = 5s and slowlog in the pool, and check the MySQL slow log for the same minutes.",
		"Raise listen.backlog in the pool (and net.core.somaxconn) so short bursts queue instead of failing with EAGAIN.",
	},
	reads: []signal{sigMaxChildren, sigBacklogFull, sigTimeout, sigTrace, sigTooSlow},
	match: func(e evidenceSet) *Cause {
		maxc, full, timeouts := e.sig[sigMaxChildren], e.sig[sigBacklogFull], e.sig[sigTimeout]
		if maxc.n == 0 && full.n == 0 {
			return nil
		}
		nginx, linkNginx := full, linkBacklogFull
		if maxc.n > 0 {
			nginx, linkNginx = join(full, timeouts), linkExhaustion
		}
		var parts []string
		if full.n > 0 {
			parts = append(parts, e.matched(e.linked(linkBacklogFull), "connect() … failed (11: Resource temporarily unavailable)", "the PHP-FPM socket's listen queue was full"))
		}
		if maxc.n > 0 && timeouts.n > 0 {
			parts = append(parts, e.matched(e.linked(linkTimeouts), "upstream timed out", "requests waited for a free worker"))
		}
		if maxc.n > 0 {
			parts = append(parts, e.stateChange(maxc.first(), "php-fpm"))
		} else {
			parts = append(parts, "php-fpm's log shows no max_children warning in the window (is php-fpm.log included?)")
		}
		if t := e.traces(); t.n == 0 {
			parts = append(parts, e.missingTraces())
		} else if t.dominant(holdOwn) {
			parts = append(parts, t.share(holdOwn, "were in")+": the scripts' own work, nothing outside PHP held them: the load alone exceeded the pool")
		} else if t.dominant(holdFileLock) {
			parts = append(parts, t.share(holdFileLock, "waited in")+": a lock on a file, held by another request or process")
		}
		return e.cause(e.linked(linkNginx), maxc.n > 0 && nginx.n > 0, strings.Join(parts, "; "), maxc, nginx)
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		nginx := join(e.sig[sigBacklogFull], e.sig[sigTimeout])
		pools := cfg.pools(nginx, e.sig[sigMaxChildren])
		if len(pools) == 0 {
			return nil, nil
		}
		c.Settings = poolSettings(pools, "pm", "pm.max_children", "listen.backlog")
		found = append(found, "the pool's limits: "+quotes(c.Settings))
		for _, p := range pools {
			mc := p.Get("pm.max_children")
			first := fmt.Sprintf("Find what held the workers first: set request_slowlog_timeout = 5s and slowlog in the pool (now %s).", p.Get("request_slowlog_timeout").String())
			switch t := e.traces(); {
			case t.dominant(holdOwn):
				first = fmt.Sprintf("The PHP-FPM slow log (%s) shows the requests in their own code, held by nothing outside PHP: size the pool for the load, or make the slowest pages cheaper (profile them).", p.Get("request_slowlog_timeout").String())
			case t.n > 0:
				first = fmt.Sprintf("Fix what held the workers first: the PHP-FPM slow log (%s) says where the requests waited.", p.Get("request_slowlog_timeout").String())
			case e.n(sigTooSlow) > 0:
				first = fmt.Sprintf("Find what held the workers first: give logcause the pool's slow log (%s), where php-fpm traced the slow requests.", p.Get("slowlog").String())
			}
			recs = append(recs, fmt.Sprintf("Raise %s in pool [%s] if memory allows: max_children ≈ (RAM for PHP) / (worker RSS, `ps -o rss -C php-fpm`). %s",
				mc.String(), p.Name, first))
			if e.n(sigBacklogFull) > 0 {
				recs = append(recs, fmt.Sprintf("Raise %s in pool [%s], and net.core.somaxconn, so that short bursts queue instead of failing with EAGAIN.", p.Get("listen.backlog").String(), p.Name))
			}
		}
		return found, recs
	},
	deeper: holderKinds,
	leadsTo: func(e evidenceSet) Kind {
		if e.n(sigTimeout) > 0 && e.n(sigMaxChildren) > 0 {
			return UpstreamTimeout // the requests waited for a worker until nginx gave up
		}
		return ""
	},
}
