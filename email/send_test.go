package email

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/logcause/logcause/config"
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	m, err := New(config.SMTP{Host: "127.0.0.1", Port: port, Security: config.SecurityNone, From: "logcause@example.com", Name: "web1"}, Options{Bodies: ReportBodies()})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), twoIncidents(), []string{"ops@example.com"})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(port)) || !strings.Contains(err.Error(), "check smtp.host and smtp.port") {
		t.Errorf("err = %v", err)
	}
}
