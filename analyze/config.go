package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/stackconf"
)

// Setting is one value of the servers' configuration that a finding quotes.
type Setting struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	File    string `json:"file,omitempty"` // as on the server; empty for a built-in default
	Line    int    `json:"line,omitempty"`
	Default bool   `json:"default,omitempty"`
	Quote   string `json:"quote"` // as the report shows it: "fastcgi_read_timeout 2s (/etc/nginx/nginx.conf:31)"
}

func setting(s stackconf.Setting) Setting {
	return Setting{Name: s.Name, Value: s.Value, File: s.File, Line: s.Line, Default: s.Default, Quote: s.String()}
}

// ConfigUse says which configuration the findings quote.
type ConfigUse struct {
	Root     string   `json:"root"`
	Files    []string `json:"files"`
	Problems []string `json:"problems,omitempty"`
}

// configured is the configuration of the servers that wrote the logs, as
// far as the logs show it is theirs.
type configured struct {
	stack *stackconf.Config
}

// belongs reports whether stack is the configuration of the servers that
// wrote these records: nginx passes requests to an upstream the error log
// names, or a PHP-FPM pool listens there. The default config root is this
// machine's /, and logs copied from another server must not be explained
// with this one's settings.
func belongs(stack *stackconf.Config, sig *[numSignals][]*patterns.Event) bool {
	if stack == nil {
		return false
	}
	asked := map[string]bool{}
	for s := sigTimeout; s <= sigTLS; s++ {
		for _, ev := range sig[s] {
			up := ev.Error.Upstream
			if up == "" || asked[up] {
				continue
			}
			asked[up] = true
			if (stack.Nginx != nil && stack.Nginx.Serves(up)) || stack.PoolFor(up) != nil {
				return true
			}
		}
	}
	return false
}

// nginx returns the effective values of directive (its name after the
// module prefix, e.g. "read_timeout") for the upstreams of lines: the
// module follows the upstream's scheme (fastcgi://, http://, uwsgi://,
// grpc://). One Setting per distinct value.
func (c configured) nginx(lines []*patterns.Event, directive string) []Setting {
	return c.nginxFor(lines, func(upstream string) string { return modulePrefix(upstream) + directive })
}

// serverParams returns max_fails or fail_timeout of the upstream{} server
// lines the lines' upstreams match.
func (c configured) serverParams(lines []*patterns.Event, name string) []Setting {
	return c.nginxFor(lines, func(string) string { return name })
}

// nginxFor returns the effective values of the directive named for each
// line's upstream, for the requests nginx passed there.
func (c configured) nginxFor(lines []*patterns.Event, name func(upstream string) string) []Setting {
	if c.stack.Nginx == nil {
		return nil
	}
	var out []Setting
	seen := map[string]bool{}
	asked := map[[2]string]bool{} // upstream and host: thousands of lines name a few
	for _, ev := range lines {
		e := ev.Error
		if e == nil || e.Upstream == "" {
			continue
		}
		key := [2]string{e.Upstream, cmp.Or(e.Host, e.Server)}
		if asked[key] {
			continue
		}
		asked[key] = true
		if !c.stack.Nginx.Serves(e.Upstream) {
			continue
		}
		for _, s := range c.stack.Nginx.For(key[0], key[1], name(e.Upstream)) {
			if q := s.String(); !seen[q] {
				seen[q] = true
				out = append(out, setting(s))
			}
		}
	}
	return out
}

// modulePrefix is the directive prefix of the module that talks to an
// upstream written as nginx logs it.
func modulePrefix(upstream string) string {
	for _, p := range []struct{ scheme, prefix string }{
		{"fastcgi://", "fastcgi_"}, {"uwsgi://", "uwsgi_"}, {"grpc://", "grpc_"}, {"grpcs://", "grpc_"}, {"scgi://", "scgi_"},
	} {
		if strings.HasPrefix(upstream, p.scheme) {
			return p.prefix
		}
	}
	return "proxy_"
}

// timeoutFor is the directive (without module prefix) whose timeout a
// line's phase ran into.
func timeoutFor(action string) string {
	switch {
	case strings.HasPrefix(action, "connecting"):
		return "connect_timeout"
	case strings.HasPrefix(action, "sending"):
		return "send_timeout"
	}
	return "read_timeout"
}

