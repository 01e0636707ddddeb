package main

import (
	"cmp"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
)

// configFlags name the config file and what overrides it: --config,
// --tz and --config-root, shared by the commands that read a config file.
type configFlags struct{ config, tz, configRoot string }

// load reads the config file (without one: the defaults, with e's layout
// for sources) with the flags over it (config.LoadWith).
func (f *configFlags) load(e env) (cfg config.Config, zone *time.Location, root string, err error) {
	base := config.Default()
	base.Sources, base.Listen = e.layout, cmp.Or(e.listen, base.Listen)
	return config.LoadWith(f.config, base, f.tz, f.configRoot, e.configRoot)
}

// inputFlags are the flags that say how logs are read, shared by the
// commands that read logs: the config file's, and pipeline.Inputs.
type inputFlags struct {
	configFlags
	pipeline.Inputs // the format's flag name differs per command
}

func (f *inputFlags) register(c *cobra.Command, formatFlag, tzDefault string) {
	c.Flags().StringVar(&f.config, "config", "", "read sources, zones and grok files from the config `FILE` (see `logcause config example`)")
	c.Flags().StringVar(&f.tz, "tz", "", "`ZONE` of stamps without one: IANA name (Europe/Paris), offset (+01:00) or Local"+tzDefault)
	c.Flags().StringVar(&f.configRoot, "config-root", "", "read the servers' nginx, PHP-FPM and MySQL configuration under `DIR` (etc/nginx, etc/php/*/fpm, etc/mysql), to quote in findings (default /)")
	c.Flags().StringVar(&f.NginxConf, "nginx-conf", "", "read the log_format directives of this nginx.conf `FILE` and its includes (default etc/nginx/nginx.conf under --config-root, when it exists)")
	c.Flags().StringArrayVar(&f.LogFormats, "nginx-log-format", nil, "an nginx log_format `DIRECTIVE` as written in nginx.conf, e.g. \"log_format main '$remote_addr [$time_local] \\\"$request\\\" $status';\"; repeatable")
	c.Flags().StringArrayVar(&f.Grok, "grok", nil, "grok `FILE` defining formats (LOGCAUSE_<KIND> patterns); tried before the built-in formats; repeatable")
	c.Flags().StringVar(&f.Format, formatFlag, "", fmt.Sprintf("force the log `FORMAT` of every file instead of detecting it (%v)", patterns.Kinds()))
}

// options turns the flags and the config file into the pipeline's options
// (pipeline.OptionsFor) and the config.
func (f *inputFlags) options(e env) (pipeline.Options, config.Config, error) {
	cfg, zone, root, err := f.load(e)
	if err != nil {
		return pipeline.Options{}, cfg, err
	}
	in := f.Inputs
	in.FromFile, in.Zone, in.ConfigRoot = f.config != "", zone, root
	opts, err := pipeline.OptionsFor(cfg, in)
	return opts, cfg, err
}
