package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestExampleIsTheDefault keeps `logcause config example`, the README and
// the defaults in agreement.
func TestExampleIsTheDefault(t *testing.T) {
	cfg, err := Parse("example", Example)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("example config %+v\ndiffers from the defaults %+v", cfg, Default())
	}
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "logcause.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestErrors: every invalid value is refused, naming the file.
func TestErrors(t *testing.T) {
	for name, text := range map[string]string{
		"unknown key":      "nope: 1\n",
		"bad zone":         "tz: Mars/Base\n",
		"bad source zone":  "sources:\n  - path: /x\n    tz: nowhere\n",
		"bad format":       "sources:\n  - path: /x\n    format: tomcat\n",
		"source sans path": "sources:\n  - format: nginx_access\n",
		"zero retention":   "retention_days: 0\n",
		"not yaml":         "\t{[\n",
		"inline password":  "smtp:\n  host: mx\n  from: a@b.c\n  username: u\n  password: secret\n",
		"bad security":     "smtp:\n  security: ssl\n",
		"bad port":         "smtp:\n  port: 70000\n",
		"host sans from":   "smtp:\n  host: mx\n",
		"bad from":         "smtp:\n  host: mx\n  from: not an address\n",
		"file sans user":   "smtp:\n  host: mx\n  from: a@b.c\n  password_file: /p\n",
		"ca with none":     "smtp:\n  host: mx\n  from: a@b.c\n  security: none\n  ca_file: /ca.pem\n",
		"ca and skip":      "smtp:\n  host: mx\n  from: a@b.c\n  ca_file: /ca.pem\n  insecure_skip_verify: true\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(writeConfig(t, text)); err == nil || !strings.Contains(err.Error(), "logcause.yaml") {
				t.Errorf("err = %v", err)
			}
		})
	}
	if _, err := Parse("empty", nil); err != nil {
		t.Errorf("an empty config file: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "cannot read the config file") {
		t.Errorf("a missing file: %v", err)
	}
}

// TestSourcesExpand: a file's sources replace the defaults; globs, files
// and directories expand to what exists, the rest is missing; each source
// says its format and zone.
func TestSourcesExpand(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"access.log", "error.log"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	cfg, err := Load(writeConfig(t, "sources:\n  - path: "+filepath.Join(dir, "*.log")+"\n    format: nginx_error\n    tz: \"+01:00\"\n  - path: "+dir+"\n  - path: /no/such/dir\n"))
	if err != nil {
		t.Fatal(err)
	}
	paths, missing, err := cfg.Expand()
	want := []string{filepath.Join(dir, "access.log"), filepath.Join(dir, "error.log"), dir}
	if err != nil || !reflect.DeepEqual(paths, want) || !reflect.DeepEqual(missing, []string{"/no/such/dir"}) {
		t.Errorf("Expand = %v, %v, %v; want %v and /no/such/dir missing", paths, missing, err, want)
	}
	s := cfg.Sources[0]
	if s.Kind().String() != "nginx_error" || s.Zone().String() != "UTC+01:00" {
		t.Errorf("source %+v: kind %s, zone %s", s, s.Kind(), s.Zone())
	}
	if s := cfg.Sources[1]; s.Kind().String() != "unknown" || s.Zone() != nil {
		t.Errorf("source without format or zone: kind %s, zone %v", s.Kind(), s.Zone())
	}
}

