// Package userlog answers one question: how does a log record read to a
// person running a command? The library packages log with log/slog; a
// command's user reads their warnings and errors as "logcause: …" lines,
// like the command's own errors, and never the debug chatter; a daemon
// and --verbose write the structured log instead (For).
package userlog

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// For returns the handler of a command's log, written to w. A user
// running a command reads its messages (New): the warnings only, never the
// debug chatter. A daemon writes the structured log from Info up; verbose
// turns the structured log on from Debug up, for any command.
func For(w io.Writer, daemon, verbose bool) slog.Handler {
	switch {
	case verbose:
		return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	case daemon:
		return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})
	}
	return New(w)
}

// handler writes warnings and errors as a user's messages:
// "logcause: <message>: <path>: <err or reason> (<other key> <value>, …)".
type handler struct {
	w     io.Writer
	mu    *sync.Mutex
	attrs []slog.Attr
}

// New returns the handler of a user's messages, written to w: warnings
// and errors only, each a "logcause: <message>: <path>: <reason> (<other
// key> <value>, …)" line.
func New(w io.Writer) slog.Handler { return &handler{w: w, mu: new(sync.Mutex)} }

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *handler) Handle(_ context.Context, r slog.Record) error {
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

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

// WithGroup keeps the group's attributes, without its name: a user's
// message has no hierarchy.
func (h *handler) WithGroup(string) slog.Handler { return h }
