package stackconf

import (
	"net/netip"
	"path"
	"regexp"
	"strings"
)

// nginxMainFiles are where nginx's main configuration file is looked for,
// in order: Debian/Ubuntu/RHEL packages, a source build, FreeBSD, OpenResty.
var nginxMainFiles = []string{
	"/etc/nginx/nginx.conf",
	"/usr/local/nginx/conf/nginx.conf",
	"/usr/local/etc/nginx/nginx.conf",
	"/etc/openresty/nginx.conf",
	"/usr/local/openresty/nginx/conf/nginx.conf",
}

// NginxConfig is nginx's configuration as Read found it: every directive
// with the blocks it is in, includes expanded where they stand.
type NginxConfig struct {
	File      string // the main configuration file, e.g. /etc/nginx/nginx.conf
	main      *nginxBlock
	http      *nginxBlock                  // nil without http{}
	upstreams map[string]*nginxBlock       // http's upstream{} blocks by lower-case name
	regexps   map[string]*regexp.Regexp    // server_name regexps ("~…"); nil when Go cannot compile one
	servers   map[*nginxBlock]*nginxBlock  // location/if block → its server{}
	names     map[*nginxBlock][]string     // server{} → its server_name arguments
	passes    []nginxPass                  // every *_pass with a fixed address
	byName    map[string][]*nginxDirective // directive name → every occurrence, in order
}

// nginxPass is one fastcgi_pass, proxy_pass, uwsgi_pass, scgi_pass or
// grpc_pass and the block it is in.
type nginxPass struct {
	d      *nginxDirective
	module string   // "fastcgi", "proxy", "uwsgi", "scgi", "grpc"
	addr   peerAddr // the target
	tls    bool     // https, grpcs, suwsgi: default port 443
}

// NginxDirective is one directive of nginx's configuration and where it is.
type NginxDirective struct {
	Setting          // Name; Value: the arguments joined by spaces; File; Line
	Args    []string // the arguments as nginx reads them (unquoted)
	Context string   // the blocks it is in, outermost first, e.g. `http > server shop.example (listen 443 ssl) > location ~ \.php$`; "" in the main context
}

// readNginx reads nginx's configuration, or returns nil when none is found
// or its main file cannot be read.
func (r *stackReader) readNginx() *NginxConfig {
	main := r.firstExisting("nginx config", nginxMainFiles...)
	if main == "" {
		return nil
	}
	nr := newNginxReader(r.fs, path.Dir(main))
	nr.lenient = true
	if err := nr.read(main, "", 0); err != nil {
		nr.problems = append(nr.problems, err)
	}
	for _, err := range nr.problems {
		r.problem(err)
	}
	r.readFiles(nr.readFiles...)
	if len(nr.readFiles) == 0 {
		return nil
	}
	return newNginxConfig(main, nr.main)
}

// newNginxConfig indexes the tree read from file.
func newNginxConfig(file string, main *nginxBlock) *NginxConfig {
	c := &NginxConfig{
		File:      file,
		main:      main,
		upstreams: map[string]*nginxBlock{},
		regexps:   map[string]*regexp.Regexp{},
		servers:   map[*nginxBlock]*nginxBlock{},
		names:     map[*nginxBlock][]string{},
		byName:    map[string][]*nginxDirective{},
	}
	for _, b := range main.blocks {
		if b.name == "http" && c.http == nil {
			c.http = b
		}
	}
	c.index(main, nil)
	return c
}