// TestDescribe: config check's summary names the file, counts the sources
// and lists what each matches here, then what matches nothing.
func TestDescribe(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "access.log"), nil, 0o644)
	cfg, err := Load(writeConfig(t, "store: /srv/logcause\nretention_days: 3\nsources:\n  - path: /no/such/dir\n  - path: "+filepath.Join(dir, "*.log")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := cfg.Describe(&b, "my.yaml"); err != nil {
		t.Fatal(err)
	}
	want := "my.yaml is valid: 2 source(s), store /srv/logcause, 3 day(s) kept\n" +
		"  reads " + filepath.Join(dir, "access.log") + "\n" +
		"  no file here: /no/such/dir\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	cfg.Sources = []Source{{Path: "/var/log/[x"}}
	if err := cfg.Describe(&b, "bad.yaml"); err == nil || !strings.Contains(err.Error(), `invalid source path "/var/log/[x"`) {
		t.Errorf("a source that is no glob: %v", err)
	}
}

func TestParseZone(t *testing.T) {
	for in, want := range map[string]int{"+01:00": 3600, "-05:30": -19800, "+00:00": 0} {
		z, err := ParseZone(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if _, off := time.Date(2026, 1, 1, 0, 0, 0, 0, z).Zone(); off != want || z.String() != "UTC"+in {
			t.Errorf("%s: offset %d, name %s", in, off, z)
		}
	}
	if z, err := ParseZone("local"); err != nil || z != time.Local {
		t.Errorf("local: %v %v", z, err)
	}
	if z, err := ParseZone(""); err != nil || z != nil {
		t.Errorf("empty: %v %v", z, err)
	}
	for _, bad := range []string{"+1", "+25:00", "Mars/Olympus", "+01:99"} {
		if _, err := ParseZone(bad); err == nil || !strings.Contains(err.Error(), "invalid --tz") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestSMTPPassword: the password comes from password_file's first line,
// else from the environment; an inline one is refused with where it goes.
func TestSMTPPassword(t *testing.T) {
	_, err := Parse("inline", []byte("smtp:\n  host: mx\n  from: a@b.c\n  username: u\n  password: secret\n"))
	if err == nil || !strings.Contains(err.Error(), "password_file") || !strings.Contains(err.Error(), PasswordEnv) {
		t.Errorf("an inline password: %v", err)
	}
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("s3cret\r\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(PasswordEnv, "from-env")
	for _, c := range []struct {
		smtp SMTP
		want string
	}{
		{SMTP{Username: "u", PasswordFile: file}, "s3cret"},
		{SMTP{Username: "u"}, "from-env"},
		{SMTP{}, ""}, // no login
	} {
		if got, err := c.smtp.Password(); err != nil || got != c.want {
			t.Errorf("%+v: %q, %v; want %q", c.smtp, got, err, c.want)
		}
	}
	t.Setenv(PasswordEnv, "")
	if _, err := (SMTP{Username: "u"}).Password(); err == nil || !strings.Contains(err.Error(), "password_file") {
		t.Errorf("no password anywhere: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (SMTP{Username: "u", PasswordFile: empty}).Password(); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("an empty password file: %v", err)
	}
	if _, err := (SMTP{Username: "u", PasswordFile: empty + ".missing"}).Password(); err == nil {
		t.Error("a missing password file: no error")
	}
}

// TestSMTPPort: port 0 is the security's usual port.
func TestSMTPPort(t *testing.T) {
	for sec, want := range map[string]int{SecurityStartTLS: 587, SecurityTLS: 465, SecurityNone: 25} {
		if got := (SMTP{Security: sec}).ServerPort(); got != want {
			t.Errorf("%s: port %d, want %d", sec, got, want)
		}
	}
	if got := (SMTP{Security: SecurityTLS, Port: 2465}).ServerPort(); got != 2465 {
		t.Errorf("a set port: %d", got)
	}
}

// TestPaths: the paths given win; else the sources that exist here; none
// is a usage error naming where they were looked for.
func TestPaths(t *testing.T) {
	dir := t.TempDir()
	cfg := Default()
	cfg.Sources = []Source{{Path: dir}, {Path: filepath.Join(dir, "missing")}}
	if got, err := cfg.Paths([]string{"/srv/logs"}, "logcause.yaml"); err != nil || !slices.Equal(got, []string{"/srv/logs"}) {
		t.Errorf("given: %v %v", got, err)
	}
	if got, err := cfg.Paths(nil, "logcause.yaml"); err != nil || !slices.Equal(got, []string{dir}) {
		t.Errorf("configured: %v %v", got, err)
	}
	cfg.Sources = cfg.Sources[1:]
	var usage UsageError
	if _, err := cfg.Paths(nil, "logcause.yaml"); !errors.As(err, &usage) || !strings.Contains(err.Error(), "none of the sources of logcause.yaml exists here") {
		t.Errorf("none exists: %v", err)
	}
	if _, err := cfg.Paths(nil, ""); err == nil || !strings.Contains(err.Error(), "none of the common layout") {
		t.Errorf("none of the layout: %v", err)
	}
}

// TestLoadWith: the command line's zone and config root win over the
// file's, which win over the defaults; a zone or a root that is not one
// is a usage error.
func TestLoadWith(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "logcause.yaml")
	if err := os.WriteFile(file, []byte("tz: Europe/Paris\nconfig_root: "+dir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := Default()
	base.Store = "base"
	cfg, zone, root, err := LoadWith(file, base, "", "", "/")
	if err != nil || zone.String() != "Europe/Paris" || root != dir || cfg.Store == "base" {
		t.Errorf("from the file: %v %v %v %v", cfg.Store, zone, root, err)
	}
	cfg, zone, root, err = LoadWith("", base, "UTC", "", "/")
	if err != nil || zone != time.UTC || root != "/" || cfg.Store != "base" {
		t.Errorf("without a file: %v %v %v %v", cfg.Store, zone, root, err)
	}
	var usage UsageError
	if _, _, _, err := LoadWith(file, base, "Mars/Olympus", "", "/"); !errors.As(err, &usage) {
		t.Errorf("a zone that is none: %v", err)
	}
	if _, _, _, err := LoadWith(file, base, "", file, "/"); !errors.As(err, &usage) || !strings.Contains(err.Error(), "invalid --config-root") {
		t.Errorf("a root that is a file: %v", err)
	}
}
