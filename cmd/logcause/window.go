package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/config"
)

// windowFlags are --since and --until: the window of time analysed.
type windowFlags struct{ since, until string }

func (w *windowFlags) register(c *cobra.Command, untilDefault string) {
	const forms = ": a duration back from now (24h, 90m, 7d), a time (2026-12-01T08:00, RFC 3339), a day (2026-12-01, yesterday, today); times and days without a zone are in --tz, else the config's tz, else this machine's zone"
	c.Flags().StringVar(&w.since, "since", "", "analyse from `WHEN` on (a day: its start; default: the first record)"+forms)
	c.Flags().StringVar(&w.until, "until", "", "analyse up to `WHEN`, excluded (a day: its end, so --since yesterday --until yesterday is yesterday); default "+untilDefault)
}

// parse reads the flags at now in loc (nil: this machine's zone); an end
// not given is zero, or now when untilNow is set. Errors are usage errors.
func (w *windowFlags) parse(now time.Time, loc *time.Location, untilNow bool) (since, until time.Time, err error) {
	now = now.Truncate(time.Second)
	if w.since != "" {
		if since, err = config.ParseInstant(w.since, now, loc, false); err != nil {
			return since, until, usagef("invalid --since: %v", err)
		}
	}
	if untilNow {
		until = now
	}
	if w.until != "" {
		if until, err = config.ParseInstant(w.until, now, loc, true); err != nil {
			return since, until, usagef("invalid --until: %v", err)
		}
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return since, until, usagef("invalid window: --since %s is not before --until %s", since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	return since, until, nil
}