// index walks block b (inside server{} srv, or nil) and fills the indexes.
func (c *NginxConfig) index(b *nginxBlock, srv *nginxBlock) {
	if b.name == "server" && b.parent == c.http && c.http != nil {
		srv = b
	}
	if srv != nil {
		c.servers[b] = srv
	}
	if b.name == "upstream" && b.parent == c.http && c.http != nil && len(b.args) == 1 {
		if _, dup := c.upstreams[strings.ToLower(b.args[0])]; !dup {
			c.upstreams[strings.ToLower(b.args[0])] = b
		}
	}
	for _, d := range b.dirs {
		c.byName[d.name] = append(c.byName[d.name], d)
		if b == srv && d.name == "server_name" {
			c.names[srv] = append(c.names[srv], d.args...)
			for _, n := range d.args {
				if re, ok := strings.CutPrefix(n, "~"); ok {
					if _, done := c.regexps[n]; !done {
						c.regexps[n], _ = regexp.Compile("(?i)" + re)
					}
				}
			}
		}
		if srv != nil && (b.name == "location" || b.name == "if") {
			if p, ok := parsePass(d); ok {
				c.passes = append(c.passes, p)
			}
		}
	}
	for _, sub := range b.blocks {
		c.index(sub, srv)
	}
}

// Find returns every occurrence of directive name, in the order nginx
// reads them, with the blocks each is in.
func (c *NginxConfig) Find(name string) []NginxDirective {
	var out []NginxDirective
	for _, d := range c.byName[name] {
		out = append(out, NginxDirective{Setting: d.setting(), Args: d.args, Context: d.block.context()})
	}
	return out
}

// Get returns the value of directive name set outside server{} blocks: in
// the main context, in events{} or in http{} (the first found, in that
// order), or nginx's built-in default. It is for values such as
// worker_connections, worker_processes or keepalive_timeout; For gives the
// value a request to an upstream had.
func (c *NginxConfig) Get(name string) Setting {
	blocks := []*nginxBlock{c.main}
	for _, b := range c.main.blocks {
		if b.name == "events" {
			blocks = append(blocks, b)
		}
	}
	if c.http != nil {
		blocks = append(blocks, c.http)
	}
	for _, b := range blocks {
		if s := b.own(name); len(s) > 0 {
			return s[0]
		}
	}
	return nginxDefault(name)
}

