// Command logcause finds why a PHP site behind nginx threw 502/504 errors:
// it reads the nginx, PHP-FPM and MySQL logs, finds the spikes of gateway
// errors and links each to its root cause, with evidence and a fix.
//
// This package only wires the stages together: ingest → patterns → store →
// analyze → report.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Exit codes that scripts can rely on.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		// Badger's flushes peak far above its live heap; a soft limit keeps
		// the peak bounded (shared/docs/dependencies.md).
		debug.SetMemoryLimit(256 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "logcause: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return exitUsage
	}
	return exitRuntime
}
