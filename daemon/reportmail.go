package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/store"
)

// AnalyzedSender is the Sender of watch's scheduled reports: it analyzes
// the run's window of st (the store the daemon holds), quoting the
// servers' configuration as stack reads it then, and hands the result to
// deliver (the mailer). A store that holds nothing yet is a quiet window:
// deliver gets an analysis of no request, for an all-clear mail, rather
// than no mail at all.
func AnalyzedSender(st *store.Store, stack func() *stackconf.Config, deliver func(ctx context.Context, job config.Report, res analyze.Result) error) SenderFunc {
	return func(ctx context.Context, job config.Report, since, until time.Time) error {
		cfg := analyze.DefaultConfig
		if stack != nil {
			cfg.Stack = stack()
		}
		res, err := pipeline.Report(st, since, until, cfg)
		if errors.Is(err, pipeline.ErrEmptyStore) {
			res, err = analyze.Analyze(st, analyze.TimeRange{Start: since, End: until}, cfg)
		}
		if err != nil {
			return fmt.Errorf("cannot analyze the report's window: %w", err)
		}
		return deliver(ctx, job, res)
	}
}
