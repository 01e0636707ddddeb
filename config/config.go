// Package config answers one question: what did the user configure? It
// reads logcause's YAML configuration file, fills in the defaults, checks
// every value, expands the configured sources into the paths to read, and
// describes all of it (`logcause config check`).
// The example file embedded in the binary (`logcause config example`) is
// the documentation of every key, and equals the defaults (tested).
package config

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/logcause/logcause/patterns"
)

// Example is the example configuration: every key documented, with its
// default value.
//
//go:embed example.yaml
var Example []byte

// DefaultStore is where a long-lived store lives unless the configuration
// or a flag says otherwise.
const DefaultStore = "/var/lib/logcause"

// DefaultListen is where `logcause watch` serves its API unless told
// otherwise: loopback only, on a port no common service uses.
const DefaultListen = "127.0.0.1:9841"

// Config is the configuration file.
type Config struct {
	TZ              string   `yaml:"tz"`
	Grok            []string `yaml:"grok"`
	NginxConf       string   `yaml:"nginx_conf"`
	ConfigRoot      string   `yaml:"config_root"`
	NginxLogFormats []string `yaml:"nginx_log_formats"`
	Store           string   `yaml:"store"`
	RetentionDays   int      `yaml:"retention_days"`
	Reports         []Report `yaml:"reports"` // report.go
	Listen          string   `yaml:"listen"`
	Alerts          Alerts   `yaml:"alerts"` // alerts.go
	Sources         []Source `yaml:"sources"`
	SMTP            SMTP     `yaml:"smtp"`
	Fleet           Fleet    `yaml:"fleet"` // fleet.go
}

// Source is one entry of sources: a file, a directory or a glob, and
// optionally the format and zone of the files it matches.
type Source struct {
	Path   string `yaml:"path"`
	Format string `yaml:"format"`
	TZ     string `yaml:"tz"`
}

// CommonLayout is where Debian and Ubuntu servers keep the logs logcause
// reads: the sources without a configuration file.
func CommonLayout() []Source {
	return []Source{
		{Path: "/var/log/nginx"},
		{Path: "/var/log/php*-fpm.log*"},
		{Path: "/var/log/php*-fpm/*slow*.log*"},
		{Path: "/var/log/mysql"},
		{Path: "/var/log/kern.log*"},
	}
}

// Default is the configuration without a file. It equals Example (tested).
func Default() Config {
	return Config{
		Grok:            []string{},
		NginxLogFormats: []string{},
		Store:           DefaultStore,
		RetentionDays:   14,
		Reports:         []Report{},
		Listen:          DefaultListen,
		Alerts:          DefaultAlerts(),
		Sources:         CommonLayout(),
		SMTP:            DefaultSMTP(),
	}
}

// Load reads a configuration file; unknown keys are errors.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("cannot read the config file %s: %w", path, err)
	}
	return Parse(path, b)
}

// Parse reads the configuration b, named name in errors.
func Parse(name string, b []byte) (Config, error) {
	cfg := Default()
	cfg.Sources = nil // a file's sources replace the default ones
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("cannot read the config file %s: %w (see `logcause config example`)", name, err)
	}
	if cfg.RetentionDays < 1 {
		return cfg, fmt.Errorf("invalid config %s: retention_days must be at least 1", name)
	}
	for i, s := range cfg.Sources {
		if s.Path == "" {
			return cfg, fmt.Errorf("invalid config %s: source %d has no path", name, i+1)
		}
		if s.Format != "" {
			if _, err := patterns.ParseKind(s.Format); err != nil {
				return cfg, fmt.Errorf("invalid config %s: source %s: %w", name, s.Path, err)
			}
		}
		if _, err := ParseZone(s.TZ); err != nil {
			return cfg, fmt.Errorf("invalid config %s: source %s: %w", name, s.Path, err)
		}
	}
	if err := checkReports(name, cfg.Reports); err != nil {
		return cfg, err
	}
	if err := cfg.Alerts.check(); err != nil {
		return cfg, fmt.Errorf("invalid config %s: %w", name, err)
	}
	if _, err := ParseZone(cfg.TZ); err != nil {
		return cfg, fmt.Errorf("invalid config %s: %w", name, err)
	}
	if err := cfg.SMTP.check(); err != nil {
		return cfg, fmt.Errorf("invalid config %s: %w", name, err)
	}
	if err := cfg.Fleet.check(); err != nil {
		return cfg, fmt.Errorf("invalid config %s: %w", name, err)
	}
	return cfg, nil
}

