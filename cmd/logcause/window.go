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

// parse reads the flags at now in loc (config.ParseWindow); an end not
// given is zero, or now when untilNow is set.
func (w *windowFlags) parse(now time.Time, loc *time.Location, untilNow bool) (since, until time.Time, err error) {
	return config.ParseWindow(w.since, w.until, now, loc, untilNow)
}
