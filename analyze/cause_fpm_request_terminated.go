package analyze

import (
	"fmt"

	"github.com/logcause/logcause/internal/numfmt"
)

// fpmRequestTerminated: php-fpm killed requests that ran past
// request_terminate_timeout; nginx saw their connections reset.
var fpmRequestTerminated = rule{
	kind:     FPMRequestTerminated,
	describe: "PHP-FPM killed requests at request_terminate_timeout",
	advice: []string{
		"Find why these requests ran so long (PHP-FPM slow log, MySQL slow log).",
		"Keep request_terminate_timeout above PHP's max_execution_time and nginx's fastcgi_read_timeout in step with both.",
	},
	reads:  []signal{sigTerminated, sigReset, sigChildSignal},
	deeper: holderKinds,
	match: func(e evidenceSet) *Cause {
		term := e.sig[sigTerminated]
		if term.n == 0 {
			return nil
		}
		resets, _ := e.split(sigReset)
		_, terminated := e.childExits()
		n := e.linked(linkFPMResets)
		summary := e.matched(n, resetStem, "a worker was killed mid-request") + "; " +
			fmt.Sprintf("php-fpm terminated %s requests at request_terminate_timeout (first: %s)", numfmt.Int(term.n), clock(term.first().Time))
		state, more := e.stateHead(term, terminated)
		c := e.cause(n, resets.n > 0, summary, state, resets)
		c.EvidenceMore += more
		return c
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		term := e.sig[sigTerminated]
		pools := cfg.pools(list{}, term)
		if len(pools) == 0 {
			return nil, nil
		}
		c.Settings = poolSettings(pools, "request_terminate_timeout")
		killed := ""
		if d := term.longest; d > 0 {
			killed = fmt.Sprintf(" killed requests after %.1f s", d)
		}
		found = append(found, quotes(c.Settings)+killed)
		c.Settings = append(c.Settings, cfg.nginx(e.sig[sigReset], "read_timeout")...)
		recs = append(recs, "Find why these requests run so long (PHP-FPM slow log, MySQL slow log); if they are legitimate, raise "+quotes(poolSettings(pools, "request_terminate_timeout"))+" and nginx's fastcgi_read_timeout together.")
		return found, recs
	},
}
