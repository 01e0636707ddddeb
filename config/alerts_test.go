package config

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestAlertsParse: every form of a webhook's URL and headers is read; a
// cooldown left out keeps the default.
func TestAlertsParse(t *testing.T) {
	cfg, err := Parse("alerts.yaml", []byte(`alerts:
  webhooks:
    - name: chat
      format: slack
      url_env: LOGCAUSE_TEST_SLACK
    - format: alertmanager
      url: http://127.0.0.1:9093
    - format: json
      url_file: /etc/logcause/hook
      headers:
        - name: authorization
          value_env: LOGCAUSE_TEST_TOKEN
        - name: X-Team
          value: web
  email: [oncall@example.com]
  host: web1
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Alerts{
		Webhooks: []Webhook{
			{Name: "chat", Format: FormatSlack, URLEnv: "LOGCAUSE_TEST_SLACK"},
			{Format: FormatAlertmanager, URL: "http://127.0.0.1:9093"},
			{Format: FormatJSON, URLFile: "/etc/logcause/hook", Headers: []Header{{Name: "authorization", ValueEnv: "LOGCAUSE_TEST_TOKEN"}, {Name: "X-Team", Value: "web"}}},
		},
		Email: []string{"oncall@example.com"}, Cooldown: DefaultCooldown, Host: "web1",
	}
	if !reflect.DeepEqual(cfg.Alerts, want) {
		t.Errorf("alerts %+v\nwant %+v", cfg.Alerts, want)
	}
	cfg, err = Parse("zero.yaml", []byte("alerts:\n  cooldown: 0s\n"))
	if err != nil || cfg.Alerts.Cooldown != 0 {
		t.Errorf("cooldown 0: %v, %v", cfg.Alerts.Cooldown, err)
	}
	cfg, err = Parse("hour.yaml", []byte("alerts:\n  cooldown: 1h\n"))
	if err != nil || cfg.Alerts.Cooldown != time.Hour {
		t.Errorf("cooldown 1h: %v, %v", cfg.Alerts.Cooldown, err)
	}
}

// TestAlertsErrors: each invalid entry is refused, the error naming the
// file, the webhook and what to do.
func TestAlertsErrors(t *testing.T) {
	for name, c := range map[string]struct{ text, want string }{
		"no format":         {"webhooks:\n    - url: http://x", `webhook 1 (): invalid format ""`},
		"unknown format":    {"webhooks:\n    - name: a\n      format: teams\n      url: http://x", `webhook "a": invalid format "teams": give one of slack, alertmanager, json`},
		"no url":            {"webhooks:\n    - format: json", "webhook 1 (json): give exactly one of url, url_file"},
		"two urls":          {"webhooks:\n    - format: json\n      url: http://x\n      url_env: X", "webhook 1 (json): give exactly one of url"},
		"slack inline":      {"webhooks:\n    - format: slack\n      url: https://hooks.example.com/T/B/x", "webhook 1 (slack): a slack webhook's URL carries its token: give it in url_file or url_env"},
		"password in url":   {"webhooks:\n    - format: alertmanager\n      url: http://u:p@am:9093", "webhook 1 (alertmanager): the URL holds a user or password"},
		"relative url":      {"webhooks:\n    - format: json\n      url: /hook", "webhook 1 (json): invalid URL: give an absolute http:// or https:// URL"},
		"ftp url":           {"webhooks:\n    - format: json\n      url: ftp://x/hook", "invalid URL: give an absolute http"},
		"bad header name":   {"webhooks:\n    - format: json\n      url: http://x\n      headers:\n        - name: \"X Bad\"\n          value: v", `invalid header name "X Bad"`},
		"header twice":      {"webhooks:\n    - format: json\n      url: http://x\n      headers:\n        - name: x-a\n          value: v\n        - name: X-A\n          value: w", "header X-A is given twice"},
		"our header":        {"webhooks:\n    - format: json\n      url: http://x\n      headers:\n        - name: content-type\n          value: text/plain", "header Content-Type is set by logcause"},
		"header no value":   {"webhooks:\n    - format: json\n      url: http://x\n      headers:\n        - name: Authorization", "header Authorization: give exactly one of value, value_file"},
		"header CRLF":       {"webhooks:\n    - format: json\n      url: http://x\n      headers:\n        - name: X-A\n          value: \"a\\r\\nX-Injected: 1\"", "header X-A: a value without control characters"},
		"negative cooldown": {"cooldown: -1m", "invalid cooldown -1m0s"},
		"bad cooldown":      {"cooldown: soon", "cannot read the config file"},
		"bad email":         {"email: [not an address]", `invalid email address "not an address"`},
		"email CRLF":        {"email: [\"a@example.com\\r\\nBcc: x@example.com\"]", "invalid email address"},
		"host control":      {"host: \"web\\x1b[2J\"", "invalid host"},
		"unknown key":       {"webhooks:\n    - format: json\n      url: http://x\n      token: s", "field token not found"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(writeConfig(t, "alerts:\n  "+c.text+"\n"))
			if err == nil || !strings.Contains(err.Error(), "logcause.yaml") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v\nwant it to name logcause.yaml and say %q", err, c.want)
			}
		})
	}
}

// TestWebhookTarget: the URL and header values are read inline, from the
// first line of a file, or from the environment; each failure names the
// webhook and never shows the secret.
func TestWebhookTarget(t *testing.T) {
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "url")
	os.WriteFile(urlFile, []byte("  https://hooks.example.com/services/T0/B0/secret  \nsecond line\n"), 0o600)
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("Bearer s3cret\n"), 0o600)
	t.Setenv("LOGCAUSE_TEST_KEY", "k-123")
	w := Webhook{Format: FormatSlack, URLFile: urlFile, Headers: []Header{
		{Name: "authorization", ValueFile: tokenFile}, {Name: "X-Key", ValueEnv: "LOGCAUSE_TEST_KEY"}, {Name: "X-Team", Value: "web"},
	}}
	u, h, err := w.Target(0)
	want := http.Header{"Authorization": {"Bearer s3cret"}, "X-Key": {"k-123"}, "X-Team": {"web"}}
	if err != nil || u != "https://hooks.example.com/services/T0/B0/secret" || !reflect.DeepEqual(h, want) {
		t.Errorf("Target = %q, %v, %v", u, h, err)
	}
	t.Setenv("LOGCAUSE_TEST_URL", "http://127.0.0.1:9/hook")
	if u, _, err := (Webhook{Format: FormatJSON, URLEnv: "LOGCAUSE_TEST_URL"}).Target(0); err != nil || u != "http://127.0.0.1:9/hook" {
		t.Errorf("url_env: %q, %v", u, err)
	}

	crlf := filepath.Join(dir, "crlf")
	os.WriteFile(crlf, []byte("Bearer a\rX-Injected: 1\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	notURL := filepath.Join(dir, "noturl")
	os.WriteFile(notURL, []byte("hooks.example.com/secret\n"), 0o600)
	for name, c := range map[string]struct {
		w    Webhook
		want string
	}{
		"missing file":     {Webhook{Name: "chat", Format: FormatSlack, URLFile: filepath.Join(dir, "none")}, `webhook "chat": cannot read its URL: open`},
		"empty file":       {Webhook{Format: FormatSlack, URLFile: empty}, "webhook 1 (slack): cannot read its URL: the first line of " + empty + " is empty"},
		"unset variable":   {Webhook{Format: FormatSlack, URLEnv: "LOGCAUSE_TEST_UNSET"}, "the environment variable LOGCAUSE_TEST_UNSET is not set"},
		"not a URL":        {Webhook{Format: FormatSlack, URLFile: notURL}, "cannot read its URL: invalid URL: give an absolute"},
		"CR in a header":   {Webhook{Format: FormatJSON, URL: "http://x", Headers: []Header{{Name: "Authorization", ValueFile: crlf}}}, "cannot read header Authorization: it holds control characters"},
		"header env unset": {Webhook{Format: FormatJSON, URL: "http://x", Headers: []Header{{Name: "X-Key", ValueEnv: "LOGCAUSE_TEST_UNSET"}}}, "cannot read header X-Key: the environment variable"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := c.w.Target(0)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

// TestREADMEAlertsExample: the README's alerts example is a valid config.
func TestREADMEAlertsExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\nalerts:\n")
	example, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("README.md has no ```yaml block of alerts")
	}
	cfg, err := Parse("README.md", []byte("alerts:\n"+example))
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Alerts; len(a.Webhooks) != 3 || len(a.Email) != 1 || a.Cooldown != 10*time.Minute || a.Host != "web1" {
		t.Errorf("alerts %+v", a)
	}
}

// TestAlertsDescribe: config check lists where alerts go, and says which
// webhook's secret cannot be read here.
func TestAlertsDescribe(t *testing.T) {
	t.Setenv("LOGCAUSE_TEST_HOOK", "https://hooks.example.com/x")
	cfg, err := Parse("a.yaml", []byte(`sources: []
alerts:
  webhooks:
    - name: chat
      format: slack
      url_env: LOGCAUSE_TEST_HOOK
    - format: json
      url_env: LOGCAUSE_TEST_UNSET
  email: [oncall@example.com, lead@example.com]
  cooldown: 5m
`))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := cfg.Describe(&b, "a.yaml"); err != nil {
		t.Fatal(err)
	}
	want := "a.yaml is valid: 0 source(s), store /var/lib/logcause, 14 day(s) kept\n" +
		"  alerts: cooldown 5m0s\n" +
		"  alerts: webhook \"chat\" ready\n" +
		"  alerts: webhook 2 (json): cannot read its URL: the environment variable LOGCAUSE_TEST_UNSET is not set, or empty (set it in the service's environment, e.g. systemd's EnvironmentFile=)\n" +
		"  alerts: mail to oncall@example.com, lead@example.com\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
