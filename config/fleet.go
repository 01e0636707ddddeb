package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Fleet is the fleet key: where `logcause watch` publishes what a fleet
// view needs (package fleet), and which site and host it speaks for.
// An empty nats.url: nothing is published.
type Fleet struct {
	NATS NATS   `yaml:"nats"`
	Site string `yaml:"site"`
	Host string `yaml:"host"`
}

// NATS is how to reach a NATS server with JetStream.
type NATS struct {
	// URL is one server or a comma-separated list of a cluster's servers
	// (nats://a:4222,nats://b:4222); tls:// asks for TLS.
	URL string `yaml:"url"`
	// CredsFile is a NATS credentials file (a user JWT and its seed); "":
	// none (a server on a trusted network, or the user in the URL).
	CredsFile string  `yaml:"creds_file"`
	TLS       NATSTLS `yaml:"tls"`
}

// NATSTLS is the TLS of the connection to NATS: a private CA's file, and
// a client certificate and key when the server asks for one.
type NATSTLS struct {
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Enabled reports whether the fleet key asks to publish.
func (f Fleet) Enabled() bool { return f.NATS.URL != "" }

// subjectToken is what a site or host may be: one token of a NATS subject.
var subjectToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidToken reports whether s may be a site or a host: one token of a
// NATS subject, of letters, digits, '_' and '-' (at most 64).
func ValidToken(s string) bool { return subjectToken.MatchString(s) }

// HostOr is the host the fleet key names, else name (the machine's host
// name, first label) made a subject token.
func (f Fleet) HostOr(name string) string {
	if f.Host != "" {
		return f.Host
	}
	name, _, _ = strings.Cut(name, ".")
	return strings.Map(func(r rune) rune {
		if r < 128 && subjectToken.MatchString(string(r)) {
			return r
		}
		return '_'
	}, name)
}

// check checks the fleet key, naming the field at fault.
func (f Fleet) check() error {
	if !f.Enabled() {
		if f.Site != "" || f.Host != "" || f.NATS.CredsFile != "" {
			return fmt.Errorf("fleet: site, host or creds_file given without nats.url: give the NATS servers' url, or remove the fleet key")
		}
		return nil
	}
	for _, u := range strings.Split(f.NATS.URL, ",") {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || p.Host == "" || (p.Scheme != "nats" && p.Scheme != "tls") {
			return fmt.Errorf("fleet: invalid nats.url %q: give nats://host:4222 or tls://host:4222, comma-separated for a cluster", u)
		}
		if p.User != nil {
			if _, has := p.User.Password(); has {
				return fmt.Errorf("fleet: nats.url holds a password: the config file is no place for a secret; give creds_file")
			}
		}
	}
	if !ValidToken(f.Site) {
		return fmt.Errorf("fleet: invalid site %q: give the site's name, letters, digits, _ and - only (it is a NATS subject's token)", f.Site)
	}
	if f.Host != "" && !ValidToken(f.Host) {
		return fmt.Errorf("fleet: invalid host %q: letters, digits, _ and - only, or empty for the machine's host name", f.Host)
	}
	t := f.NATS.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		return fmt.Errorf("fleet: nats.tls: give both cert_file and key_file, or neither")
	}
	for _, p := range []string{f.NATS.CredsFile, t.CAFile, t.CertFile, t.KeyFile} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("fleet: cannot read %s: %w", p, err)
		}
	}
	return nil
}
