//go:build realserver

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/logcause/logcause/internal/mailtest"
)

// TestWatchAlertMail: `logcause watch` with alerts.email mails the open
// and the resolve of an incident through the smtp settings to a real
// SMTP server (mailpit), each a text part with its HTML alternative and
// no image. Run:
// go test -tags realserver -count=1 -run TestWatchAlertMail ./cmd/logcause
func TestWatchAlertMail(t *testing.T) {
	mp := mailtest.Start(t)
	dir := t.TempDir()
	logs, st, cfg := filepath.Join(dir, "logs"), filepath.Join(dir, "store"), filepath.Join(dir, "logcause.yaml")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	writeBurst(t, filepath.Join(logs, "access.log"))
	config := fmt.Sprintf("sources:\n  - path: %s\n"+
		"smtp:\n  host: 127.0.0.1\n  port: %d\n  security: none\n  from: \"logcause <logcause@example.com>\"\n"+
		"alerts:\n  email: [oncall@example.com, lead@example.com]\n  host: web1\n", logs, mp.SMTPPort)
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	w := startChild(t, "plain", t.TempDir(), "watch", "--config", cfg, "--store", st, "--from-start",
		"--interval", "100ms", "--resolve-after", "3s", "--config-root", emptyRoot)
	w.expect(w.err, `msg="alert sent" destination=email event=open`)
	w.expect(w.err, `msg="alert sent" destination=email event=resolve`)
	w.signal(syscall.SIGTERM)
	if code, _, errs := w.wait(); code != exitOK {
		t.Fatalf("watch: exit %d: %q", code, errs)
	}

	msgs := mp.Messages(t) // the newest first
	if len(msgs) != 2 {
		t.Fatalf("%d mails delivered, want the open's and the resolve's:\n%s", len(msgs), mp.Log())
	}
	for i, want := range []struct{ subject, text string }{
		{"[logcause] web1: resolved: ", "Incident resolved on web1"},
		{"[logcause] web1: incident opened: ", "Incident opened on web1"},
	} {
		m := msgs[i]
		if !strings.HasPrefix(m.Subject, want.subject) || m.From.Address != "logcause@example.com" {
			t.Errorf("mail %d: subject %q from %+v, want %q…", i, m.Subject, m.From, want.subject)
		}
		var to []string
		for _, a := range m.To {
			to = append(to, a.Address)
		}
		if strings.Join(to, ",") != "oncall@example.com,lead@example.com" || len(m.Cc)+len(m.Bcc) != 0 {
			t.Errorf("mail %d: to %v, cc %v, bcc %v", i, m.To, m.Cc, m.Bcc)
		}
		title := strings.TrimPrefix(m.Subject, want.subject)
		if !strings.Contains(m.Text, want.text) || !strings.Contains(m.Text, title) {
			t.Errorf("mail %d: the text part does not say %q and the title %q:\n%s", i, want.text, title, m.Text)
		}
		if !strings.Contains(m.HTML, "<h2>"+title+"</h2>") {
			t.Errorf("mail %d: the HTML part does not show the title %q:\n%s", i, title, m.HTML)
		}
		if len(m.Inline)+len(m.Attachments) != 0 {
			t.Errorf("mail %d: inline %+v, attachments %+v: an alert has no image", i, m.Inline, m.Attachments)
		}
	}
}
