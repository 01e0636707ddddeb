package pipeline

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/patterns"
)

// TestOptionsFor: the command line wins over the file and adds to its
// lists; the sources' formats and zones apply only from a file; a value
// that is not one is a usage error, a file that cannot be read is not.
func TestOptionsFor(t *testing.T) {
	cfg := config.Default()
	cfg.Sources = []config.Source{{Path: "/var/log/lb", Format: "nginx_access", TZ: "UTC"}}
	cfg.NginxLogFormats = []string{"log_format lb '$remote_addr [$time_local] \"$request\" $status';"}
	opts, err := OptionsFor(cfg, Inputs{FromFile: true, Zone: time.UTC, ConfigRoot: t.TempDir(), Format: "nginx_error",
		LogFormats: []string{"log_format main '$remote_addr [$time_local] \"$request\" $status $body_bytes_sent';"}})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Format != patterns.KindNginxError || opts.Zone != time.UTC || len(opts.Access) != 2 || opts.Access[0].Name() != "main" ||
		len(opts.Overrides) != 1 || opts.Overrides[0].Format != patterns.KindNginxAccess {
		t.Errorf("options %+v", opts)
	}
	if opts, err := OptionsFor(cfg, Inputs{ConfigRoot: t.TempDir()}); err != nil || len(opts.Overrides) != 0 {
		t.Errorf("without a file: %+v %v", opts.Overrides, err)
	}
	var usage config.UsageError
	if _, err := OptionsFor(cfg, Inputs{Format: "no_such_format"}); !errors.As(err, &usage) {
		t.Errorf("an unknown format: %v", err)
	}
	if _, err := OptionsFor(cfg, Inputs{LogFormats: []string{"log_format"}}); !errors.As(err, &usage) {
		t.Errorf("a broken log_format: %v", err)
	}
	if _, err := OptionsFor(cfg, Inputs{Grok: []string{filepath.Join(t.TempDir(), "missing.grok")}}); err == nil || errors.As(err, &usage) {
		t.Errorf("a grok file that cannot be read: %v", err)
	}
}
