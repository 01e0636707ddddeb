package analyze

import (
	"fmt"
	"strings"

	"github.com/logcause/logcause/internal/numfmt"
)

// oomKill: the kernel's OOM killer killed the backend. It comes before
// worker_crash and fpm_down (a PHP process killed) and mysql_down (the
// database killed) in their chains.
var oomKill = rule{
	kind:     OOMKill,
	describe: "the kernel's OOM killer killed the backend",
	advice: []string{
		"Lower pm.max_children or memory_limit so that max_children × worker RSS fits in RAM, or add memory.",
	},
	reads: []signal{sigOOMKill, sigChildSignal, sigReset, sigRefused, sigMySQLGone},
	match: func(e evidenceSet) *Cause {
		kills := e.sig[sigOOMKill]
		if kills.n == 0 {
			return nil
		}
		var victims []string
		for _, k := range kills.head(5) {
			victims = append(victims, fmt.Sprintf("%s (pid %d, %s MiB resident)", k.Syslog.Comm, k.Syslog.VictimPID, numfmt.Thousands(int64(k.Syslog.AnonRSSKB>>10))))
		}
		summary := fmt.Sprintf("the kernel's OOM killer killed %s", strings.Join(victims, ", "))
		conf := 0.5
		matched := e.killedChildren()
		switch {
		case len(matched) > 0:
			conf = 0.95
			summary += fmt.Sprintf("; php-fpm logged %s of these children as killed by SIGKILL", numfmt.Int(len(matched)))
		case e.oomVictim("php") && e.n(sigReset)+e.n(sigRefused) > 0, e.oomVictim("mysqld", "mariadbd") && e.n(sigMySQLGone) > 0:
			conf = 0.8
		}
		return e.withEvidence(&Cause{Confidence: conf, Summary: summary}, kills, wholeList(matched))
	},
	noConfig: "memory runs out for the sum of every process on the machine, which no one setting logcause reads decides",
}

// killedChildren returns the children php-fpm logged killed by signal 9
// (a SIGTERM is no SIGKILL) whose pid is a victim's, in their order, each
// once per kill of that pid.
func (e evidenceSet) killedChildren() []record {
	var matched []record
	if e.agg == nil || e.agg.children == nil || e.agg.oom == nil {
		return nil
	}
	for _, ev := range e.agg.children.killed.kept {
		for range e.agg.oom.pids[ev.child()] {
			matched = append(matched, ev)
		}
	}
	return matched
}

// oomVictim reports whether the OOM killer killed a process whose name
// starts with one of prefixes.
func (e evidenceSet) oomVictim(prefixes ...string) bool {
	if e.agg == nil || e.agg.oom == nil {
		return false
	}
	for comm := range e.agg.oom.comms {
		for _, p := range prefixes {
			if strings.HasPrefix(comm, p) {
				return true
			}
		}
	}
	return false
}
