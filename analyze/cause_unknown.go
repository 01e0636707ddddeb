package analyze

import (
	"fmt"

	"github.com/logcause/logcause/internal/numfmt"
)

// unknown is the fallback: its cause is given when no other rule matched.
var unknown = rule{
	kind:     Unknown,
	describe: "no log record explains them",
	advice: []string{
		"Include the nginx error log and php-fpm.log of the same host and period, and raise nginx's error_log level to at least `error`.",
	},
	match: func(e evidenceSet) *Cause {
		return &Cause{
			Confidence: 0,
			Summary: fmt.Sprintf("no nginx error-log or php-fpm record in the window explains the %s gateway errors; "+
				"analyze the nginx error log and php-fpm log of the same host and period together with the access log", numfmt.Thousands(e.gateway)),
			Evidence: []Evidence{},
		}
	},
	noConfig: "no record explains the errors, so no setting is known to have shaped them",
}
