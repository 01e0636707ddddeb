package email

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/internal/freeport"
	"github.com/logcause/logcause/report"
)

// TestNewRefuses: no server, no password, a CA file that holds no
// certificate: each says what to set.
func TestNewRefuses(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(config.PasswordEnv, "")
	server := config.SMTP{Host: "mx.example.com", Security: config.SecurityStartTLS, From: "logcause@example.com"}
	withUser, withCA, withMissingCA := server, server, server
	withUser.Username = "u"
	withCA.CAFile = notPEM
	withMissingCA.CAFile = notPEM + ".missing"
	for name, c := range map[string]struct {
		server config.SMTP
		says   string
	}{
		"no server":   {config.DefaultSMTP(), "set smtp.host and smtp.from"},
		"no password": {withUser, "smtp.password_file"},
		"not PEM":     {withCA, "holds no PEM certificate"},
		"missing CA":  {withMissingCA, "cannot read smtp.ca_file"},
	} {
		if _, err := New(c.server, Options{Bodies: ReportBodies()}); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want it to say %q", name, err, c.says)
		}
	}
	m, err := New(server, Options{Bodies: ReportBodies()})
	if err != nil {
		t.Fatal(err)
	}
	if host, _ := os.Hostname(); m.Host() != host || m.Server() != "mx.example.com:587" {
		t.Errorf("host %s, server %s", m.Host(), m.Server())
	}
	if in := m.In(paris); in.zone != paris || m.zone != nil {
		t.Errorf("In: zone %v, the original's %v", in.zone, m.zone)
	}
}

// TestSendNoServer: a port nobody listens on says to check host and port.
func TestSendNoServer(t *testing.T) {
	port := freeport.Loopback(t)
	m, err := New(config.SMTP{Host: "127.0.0.1", Port: port, Security: config.SecurityNone, From: "logcause@example.com", Name: "web1"}, Options{Bodies: ReportBodies()})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), twoIncidents(), []string{"ops@example.com"})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(port)) || !strings.Contains(err.Error(), "check smtp.host and smtp.port") {
		t.Errorf("err = %v", err)
	}
	// Deliver says nothing and writes no file when the mail was not sent.
	var said strings.Builder
	file := filepath.Join(t.TempDir(), "report.txt")
	where, err := m.Deliver(context.Background(), &said, twoIncidents(), []string{"ops@example.com"}, report.Output{Format: "text", File: file}, ReportBodies().Text)
	if _, serr := os.Stat(file); err == nil || where != "" || said.Len() != 0 || serr == nil {
		t.Errorf("Deliver: %q %v, said %q, the file: %v", where, err, said.String(), serr)
	}
}

// TestComposeAlert: the alert mail has the subject, the text and its HTML
// alternative, no chart; a line break in a header is refused.
func TestComposeAlert(t *testing.T) {
	msg, err := composeAlert("logcause@example.com", []string{"ops@example.com"}, "[logcause] web1: 502s opened", "plain <b>text</b>\n", "<p>the html</p>")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := msg.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	raw := b.String()
	for _, want := range []string{"Subject: [logcause] web1: 502s opened", "multipart/alternative", "Content-Type: text/plain", "plain <b>text</b>", "Content-Type: text/html", "<p>the html</p>"} {
		if !strings.Contains(raw, want) {
			t.Errorf("the mail lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(raw, "image/png") {
		t.Errorf("the alert mail has an image:\n%s", raw)
	}
	for name, c := range map[string]struct {
		subject string
		to      []string
	}{
		"CRLF in the subject":  {"502s\r\nBcc: evil@example.com", []string{"ops@example.com"}},
		"LF in the recipients": {"502s", []string{"ops@example.com\nBcc: evil@example.com"}},
		"no recipient":         {"502s", nil},
	} {
		if _, err := composeAlert("logcause@example.com", c.to, c.subject, "t", "h"); err == nil {
			t.Errorf("%s: composed", name)
		}
	}
}

// TestForConfig: a mailer only when reports or alert mails need one, and
// then an SMTP server is required.
func TestForConfig(t *testing.T) {
	cfg := config.Default()
	if m, err := ForConfig(cfg, nil); m != nil || err != nil {
		t.Errorf("no reports, no alert mail: %v, %v", m, err)
	}
	cfg.Alerts.Email = []string{"ops@example.com"}
	if _, err := ForConfig(cfg, nil); err == nil || !strings.Contains(err.Error(), "set smtp.host and smtp.from") {
		t.Errorf("alert mail without smtp: %v", err)
	}
	cfg.SMTP = config.SMTP{Host: "mx.example.com", Security: config.SecurityStartTLS, From: "logcause@example.com", Name: "web1"}
	if m, err := ForConfig(cfg, nil); m == nil || err != nil {
		t.Errorf("alert mail with smtp: %v, %v", m, err)
	}
}

// TestForRecipients: --email's addresses are checked (a bad one is a
// usage error) and the server is required.
func TestForRecipients(t *testing.T) {
	server := config.SMTP{Host: "mx.example.com", Security: config.SecurityStartTLS, From: "logcause@example.com", Name: "web1"}
	m, to, err := ForRecipients("ops@example.com, dba@example.com", server, nil)
	if err != nil || m == nil || strings.Join(to, ",") != "ops@example.com,dba@example.com" {
		t.Errorf("%v %v %v", m, to, err)
	}
	var usage config.UsageError
	if _, _, err := ForRecipients("ops@example.com\nBcc: evil@example.com", server, nil); !errors.As(err, &usage) {
		t.Errorf("a recipient with a line break: %v", err)
	}
	if _, _, err := ForRecipients("ops@example.com", config.DefaultSMTP(), nil); err == nil || errors.As(err, &usage) {
		t.Errorf("no server: %v", err)
	}
}
