package main

import (
	"github.com/spf13/cobra"

	"github.com/logcause/logcause/config"
)

func newConfigCmd(e env) *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Show an example configuration, or check a configuration file",
		Example: `  logcause config example > /etc/logcause/config.yaml
  logcause config check /etc/logcause/config.yaml`,
	}
	c.AddCommand(&cobra.Command{
		Use:     "example",
		Short:   "Print an example configuration file, every key documented, with the defaults",
		Example: "  logcause config example > /etc/logcause/config.yaml",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := c.OutOrStdout().Write(config.Example)
			return err
		},
	}, &cobra.Command{
		Use:     "check FILE",
		Short:   "Check a configuration file and list the log files its sources match",
		Example: "  logcause config check /etc/logcause/config.yaml",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return config.Usagef("config check needs one FILE (see `logcause config check --help`)")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := config.Load(args[0])
			if err != nil {
				return err
			}
			return cfg.Describe(c.OutOrStdout(), args[0])
		},
	})
	return c
}
