package daemon

import (
	"context"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/store"
)

// SettingsOf is what a reload replaces, as `logcause watch` reads it from
// its command line and its config file cfg: the watched paths (args, the
// paths given, else cfg's sources as written: a glob or a directory also
// finds the logs that appear later), the formats opts, and cfg's reports,
// analyzed on st (AnalyzedSender, with stack) and handed to deliver (the
// mailer).
func SettingsOf(args []string, opts pipeline.Options, cfg config.Config, st *store.Store, stack func() *stackconf.Config,
	deliver func(ctx context.Context, job config.Report, res analyze.Result) error) Settings {
	watched := args
	if len(watched) == 0 {
		for _, s := range cfg.Sources {
			watched = append(watched, s.Path)
		}
	}
	return Settings{Watch: watched, Options: opts, Reports: cfg.Reports, Config: cfg, Sender: AnalyzedSender(st, stack, deliver)}
}
