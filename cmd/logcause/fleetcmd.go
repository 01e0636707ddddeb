package main

import (
	"cmp"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/alert"
	"github.com/logcause/logcause/config"
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
(reports:) are sent on their schedules (docs/fleet.md). SIGHUP reloads
the --config file's alerts and reports (a broken one keeps the running
ones, the log says why); the fleet key needs a restart.`,
		Example:     `  logcause fleet --config /etc/logcause/config.yaml --site shop`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{daemonCmd: "yes"},
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, zone, _, err := cf.load(e)
			if err != nil {
				return err
			}
			if site = cmp.Or(site, cfg.Fleet.Site); site == "" {
				return config.Usagef("no site: give --site or the config's fleet.site")
			}
			st, err := store.OpenQuiet(cmp.Or(storeDir, filepath.Join(cfg.Store, "fleet-"+site)))
			if err != nil {
				return err
			}
			defer st.Close()
			reports := func(cfg config.Config, zone *time.Location) (fleet.Reports, error) {
				mailer, err := fleet.MailerFor(cfg, site, cmp.Or(zone, time.Local)) // its reports'
				return fleet.Reports{Jobs: cfg.Reports, Deliver: mailer.SendReport}, err
			}
			rep, err := reports(cfg, zone)
			if err != nil {
				return err
			}
			alerts, err := alertSwitch(cfg, alert.Options{Host: "fleet " + site}, func(cfg config.Config) (*email.Mailer, error) {
				return fleet.MailerFor(cfg, site, cmp.Or(zone, time.Local)) // its alerts'
			})
			if err != nil {
				return err
			}
			defer alerts.Close() // after the consumer's: it tells the alerts until it stops
			fw := fleet.Following{Fleet: cfg.Fleet, Site: site, Out: c.OutOrStdout(), Format: format, Listen: listen, Alerts: alerts, Reports: rep, OnReload: alerts.Reload}
			hup, stop := hangups()
			defer stop()
			fw.Hangups = hup
			if cf.config != "" { // without a config file, SIGHUP has nothing to read (the log says so)
				fw.Load = func() (config.Config, fleet.Reports, error) {
					cfg, zone, _, err := cf.load(e)
					if err != nil {
						return cfg, fleet.Reports{}, err
					}
					rep, err := reports(cfg, zone)
					return cfg, rep, err
				}
			}
			return fleet.Follow(c.Context(), st, fw)
		},
	}
	c.Flags().StringVar(&cf.config, "config", "", "read fleet.nats from the config `FILE`")
	c.Flags().StringVar(&site, "site", "", "the `SITE` to follow (default: the config's fleet.site)")
	c.Flags().StringVar(&storeDir, "store", "", "keep the fleet's store in `DIR` (default: fleet-SITE under the config's store)")
	c.Flags().StringVar(&format, "format", "text", "print the incidents as `FORMAT`: text or json (one line each)")
	c.Flags().StringVar(&listen, "listen", "off", "serve the API (status, reports, metrics) at `ADDR`: host:port, unix:/path, or off")
	return c
}
