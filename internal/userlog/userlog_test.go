package userlog

import (
	"errors"
	"log/slog"
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
