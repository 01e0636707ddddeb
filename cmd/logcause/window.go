package main

import (
	"github.com/spf13/cobra"
)

// windowFlags are --since and --until: the window of time analysed
// (config.ParseWindow).
type windowFlags struct{ since, until string }

func (w *windowFlags) register(c *cobra.Command, untilDefault string) {
	const forms = ": a duration back from now (24h, 90m, 7d), a time (2026-12-01T08:00, RFC 3339), a day (2026-12-01, yesterday, today); times and days without a zone are in --tz, else the config's tz, else this machine's zone"
	c.Flags().StringVar(&w.since, "since", "", "analyse from `WHEN` on (a day: its start; default: the first record)"+forms)
	c.Flags().StringVar(&w.until, "until", "", "analyse up to `WHEN`, excluded (a day: its end, so --since yesterday --until yesterday is yesterday); default "+untilDefault)
}
