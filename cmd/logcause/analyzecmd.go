package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/internal/progress"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/report"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/store"
)

type analyzeFlags struct {
	out      outputFlags
	mail     mailFlags
	window   windowFlags
	storeDir string
	input    inputFlags
}

func newAnalyzeCmd(e env) *cobra.Command {
	var fl analyzeFlags
	c := &cobra.Command{
		Use:   "analyze [flags] [PATH...]",
		Short: "Find the 502/504 spikes in logs and explain each one",
		Long: `analyze reads the logs in the files and directories given (recursively,
compressed ones included; without any, the configured sources, by default
the common Debian/Ubuntu layout), finds the spikes of 502/504 responses in
the nginx access log and explains each with the other logs: root cause,
causal chain, confidence, evidence lines and the fix. Stamps without a zone
are read in --tz, else in the offset of the access log read with them,
else in this machine's zone; the report says which.

Exit status: 0 when every file was read, 1 when a file could not be read
(the report still covers the others), 2 for a usage error, 130 or 143 when
SIGINT (Ctrl-C) or SIGTERM stopped it (its temporary store removed).`,
		Example: `  # The demo: a PHP-FPM pool running out of workers, captured on real servers
  logcause analyze testdata/demo

  # This server's logs where Debian and Ubuntu put them, or a config file's sources
  logcause analyze
  logcause analyze --config /etc/logcause/config.yaml

  # A server's logs, rotated and gzipped files included, from another zone, as JSON
  logcause analyze --tz Europe/Paris --format json /var/log/nginx /var/log/php8.2-fpm.log*

  # One HTML page (timeline chart, a card per incident), or Markdown for a ticket
  logcause analyze testdata/demo --format html --output demo.html
  logcause analyze --format markdown --output incident.md /var/log

  # Keep the parsed events for later runs; a log in a format of your own, in grok
  logcause analyze --store /var/lib/logcause /var/log
  logcause analyze --grok lb.grok /var/log/lb /var/log/php8.2-fpm.log`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return runAnalyze(c, args, fl, e)
		},
	}
	fl.out.register(c)
	fl.mail.register(c)
	fl.window.register(c, "the last record loaded")
	c.Flags().StringVar(&fl.storeDir, "store", "", "keep the store in `DIR` (default: a temporary store, removed at exit)")
	fl.input.register(c, "log-format", "")
	return c
}

func runAnalyze(c *cobra.Command, args []string, fl analyzeFlags, e env) error {
	render, err := fl.out.renderer(c)
	if err != nil {
		return err
	}
	opts, cfg, err := fl.input.options(e)
	if err != nil {
		return err
	}
	if opts.Since, opts.Until, err = config.ParseWindow(fl.window.since, fl.window.until, e.now(), opts.Zone, false); err != nil {
		return err
	}
	if args, err = cfg.Paths(args, fl.input.config); err != nil {
		return err
	}
	mailer, err := fl.mail.mailer(cfg, opts.Zone)
	if err != nil {
		return err
	}
	opts.Progress = e.progress
	if bar := progress.OnTerminal(c.ErrOrStderr()); opts.Progress == nil && bar != nil {
		opts.Progress = bar
	}
	st, err := store.OpenOrTemp(fl.storeDir)
	if err != nil {
		return err
	}
	if fl.storeDir == "" {
		defer e.scratch.Add(st.Dir())() // after Close: a second signal during Close removes it too
		limitMemory(scratchMemoryLimit)
	}
	defer st.Close()

	acfg := analyze.DefaultConfig
	acfg.Stack = stackconf.ReadRoot(opts.ConfigRoot)
	res, problems, err := pipeline.Analyze(c.Context(), args, st.NewWriter(), st, opts, acfg)
	if err != nil {
		return err
	}
	where, err := fl.mail.deliver(c, mailer, res, fl.out.Output, render)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("the report %s is incomplete: %w", where, errors.Join(problems...))
	}
	return nil
}

// outputFlags are --format and --output, shared by analyze and report.
type outputFlags struct{ report.Output }

func (o *outputFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&o.Format, "format", "text", "output format: text, json, markdown or html")
	c.Flags().StringVar(&o.File, "output", "", "write the report to `FILE` (whole or not at all) instead of stdout")
}

// renderer is the renderer of --format; a usage error for another value.
func (o *outputFlags) renderer(c *cobra.Command) (report.RenderFunc, error) {
	render, err := o.Renderer(c.OutOrStdout())
	if err != nil {
		return nil, config.UsageError{Err: err}
	}
	return render, nil
}