// Expand turns the configured sources into the paths to read. Paths that
// do not exist and globs that match nothing are returned in missing: not
// every server runs every program.
func (c Config) Expand() (paths, missing []string, err error) {
	for _, s := range c.Sources {
		matches := []string{s.Path}
		if hasMeta(s.Path) {
			if matches, err = filepath.Glob(s.Path); err != nil {
				return nil, nil, fmt.Errorf("invalid source path %q: %w", s.Path, err)
			}
		} else if _, err := os.Stat(s.Path); err != nil {
			matches = nil
		}
		if len(matches) == 0 {
			missing = append(missing, s.Path)
		}
		paths = append(paths, matches...)
	}
	return paths, missing, nil
}

// LoadWith reads the config file ("": base, the defaults of the machine)
// and puts a command line's zone tz and config root over the file's tz
// and config_root (whose default is defaultRoot). A zone, or a config root
// that is not a directory, is a UsageError.
func LoadWith(file string, base Config, tz, root, defaultRoot string) (cfg Config, zone *time.Location, configRoot string, err error) {
	cfg = base
	if file != "" {
		if cfg, err = Load(file); err != nil {
			return cfg, nil, "", err
		}
	}
	if zone, err = ParseZone(cmp.Or(tz, cfg.TZ)); err != nil {
		return cfg, nil, "", UsageError{err}
	}
	configRoot = cmp.Or(root, cfg.ConfigRoot, defaultRoot)
	if st, err := os.Stat(configRoot); err != nil || !st.IsDir() {
		return cfg, nil, "", Usagef("invalid --config-root %s: not a directory (give the directory that holds the servers' etc/, / on the server itself)", configRoot)
	}
	return cfg, zone, configRoot, nil
}

// Paths are the paths to read: those given (args), else the configured
// sources that exist here (Expand). file names the config file the
// sources come from ("": the common layout): a source of it that matches
// no file is logged. None to read is a UsageError.
func (c Config) Paths(args []string, file string) ([]string, error) {
	if len(args) > 0 {
		return args, nil
	}
	paths, missing, err := c.Expand()
	if err != nil {
		return nil, err
	}
	where := "the common layout (/var/log/nginx, /var/log/php*-fpm.log, /var/log/mysql, /var/log/kern.log)"
	if file != "" {
		where = "the sources of " + file
		for _, m := range missing {
			slog.Warn("a configured source matches no file", "path", m, "config", file)
		}
	}
	if len(paths) == 0 {
		return nil, UsageError{NoSourceError{where}}
	}
	return paths, nil
}

// NoSourceError is wrapped by Paths' error when no path is given and
// none of the configured sources (Where) exists: a daemon waits for them
// to appear (a machine where nginx is not installed yet), a batch stops.
type NoSourceError struct{ Where string }

func (e NoSourceError) Error() string {
	return fmt.Sprintf("no path given, and none of %s exists here: give the logs' files or directories, or a --config listing them", e.Where)
}

// Describe writes what the configuration says, for `logcause config
// check`: that the file name is valid, its sources, store and retention,
// the files its sources match here (Expand) and the sources that match
// none, and where alerts go.
func (c Config) Describe(w io.Writer, name string) error {
	paths, missing, err := c.Expand()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s is valid: %d source(s), store %s, %d day(s) kept\n", name, len(c.Sources), c.Store, c.RetentionDays)
	for _, p := range paths {
		fmt.Fprintf(w, "  reads %s\n", p)
	}
	for _, m := range missing {
		fmt.Fprintf(w, "  no file here: %s\n", m)
	}
	c.Alerts.describe(w) // alerts.go
	return nil
}

// Kind is the format the source forces on its files; KindUnknown: detect.
// Parse has checked it.
func (s Source) Kind() patterns.Kind {
	if s.Format == "" {
		return patterns.KindUnknown
	}
	k, _ := patterns.ParseKind(s.Format)
	return k
}

// Zone is the zone of the source's zoneless stamps; nil: the default.
// Parse has checked it.
func (s Source) Zone() *time.Location {
	z, _ := ParseZone(s.TZ)
	return z
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// ParseZone reads a zone as --tz and the tz keys give it: "Local", an IANA
// name, or an offset ±HH:MM. "" is no zone (nil).
func ParseZone(s string) (*time.Location, error) {
	switch {
	case s == "":
		return nil, nil
	case strings.EqualFold(s, "local"):
		return time.Local, nil
	case strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-"):
		h, m, ok := strings.Cut(s[1:], ":")
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil || hh > 14 || mm > 59 {
			return nil, fmt.Errorf("invalid --tz %q: write an offset as +HH:MM or -HH:MM", s)
		}
		off := hh*3600 + mm*60
		if s[0] == '-' {
			off = -off
		}
		return time.FixedZone(fmt.Sprintf("UTC%c%02d:%02d", s[0], hh, mm), off), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("invalid --tz %q: %v (use an IANA name such as Europe/Paris, an offset such as +01:00, or Local)", s, err)
	}
	return loc, nil
}
