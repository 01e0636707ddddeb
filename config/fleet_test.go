package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFleetParse: the fleet key is read, and its host defaults to the
// machine's name made a subject token.
func TestFleetParse(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "web.creds")
	if err := os.WriteFile(creds, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("fleet.yaml", []byte("fleet:\n  nats:\n    url: nats://n1:4222,nats://n2:4222\n    creds_file: "+creds+"\n  site: shop\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Fleet
	if !f.Enabled() || f.NATS.URL != "nats://n1:4222,nats://n2:4222" || f.NATS.CredsFile != creds || f.Site != "shop" {
		t.Errorf("fleet %+v", f)
	}
	for name, want := range map[string]string{"web1.example.com": "web1", "web 2": "web_2", "wéb": "w_b"} {
		if got := f.HostOr(name); got != want {
			t.Errorf("HostOr(%q) = %q, want %q", name, got, want)
		}
	}
	if f.Host = "front"; f.HostOr("web1") != "front" {
		t.Error("the configured host does not win")
	}
}

// TestFleetErrors: each mistake is refused, naming the field.
func TestFleetErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"fleet:\n  site: shop\n", "without nats.url"},
		{"fleet:\n  nats:\n    url: http://n1:4222\n  site: shop\n", "invalid nats.url"},
		{"fleet:\n  nats:\n    url: nats://user:secret@n1:4222\n  site: shop\n", "no place for a secret"},
		{"fleet:\n  nats:\n    url: nats://n1:4222\n", `invalid site ""`},
		{"fleet:\n  nats:\n    url: nats://n1:4222\n  site: shop.eu\n", "invalid site"},
		{"fleet:\n  nats:\n    url: nats://n1:4222\n  site: shop\n  host: \"web>1\"\n", "invalid host"},
		{"fleet:\n  nats:\n    url: nats://n1:4222\n    tls:\n      cert_file: /c.pem\n  site: shop\n", "both cert_file and key_file"},
		{"fleet:\n  nats:\n    url: nats://n1:4222\n    creds_file: /nonexistent/web.creds\n  site: shop\n", "cannot read /nonexistent/web.creds"},
	} {
		_, err := Parse("fleet.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error saying %q", c.yaml, err, c.want)
		}
	}
}
