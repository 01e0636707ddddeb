package main

import (
	"cmp"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/stackconf"
)

type reportFlags struct {
	out      outputFlags
	mail     mailFlags
	window   windowFlags
	storeDir string
	cf       configFlags
}

func newReportCmd(e env) *cobra.Command {
	var fl reportFlags
	c := &cobra.Command{
		Use:   "report [flags]",
		Short: "Explain the 502/504 spikes of a window of time from a kept store, without reading logs",
		Long: `report analyses what a kept store holds (written by ` + "`logcause analyze --store`" + ` or
` + "`logcause watch`" + `) in the window [--since, --until), and renders it as analyze
does, without reading any log. A store that ` + "`logcause watch`" + ` holds is reported
by the daemon itself, over its API. With --email, the report is mailed
through the config file's smtp server instead of printed.

Exit status: 0 when the report was written (or mailed), 1 when the store
could not be read or the mail not sent, 2 for a usage error.`,
		Example: `  # Yesterday, a calendar day in this machine's zone (or --tz, or the config's tz)
  logcause report --since yesterday --until yesterday

  # The last 24 hours of a store, as JSON
  logcause report --store ./incident-store --since 24h --format json

  # Yesterday's report mailed (smtp settings in the config file), or as one HTML page
  logcause report --config /etc/logcause/config.yaml --email ops@example.com --since yesterday --until yesterday
  logcause report --since yesterday --until yesterday --format html --output yesterday.html`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runReport(c, fl, e) },
	}
	fl.out.register(c)
	fl.mail.register(c)
	fl.window.register(c, "now")
	c.Flags().StringVar(&fl.storeDir, "store", "", "read the store in `DIR` (default: the config's store, "+config.DefaultStore+")")
	c.Flags().StringVar(&fl.cf.config, "config", "", "read the store, zone and config root from the config `FILE`")
	c.Flags().StringVar(&fl.cf.tz, "tz", "", "`ZONE` of --since and --until without one: IANA name (Europe/Paris), offset (+01:00) or Local (default: the config's tz, else this machine's zone)")
	c.Flags().StringVar(&fl.cf.configRoot, "config-root", "", "read the servers' nginx, PHP-FPM and MySQL configuration under `DIR`, to quote in findings (default /)")
	return c
}

func runReport(c *cobra.Command, fl reportFlags, e env) error {
	render, err := fl.out.renderer(c)
	if err != nil {
		return err
	}
	cfg, zone, root, err := fl.cf.load(e)
	if err != nil {
		return err
	}
	since, until, err := config.ParseWindow(fl.window.since, fl.window.until, e.now(), zone, true)
	if err != nil {
		return err
	}
	mailer, err := fl.mail.mailer(cfg, zone)
	if err != nil {
		return err
	}
	acfg := analyze.DefaultConfig
	acfg.Stack = stackconf.ReadRoot(root)
	res, _, err := api.StoreReport(c.Context(), cmp.Or(fl.storeDir, cfg.Store, config.DefaultStore), since, until, acfg)
	if err != nil {
		return err
	}
	_, err = fl.mail.deliver(c, mailer, res, fl.out.Output, render)
	return err
}
