package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/internal/interrupt"
	"github.com/logcause/logcause/internal/userlog"
	"github.com/logcause/logcause/pipeline"
)

// env is what the commands take from the machine they run on; tests give
// their own.
type env struct {
	stdout, stderr io.Writer
	now            func() time.Time
	// configRoot is where the servers' configuration is read by default:
	// on the server, its root.
	configRoot string
	// layout is the sources read without a path or a config file.
	layout []config.Source
	// progress hears how analyze's load advances; nil: a bar on stderr
	// when it is a terminal.
	progress pipeline.Progress
	// scratch are the temporary directories a forced exit removes; nil:
	// none is kept.
	scratch *interrupt.Scratch
	// onCommit hears of each commit of watch's daemon (tests); nil: none.
	onCommit func(path string)
	// listen is where watch serves its API without --listen or a config
	// file; "": config.DefaultListen. Tests say off: test runs in parallel
	// would fight over the port.
	listen string
}

// daemonCmd annotates the commands that run as daemons (watch, fleet):
// they write the daemon's structured log, from Info up (the library
// packages log with log/slog, and the command decides where it goes:
// userlog.For), and run under daemonMemoryLimit.
const daemonCmd = "daemon"

func newRootCmd(e env) *cobra.Command {
	root := &cobra.Command{
		Use:   "logcause",
		Short: "Find why nginx answered 502/504: root causes from nginx, PHP-FPM and MySQL logs",
		Long: `logcause reads the logs a PHP stack already writes (nginx access and error
logs, PHP-FPM logs), finds the spikes of 502/504 responses and links each
to its root cause, with the evidence lines, a confidence and the fix.`,
		Example: `  # Why did the site throw 502s? Analyze everything under /var/log:
  logcause analyze /var/log

  # The same, as JSON for other tools:
  logcause analyze --format json /var/log/nginx /var/log/php8.2-fpm.log`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var verbose bool
	root.PersistentFlags().BoolVar(&verbose, "verbose", false, "write the structured log on stderr, debug messages included")
	root.PersistentPreRun = func(c *cobra.Command, _ []string) {
		daemon := c.Annotations[daemonCmd] != ""
		slog.SetDefault(slog.New(userlog.For(e.stderr, daemon, verbose)))
		if daemon {
			limitMemory(daemonMemoryLimit)
		}
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return config.UsageError{Err: fmt.Errorf("%w (see `%s --help`)", err, c.CommandPath())}
	})
	root.AddCommand(newAnalyzeCmd(e), newWatchCmd(e), newParseCmd(e), newReportCmd(e), newStatusCmd(e), newStoreCmd(e), newConfigCmd(e), newFleetCmd(e), newVersionCmd(), newManCmd())
	return root
}

// atLeastOneArg is cobra.MinimumNArgs(1) with a usage error and a hint.
func atLeastOneArg(what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return config.Usagef("%s needs at least one %s (see `%s --help`)", c.CommandPath(), what, c.CommandPath())
		}
		return nil
	}
}
