package analyze

import (
	"fmt"
	"strings"

	"github.com/logcause/logcause/internal/numfmt"
)

// mysqlDown: the database server was down or restarted, and PHP could not
// reach it.
var mysqlDown = rule{
	kind:     MySQLDown,
	describe: "the database server was down",
	advice: []string{
		"Check the MySQL/MariaDB error log for why mysqld stopped (crash, OOM kill, shutdown).",
	},
	reads: []signal{sigMySQLRestart, sigMySQLGone, sigOOMKill},
	match: func(e evidenceSet) *Cause {
		restarts, gone := e.sig[sigMySQLRestart], e.sig[sigMySQLGone]
		if restarts.n+gone.n == 0 {
			return nil
		}
		var parts []string
		conf := 0.3
		if restarts.n > 0 {
			parts = append(parts, fmt.Sprintf("the database server restarted at %s", clock(restarts.first().Time)))
			conf += 0.25
		}
		if gone.n > 0 {
			parts = append(parts, fmt.Sprintf("PHP reported %s connection failures to it ([2002] / server has gone away)", numfmt.Int(gone.n)))
			conf += 0.25
		}
		return e.withEvidence(&Cause{Confidence: round2(conf), Summary: strings.Join(parts, "; ")}, restarts, gone)
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		return quoteDatabase(c, cfg), nil
	},
	deeper: []deeperCause{{kind: OOMKill, when: func(e evidenceSet) bool { return e.oomVictim("mysqld", "mariadbd") }}},
}
