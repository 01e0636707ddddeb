package config

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/logcause/logcause/internal/printable"
)

// Alerts is the alerts key: where `logcause watch` announces incidents as
// they open and resolve (package alert sends them).
type Alerts struct {
	Webhooks []Webhook `yaml:"webhooks"`
	// Email lists the recipients of alert mails, sent through smtp.
	Email []string `yaml:"email"`
	// Cooldown is how long after the last alert of a root cause a new
	// incident of that cause (on the same host) is folded into it: not
	// announced, nor its resolution. 0: every incident is announced.
	Cooldown time.Duration `yaml:"cooldown"`
	// Host names this server in alerts; "": the machine's host name.
	Host string `yaml:"host"`
}

// The formats of a webhook.
const (
	FormatSlack        = "slack"        // Slack or Mattermost incoming webhook: text + blocks
	FormatAlertmanager = "alertmanager" // Prometheus Alertmanager's API v2
	FormatJSON         = "json"         // {"event": …, "incident": {… as in the JSON report …}}
)

// WebhookFormats are the formats a webhook may have.
var WebhookFormats = []string{FormatSlack, FormatAlertmanager, FormatJSON}

// DefaultCooldown is the cooldown when the config gives none.
const DefaultCooldown = 10 * time.Minute

// Webhook is one entry of alerts.webhooks: where to POST an alert, and
// in which format. Its URL comes from exactly one of URL (inline: for
// endpoints that are no secret, such as an Alertmanager on the local
// network; refused for slack, whose URL carries a token), URLFile (the
// first line of a file) or URLEnv (an environment variable).
type Webhook struct {
	Name    string   `yaml:"name"` // optional: names it in logs and errors
	URL     string   `yaml:"url"`
	URLFile string   `yaml:"url_file"`
	URLEnv  string   `yaml:"url_env"`
	Format  string   `yaml:"format"`
	Headers []Header `yaml:"headers"`
}

// Header is an HTTP header sent with each POST of a webhook (a bearer
// token, an API key): its value from exactly one of Value (inline),
// ValueFile (the first line of a file) or ValueEnv (an environment
// variable).
type Header struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFile string `yaml:"value_file"`
	ValueEnv  string `yaml:"value_env"`
}

// DefaultAlerts is the alerts key without a config file: none sent.
func DefaultAlerts() Alerts {
	return Alerts{Webhooks: []Webhook{}, Email: []string{}, Cooldown: DefaultCooldown}
}

// refusedHeaders are set by logcause itself.
var refusedHeaders = []string{"Content-Type", "Content-Length", "Host", "Transfer-Encoding", "Connection"}

// check checks the alerts key, naming the entry at fault. The secrets are
// not read here (a config is parsed by commands that send no alert, run by
// users who may not read the secret's file): Target reads them.
func (a Alerts) check() error {
	if a.Cooldown < 0 {
		return fmt.Errorf("alerts: invalid cooldown %s: give a duration of 0 or more, e.g. 10m", a.Cooldown)
	}
	if strings.ContainsFunc(a.Host, printable.IsControl) {
		return fmt.Errorf("alerts: invalid host %q: a name without control characters", a.Host)
	}
	if err := checkAddresses(a.Email); err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	for i, w := range a.Webhooks {
		if err := w.check(); err != nil {
			return fmt.Errorf("alerts: webhook %s: %w", w.Label(i), err)
		}
	}
	return nil
}

