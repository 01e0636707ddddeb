package userlog

import (
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

// TestUserMessages: the path and the reason follow the message, other
// attributes come in brackets, and nothing below a warning is written.
func TestUserMessages(t *testing.T) {
	var b strings.Builder
	l := slog.New(New(&b))
	l.Warn("skipping an unreadable file", "path", "/var/log/x.log", "err", errors.New("permission denied"))
	l.With("config", "/etc/logcause.yaml").Warn("a configured source matches no file", "path", "/srv/*.log")
	l.Error("cannot line the log up", "path", "/e.log", "reason", "no request", "seen", 3)
	l.Info("skipping an empty file", "path", "/empty.log")
	l.Debug("unparsed record", "path", "/a.log")
	want := "logcause: skipping an unreadable file: /var/log/x.log: permission denied\n" +
		"logcause: a configured source matches no file: /srv/*.log (config /etc/logcause.yaml)\n" +
		"logcause: cannot line the log up: /e.log: no request (seen 3)\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

var stamp = regexp.MustCompile(`(?m)^time=\S+ `)

// TestFor: a command's user reads messages, a daemon the structured log
// from Info up, and verbose is the structured log from Debug up.
func TestFor(t *testing.T) {
	for _, tc := range []struct {
		daemon, verbose bool
		want            string
	}{
		{false, false, "logcause: a warning: /x.log\n"},
		{true, false, "level=INFO msg=info\nlevel=WARN msg=\"a warning\" path=/x.log\n"},
		{false, true, "level=DEBUG msg=debug\nlevel=INFO msg=info\nlevel=WARN msg=\"a warning\" path=/x.log\n"},
		{true, true, "level=DEBUG msg=debug\nlevel=INFO msg=info\nlevel=WARN msg=\"a warning\" path=/x.log\n"},
	} {
		var b strings.Builder
		l := slog.New(For(&b, tc.daemon, tc.verbose))
		l.Debug("debug")
		l.Info("info")
		l.Warn("a warning", "path", "/x.log")
		got := stamp.ReplaceAllString(b.String(), "") // the time is not compared
		if got != tc.want {
			t.Errorf("daemon %v, verbose %v: got\n%s\nwant\n%s", tc.daemon, tc.verbose, got, tc.want)
		}
	}
}
