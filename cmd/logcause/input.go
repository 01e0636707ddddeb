package main

import (
	"cmp"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/stackconf"
)

// configFlags name the config file and what overrides it: --config,
// --tz and --config-root, shared by the commands that read a config file.
type configFlags struct{ config, tz, configRoot string }

// load reads the config file (without one: the defaults, with e's layout
// for sources), the zone and the config root; the flags win over the
// file. A zone or a config root that is not one is a usage error.
func (f *configFlags) load(e env) (cfg config.Config, zone *time.Location, root string, err error) {
	cfg = config.Default()
	cfg.Sources = e.layout
	cfg.Listen = cmp.Or(e.listen, cfg.Listen)
	if f.config != "" {
		if cfg, err = config.Load(f.config); err != nil {
			return cfg, nil, "", err
		}
	}
	if zone, err = config.ParseZone(cmp.Or(f.tz, cfg.TZ)); err != nil {
		return cfg, nil, "", usageError{err}
	}
	root = cmp.Or(f.configRoot, cfg.ConfigRoot, e.configRoot)
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return cfg, nil, "", usagef("invalid --config-root %s: not a directory (give the directory that holds the servers' etc/, / on the server itself)", root)
	}
	return cfg, zone, root, nil
}

// inputFlags are the flags that say how logs are read, shared by the
// commands that read logs.
type inputFlags struct {
	configFlags
	nginxConf  string
	logFormats []string // log_format directives given as text
	grok       []string
	format     string // the log format to force; its flag name differs per command
}

func (f *inputFlags) register(c *cobra.Command, formatFlag, tzDefault string) {
	c.Flags().StringVar(&f.config, "config", "", "read sources, zones and grok files from the config `FILE` (see `logcause config example`)")
	c.Flags().StringVar(&f.tz, "tz", "", "`ZONE` of stamps without one: IANA name (Europe/Paris), offset (+01:00) or Local"+tzDefault)
	c.Flags().StringVar(&f.configRoot, "config-root", "", "read the servers' nginx, PHP-FPM and MySQL configuration under `DIR` (etc/nginx, etc/php/*/fpm, etc/mysql), to quote in findings (default /)")
	c.Flags().StringVar(&f.nginxConf, "nginx-conf", "", "read the log_format directives of this nginx.conf `FILE` and its includes (default etc/nginx/nginx.conf under --config-root, when it exists)")
	c.Flags().StringArrayVar(&f.logFormats, "nginx-log-format", nil, "an nginx log_format `DIRECTIVE` as written in nginx.conf, e.g. \"log_format main '$remote_addr [$time_local] \\\"$request\\\" $status';\"; repeatable")
	c.Flags().StringArrayVar(&f.grok, "grok", nil, "grok `FILE` defining formats (LOGCAUSE_<KIND> patterns); tried before the built-in formats; repeatable")
	c.Flags().StringVar(&f.format, formatFlag, "", fmt.Sprintf("force the log `FORMAT` of every file instead of detecting it (%v)", patterns.Kinds()))
}

// options turns the flags and the config file into the pipeline's options
// and the config; errors are usage errors, but for files that cannot be
// read. The flags win over the config file.
func (f *inputFlags) options(e env) (pipeline.Options, config.Config, error) {
	opts := pipeline.Options{Limits: ingest.DefaultLimits}
	cfg, zone, root, err := f.load(e)
	if err != nil {
		return opts, cfg, err
	}
	opts.Zone, opts.ConfigRoot = zone, root
	if f.config != "" {
		for _, s := range cfg.Sources { // every source, so that the first that matches a file wins
			opts.Overrides = append(opts.Overrides, pipeline.Override{Pattern: s.Path, Format: s.Kind(), Zone: s.Zone()})
		}
	}
	if f.format != "" {
		if opts.Format, err = patterns.ParseKind(f.format); err != nil {
			return opts, cfg, usageError{err}
		}
	}
	if opts.Grok, err = patterns.LoadGrokFiles(append(slices.Clone(f.grok), cfg.Grok...)); err != nil {
		return opts, cfg, err
	}
	given, err := stackconf.ParseLogFormatDirectives(append(slices.Clone(f.logFormats), cfg.NginxLogFormats...))
	if err != nil {
		return opts, cfg, usageError{err}
	}
	fromConf, err := stackconf.LogFormatsUnder(root, cmp.Or(f.nginxConf, cfg.NginxConf))
	opts.Access = append(given, fromConf...)
	return opts, cfg, err
}

// paths returns the paths to read: those given, or else the configured
// sources (the common layout without a config file) that exist here.
func (f *inputFlags) paths(args []string, cfg config.Config) ([]string, error) {
	if len(args) > 0 {
		return args, nil
	}
	paths, missing, err := cfg.Expand()
	if err != nil {
		return nil, err
	}
	if f.config != "" {
		for _, m := range missing {
			slog.Warn("a configured source matches no file", "path", m, "config", f.config)
		}
	}
	if len(paths) == 0 {
		where := "the common layout (/var/log/nginx, /var/log/php*-fpm.log, /var/log/mysql, /var/log/kern.log)"
		if f.config != "" {
			where = "the sources of " + f.config
		}
		return nil, usagef("no path given, and none of %s exists here: give the logs' files or directories, or a --config listing them", where)
	}
	return paths, nil
}