// pools returns the PHP-FPM pools involved: those that listen where the
// lines' FastCGI upstreams point, and those php-fpm's records name.
func (c configured) pools(lines []*patterns.Event, fpm []*patterns.Event) []*stackconf.FPMPool {
	var out []*stackconf.FPMPool
	add := func(p *stackconf.FPMPool) {
		if p != nil && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, ev := range lines {
		if ev.Error != nil && fastcgi(ev) {
			add(c.stack.PoolFor(ev.Error.Upstream))
		}
	}
	for _, ev := range fpm {
		if ev.FPM != nil && ev.FPM.Pool != "" {
			add(c.stack.Pool(ev.FPM.Pool))
		}
	}
	return out
}

// poolSettings quotes keys of each pool, named after the pool.
func poolSettings(pools []*stackconf.FPMPool, keys ...string) []Setting {
	var out []Setting
	for _, p := range pools {
		for _, k := range keys {
			s := setting(p.Get(k))
			s.Quote = "[" + p.Name + "] " + s.Quote
			out = append(out, s)
		}
	}
	return out
}

func quotes(ss []Setting) string {
	q := make([]string, 0, len(ss))
	for _, s := range ss {
		q = append(q, s.Quote)
	}
	return strings.Join(q, ", ")
}

// requestTimes returns the shortest and longest $request_time of the
// access-log lines with the given status, when the log format has it.
func (e evidenceSet) requestTimes(status int) (lo, hi float64, ok bool) {
	for _, ev := range e.access {
		a := ev.Access
		if a.Status != status || a.RequestTime < 0 {
			continue
		}
		if !ok || a.RequestTime < lo {
			lo = a.RequestTime
		}
		if !ok || a.RequestTime > hi {
			hi = a.RequestTime
		}
		ok = true
	}
	return lo, hi, ok
}

func span(lo, hi float64) string {
	if hi-lo < 0.05 {
		return fmt.Sprintf("%.1f s", hi)
	}
	return fmt.Sprintf("%.1f–%.1f s", lo, hi)
}

// quoteConfig adds to a cause the settings that shaped it, a sentence
// about them to its summary, and recommendations that name the values to
// change and where they are.
func (e evidenceSet) quoteConfig(c *Cause, cfg configured) {
	sig := e.sig
	var found, recs []string
	switch c.Kind {
	case UpstreamTimeout:
		c.Settings = cfg.nginx(sig[sigTimeout], timeoutFor(firstAction(sig[sigTimeout])))
		if len(c.Settings) > 0 {
			f := "nginx waits " + quotes(c.Settings)
			if lo, hi, ok := e.requestTimes(504); ok {
				f += " and the 504s took " + span(lo, hi)
			}
			found = append(found, f)
			recs = append(recs, fmt.Sprintf("The requests outlasted %s. Find what made them slow first (PHP-FPM slow log, MySQL slow log); if they are legitimate, raise %s there above the slowest of them.", c.Settings[0].Quote, c.Settings[0].Name))
		}
		if pools := cfg.pools(sig[sigTimeout], nil); len(pools) > 0 {
			ps := poolSettings(pools, "request_terminate_timeout")
			c.Settings = append(c.Settings, ps...)
			recs = append(recs, "Keep request_terminate_timeout at or just above nginx's timeout, so that PHP stops work nobody waits for any more; now "+quotes(ps)+" (0: never).")
		}
	case FPMWorkerExhaustion:
		nginx := append(slices.Clone(sig[sigBacklogFull]), sig[sigTimeout]...)
		pools := cfg.pools(nginx, sig[sigMaxChildren])
		if len(pools) == 0 {
			break
		}
		c.Settings = poolSettings(pools, "pm", "pm.max_children", "listen.backlog")
		found = append(found, "the pool's limits: "+quotes(c.Settings))
		for _, p := range pools {
			mc := p.Get("pm.max_children")
			recs = append(recs, fmt.Sprintf("Raise %s in pool [%s] if memory allows: max_children ≈ (RAM for PHP) / (worker RSS, `ps -o rss -C php-fpm`). Find what held the workers first: set request_slowlog_timeout = 5s and slowlog in the pool (now %s).",
				mc.String(), p.Name, p.Get("request_slowlog_timeout").String()))
			if len(sig[sigBacklogFull]) > 0 {
				recs = append(recs, fmt.Sprintf("Raise %s in pool [%s], and net.core.somaxconn, so that short bursts queue instead of failing with EAGAIN.", p.Get("listen.backlog").String(), p.Name))
			}
		}
	case FPMRequestTerminated:
		pools := cfg.pools(nil, sig[sigTerminated])
		if len(pools) == 0 {
			break
		}
		c.Settings = poolSettings(pools, "request_terminate_timeout")
		killed := ""
		if d := longestRun(sig[sigTerminated]); d > 0 {
			killed = fmt.Sprintf(" killed requests after %.1f s", d)
		}
		found = append(found, quotes(c.Settings)+killed)
		c.Settings = append(c.Settings, cfg.nginx(sig[sigReset], "read_timeout")...)
		recs = append(recs, "Find why these requests run so long (PHP-FPM slow log, MySQL slow log); if they are legitimate, raise "+quotes(poolSettings(pools, "request_terminate_timeout"))+" and nginx's fastcgi_read_timeout together.")
	case UpstreamHeaderTooBig:
		c.Settings = cfg.nginx(sig[sigHeaderTooBig], "buffer_size")
		if len(c.Settings) > 0 {
			found = append(found, "the response header must fit "+quotes(c.Settings))
			name := c.Settings[0].Name
			recs = append(recs, fmt.Sprintf("Raise %s to 16k or 32k there, with %s to match, or stop the application from sending huge headers (cookies, debug headers).",
				c.Settings[0].Quote, strings.TrimSuffix(name, "_size")+"s"))
		}
	case BackendDown:
		lines := append(slices.Clone(sig[sigRefused]), sig[sigNoLive]...)
		lines = append(lines, sig[sigUnreachable]...)
		connect := cfg.nginx(lines, "connect_timeout")
		fails, timeout := cfg.serverParams(lines, "max_fails"), cfg.serverParams(lines, "fail_timeout")
		c.Settings = slices.Concat(connect, fails, timeout)
		if len(fails) > 0 && len(timeout) > 0 {
			found = append(found, fmt.Sprintf("nginx takes a server out of the group for %s after %s failed attempts (connecting with %s)", quotes(timeout), quotes(fails), quotes(connect)))
			recs = append(recs, fmt.Sprintf("Bring the servers back (check that each listens), then size the group's tolerance: with %s a server that fails that often is left alone for %s; add a `backup` server, or more servers, so that one failure does not leave `no live upstreams`.",
				quotes(fails), quotes(timeout)))
		}
	case FPMDown:
		lines := append(slices.Clone(sig[sigNoSocket]), sig[sigRefused]...)
		if pools := cfg.pools(lines, nil); len(pools) > 0 {
			c.Settings = poolSettings(pools, "listen")
			found = append(found, "the pool that listens there: "+quotes(c.Settings))
		} else if up := firstFastCGI(lines); up != "" && len(cfg.stack.FPM) > 0 {
			c.Settings = poolSettings(cfg.stack.FPM, "listen")
			found = append(found, "no PHP-FPM pool listens on "+strings.TrimPrefix(up, "fastcgi://")+": "+quotes(c.Settings))
			recs = append([]string{"Make nginx's fastcgi_pass and the pool's listen name the same socket."}, recommendations[FPMDown]...)
		}
	case SocketPermission:
		if pools := cfg.pools(sig[sigPermission], nil); len(pools) > 0 {
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
		}
	case DNSFailure:
		if cfg.stack.Nginx != nil {
			for _, s := range []string{"resolver", "resolver_timeout"} {
				c.Settings = append(c.Settings, setting(cfg.stack.Nginx.Get(s)))
			}
			found = append(found, quotes(c.Settings))
		}
	case WorkerCrash:
		if pools := cfg.pools(sig[sigReset], sig[sigChildSignal]); len(pools) > 0 {
			c.Settings = poolSettings(pools, "pm.max_requests")
			found = append(found, quotes(c.Settings))
		}
	case SlowQueries, MySQLTooManyConnections, MySQLDown:
		if my := cfg.stack.MySQL; my != nil {
			for _, k := range []string{"long_query_time", "max_connections"} {
				c.Settings = append(c.Settings, setting(my.Get(k)))
			}
			workers := poolSettings(cfg.stack.FPM, "pm.max_children")
			c.Settings = append(c.Settings, workers...)
			found = append(found, quotes(c.Settings))
			if c.Kind == MySQLTooManyConnections {
				recs = append(recs, fmt.Sprintf("Keep %s above the PHP workers that may each hold a connection (%s), plus what other clients need.", my.Get("max_connections").String(), quotes(workers)))
			}
		}
	}
	if len(found) > 0 {
		c.Summary += "; " + strings.Join(found, "; ")
	}
	if len(recs) > 0 {
		c.Recommendations = recs // the static advice, made concrete
	}
}

func firstAction(lines []*patterns.Event) string {
	for _, ev := range lines {
		if ev.Error != nil {
			return ev.Error.Action
		}
	}
	return ""
}

func firstFastCGI(lines []*patterns.Event) string {
	for _, ev := range lines {
		if fastcgi(ev) {
			return ev.Error.Upstream
		}
	}
	return ""
}

// longestRun is the longest time php-fpm says a terminated request ran.
func longestRun(lines []*patterns.Event) float64 {
	var d float64
	for _, ev := range lines {
		if ev.FPM != nil {
			d = max(d, ev.FPM.Duration)
		}
	}
	return d
}
