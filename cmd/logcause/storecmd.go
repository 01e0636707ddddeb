package main

import (
	"github.com/spf13/cobra"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/report"
	"github.com/logcause/logcause/store"
)

func newStoreCmd(e env) *cobra.Command {
	c := &cobra.Command{
		Use:   "store",
		Short: "Inspect and prune a kept event store",
		Example: `  logcause store stats --store /var/lib/logcause
  logcause store prune --store /var/lib/logcause --keep-days 14`,
	}
	c.AddCommand(newStoreStatsCmd(), newStorePruneCmd(e))
	return c
}

func newStoreStatsCmd() *cobra.Command {
	var dir, format string
	c := &cobra.Command{
		Use:   "stats",
		Short: "Show a store's size, time range and counts per source",
		Example: `  logcause store stats --store /var/lib/logcause
  logcause store stats --store ./incident-store --format json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return config.Usagef("invalid --format %q: use text or json", format)
			}
			stats, err := store.StatsOf(dir)
			if err != nil {
				return err
			}
			if format == "json" {
				return report.StoreStatsJSON(c.OutOrStdout(), stats)
			}
			return report.StoreStats(c.OutOrStdout(), stats, report.WidthFor(c.OutOrStdout()))
		},
	}
	c.Flags().StringVar(&dir, "store", config.DefaultStore, "the store's `DIR`")
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return c
}

func newStorePruneCmd(e env) *cobra.Command {
	var (
		dir  string
		keep int
	)
	c := &cobra.Command{
		Use:   "prune",
		Short: "Drop the days older than --keep-days and free their disk space",
		Long: `prune drops whole UTC days of events and request counts older than the last
--keep-days days (today included), and reclaims their disk space. Writes are
blocked while it runs: run it off-peak.`,
		Example: `  logcause store prune --store /var/lib/logcause --keep-days 14`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if keep < 1 {
				return config.Usagef("invalid --keep-days %d: keep at least 1 day", keep)
			}
			n, before, after, err := store.PruneDir(c.Context(), dir, keep, e.now())
			if err != nil {
				return err
			}
			return report.Pruned(c.OutOrStdout(), n, after, before)
		},
	}
	c.Flags().StringVar(&dir, "store", config.DefaultStore, "the store's `DIR`")
	c.Flags().IntVar(&keep, "keep-days", 14, "days to keep, today included")
	return c
}
