package stackconf

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/logcause/logcause/patterns"
)

// What the commands read under a config root: the servers' configuration
// (ReadRoot), and the log formats of the access logs, given as directives
// (ParseLogFormatDirectives) or read from nginx's configuration
// (LogFormatsUnder).

// defaultNginxConf is where nginx's main configuration usually is, under a
// config root: where LogFormatsUnder looks when it is given none.
const defaultNginxConf = "etc/nginx/nginx.conf"

// ReadRoot reads the servers' configuration under the directory root, as
// Read does. What cannot be read is logged at Debug, and never stops an
// analysis: a finding without its setting is still a finding.
func ReadRoot(root string) *Config {
	sc := Read(os.DirFS(root), root)
	for _, p := range sc.Problems {
		slog.Debug("server configuration", "problem", p)
	}
	return sc
}

// ParseLogFormatDirectives compiles log_format directives given as text
// (ParseLogFormatDirective), in their order. The error names the
// directive that does not compile.
func ParseLogFormatDirectives(directives []string) ([]*patterns.AccessFormat, error) {
	var formats []*patterns.AccessFormat
	for _, d := range directives {
		af, err := ParseLogFormatDirective(d)
		if err != nil {
			return nil, fmt.Errorf("invalid log_format %q: %w", d, err)
		}
		formats = append(formats, af)
	}
	return formats, nil
}

// LogFormatsUnder reads the log_formats of the nginx configuration file
// conf and its includes (ReadLogFormats). Without conf, it reads those of
// etc/nginx/nginx.conf under the config root, when it exists; that one
// was not asked for, so that it cannot be read is only a warning, and no
// format.
func LogFormatsUnder(root, conf string) ([]*patterns.AccessFormat, error) {
	if conf != "" {
		formats, err := ReadLogFormats(conf)
		if err != nil {
			return nil, fmt.Errorf("cannot read the log formats of %s: %w", conf, err)
		}
		return formats, nil
	}
	def := filepath.Join(root, defaultNginxConf)
	if _, err := os.Stat(def); err != nil {
		return nil, nil
	}
	formats, err := ReadLogFormats(def)
	if err != nil {
		slog.Warn("cannot read the log formats of nginx's configuration; give --nginx-conf to choose the file", "err", err)
		return nil, nil
	}
	return formats, nil
}
