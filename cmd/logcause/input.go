package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
)

// inputFlags are the flags that say how logs are read, shared by the
// commands that read logs.
type inputFlags struct {
	tz     string
	grok   []string
	format string // the log format to force; its flag name differs per command
}

func (f *inputFlags) register(c *cobra.Command, formatFlag, tzDefault string) {
	c.Flags().StringVar(&f.tz, "tz", "", "`ZONE` of stamps without one: IANA name (Europe/Paris), offset (+01:00) or Local"+tzDefault)
	c.Flags().StringArrayVar(&f.grok, "grok", nil, "grok `FILE` defining formats (LOGCAUSE_<KIND> patterns); tried before the built-in formats; repeatable")
	c.Flags().StringVar(&f.format, formatFlag, "", fmt.Sprintf("force the log `FORMAT` of every file instead of detecting it (%v)", patterns.Kinds()))
}

// options turns the flags into loadOptions; errors are usage errors, but
// for a grok file that cannot be read or compiled.
func (f *inputFlags) options() (loadOptions, error) {
	opts := loadOptions{limits: ingest.DefaultLimits}
	var err error
	if opts.zone, err = parseZone(f.tz); err != nil {
		return opts, err
	}
	if f.format != "" {
		if opts.format, err = patterns.ParseKind(f.format); err != nil {
			return opts, usageError{err}
		}
	}
	for _, path := range f.grok {
		formats, err := patterns.LoadGrokFile(path)
		if err != nil {
			return opts, err
		}
		opts.grok = append(opts.grok, formats...)
	}
	return opts, nil
}
