package main

import (
	"cmp"
	"errors"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/alert"
	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/email"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/report"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/store"
)

func newWatchCmd(e env) *cobra.Command {
	var (
		in           inputFlags
		storeDir     string
		interval     time.Duration
		fromStart    bool
		retention    int
		format       string
		resolveAfter time.Duration
		updateEvery  time.Duration
		listen       string
	)
	c := &cobra.Command{
		Use:   "watch [flags] [PATH...]",
		Short: "Follow the logs through rotation and report incidents as they happen",
		Long: `watch follows the live logs under the paths given (without any, the
configured sources, by default the common Debian/Ubuntu layout) through
rotation, and the logs that appear there later, keeps what it reads in the
store, and prints each incident as it opens, grows and resolves. The
config file's alerts (alerts:) announce it; its reports (reports:) are
sent on their schedules.

A restart goes on where watch stopped, losing and repeating no line and
announcing no incident again; the first start reads only what is written
from then on, unless --from-start. --from-start stores the backlog, but
announces only the incidents of the last 15 minutes: those of older lines are told by
` + "`logcause report`" + ` (on watch's store) or ` + "`logcause analyze`" + ` (of the files).
Stamps without a zone are read in this machine's zone unless --tz or the
config says otherwise.

SIGTERM or SIGINT stops it (exit 0); SIGHUP reloads the --config file. For
systemd: contrib/systemd/logcause.service. While it runs, watch holds the
store and serves its status, incidents, reports and metrics on --listen
(127.0.0.1:9841 by default), where ` + "`logcause status`" + ` and ` + "`logcause report`" + ` ask it.
The README says more.`,

		Example: `  # Follow this server's logs
  logcause watch

  # Follow these logs, keeping the store elsewhere, incidents as JSON lines
  logcause watch --store /srv/logcause --format json /var/log/nginx /var/log/php8.2-fpm.log | jq .

  # The API on a unix socket instead of loopback TCP
  logcause watch --listen unix:/run/logcause/api.sock`,
		Args:        cobra.ArbitraryArgs,
		Annotations: map[string]string{daemonCmd: "yes"}, // its log structured, from Info up; its memory limited
		RunE: func(c *cobra.Command, args []string) error {
			opts, cfg, err := in.options(e)
			if err != nil {
				return err
			}
			var none config.NoSourceError
			if _, err = cfg.Paths(args, in.config); errors.As(err, &none) {
				// A daemon installed before the servers it watches (the
				// package on a fresh machine) follows their logs once
				// they appear, instead of failing and being restarted by
				// systemd for ever.
				slog.Warn("none of the sources exists yet: watching for them to appear", "sources", none.Where)
			} else if err != nil {
				return err
			}
			switch {
			case interval <= 0:
				return config.Usagef("invalid --interval %s: give a positive duration such as 10s", interval)
			case !slices.Contains(report.EventFormats, format):
				return config.Usagef("invalid --format %q: give one of %v", format, report.EventFormats)
			case resolveAfter < 0 || updateEvery < 0:
				return config.Usagef("invalid --resolve-after or --update-every: give a positive duration such as 30s")
			}
			if retention = cmp.Or(retention, cfg.RetentionDays); retention < 1 {
				return config.Usagef("invalid --retention-days %d: keep at least 1 day", retention)
			}
			st, err := store.OpenQuiet(cmp.Or(storeDir, cfg.Store)) // idle most of the time: no compaction workers polling
			if err != nil {
				return err
			}
			defer st.Close()
			hostname, _ := os.Hostname()
			pub, err := fleet.StartPublishing(cfg.Fleet, hostname, st) // nil without a fleet key
			if err != nil {
				return err
			}
			defer pub.Close() // before the store's
			stack := func() *stackconf.Config { return stackconf.ReadRoot(opts.ConfigRoot) }
			s, err := watchSettings(opts, cfg, args, st, stack)
			if err != nil {
				return err
			}
			life, err := daemon.SystemdLifecycle(os.Getenv)
			if err != nil {
				return err
			}
			if in.config != "" { // without a config file, SIGHUP has nothing to read (the log says so)
				life.Load = func() (daemon.Settings, error) {
					opts, cfg, err := in.options(e)
					if err != nil {
						return daemon.Settings{}, err
					}
					return watchSettings(opts, cfg, args, st, stack)
				}
			}
			if !c.Flags().Changed("listen") {
				listen = cfg.Listen
			}
			alerts, err := alertSwitch(cfg, alert.Options{}, func(cfg config.Config) (*email.Mailer, error) { return email.ForConfig(cfg, nil) })
			if err != nil {
				return err
			}
			defer alerts.Close() // after the daemon's: it tells the alerts until it stops
			life.OnReload = alerts.Reload
			hup, stop := hangups()
			defer stop()
			life.Hangups = hup
			out := c.OutOrStdout()
			d := daemon.New(st, daemon.Config{
				Watch: s.Watch, Options: s.Options, Inotify: true, Zone: s.Options.Zone, Limits: opts.Limits, FromStart: fromStart,
				Interval: interval, Retention: retention, Now: e.now, OnCommit: pub.OnCommit(e.onCommit), ResolveAfter: resolveAfter, UpdateEvery: updateEvery,
				Stack: stack,
				Hook: func(u daemon.Update) {
					// The terminal's width now: it may have been resized.
					if err := report.Events(out, format, u.Opened, u.Updated, u.Resolved, report.WidthFor(out)); err != nil {
						slog.Error("cannot print the incident", "err", err)
					}
					alerts.Notify(u)
					pub.Incidents(u.Opened, u.Updated, u.Resolved)
				},
				Reports: s.Reports, Sender: s.Sender, Lifecycle: life,
			})
			defer d.Close()
			if !api.Off(listen) {
				srv, err := api.Start(listen, st.Dir(), d, api.Options{Zone: opts.Zone, Now: e.now, Collectors: pub.Collectors(), Alerts: func() api.AlertCounts {
					s := alerts.Stats()
					return api.AlertCounts{SentTo: s.SentTo, Failed: s.Failed, Dropped: s.Dropped, Folded: s.Folded}
				}})
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
	c.Flags().DurationVar(&interval, "interval", 10*time.Second, "analyze the recent logs and resolve quiet incidents every `DURATION` (a gateway error is analyzed at once)")
	c.Flags().BoolVar(&fromStart, "from-start", false, "on the first start, read the live logs from their beginning (their old incidents are not announced: `logcause report` tells them)")
	c.Flags().StringVar(&listen, "listen", "", "serve the API at `ADDR`: host:port, unix:/path/to/socket, or off (default: the config's listen, "+config.DefaultListen+")")
	c.Flags().IntVar(&retention, "retention-days", 0, "keep `N` days in the store, pruning older ones once a day (default: the config's retention_days, 14)")
	c.Flags().StringVar(&format, "format", "text", "print the incidents' events as `FORMAT`: text (the report's section) or json (one line per event)")
	c.Flags().DurationVar(&resolveAfter, "resolve-after", 0, "resolve an incident quiet for `DURATION` (default 30s)")
	c.Flags().DurationVar(&updateEvery, "update-every", 0, "print an incident again at most every `DURATION`, when its cause changed or its errors grew by half (default 30s)")
	return c
}

// watchSettings is what a reload replaces (daemon.SettingsOf), the
// reports mailed through the config's smtp server.
func watchSettings(opts pipeline.Options, cfg config.Config, args []string, st *store.Store, stack func() *stackconf.Config) (daemon.Settings, error) {
	opts.Zone = cmp.Or(opts.Zone, time.Local)
	mailer, err := email.ForConfig(cfg, opts.Zone) // watch refuses to start when alert mails cannot be sent either
	if err != nil {
		return daemon.Settings{}, err
	}
	return daemon.SettingsOf(args, opts, cfg, st, stack, mailer.SendReport), nil
}
