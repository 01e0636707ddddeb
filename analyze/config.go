package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

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
func belongs(stack *stackconf.Config, sig *[numSignals]list) bool {
	if stack == nil {
		return false
	}
	asked := map[string]bool{}
	for s := sigTimeout; s <= sigTLS; s++ {
		for _, ev := range sig[s].firsts() { // the upstream is a record's kind's
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
func (c configured) nginx(lines list, directive string) []Setting {
	return c.nginxFor(lines, func(upstream string) string { return modulePrefix(upstream) + directive })
}

// serverParams returns max_fails or fail_timeout of the upstream{} server
// lines the lines' upstreams match.
func (c configured) serverParams(lines list, name string) []Setting {
	return c.nginxFor(lines, func(string) string { return name })
}

// nginxFor returns the effective values of the directive named for each
// line's upstream, for the requests nginx passed there.
func (c configured) nginxFor(lines list, name func(upstream string) string) []Setting {
	if c.stack.Nginx == nil {
		return nil
	}
	var out []Setting
	seen := map[string]bool{}
	asked := map[[2]string]bool{}       // upstream and host: thousands of lines name a few
	for _, ev := range lines.firsts() { // the upstream and host are a record's kind's
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
func (c configured) pools(lines, fpm list) []*stackconf.FPMPool {
	var out []*stackconf.FPMPool
	add := func(p *stackconf.FPMPool) {
		if p != nil && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, ev := range lines.firsts() { // the upstream and pool are a record's kind's
		if ev.Error != nil && fastcgi(ev) {
			add(c.stack.PoolFor(ev.Error.Upstream))
		}
	}
	for _, ev := range fpm.firsts() {
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

// requestTimes are the shortest and longest $request_time of a spike's
// gateway errors in the access log, by status: explain adds them as it
// reads (the log formats without $request_time give none).
type requestTimes map[int][2]float64

// add adds an access line of status that took took seconds (< 0: the
// log format has no $request_time).
func (r requestTimes) add(status int, took float64) {
	if took < 0 {
		return
	}
	span, ok := r[status]
	if !ok {
		span = [2]float64{took, took}
	}
	r[status] = [2]float64{min(span[0], took), max(span[1], took)}
}

// requestTimes returns the shortest and longest $request_time of the
// access-log lines with the given status, when the log format has it.
func (e evidenceSet) requestTimes(status int) (lo, hi float64, ok bool) {
	span, ok := e.times[status]
	return span[0], span[1], ok
}

func span(lo, hi float64) string {
	if hi-lo < 0.05 {
		return fmt.Sprintf("%.1f s", hi)
	}
	return fmt.Sprintf("%.1f–%.1f s", lo, hi)
}

// quoteDatabase quotes the database's limits and the PHP workers that may
// each hold a connection to it.
func quoteDatabase(c *Cause, cfg configured) (found []string) {
	my := cfg.stack.MySQL
	if my == nil {
		return nil
	}
	for _, k := range []string{"long_query_time", "max_connections"} {
		c.Settings = append(c.Settings, setting(my.Get(k)))
	}
	c.Settings = append(c.Settings, poolSettings(cfg.stack.FPM, "pm.max_children")...)
	return []string{quotes(c.Settings)}
}
