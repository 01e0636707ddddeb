//go:build realserver

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/internal/mailtest"
)

// The e-mail tests deliver the demo's report through `logcause report
// --email` to a real SMTP server, mailpit (go install
// github.com/axllent/mailpit@v1.33.1), started on loopback, and read it
// back through mailpit's API. Run:
// go test -tags realserver -count=1 -run TestEmail ./cmd/logcause

// demoStore is a store of the demo's logs, kept by `logcause analyze`.
func demoStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	if code, _, errs := runCmd(t, "analyze", "--store", dir, "../../testdata/demo"); code != exitOK {
		t.Fatalf("analyze --store: exit %d: %s", code, errs)
	}
	return dir
}

// smtpConfig writes a config file whose smtp section has the lines given.
func smtpConfig(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "logcause.yaml")
	text := "smtp:\n  from: \"logcause <logcause@example.com>\"\n  name: web1\n"
	for _, l := range lines {
		text += "  " + l + "\n"
	}
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const demoSubject = "[logcause] web1: 1 incident, 235×502 — fpm_worker_exhaustion"

// mailReport runs `logcause report --email` on the demo's store.
func mailReport(t *testing.T, store, cfg, to string) (int, string, string) {
	t.Helper()
	return runIn(t, testEnv(), "report", "--store", store, "--config", cfg, "--tz", "UTC",
		"--since", "2026-11-23T22:00", "--until", "2026-11-23T23:00", "--email", to)
}

// tlsServer is mailpit with a self-signed certificate and a login
// (user logcause, password s3cret), STARTTLS or implicit TLS required.
func tlsServer(t *testing.T, implicit bool) (mp *mailpit, caFile, passwordFile string) {
	t.Helper()
	dir := t.TempDir()
	cert, key := mailtest.SelfSigned(t, dir)
	auth, pw := filepath.Join(dir, "auth"), filepath.Join(dir, "password")
	for p, text := range map[string]string{auth: "logcause:s3cret\n", pw: "s3cret\n"} {
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	require := "--smtp-require-starttls"
	if implicit {
		require = "--smtp-require-tls"
	}
	return mailtest.Start(t, "--smtp-tls-cert", cert, "--smtp-tls-key", key, require, "--smtp-auth-file", auth), cert, pw
}

type mailpit = mailtest.Mailpit

// checkDelivered reads back the one message mailpit holds: subject,
// sender, recipients, the text part, the HTML part showing the inline
// chart by its Content-ID, and the chart, a PNG.
func checkDelivered(t *testing.T, mp *mailpit, to ...string) {
	t.Helper()
	msgs := mp.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("%d messages delivered, want 1:\n%s", len(msgs), mp.Log())
	}
	m := msgs[0]
	if m.Subject != demoSubject {
		t.Errorf("subject %q, want %q", m.Subject, demoSubject)
	}
	if m.From.Address != "logcause@example.com" {
		t.Errorf("from %+v", m.From)
	}
	var got []string
	for _, a := range m.To {
		got = append(got, a.Address)
	}
	if strings.Join(got, ",") != strings.Join(to, ",") || len(m.Cc)+len(m.Bcc) != 0 {
		t.Errorf("to %v, cc %v, bcc %v; want to %v", m.To, m.Cc, m.Bcc, to)
	}
	for _, says := range []string{"INCIDENT 1", "PHP-FPM ran out of workers", "fpm_worker_exhaustion", "pm.max_children"} {
		if !strings.Contains(m.Text, says) {
			t.Errorf("the text part does not say %q:\n%s", says, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "PHP-FPM ran out of workers") {
		t.Errorf("the HTML part does not show the incident:\n%s", m.HTML)
	}
	if len(m.Inline) != 1 || len(m.Attachments) != 0 {
		t.Fatalf("inline parts %+v, attachments %+v: want the chart inline, nothing attached", m.Inline, m.Attachments)
	}
	chart := m.Inline[0]
	if chart.ContentType != "image/png" || chart.ContentID == "" || !strings.Contains(m.HTML, `src="cid:`+chart.ContentID+`"`) {
		t.Errorf("inline part %+v; the HTML part must show it by its Content-ID:\n%s", chart, m.HTML)
	}
	data := mp.PartData(t, m.ID, chart.PartID)
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the inline chart is no PNG: %v", err)
	}
	if img.Bounds().Empty() {
		t.Error("the chart is an empty image")
	}
}

// TestEmailPlain: the report mailed through a server without encryption
// (security none), to two recipients, by report from a kept store and by
// analyze from the logs.
func TestEmailPlain(t *testing.T) {
	store := demoStore(t)
	for name, args := range map[string][]string{
		"report":  {"report", "--store", store, "--tz", "UTC", "--since", "2026-11-23T22:00", "--until", "2026-11-23T23:00"},
		"analyze": {"analyze", "../../testdata/demo"},
	} {
		t.Run(name, func(t *testing.T) {
			mp := mailtest.Start(t)
			cfg := smtpConfig(t, "host: 127.0.0.1", "port: "+strconv.Itoa(mp.SMTPPort), "security: none")
			code, out, errs := runIn(t, testEnv(), append(args, "--config", cfg, "--email", "ops@example.com, dba@example.com")...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			want := fmt.Sprintf("logcause: report mailed to ops@example.com, dba@example.com through 127.0.0.1:%d\n", mp.SMTPPort)
			if out != want {
				t.Errorf("stdout %q, want %q (the report is mailed, not printed)", out, want)
			}
			checkDelivered(t, mp, "ops@example.com", "dba@example.com")
		})
	}
}

// TestEmailTLS: STARTTLS and implicit TLS, each with a self-signed
// certificate trusted through smtp.ca_file, and a login; the password
// from password_file, or from the environment.
func TestEmailTLS(t *testing.T) {
	store := demoStore(t)
	for _, c := range []struct {
		name, security string
		implicit, env  bool
	}{
		{"starttls", config.SecurityStartTLS, false, false},
		{"tls", config.SecurityTLS, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			mp, ca, pw := tlsServer(t, c.implicit)
			lines := []string{"host: 127.0.0.1", "port: " + strconv.Itoa(mp.SMTPPort), "security: " + c.security,
				"ca_file: " + ca, "username: logcause"}
			if c.env {
				t.Setenv(config.PasswordEnv, "s3cret")
			} else {
				lines = append(lines, "password_file: "+pw)
			}
			code, _, errs := mailReport(t, store, smtpConfig(t, lines...), "ops@example.com")
			if code != exitOK {
				t.Fatalf("exit %d: %s\nmailpit:\n%s", code, errs, mp.Log())
			}
			checkDelivered(t, mp, "ops@example.com")
		})
	}
}

// TestEmailFailures: a wrong port, a wrong password, an untrusted
// certificate, implicit TLS on a STARTTLS port: exit 1, nothing delivered,
// and the error says what to check.
func TestEmailFailures(t *testing.T) {
	store := demoStore(t)
	mp, ca, pw := tlsServer(t, false)
	port := "port: " + strconv.Itoa(mp.SMTPPort)
	wrong := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrong, []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := mailtest.Start(t) // a port that served, then closed
	closedPort := "port: " + strconv.Itoa(closed.SMTPPort)
	closed.Stop()
	for _, c := range []struct {
		name  string
		lines []string
		says  string
	}{
		{"wrong port", []string{"host: 127.0.0.1", closedPort, "security: none"},
			"check smtp.host and smtp.port"},
		{"wrong password", []string{"host: 127.0.0.1", port, "security: starttls", "ca_file: " + ca, "username: logcause", "password_file: " + wrong},
			"the server refused the login: check smtp.username and the password"},
		{"untrusted certificate", []string{"host: 127.0.0.1", port, "security: starttls", "username: logcause", "password_file: " + pw},
			"the server's certificate is not trusted"},
		{"implicit TLS on a STARTTLS port", []string{"host: 127.0.0.1", port, "security: tls", "ca_file: " + ca, "username: logcause", "password_file: " + pw},
			"the server does not speak TLS on this port: check smtp.security and smtp.port"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := mailReport(t, store, smtpConfig(t, c.lines...), "ops@example.com")
			if code != exitRuntime || !strings.Contains(errs, c.says) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and an error that says %q", code, out, errs, c.says)
			}
		})
	}
	if msgs := mp.Messages(t); len(msgs) != 0 {
		t.Errorf("%d messages delivered by failed sends", len(msgs))
	}
}

