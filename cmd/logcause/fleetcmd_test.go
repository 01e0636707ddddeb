package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/logcause/logcause/internal/freeport"
)

// TestFleetReloadsOnSIGHUP: `logcause fleet` reads its --config again at
// a SIGHUP: a broken file keeps the running config (the log says why), a
// good one replaces its alerts and reports. NATS out of reach is no
// matter: the consumer retries meanwhile.
func TestFleetReloadsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "fleet.yaml")
	nats := fmt.Sprintf("fleet:\n  nats:\n    url: nats://127.0.0.1:%d\n  site: shop\n", freeport.Loopback(t))
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(nats + "alerts:\n  webhooks:\n    - url: http://127.0.0.1:9/first\n      format: json\n")
	f := startChild(t, "plain", t.TempDir(), "fleet", "--config", cfg, "--store", filepath.Join(dir, "fleet-store"))
	f.expect(f.err, "following the fleet")
	write(nats + "alerts: [\n")
	f.signal(syscall.SIGHUP)
	f.expect(f.err, `msg="cannot reload the config: the running one is kept"`)
	write(nats + "smtp:\n  host: 127.0.0.1\n  port: 2525\n  security: none\n  from: logcause@example.com\n" +
		"alerts:\n  webhooks:\n    - url: http://127.0.0.1:9/second\n      format: json\n" +
		"reports:\n  - name: nightly\n    schedule: \"0 7 * * *\"\n    email: [oncall@example.com]\n")
	f.signal(syscall.SIGHUP)
	f.expect(f.err, `msg="alerts reloaded" destinations=1`)
	f.expect(f.err, `msg="the fleet's config reloaded" reports=1`)
	f.signal(syscall.SIGTERM)
	if code, _, errs := f.wait(); code != exitOK {
		t.Fatalf("exit %d: %q", code, errs)
	}
}
