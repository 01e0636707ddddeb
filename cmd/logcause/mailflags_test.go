package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmailRefused: --email and the smtp section are checked before any
// work, and a header value with a line break is never sent: not in the
// addresses given, not in the server's name from the config.
func TestEmailRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Port 1 on loopback: nothing is sent there, the mail is refused first.
	injected := write("injected.yaml", "smtp:\n  host: 127.0.0.1\n  port: 1\n  security: none\n  from: logcause@example.com\n  name: \"web1\\r\\nBcc: victim@example.org\"\n")
	plain := write("plain.yaml", "smtp:\n  host: 127.0.0.1\n  port: 1\n  security: none\n  from: logcause@example.com\n")
	for _, c := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"recipient with CRLF", []string{"analyze", "--config", plain, "--email", "ops@example.com\r\nBcc: victim@example.org", "../../testdata/demo"},
			exitUsage, "refused in mail headers"},
		{"not an address", []string{"analyze", "--config", plain, "--email", "ops", "../../testdata/demo"},
			exitUsage, "invalid --email"},
		{"no smtp server", []string{"analyze", "--email", "ops@example.com", "../../testdata/demo"},
			exitRuntime, "no SMTP server is configured"},
		{"server name with CRLF", []string{"analyze", "--config", injected, "--email", "ops@example.com", "../../testdata/demo"},
			exitRuntime, "refused in mail headers"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCmd(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.says) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errs, c.code, c.says)
			}
		})
	}
}