func (w Webhook) check() error {
	if !slices.Contains(WebhookFormats, w.Format) {
		return fmt.Errorf("invalid format %q: give one of %s", w.Format, strings.Join(WebhookFormats, ", "))
	}
	if n := countSet(w.URL, w.URLFile, w.URLEnv); n != 1 {
		return errors.New("give exactly one of url, url_file (a file whose first line is the URL) or url_env (an environment variable that holds it)")
	}
	if w.URL != "" {
		if w.Format == FormatSlack {
			return errors.New("a slack webhook's URL carries its token: give it in url_file or url_env, not inline in url")
		}
		if err := checkURL(w.URL); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, h := range w.Headers {
		name := http.CanonicalHeaderKey(h.Name)
		switch {
		case !validToken(h.Name):
			return fmt.Errorf("invalid header name %q", h.Name)
		case slices.Contains(refusedHeaders, name):
			return fmt.Errorf("header %s is set by logcause: remove it", name)
		case seen[name]:
			return fmt.Errorf("header %s is given twice", name)
		case countSet(h.Value, h.ValueFile, h.ValueEnv) != 1:
			return fmt.Errorf("header %s: give exactly one of value, value_file (a file whose first line is the value) or value_env (an environment variable that holds it)", name)
		case strings.ContainsFunc(h.Value, printable.IsControl):
			return fmt.Errorf("header %s: a value without control characters (CR, LF, ...)", name)
		}
		seen[name] = true
	}
	return nil
}

// Label names a webhook in errors and logs: its name, else its place and
// format (never its URL: it may be a secret).
func (w Webhook) Label(i int) string {
	if w.Name != "" {
		return fmt.Sprintf("%q", w.Name)
	}
	return fmt.Sprintf("%d (%s)", i+1, w.Format)
}

// Target reads the webhook's URL and headers from where the config says
// (inline, a file, the environment) and checks them. i is the webhook's
// place in alerts.webhooks, for the errors.
func (w Webhook) Target(i int) (string, http.Header, error) {
	u, err := secret(w.URL, w.URLFile, w.URLEnv)
	if err == nil {
		err = checkURL(u)
	}
	if err != nil {
		return "", nil, fmt.Errorf("alerts: webhook %s: cannot read its URL: %w", w.Label(i), err)
	}
	h := http.Header{}
	for _, hd := range w.Headers {
		v, err := secret(hd.Value, hd.ValueFile, hd.ValueEnv)
		if err == nil && strings.ContainsFunc(v, printable.IsControl) {
			err = errors.New("it holds control characters (CR, LF, ...)")
		}
		if err != nil {
			return "", nil, fmt.Errorf("alerts: webhook %s: cannot read header %s: %w", w.Label(i), http.CanonicalHeaderKey(hd.Name), err)
		}
		h.Set(hd.Name, v)
	}
	return u, h, nil
}

// secret is the inline value, else the first line of the file, else the
// environment variable; it must not be empty.
func secret(inline, file, env string) (string, error) {
	switch {
	case inline != "":
		return inline, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%w (the file must be readable by the user logcause runs as)", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if line = strings.TrimSpace(line); line == "" {
			return "", fmt.Errorf("the first line of %s is empty", file)
		}
		return line, nil
	}
	v := strings.TrimSpace(os.Getenv(env))
	if v == "" {
		return "", fmt.Errorf("the environment variable %s is not set, or empty (set it in the service's environment, e.g. systemd's EnvironmentFile=)", env)
	}
	return v, nil
}

// checkURL: an absolute http or https URL, without a password in it.
func checkURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("invalid URL: %w", errors.Unwrap(err))
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return errors.New("invalid URL: give an absolute http:// or https:// URL")
	case u.User != nil:
		return errors.New("the URL holds a user or password: give the credentials in a header (headers: value_file or value_env) instead")
	}
	return nil
}

// checkAddresses checks a list of e-mail recipients, one address each.
func checkAddresses(list []string) error {
	for _, a := range list {
		if _, err := mail.ParseAddress(a); err != nil || strings.ContainsAny(a, "\r\n") {
			return fmt.Errorf("invalid email address %q: write one address per item, e.g. oncall@example.com", a)
		}
	}
	return nil
}

func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}

// validToken: an HTTP header name (RFC 9110's token).
func validToken(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	})
}

// describe writes where alerts go, for `logcause config check`: each
// webhook, and whether its secrets can be read here (by this user), the
// mail recipients and the cooldown. Nothing without alerts.
func (a Alerts) describe(w io.Writer) {
	if len(a.Webhooks) == 0 && len(a.Email) == 0 {
		return
	}
	fmt.Fprintf(w, "  alerts: cooldown %s\n", a.Cooldown)
	for i, wh := range a.Webhooks {
		if _, _, err := wh.Target(i); err != nil {
			fmt.Fprintf(w, "  alerts: %v\n", strings.TrimPrefix(err.Error(), "alerts: "))
			continue
		}
		fmt.Fprintf(w, "  alerts: webhook %s ready\n", wh.Label(i))
	}
	if len(a.Email) > 0 {
		fmt.Fprintf(w, "  alerts: mail to %s\n", strings.Join(a.Email, ", "))
	}
}
