package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/spf13/cobra"
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
		h = newUserHandler(stderr)
	}
	slog.SetDefault(slog.New(h))
}

// userHandler writes warnings and errors as a user's messages:
// "logcause: <message>: <path>: <err or reason> (<other key> <value>, …)".
type userHandler struct {
	w     io.Writer
	mu    *sync.Mutex
	attrs []slog.Attr
}

func newUserHandler(w io.Writer) *userHandler { return &userHandler{w: w, mu: new(sync.Mutex)} }

func (h *userHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *userHandler) Handle(_ context.Context, r slog.Record) error {
	var path, why string
	var rest []string
	add := func(a slog.Attr) bool {
		switch v := a.Value.Resolve(); {
		case a.Key == "path" && path == "":
			path = v.String()
		case (a.Key == "err" || a.Key == "reason" || a.Key == "problem") && why == "":
			why = v.String()
		case v.Kind() == slog.KindGroup:
			for _, g := range v.Group() {
				rest = append(rest, g.Key+" "+g.Value.String())
			}
		default:
			rest = append(rest, a.Key+" "+v.String())
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	var b strings.Builder
	b.WriteString("logcause: ")
	b.WriteString(r.Message)
	for _, s := range []string{path, why} {
		if s != "" {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	if len(rest) > 0 {
		b.WriteString(" (" + strings.Join(rest, ", ") + ")")
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *userHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

// WithGroup keeps the group's attributes, without its name: a user's
// message has no hierarchy.
func (h *userHandler) WithGroup(string) slog.Handler { return h }
