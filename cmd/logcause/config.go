package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/logcause/logcause/patterns"
)

// exampleConfig is shown by `logcause config example` and documents every
// key; a test checks that it loads and that its values are the defaults.
//
//go:embed logcause.example.yaml
var exampleConfig []byte

// config is the configuration file.
type config struct {
	TZ              string         `yaml:"tz"`
	Grok            []string       `yaml:"grok"`
	NginxConf       string         `yaml:"nginx_conf"`
	ConfigRoot      string         `yaml:"config_root"`
	NginxLogFormats []string       `yaml:"nginx_log_formats"`
	Store           string         `yaml:"store"`
	RetentionDays   int            `yaml:"retention_days"`
	Sources         []sourceConfig `yaml:"sources"`
}

// sourceConfig is one entry of sources.
type sourceConfig struct {
	Path   string `yaml:"path"`
	Format string `yaml:"format"`
	TZ     string `yaml:"tz"`
}

// commonLayout is where Debian and Ubuntu servers keep the logs logcause
// reads; tests point it elsewhere.
var commonLayout = []sourceConfig{
	{Path: "/var/log/nginx"},
	{Path: "/var/log/php*-fpm.log*"},
	{Path: "/var/log/php*-fpm/*slow*.log*"},
	{Path: "/var/log/mysql"},
	{Path: "/var/log/kern.log*"},
}

// defaultConfig is the configuration without a file. It equals
// logcause.example.yaml (tested).
func defaultConfig() config {
	return config{
		Grok:            []string{},
		NginxLogFormats: []string{},
		Store:           defaultStoreDir,
		RetentionDays:   14,
		Sources:         slices.Clone(commonLayout),
	}
}

// loadConfig reads a configuration file; unknown keys are errors.
func loadConfig(path string) (config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return config{}, fmt.Errorf("cannot read the config file %s: %w", path, err)
	}
	return parseConfig(path, b)
}

func parseConfig(name string, b []byte) (config, error) {
	cfg := defaultConfig()
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
		if _, err := parseZone(s.TZ); err != nil {
			return cfg, fmt.Errorf("invalid config %s: source %s: %w", name, s.Path, err)
		}
	}
	if _, err := parseZone(cfg.TZ); err != nil {
		return cfg, fmt.Errorf("invalid config %s: %w", name, err)
	}
	return cfg, nil
}

// expand turns the configured sources into paths and per-path overrides.
// Paths that do not exist and globs that match nothing are returned in
// missing: not every server runs every program.
func (c config) expand() (paths []string, overrides []override, missing []string, err error) {
	for _, s := range c.Sources {
		matches := []string{s.Path}
		if hasMeta(s.Path) {
			if matches, err = filepath.Glob(s.Path); err != nil {
				return nil, nil, nil, fmt.Errorf("invalid source path %q: %w", s.Path, err)
			}
		} else if _, err := os.Stat(s.Path); err != nil {
			matches = nil
		}
		if len(matches) == 0 {
			missing = append(missing, s.Path)
		}
		paths = append(paths, matches...)
		o := override{pattern: s.Path} // every source, so that the first that matches a file wins
		if s.Format != "" {
			o.format, _ = patterns.ParseKind(s.Format)
		}
		o.zone, _ = parseZone(s.TZ)
		overrides = append(overrides, o)
	}
	return paths, overrides, missing, nil
}

func hasMeta(p string) bool { return bytes.ContainsAny([]byte(p), `*?[\`) }

// override is what a configured source says of the files it matches.
type override struct {
	pattern string         // the source's path: a file, a directory or a glob
	format  patterns.Kind  // KindUnknown: detect
	zone    *time.Location // nil: the default zone
}

// matches reports whether path is the source's file, under its directory,
// or matched by its glob.
func (o override) matches(path string) bool {
	if path == o.pattern {
		return true
	}
	if ok, _ := filepath.Match(o.pattern, path); ok {
		return true
	}
	rel, err := filepath.Rel(o.pattern, path)
	return err == nil && rel != "." && !filepath.IsAbs(rel) && len(rel) > 0 && rel[0] != '.'
}
