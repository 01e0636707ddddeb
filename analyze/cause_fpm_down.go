package analyze

import (
	"slices"
	"strings"

	"github.com/logcause/logcause/patterns"
)

// fpmDown: nothing listened on the PHP-FPM socket: php-fpm stopped, was
// restarting, could not bind, or listens elsewhere.
var fpmDown = rule{
	kind:     FPMDown,
	describe: "PHP-FPM was not running or not accepting connections",
	advice: []string{
		"Check that PHP-FPM runs and listens where nginx connects: `systemctl status php*-fpm`, and compare the pool's `listen =` with nginx's fastcgi_pass.",
		"If it was a restart or reload, schedule reloads with `systemctl reload` (graceful) instead of restart, and check php-fpm.log for why it stopped.",
	},
	reads: []signal{sigRefused, sigNoSocket, sigFPMStop, sigFPMBindFail, sigFPMStart, sigOOMKill},
	match: func(e evidenceSet) *Cause {
		refused, _ := e.split(sigRefused)
		missing, _ := e.split(sigNoSocket)
		down := append(refused, missing...)
		stopped := e.n(sigFPMStop)+e.n(sigFPMBindFail) > 0 && e.gateway > 0
		if len(down) == 0 && !stopped {
			return nil
		}
		fpm := slices.Concat(e.sig[sigFPMStop], e.sig[sigFPMBindFail], e.sig[sigFPMStart])
		n := e.explain(down)
		parts := []string{e.matched(n, "connect() … failed (111: Connection refused / 2: No such file or directory)", "nothing listened on the PHP-FPM socket")}
		if stops := e.sig[sigFPMStop]; len(stops) > 0 {
			parts = append(parts, e.stateChange(stops[0], "php-fpm"))
		}
		return e.cause(n, len(down) > 0 && len(fpm) > 0, strings.Join(parts, "; "), fpm, down)
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		lines := append(slices.Clone(e.sig[sigNoSocket]), e.sig[sigRefused]...)
		if pools := cfg.pools(lines, nil); len(pools) > 0 {
			c.Settings = poolSettings(pools, "listen")
			found = append(found, "the pool that listens there: "+quotes(c.Settings))
		} else if up := firstFastCGI(lines); up != "" && len(cfg.stack.FPM) > 0 {
			c.Settings = poolSettings(cfg.stack.FPM, "listen")
			found = append(found, "no PHP-FPM pool listens on "+strings.TrimPrefix(up, "fastcgi://")+": "+quotes(c.Settings))
			recs = append([]string{"Make nginx's fastcgi_pass and the pool's listen name the same socket."}, c.Recommendations...) // the advice
		}
		return found, recs
	},
	deeper: deeperCause{kind: OOMKill, when: func(e evidenceSet) bool { return e.oomVictim("php") }},
}

func firstFastCGI(lines []*patterns.Event) string {
	for _, ev := range lines {
		if fastcgi(ev) {
			return ev.Error.Upstream
		}
	}
	return ""
}
