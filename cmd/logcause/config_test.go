package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "logcause.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func emptyConfig(t *testing.T) string {
	return writeConfig(t, "sources:\n  - path: "+filepath.Join(t.TempDir(), "nothing-here")+"\n")
}

func badConfig(t *testing.T) string { return writeConfig(t, "nope: 1\n") }

// TestConfigExample: `logcause config example` prints the embedded
// example, which the config package keeps equal to the defaults.
func TestConfigExample(t *testing.T) {
	code, out, _ := runCmd(t, "config", "example")
	if code != exitOK || !bytes.Equal([]byte(out), config.Example) {
		t.Errorf("config example: exit %d", code)
	}
	if code, _, errs := runCmd(t, "analyze", "--config", badConfig(t)); code != exitRuntime || !strings.Contains(errs, "logcause.yaml") {
		t.Errorf("a bad config file: exit %d %s", code, errs)
	}
}

// TestConfigSourcesZonesAndFormats: sources from the config, with a zone and
// a forced format per source, and the common layout used without a path.
func TestConfigSourcesZonesAndFormats(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	// A log whose first line is junk: only a forced format reads it.
	b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	os.WriteFile(filepath.Join(dir, "error.log"), append([]byte("junk that is no log line at all\n"), b...), 0o644)
	// Stamps of the error log are read in the source's zone, not the access log's.
	cfg := writeConfig(t, "sources:\n  - path: "+filepath.Join(dir, "access.log")+"\n  - path: "+filepath.Join(dir, "*.log")+"\n    format: nginx_error\n    tz: \"+01:00\"\n  - path: "+filepath.Join(dir, "php-fpm.log")+"\n    tz: Europe/Paris\n  - path: /no/such/dir\n")
	code, out, errs := runCmd(t, "analyze", "--format", "json", "--config", cfg)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "/no/such/dir") {
		t.Errorf("no warning for a configured source that matches nothing: %q", errs)
	}
	var res analyze.Result
	json.Unmarshal([]byte(out), &res)
	if len(res.Incidents) != 1 || res.Incidents[0].RootCause != analyze.FPMWorkerExhaustion {
		t.Fatalf("%+v", res.Incidents)
	}
	for _, s := range res.Sources {
		if strings.HasSuffix(s.Path, "error.log") && (s.TZ != "UTC+01:00" || s.Unparsed != 1) {
			t.Errorf("error.log read in %q with %d unparsed; want the source's +01:00 and 1 unparsed", s.TZ, s.Unparsed)
		}
	}

	e := testEnv()
	e.layout = []config.Source{{Path: dir}, {Path: filepath.Join(t.TempDir(), "mysql")}}
	code, out, errs = runIn(t, e, "analyze")
	if code != exitOK || !strings.Contains(out, "fpm_worker_exhaustion") {
		t.Errorf("analyze without a path: exit %d %s\n%s", code, errs, out)
	}
	if errs != "" {
		t.Errorf("missing default sources are not worth a warning: %q", errs)
	}
	code, out, _ = runCmd(t, "config", "check", cfg)
	if code != exitOK || !strings.Contains(out, "reads "+filepath.Join(dir, "access.log")) || !strings.Contains(out, "no file here: /no/such/dir") {
		t.Errorf("config check: exit %d\n%s", code, out)
	}
}
