package analyze

import (
	"fmt"

	"github.com/logcause/logcause/internal/numfmt"
)

// mysqlTooManyConnections: the database refused PHP's connections at
// max_connections.
var mysqlTooManyConnections = rule{
	kind:     MySQLTooManyConnections,
	describe: "the database refused connections (max_connections)",
	advice: []string{
		"Raise max_connections in MySQL/MariaDB, or lower pm.max_children × connections per request; avoid persistent connections per worker.",
	},
	reads: []signal{sigTooManyConns},
	match: func(e evidenceSet) *Cause {
		refused := e.sig[sigTooManyConns]
		if refused.n == 0 {
			return nil
		}
		return e.withEvidence(&Cause{Confidence: round2(0.4 + 0.4*min(1, float64(refused.n)/float64(max(e.gateway, 1)))),
			Summary: fmt.Sprintf("PHP reported %s times that the database refused a connection ([1040] Too many connections)", numfmt.Int(refused.n))},
			list{}, refused)
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		found = quoteDatabase(c, cfg)
		if my := cfg.stack.MySQL; my != nil {
			recs = append(recs, fmt.Sprintf("Keep %s above the PHP workers that may each hold a connection (%s), plus what other clients need.",
				my.Get("max_connections").String(), quotes(poolSettings(cfg.stack.FPM, "pm.max_children"))))
		}
		return found, recs
	},
}