// For returns the effective value of directive name (with nginx's
// inheritance http → server → location, and nginx's built-in default
// when unset) for requests nginx passed to upstream, the value nginx
// writes after `upstream:` in the error log: "fastcgi://127.0.0.1:9000",
// "fastcgi://unix:/run/php/php8.2-fpm.sock:", "http://10.0.0.5:8080/api/x",
// "http://backend/..."; the location(s) are those whose fastcgi_pass /
// proxy_pass / uwsgi_pass / grpc_pass points at it, directly or through an
// upstream{} block that lists that server. host (the error line's
// `server:`/`host:`), when non-empty, narrows to the matching server{}.
// When no location matches, the http-level (or default) value. One Setting
// per distinct value found.
//
// Addresses match as nginx resolves them: "localhost" is 127.0.0.1 or ::1,
// a port left out of proxy_pass or of an upstream server is 80 (443 for
// https), and a target written as a DNS name, which nginx resolved when it
// started, matches any address with its port. A pass whose address is a
// variable matches nothing. host matches server_name as nginx does (exact,
// "*.example.com", "example.*", ".example.com", "~regex"); when it matches
// none of the servers found, every matching location counts. A directive
// set several times in one block (fastcgi_param) gives one Setting per
// line, from the innermost block that sets it, as nginx inherits such
// arrays whole. For the upstream server parameters max_fails and
// fail_timeout, the value is the one on the matching server line of the
// upstream{} block.
func (c *NginxConfig) For(upstream, host, name string) []Setting {
	matches := c.passesTo(upstream, host)
	if name == "max_fails" || name == "fail_timeout" {
		return c.serverParam(matches, name)
	}
	if len(matches) == 0 {
		start := c.http
		if start == nil {
			start = c.main
		}
		return c.effective(start, name)
	}
	var out []Setting
	seen := map[string]bool{}
	for _, m := range matches {
		for _, s := range c.effective(m.pass.d.block, name) {
			if !seen[s.Value] {
				seen[s.Value] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// Serves reports whether a location of this configuration passes requests
// to upstream (as the error log writes it): whether the configuration is
// that of the server that wrote the log, rather than another one's.
func (c *NginxConfig) Serves(upstream string) bool { return len(c.passesTo(upstream, "")) > 0 }

// Upstream returns the server lines of upstream{} block name, with their
// parameters in Value ("127.0.0.1:9000 max_fails=3 fail_timeout=30s").
func (c *NginxConfig) Upstream(name string) (servers []Setting, ok bool) {
	b := c.upstreams[strings.ToLower(name)]
	if b == nil {
		return nil, false
	}
	return b.own("server"), true
}

// effective returns the values of name that apply in block b: those of the
// innermost block from b out that sets it, else the events{} value, else
// the default.
func (c *NginxConfig) effective(b *nginxBlock, name string) []Setting {
	for x := b; x != nil; x = x.parent {
		if s := x.own(name); len(s) > 0 {
			return s
		}
	}
	return []Setting{c.Get(name)}
}

// own returns the settings of directive name in block b itself.
func (b *nginxBlock) own(name string) []Setting {
	var out []Setting
	for _, d := range b.dirs {
		if d.name == name {
			out = append(out, d.setting())
		}
	}
	return out
}

func (d *nginxDirective) setting() Setting {
	return Setting{Name: d.name, Value: strings.Join(d.args, " "), File: d.file, Line: d.line, Server: serverNginx}
}

// context describes the blocks b is in, outermost first.
func (b *nginxBlock) context() string {
	var parts []string
	for x := b; x != nil && x.parent != nil; x = x.parent {
		parts = append(parts, x.label())
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, " > ")
}

// label names block b: its name and arguments; a server{} by its
// server_name and listen values.
func (b *nginxBlock) label() string {
	if b.name != "server" || len(b.args) > 0 {
		return strings.TrimSpace(b.name + " " + strings.Join(b.args, " "))
	}
	s := "server"
	for _, d := range b.dirs {
		if d.name == "server_name" {
			s += " " + strings.Join(d.args, " ")
		}
	}
	var listen []string
	for _, d := range b.dirs {
		if d.name == "listen" {
			listen = append(listen, "listen "+strings.Join(d.args, " "))
		}
	}
	if len(listen) > 0 {
		s += " (" + strings.Join(listen, "; ") + ")"
	}
	return s
}

// nginxMatch is a pass that points at an upstream address.
type nginxMatch struct {
	pass   nginxPass
	group  *nginxBlock     // the upstream{} block it goes through, or nil
	server *nginxDirective // the group's server line that matched, or nil
}

// passesTo returns the passes that point at upstream (as the error log
// writes it), narrowed to the server{} host names when that leaves any.
func (c *NginxConfig) passesTo(upstream, host string) []nginxMatch {
	scheme, want, ok := parseLogUpstream(upstream)
	if !ok {
		return nil
	}
	module := ""
	if scheme != "" {
		if module = schemeModule[scheme]; module == "" {
			return nil
		}
	}
	var all []nginxMatch
	for _, p := range c.passes {
		if module != "" && p.module != module {
			continue
		}
		if m, ok := c.match(p, want); ok {
			all = append(all, m)
		}
	}
	if host == "" {
		return all
	}
	host = normalizeHost(host)
	var narrowed []nginxMatch
	for _, m := range all {
		if c.serverMatches(c.servers[m.pass.d.block], host) {
			narrowed = append(narrowed, m)
		}
	}
	if len(narrowed) == 0 {
		return all
	}
	return narrowed
}

// match reports whether pass p reaches address want.
func (c *NginxConfig) match(p nginxPass, want peerAddr) (nginxMatch, bool) {
	m := nginxMatch{pass: p}
	if p.addr.unix == "" && p.addr.port == "" {
		if g := c.upstreams[p.addr.host]; g != nil {
			m.group = g
			if want.unix == "" && want.port == "" && want.host == p.addr.host {
				return m, true // "no live upstreams": nginx names the group
			}
			for _, d := range g.dirs {
				if d.name != "server" || len(d.args) == 0 {
					continue
				}
				if sameAddr(parsePeer(d.args[0]), "80", want) {
					m.server = d
					return m, true
				}
			}
			return m, false
		}
	}
	port := ""
	switch p.module {
	case "proxy":
		port = "80"
		if p.tls {
			port = "443"
		}
	}
	return m, sameAddr(p.addr, port, want)
}

// serverParam returns parameter name (max_fails, fail_timeout) of the
// upstream server lines matched, or its default.
func (c *NginxConfig) serverParam(matches []nginxMatch, name string) []Setting {
	var out []Setting
	seen := map[string]bool{}
	add := func(s Setting) {
		if !seen[s.Value] {
			seen[s.Value] = true
			out = append(out, s)
		}
	}
	for _, m := range matches {
		lines := []*nginxDirective{m.server}
		if m.server == nil && m.group != nil {
			lines = nil
			for _, d := range m.group.dirs {
				if d.name == "server" {
					lines = append(lines, d)
				}
			}
		}
		for _, d := range lines {
			s := nginxDefault(name)
			if d != nil {
				for _, a := range d.args {
					if v, ok := strings.CutPrefix(a, name+"="); ok {
						s = Setting{Name: name, Value: v, File: d.file, Line: d.line, Server: serverNginx}
					}
				}
			}
			add(s)
		}
	}
	if len(out) == 0 {
		add(nginxDefault(name))
	}
	return out
}

// serverMatches reports whether server{} srv answers host (normalized), by
// its server_name.
func (c *NginxConfig) serverMatches(srv *nginxBlock, host string) bool {
	if srv == nil {
		return false
	}
	for _, n := range c.names[srv] {
		if strings.HasPrefix(n, "~") {
			if re := c.regexps[n]; re != nil && re.MatchString(host) {
				return true
			}
			continue
		}
		n = strings.ToLower(n)
		switch {
		case n == host:
			return true
		case strings.HasPrefix(n, "*.") && strings.HasSuffix(host, n[1:]):
			return true
		case strings.HasPrefix(n, ".") && (host == n[1:] || strings.HasSuffix(host, n)):
			return true
		case strings.HasSuffix(n, ".*") && strings.HasPrefix(host, n[:len(n)-1]):
			return true
		}
	}
	return false
}

// normalizeHost lower-cases a host name and drops a port and a final dot.
func normalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[:i+1]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".")
}

// schemeModule maps the scheme nginx writes in `upstream: "…"` to the
// module whose *_pass sends there.
var schemeModule = map[string]string{
	"fastcgi": "fastcgi",
	"http":    "proxy",
	"https":   "proxy",
	"uwsgi":   "uwsgi",
	"suwsgi":  "uwsgi",
	"scgi":    "scgi",
	"grpc":    "grpc",
	"grpcs":   "grpc",
}

// peerAddr is an upstream address: a unix socket path, or a host (lower
// case, an IPv6 address without brackets) and a port ("" when not
// written).
type peerAddr struct {
	unix string
	host string
	port string
}

// parsePeer reads an address as nginx's *_pass and upstream server
// directives write it, without scheme: "unix:/path[:URI]", "host[:port]",
// "[v6][:port]", anything after a '/' ignored.
func parsePeer(s string) peerAddr {
	if p, ok := strings.CutPrefix(s, "unix:"); ok {
		p, _, _ = strings.Cut(p, ":")
		return peerAddr{unix: path.Clean(p)}
	}
	s, _, _ = strings.Cut(s, "/")
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i > 0 {
			return peerAddr{host: strings.ToLower(s[1:i]), port: strings.TrimPrefix(s[i+1:], ":")}
		}
	}
	host, port, _ := strings.Cut(s, ":")
	return peerAddr{host: strings.ToLower(host), port: port}
}

// parseLogUpstream reads the value nginx writes after `upstream:`:
// "scheme://address[/URI]", or an address alone.
func parseLogUpstream(s string) (scheme string, addr peerAddr, ok bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if sch, rest, found := strings.Cut(s, "://"); found {
		scheme, s = strings.ToLower(sch), rest
	}
	if s == "" {
		return "", peerAddr{}, false
	}
	a := parsePeer(s)
	return scheme, a, a.unix != "" || a.host != ""
}

// parsePass reads a fastcgi_pass, proxy_pass, uwsgi_pass, scgi_pass or
// grpc_pass directive with a fixed address.
func parsePass(d *nginxDirective) (nginxPass, bool) {
	module, ok := strings.CutSuffix(d.name, "_pass")
	if !ok || len(d.args) != 1 || strings.Contains(d.args[0], "$") {
		return nginxPass{}, false
	}
	a := d.args[0]
	p := nginxPass{d: d, module: module}
	switch module {
	case "proxy":
		low := strings.ToLower(a)
		switch {
		case strings.HasPrefix(low, "http://"):
			a = a[len("http://"):]
		case strings.HasPrefix(low, "https://"):
			a, p.tls = a[len("https://"):], true
		default:
			return nginxPass{}, false
		}
	case "grpc", "uwsgi":
		if sch, rest, found := strings.Cut(a, "://"); found {
			a, p.tls = rest, strings.EqualFold(sch, "grpcs") || strings.EqualFold(sch, "suwsgi")
		}
	case "fastcgi", "scgi":
	default:
		return nginxPass{}, false
	}
	p.addr = parsePeer(a)
	return p, p.addr.unix != "" || p.addr.host != ""
}

// sameAddr reports whether configured address cfg (defPort when it has no
// port) is address got, which nginx wrote in its error log.
func sameAddr(cfg peerAddr, defPort string, got peerAddr) bool {
	if cfg.unix != "" || got.unix != "" {
		return cfg.unix != "" && sameSocket(cfg.unix, got.unix)
	}
	if cfg.port == "" {
		cfg.port = defPort
	}
	if got.port != "" && cfg.port != got.port {
		return false
	}
	return sameHost(cfg.host, got.host)
}

// sameHost reports whether configured host cfg can be host got: the same
// name or address, localhost for a loopback address, or a DNS name (which
// nginx resolved when it read its configuration) for any address.
func sameHost(cfg, got string) bool {
	if cfg == got {
		return true
	}
	ga, err := netip.ParseAddr(got)
	if err != nil {
		return false
	}
	ga = ga.Unmap()
	if ca, err := netip.ParseAddr(cfg); err == nil {
		return ca.Unmap() == ga
	}
	if cfg == "localhost" {
		return ga.IsLoopback()
	}
	return true
}

// sameSocket reports whether two unix socket paths are the same, taking
// /var/run as the /run it links to on current systems.
func sameSocket(a, b string) bool {
	norm := func(p string) string {
		p = path.Clean(p)
		if r, ok := strings.CutPrefix(p, "/var/run/"); ok {
			return "/run/" + r
		}
		return p
	}
	return norm(a) == norm(b)
}

// nginxDefault returns nginx's built-in default of directive name (from
// nginx's documentation), or a Setting with no value when it is not known
// here.
func nginxDefault(name string) Setting {
	s := Setting{Name: name, Default: true, Server: serverNginx}
	switch name {
	case "large_client_header_buffers":
		s.Value = "4 8k"
	case "client_header_buffer_size":
		s.Value = "1k"
	case "client_max_body_size":
		s.Value = "1m"
	case "keepalive_timeout":
		s.Value = "75s"
	case "send_timeout", "client_body_timeout", "client_header_timeout":
		s.Value = "60s"
	case "worker_connections":
		s.Value = "512"
	case "worker_processes":
		s.Value = "1"
	case "max_fails":
		s.Value = "1"
	case "fail_timeout":
		s.Value = "10s"
	}
	for _, m := range []string{"fastcgi_", "proxy_", "uwsgi_", "scgi_", "grpc_"} {
		switch strings.TrimPrefix(name, m) {
		case name:
			continue
		case "connect_timeout", "read_timeout", "send_timeout":
			s.Value = "60s"
		case "buffer_size":
			s.Value = "4k or 8k (one memory page)"
		case "buffers":
			s.Value = "8 4k or 8 8k (one memory page each)"
		case "next_upstream":
			s.Value = "error timeout"
		}
	}
	return s
}
