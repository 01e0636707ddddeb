// Command logcause finds why a PHP site behind nginx threw 502/504 errors:
// it reads the nginx, PHP-FPM and MySQL logs, finds the spikes of gateway
// errors and links each to its root cause, with evidence and a fix.
//
// This package only wires: flags → config → the library packages
// (pipeline, daemon, store, analyze, report); docs/architecture.md draws
// the flow.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/internal/interrupt"
	"github.com/logcause/logcause/internal/userlog"
)

// Exit codes that scripts can rely on (and those of a stop by a signal:
// signals.go).
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

func main() {
	limitMemory(memoryLimit)
	os.Exit(interrupt.Run(os.Stderr, func(ctx context.Context, scratch *interrupt.Scratch) int {
		return run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, now: time.Now, configRoot: "/", layout: config.CommonLayout(), scratch: scratch})
	}))
}

// Soft memory limits, unless GOMEMLIMIT sets one. Badger's flushes peak
// far above its live heap; a soft limit keeps the peak bounded
// (shared/docs/dependencies.md). A batch analysis in a temporary store
// (store.OpenTemp's profile) peaks at ~65 MiB live on an outage-heavy log
// (docs/benchmarks.md, "The outage's records"): 104 MiB cost it a few
// percent more CPU than 144, for ~35 MB less peak (126–132 MB in all; at
// 112 MiB 136–149). Since its events are decoded in place (store.EventsBare
// lends them) it makes far less garbage and collects less often: at 104
// MiB its peak rose to 141–159 MB, at 96 MiB 127–135 MB for about the CPU
// of 104 (88 MiB: 118–125 MB, ~10% more CPU; "The outage's reading
// back"). A store that lives (--store) flushes 16 MiB memtables and
// compacts: 144 MiB cost that one 30% more CPU.
//
// A daemon (the commands annotated daemonCmd: watch, fleet) holds a live
// heap of ~30 MiB (its store's caches included: store.OpenQuiet) and must
// keep RSS flat and under 100 MB for months; at the default limit the
// collector lets the heap grow to twice the live one and the RSS wander
// with it (the soak). 64 MiB holds it there; a first start that reads
// weeks of logs from the start pays for it in collections.
const (
	memoryLimit        = 256 << 20
	scratchMemoryLimit = 96 << 20
	daemonMemoryLimit  = 64 << 20
)

// limitMemory sets the soft memory limit to n bytes, unless GOMEMLIMIT
// sets it.
func limitMemory(n int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(n)
	}
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, e env) int {
	slog.SetDefault(slog.New(userlog.New(e.stderr))) // until the command is known: newRootCmd
	root := newRootCmd(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var stop interrupt.Stopped
	if errors.As(context.Cause(ctx), &stop) {
		return stop.ExitCode() // stopped, as interruptible said when the signal came
	}
	if errors.Is(err, syscall.EPIPE) {
		return interrupt.ExitBrokenPipe // the output was closed (| head): nobody reads a message either
	}
	fmt.Fprintf(e.stderr, "logcause: %v\n", err)
	// Ours, those of flags (newRootCmd's flag error function), and the
	// unknown command that cobra makes itself.
	var ue config.UsageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
		return exitUsage
	}
	return exitRuntime
}
