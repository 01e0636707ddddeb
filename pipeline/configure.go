package pipeline

import (
	"cmp"
	"slices"
	"time"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/stackconf"
)

// Inputs are what a command line says of how logs are read; they win over
// the config file's keys, and add to its lists.
type Inputs struct {
	FromFile   bool           // the config was read from a file: its sources' formats and zones apply
	Zone       *time.Location // of stamps without one (--tz, else the file's tz)
	ConfigRoot string         // the servers' configuration (--config-root, else the file's)
	NginxConf  string         // --nginx-conf
	LogFormats []string       // --nginx-log-format: log_format directives as text
	Grok       []string       // --grok files
	Format     string         // the log format to force; "": detect
}

// OptionsFor turns the config cfg and the command line's in into the
// options logs are read with. A format or a log_format directive that is
// not one is a config.UsageError; a grok file or an nginx.conf that cannot
// be read, another error.
func OptionsFor(cfg config.Config, in Inputs) (Options, error) {
	opts := Options{Limits: ingest.DefaultLimits, Zone: in.Zone, ConfigRoot: in.ConfigRoot}
	if in.FromFile {
		for _, s := range cfg.Sources { // every source, so that the first that matches a file wins
			opts.Overrides = append(opts.Overrides, Override{Pattern: s.Path, Format: s.Kind(), Zone: s.Zone()})
		}
	}
	var err error
	if in.Format != "" {
		if opts.Format, err = patterns.ParseKind(in.Format); err != nil {
			return opts, config.UsageError{Err: err}
		}
	}
	if opts.Grok, err = patterns.LoadGrokFiles(append(slices.Clone(in.Grok), cfg.Grok...)); err != nil {
		return opts, err
	}
	given, err := stackconf.ParseLogFormatDirectives(append(slices.Clone(in.LogFormats), cfg.NginxLogFormats...))
	if err != nil {
		return opts, config.UsageError{Err: err}
	}
	fromConf, err := stackconf.LogFormatsUnder(in.ConfigRoot, cmp.Or(in.NginxConf, cfg.NginxConf))
	opts.Access = append(given, fromConf...)
	return opts, err
}