// TestEmailAsksTheRunningDaemon: while `logcause watch` holds the store,
// `report --email` (the nightly crontab line of the README) gets the
// report from the daemon and mails it: it is not printed instead.
func TestEmailAsksTheRunningDaemon(t *testing.T) {
	logs, st := t.TempDir(), filepath.Join(t.TempDir(), "store")
	for _, f := range []string{"access.log", "error.log", "php-fpm.log"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/demo", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(logs, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := startChild(t, "commits", t.TempDir(), "watch", "--store", st, "--from-start", "--interval", "1h", "--listen", "127.0.0.1:0",
		"--tz", "+01:00", "--config-root", emptyRoot, logs)
	// After each commit, ask the daemon, until it read the demo's 741 records.
	for caughtUp := false; !caughtUp; {
		w.expect(w.out, "committed ")
		code, out, errs := runIn(t, demoEnv(), "status", "--store", st, "--format", "json")
		if code != exitOK {
			t.Fatalf("status: exit %d %s", code, errs)
		}
		var status struct{ Files []struct{ Records int64 } }
		if err := json.Unmarshal([]byte(out), &status); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		var n int64
		for _, f := range status.Files {
			n += f.Records
		}
		caughtUp = n == 741
	}
	mp := mailtest.Start(t)
	cfg := smtpConfig(t, "host: 127.0.0.1", "port: "+strconv.Itoa(mp.SMTPPort), "security: none")
	code, out, errs := mailReport(t, st, cfg, "ops@example.com")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "logcause: report mailed to ops@example.com through ") {
		t.Errorf("stdout %q: the report is mailed, not printed", out)
	}
	checkDelivered(t, mp, "ops@example.com")
}
