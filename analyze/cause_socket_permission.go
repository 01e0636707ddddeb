package analyze

import "fmt"

// socketPermission: nginx's user may not open the PHP-FPM socket.
var socketPermission = rule{
	kind:     SocketPermission,
	describe: "nginx may not connect to the upstream socket (permissions)",
	advice: []string{
		"Set listen.owner, listen.group and listen.mode in the PHP-FPM pool so that nginx's user (e.g. www-data) may connect to the socket; check SELinux if they already match.",
	},
	reads: []signal{sigPermission},
	match: func(e evidenceSet) *Cause {
		return e.lineCause(linkPermission, "connect() … failed (13: Permission denied)", "nginx's user may not open the socket")
	},
	quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
		pools := cfg.pools(e.sig[sigPermission], list{})
		if len(pools) == 0 {
			return nil, nil
		}
		c.Settings = poolSettings(pools, "listen", "listen.owner", "listen.group", "listen.mode")
		user := "nginx's user"
		if cfg.stack.Nginx != nil {
			u := setting(cfg.stack.Nginx.Get("user"))
			c.Settings = append(c.Settings, u)
			user = u.Quote
		}
		found = append(found, quotes(c.Settings))
		recs = append(recs, fmt.Sprintf("Let nginx's workers (%s) connect to the socket: in pool [%s] set listen.owner and listen.group to that user and its group, and listen.mode = 0660 (now %s). Check SELinux if they already match.",
			user, pools[0].Name, quotes(poolSettings(pools[:1], "listen.owner", "listen.group", "listen.mode"))))
		return found, recs
	},
}
