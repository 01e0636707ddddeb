package analyze

import (
	"slices"
	"strings"
)

// workerCrash: a PHP-FPM worker died under a request (segfault, a kill),
// and nginx saw the connection reset before the response header.
var workerCrash = rule{
	kind:     WorkerCrash,
	describe: "PHP-FPM workers died mid-request",
	advice: []string{
		"Look for the crash cause: core dumps (`coredumpctl`), the kernel log for OOM kills, and PHP extensions updated recently.",
		"Set pm.max_requests (e.g. 500) to recycle workers that leak memory.",
	},
	reads: []signal{sigReset, sigTerminated, sigChildSignal, sigOOMKill},
	match: func(e evidenceSet) *Cause {
		resets, _ := e.split(sigReset) // a proxied backend's are invalid_upstream_response
		crashed, _ := e.childExits()
		terminating := e.n(sigTerminated) > 0
		if resets.n == 0 && !terminating {
			return nil
		}
		if crashed.n == 0 && (resets.n == 0 || terminating) {
			return nil // the resets are php-fpm's terminations: fpm_request_terminated
		}
		if crashed.n == 0 && !slices.ContainsFunc(resets.firsts(), closedPrematurely) { // the message is a record's kind's
			// A reset alone is no crash: a reload of php-fpm (fpm_down)
			// cuts requests with the same line.
			return nil
		}
		n := e.linked(linkFPMResets)
		summary := e.matched(n, resetStem, "a worker died mid-request")
		if crashed.n > 0 {
			summary += "; " + e.stateChange(crashed.first(), "php-fpm")
		} else {
			summary += "; php-fpm's log names no dead child in the window (is php-fpm.log included?)"
		}
		return e.cause(n, crashed.n > 0 && resets.n > 0, summary, crashed, resets)
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		if pools := cfg.pools(e.sig[sigReset], e.sig[sigChildSignal]); len(pools) > 0 {
			c.Settings = poolSettings(pools, "pm.max_requests")
			found = append(found, quotes(c.Settings))
		}
		return found, nil
	},
	deeper: []deeperCause{{kind: OOMKill, when: func(e evidenceSet) bool { return e.oomVictim("php") }}},
}

// resetStem is how nginx's lines about a worker that died under a request
// begin (sigReset).
const resetStem = "recv() failed (104: Connection reset by peer) / upstream prematurely closed connection"

// childExits sorts the children that exited on a signal: those php-fpm
// ended itself (SIGTERM: terminated, as it stops the requests it
// terminates), and those that crashed (but SIGQUIT, a graceful stop).
// The halves are kept as the records come (splits): an outage's php-fpm
// ends tens of thousands of children; the crashed are sorted from the
// SIGQUIT exits as they come too (childAgg).
func (e evidenceSet) childExits() (crashed, terminated list) {
	terminated, _ = e.split(sigChildSignal)
	if e.agg != nil && e.agg.children != nil {
		crashed = e.agg.children.crashed
	}
	return crashed, terminated
}

// sigterm is how php-fpm's message of a child's exit names SIGTERM
// ("child 26128 exited on signal 15 (SIGTERM) after 274.8 seconds from
// start"), and sigtermExit the message analysis keeps of such exits
// (keeper.keep).
const (
	sigterm     = "signal 15 "
	sigtermExit = "exited on signal 15 (SIGTERM)"
)

// closedPrematurely reports whether nginx saw the upstream close the
// connection before the response header: a worker that died.
func closedPrematurely(ev record) bool {
	return ev.Error != nil && strings.HasPrefix(ev.Error.Message, "upstream prematurely closed")
}
