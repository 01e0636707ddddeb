package main

import (
	"cmp"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/alert"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/email"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/store"
)

func newFleetCmd(e env) *cobra.Command {
	var (
		cf                             configFlags
		storeDir, site, format, listen string
	)
	c := &cobra.Command{
		Use:   "fleet [flags]",
		Short: "Merge the hosts of a site from NATS JetStream and report the incidents they share",
		Long: `fleet consumes what a site's watch daemons publish to NATS (the config's
fleet key) into one store, and prints each incident as it opens or changes:
its cause, its hosts and their shares, shared or one host's, and when it
resolves; the config's alerts (alerts:) announce it, and its reports
(reports:) are sent on their schedules (docs/fleet.md).`,
		Example:     `  logcause fleet --config /etc/logcause/config.yaml --site shop`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{daemonLog: "yes"},
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, zone, _, err := cf.load(e)
			if err != nil {
				return err
			}
			if site = cmp.Or(site, cfg.Fleet.Site); site == "" {
				return config.Usagef("no site: give --site or the config's fleet.site")
			}
			limitMemory(daemonMemoryLimit)
			st, err := store.OpenQuiet(cmp.Or(storeDir, filepath.Join(cfg.Store, "fleet-"+site)))
			if err != nil {
				return err
			}
			defer st.Close()
			mailer, err := email.ForConfig(cfg, cmp.Or(zone, time.Local)) // its reports' and its alerts'
			if err != nil {
				return err
			}
			alerts, err := alert.NewSwitch(cfg, alert.Build(alert.Options{Host: "fleet " + site}, func(config.Config) (alert.Mailer, error) {
				if mailer == nil { // no typed nil
					return nil, nil
				}
				return mailer, nil
			}))
			if err != nil {
				return err
			}
			defer alerts.Close() // after the consumer's: it tells the alerts until it stops
			return fleet.Follow(c.Context(), st, fleet.Following{Fleet: cfg.Fleet, Site: site, Out: c.OutOrStdout(), Format: format, Listen: listen, Alerts: alerts,
				Reports: fleet.Reports{Jobs: cfg.Reports, Sender: daemon.AnalyzedSender(st, nil, mailer.SendReport)}})
		},
	}
	c.Flags().StringVar(&cf.config, "config", "", "read fleet.nats from the config `FILE`")
	c.Flags().StringVar(&site, "site", "", "the `SITE` to follow (default: the config's fleet.site)")
	c.Flags().StringVar(&storeDir, "store", "", "keep the fleet's store in `DIR` (default: fleet-SITE under the config's store)")
	c.Flags().StringVar(&format, "format", "text", "print the incidents as `FORMAT`: text or json (one line each)")
	c.Flags().StringVar(&listen, "listen", "off", "serve the API (status, reports, metrics) at `ADDR`: host:port, unix:/path, or off")
	return c
}
