package main

import (
	"cmp"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/config"
)

func newStatusCmd(e env) *cobra.Command {
	var (
		cf       configFlags
		storeDir string
		format   string
	)
	c := &cobra.Command{
		Use:   "status [flags]",
		Short: "Show what the running `logcause watch` does: the logs it follows, its incidents, its store",
		Long: `status asks the ` + "`logcause watch`" + ` that holds the store, over its API (watch --listen),
what it does: the files it follows (format, records read and unparsed, bytes
not read yet), its commits, the incidents of its window, the store's size.

Exit status: 0 when the daemon answered, 1 when none holds the store or it
could not be asked, 2 for a usage error.`,
		Example: "  logcause status\n  logcause status --store /srv/logcause --format json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, _, _, err := cf.load(e)
			if err != nil {
				return err
			}
			return api.PrintStatus(c.Context(), c.OutOrStdout(), cmp.Or(storeDir, cfg.Store, config.DefaultStore), format, e.now())
		},
	}
	c.Flags().StringVar(&storeDir, "store", "", "the store the daemon holds, `DIR` (default: the config's store, "+config.DefaultStore+")")
	c.Flags().StringVar(&cf.config, "config", "", "read the store from the config `FILE`")
	c.Flags().StringVar(&format, "format", "text", "text or json")
	return c
}
