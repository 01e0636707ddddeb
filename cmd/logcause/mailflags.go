package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/email"
	"github.com/logcause/logcause/report"
)

// mailFlags is --email, shared by analyze and report.
type mailFlags struct {
	list string   // as given
	to   []string // checked, by mailer
}

func (m *mailFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&m.list, "email", "", "mail the report to `ADDR[,ADDR]` through the config's smtp server instead of printing it (--output still writes the file)")
}

// mailer checks --email and the config's smtp section before any work
// (email.ForRecipients); nil without --email.
func (m *mailFlags) mailer(cfg config.Config, zone *time.Location) (mailer *email.Mailer, err error) {
	if m.list == "" {
		return nil, nil
	}
	mailer, m.to, err = email.ForRecipients(m.list, cfg.SMTP, zone)
	return mailer, err
}

// deliver mails the report when --email asks (email.Mailer.Deliver), else
// writes it to stdout or --output; it says where it went.
func (m *mailFlags) deliver(c *cobra.Command, mailer *email.Mailer, res analyze.Result, out report.Output, render report.RenderFunc) (where string, err error) {
	if mailer == nil {
		return out.Write(c.OutOrStdout(), res, render)
	}
	return mailer.Deliver(c.Context(), c.OutOrStdout(), res, m.to, out, render)
}
