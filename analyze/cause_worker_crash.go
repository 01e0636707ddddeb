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
		if len(resets) == 0 && !terminating {
			return nil
		}
		if len(crashed) == 0 && (len(resets) == 0 || terminating) {
			return nil // the resets are php-fpm's terminations: fpm_request_terminated
		}
		if len(crashed) == 0 && !slices.ContainsFunc(resets, closedPrematurely) {
			// A reset alone is no crash: a reload of php-fpm (fpm_down)
			// cuts requests with the same line.
			return nil
		}
		n := e.linked(linkFPMResets)
		summary := e.matched(n, resetStem, "a worker died mid-request")
		if len(crashed) > 0 {
			summary += "; " + e.stateChange(crashed[0], "php-fpm")
		} else {
			summary += "; php-fpm's log names no dead child in the window (is php-fpm.log included?)"
		}
		return e.cause(n, len(crashed) > 0 && len(resets) > 0, summary, crashed, resets)
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

// childExits sorts php-fpm's "child N exited on signal S" records: those
// it terminated itself (SIGTERM) and those that crashed (any other signal
// but SIGQUIT, a graceful stop).
func childExits(recs []record) (crashed, terminated []record) {
	terminated, others := partition(recs, func(r record) bool { return strings.Contains(r.FPM.Message, sigterm) })
	crashed, _ = partition(others, func(r record) bool { return !strings.Contains(r.FPM.Message, "signal 3 ") })
	return crashed, terminated
}

// exits are the child exits of a set sorted once (childExits): three
// rules ask, and an outage's php-fpm terminates tens of thousands of
// children.
type exits struct {
	done                bool
	crashed, terminated []record
}

// childExits is childExits of the set's child exits, sorted the first
// time a rule asks and kept (a set without the memo, a rule's test's, or
// a rule that does not read them sorts what it sees). The lists are
// full: a caller's append copies.
func (e evidenceSet) childExits() (crashed, terminated []record) {
	if e.exits == nil || e.sig[sigChildSignal] == nil {
		return childExits(e.sig[sigChildSignal])
	}
	if !e.exits.done {
		e.exits.crashed, e.exits.terminated = childExits(e.sig[sigChildSignal])
		e.exits.done = true
	}
	return e.exits.crashed, e.exits.terminated
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
