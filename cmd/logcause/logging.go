package main

import (
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/internal/userlog"
)

// The library packages log with log/slog; this command decides where it
// goes. A user running a command reads "logcause: …" lines, like its
// errors: the warnings only (a file skipped, a source that matches
// nothing), never the debug chatter. The daemon (watch) writes a
// structured log from Info up, and --verbose turns the structured log on
// from Debug up for any command (Badger's own log included).

// daemonLog annotates the commands that write the daemon's structured log.
const daemonLog = "daemon-log"

// setLogging installs the log of command c.
func setLogging(c *cobra.Command, stderr io.Writer, verbose bool) {
	var h slog.Handler
	switch {
	case verbose:
		h = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
	case c.Annotations[daemonLog] != "":
		h = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	default:
		h = userlog.New(stderr)
	}
	slog.SetDefault(slog.New(h))
}
