package main

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/report"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/store"
)

func newWatchCmd(e env) *cobra.Command {
	var (
		in        inputFlags
		storeDir  string
		interval  time.Duration
		fromStart bool
		retention int
		listen    string
	)
	c := &cobra.Command{
		Use:   "watch [flags] [PATH...]",
		Short: "Follow the logs through rotation and report incidents as they happen",
		Long: `watch follows the live logs under the paths given (without any, the
configured sources, by default the common Debian/Ubuntu layout) through
rotation and truncation, keeps what it reads in the store, and every
--interval analyzes the last 15 minutes and prints each new incident.

Positions are committed with the events they cover: after a crash or a
restart, watch goes on where it stopped, losing and repeating nothing. On
its first start it reads only what is written from then on, unless
--from-start. Stamps without a zone are read in this machine's zone unless
--tz or the config says otherwise: watch runs where the logs are written.

The store is locked while watch runs: stop it to run store commands on it.
While it runs, it serves its status, incidents, reports and Prometheus
metrics over HTTP on --listen (loopback port 9841 by default), where
` + "`logcause status`" + ` and ` + "`logcause report`" + ` ask it.`,
		Example: `  # Follow this server's logs
  logcause watch

  # Follow these logs, keeping the store elsewhere, analyzing every 30 s
  logcause watch --store /srv/logcause --interval 30s /var/log/nginx /var/log/php8.2-fpm.log

  # The API on a unix socket instead of loopback TCP
  logcause watch --listen unix:/run/logcause/api.sock`,
		Args:        cobra.ArbitraryArgs,
		Annotations: map[string]string{daemonLog: "yes"}, // its log is structured, from Info up
		RunE: func(c *cobra.Command, args []string) error {
			opts, cfg, err := in.options(e)
			if err != nil {
				return err
			}
			if opts.Zone == nil {
				opts.Zone = time.Local
			}
			if args, err = in.paths(args, cfg); err != nil {
				return err
			}
			if interval <= 0 {
				return usagef("invalid --interval %s: give a positive duration such as 10s", interval)
			}
			if retention = cmp.Or(retention, cfg.RetentionDays); retention < 1 {
				return usagef("invalid --retention-days %d: keep at least 1 day", retention)
			}
			st, err := store.OpenQuiet(cmp.Or(storeDir, cfg.Store)) // idle most of the time: no compaction workers polling
			if err != nil {
				return err
			}
			defer st.Close()
			files, err := pipeline.LiveFiles(args, opts)
			if err != nil {
				return err
			}
			if !c.Flags().Changed("listen") {
				listen = cfg.Listen
			}
			out := c.OutOrStdout()
			d := daemon.New(st, daemon.Config{
				Files: files, Zone: opts.Zone, Limits: opts.Limits, FromStart: fromStart,
				Interval: interval, Retention: retention, Now: e.now, OnCommit: e.onCommit,
				Stack: func() *stackconf.Config { return stackconf.ReadRoot(opts.ConfigRoot) },
				// A second of latency; an idle daemon wakes 4× less than at 250 ms.
				Waker: func(string) ingest.Waker { return ingest.NewTickWaker(time.Second) },
				Hook: func(u daemon.Update) {
					// The terminal's width now: it may have been resized.
					if err := report.Incidents(out, u.Result, u.Opened, reportWidth(out)); err != nil {
						slog.Error("cannot print the incident", "err", err)
					}
				},
			})
			defer d.Close()
			if !api.Off(listen) {
				srv, err := api.Start(listen, st.Dir(), d, api.Options{Zone: opts.Zone, Now: e.now})
				if err != nil {
					return err
				}
				defer srv.Close() // before the daemon and the store: a report in flight reads the store
			}
			return d.Run(c.Context())
		},
	}
	in.register(c, "log-format", " (default Local)")
	c.Flags().StringVar(&storeDir, "store", "", "keep the store in `DIR` (default: the config's store, "+config.DefaultStore+")")
	c.Flags().DurationVar(&interval, "interval", 10*time.Second, "analyze the recent logs every `DURATION`")
	c.Flags().BoolVar(&fromStart, "from-start", false, "on the first start, read the live logs from their beginning")
	c.Flags().StringVar(&listen, "listen", "", "serve the API at `ADDR`: host:port, unix:/path/to/socket, or off (default: the config's listen, "+config.DefaultListen+")")
	c.Flags().IntVar(&retention, "retention-days", 0, "keep `N` days in the store, pruning older ones once a day (default: the config's retention_days, 14)")
	return c
}
