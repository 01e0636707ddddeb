package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/logcause/logcause/alert"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/email"
)

// alertSwitch starts the alerts of cfg (its alerts key), reloadable, their
// mails sent through the Mailer that mailer makes of a config (nil when
// the alerts send none). watch and fleet announce their incidents so.
func alertSwitch(cfg config.Config, opt alert.Options, mailer func(config.Config) (*email.Mailer, error)) (*alert.Switch, error) {
	return alert.NewSwitch(cfg, alert.Build(opt, func(cfg config.Config) (alert.Mailer, error) {
		m, err := mailer(cfg)
		if m == nil { // none needed, or an error: no typed nil
			return nil, err
		}
		return m, nil
	}))
}

// hangups relays the SIGHUPs, that ask a daemon to reload its config,
// until stop is called.
func hangups() (hup <-chan os.Signal, stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	return c, func() { signal.Stop(c) }
}
