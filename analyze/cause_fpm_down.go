package analyze

import (
	"fmt"
	"slices"
	"strings"

	"github.com/logcause/logcause/internal/numfmt"
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
	reads: []signal{sigRefused, sigNoSocket, sigFPMStop, sigFPMReload, sigFPMBindFail, sigFPMStart, sigOOMKill, sigReset, sigChildSignal},
	match: func(e evidenceSet) *Cause {
		refused, _ := e.split(sigRefused)
		missing, _ := e.split(sigNoSocket)
		down := join(refused, missing)
		if at, n := e.reloadCut(); at != nil {
			summary := reloadHeadline(at, n) + ": " + e.matched(n, resetStem, "the reload ended the workers under them") + "; " + e.stateChange(*at, "php-fpm") +
				"; no child exited on a signal: a reload, not a crash"
			resets, _ := e.split(sigReset)
			c := e.cause(n, true, summary, join(e.sig[sigFPMReload], e.sig[sigFPMStart]), resets)
			c.Recommendations = reloadAdvice
			return c
		}
		stopped := e.n(sigFPMStop)+e.n(sigFPMBindFail) > 0 && e.gateway > 0
		if down.n == 0 && !stopped {
			return nil
		}
		fpm := join(e.sig[sigFPMStop], e.sig[sigFPMReload], e.sig[sigFPMBindFail], e.sig[sigFPMStart])
		n := e.linked(linkFPMDown)
		parts := []string{e.matched(n, "connect() … failed (111: Connection refused / 2: No such file or directory)", "nothing listened on the PHP-FPM socket")}
		if stops := e.sig[sigFPMStop]; stops.n > 0 {
			parts = append(parts, e.stateChange(stops.first(), "php-fpm"))
		}
		return e.cause(n, down.n > 0 && fpm.n > 0, strings.Join(parts, "; "), fpm, down)
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		if at, _ := e.reloadCut(); at != nil {
			return quoteReload(e, c, cfg)
		}
		lines := join(e.sig[sigNoSocket], e.sig[sigRefused])
		if pools := cfg.pools(lines, list{}); len(pools) > 0 {
			c.Settings = poolSettings(pools, "listen")
			found = append(found, "the pool that listens there: "+quotes(c.Settings))
		} else if up := firstFastCGI(lines); up != "" && len(cfg.stack.FPM) > 0 {
			c.Settings = poolSettings(cfg.stack.FPM, "listen")
			found = append(found, "no PHP-FPM pool listens on "+strings.TrimPrefix(up, "fastcgi://")+": "+quotes(c.Settings))
			recs = append([]string{"Make nginx's fastcgi_pass and the pool's listen name the same socket."}, c.Recommendations...) // the advice
		}
		return found, recs
	},
	deeper: []deeperCause{{kind: OOMKill, when: func(e evidenceSet) bool { return e.oomVictim("php") }}},
	headline: func(e evidenceSet) string {
		if at, n := e.reloadCut(); at != nil {
			return reloadHeadline(at, n)
		}
		return ""
	},
}

func firstFastCGI(lines list) string {
	for _, ev := range lines.firsts() { // fastcgi is a record's kind's
		if fastcgi(ev) {
			return ev.Error.Upstream
		}
	}
	return ""
}

// reloadCut finds a reload of php-fpm (SIGUSR2: `systemctl reload`, a
// deploy) that cut the requests in flight: nginx saw their connections
// reset — the line a crashed worker gives — while php-fpm logged the
// reload and no child that died on a signal; a reload keeps the socket,
// so there is no connect error either (with them it is a stop or a
// restart). It returns php-fpm's first record of the reload and how many
// gateway errors the resets explain; nil when there is no such reload.
func (e evidenceSet) reloadCut() (at *record, cut int) {
	reloads := e.sig[sigFPMReload]
	resets, _ := e.split(sigReset)
	refused, _ := e.split(sigRefused)
	missing, _ := e.split(sigNoSocket)
	crashed, _ := e.childExits()
	if reloads.n == 0 || resets.n == 0 || refused.n+missing.n+crashed.n > 0 {
		return nil, 0
	}
	at = new(reloads.first())
	return at, e.linked(linkFPMResets)
}

// reloadHeadline says when php-fpm was reloaded and what it cut.
func reloadHeadline(at *record, cut int) string {
	return fmt.Sprintf("php-fpm was reloaded at %s and cut %s in-flight requests", clock(at.Time), numfmt.Int(cut))
}

// reloadAdvice is the fix of requests cut by a reload.
var reloadAdvice = []string{
	"Let reloads finish the requests in flight: set process_control_timeout in php-fpm's [global] section (e.g. 30s; 0, the default, lets the master kill its children at once), a little above the longest request.",
	"Drain before a deploy: take the server out of the load balancer (or stop sending it new requests) until the requests in flight are done, then reload; schedule reloads (`systemctl reload php*-fpm`, logrotate's postrotate) outside peak traffic.",
}

// quoteReload quotes the setting that lets a reload cut requests.
func quoteReload(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
	pools := cfg.pools(e.sig[sigReset], e.sig[sigFPMReload])
	if len(pools) == 0 {
		return nil, nil
	}
	s := setting(pools[0].Global("process_control_timeout"))
	c.Settings = []Setting{s}
	recs = slices.Clone(reloadAdvice)
	recs[0] = fmt.Sprintf("Let reloads finish the requests in flight: raise %s in php-fpm's [global] section to a little above the longest request (e.g. 30s); with 0 the master kills its children at once.", s.Quote)
	return []string{"the reload waited " + s.Quote + " for the requests in flight"}, recs
}
