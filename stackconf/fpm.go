package stackconf

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// fpmMainFiles are where php-fpm's main configuration files are looked for:
// Debian/Ubuntu (one per PHP version), Arch, RHEL, Alpine, FreeBSD and the
// docker php images, Remi's software collections (old and current layout).
// Every one found is read: each belongs to its own php-fpm master.
var fpmMainFiles = []string{
	"/etc/php/*/fpm/php-fpm.conf",
	"/etc/php/php-fpm.conf",
	"/etc/php-fpm.conf",
	"/etc/php[0-9]*/php-fpm.conf",
	"/usr/local/etc/php-fpm.conf",
	"/opt/remi/php*/root/etc/php-fpm.conf",
	"/etc/opt/remi/php*/php-fpm.conf",
}

// fpmRequired are the pool settings php-fpm has no default for: it refuses
// to start a pool without them.
var fpmRequired = map[string]bool{"pm": true, "pm.max_children": true, "listen": true}

// FPMPool is one PHP-FPM pool: a [name] section of a php-fpm configuration
// and the files it includes.
type FPMPool struct {
	Name    string // the section name, as php-fpm.log writes it in "[pool NAME]"
	File    string // the file where its section starts
	Line    int    // the line of its section header
	Config  string // the main configuration file it was read from, e.g. /etc/php/8.2/fpm/php-fpm.conf
	Version string // the PHP version when the path tells it ("8.2"), else ""

	settings map[string]Setting // by fpmKey; the last value wins
	master   *fpmMaster
}

// fpmMaster is what the pools of one php-fpm master share.
type fpmMaster struct {
	global map[string]Setting // the [global] section, by fpmKey
	prefix string             // install prefix: relative includes and listen paths start there
	varDir string             // where relative error_log paths start
}

// Get returns pool setting key (case does not matter, as for php-fpm; an
// array entry is written "php_admin_value[memory_limit]"), with "$pool"
// replaced by the pool name as php-fpm does, or php-fpm's default when it
// is not set. pm, pm.max_children and listen have no default: their
// Setting has an empty Value. listen.backlog's default depends on the PHP
// version: -1 (the kernel's limit, net.core.somaxconn) since PHP 8.2 on
// Linux, 511 before.
func (p *FPMPool) Get(key string) Setting {
	k := fpmKey(key)
	if s, ok := p.settings[k]; ok {
		return s
	}
	s := Setting{Name: k, Default: true, Server: serverFPM}
	switch k {
	case "request_terminate_timeout", "request_slowlog_timeout", "pm.max_requests":
		s.Value = "0"
	case "listen.backlog":
		s.Value = fpmBacklogDefault(p.Version)
	case "pm.max_spawn_rate":
		s.Value = "32"
	case "pm.process_idle_timeout":
		s.Value = "10s"
	case "request_slowlog_trace_depth":
		s.Value = "20"
	case "catch_workers_output":
		s.Value = "no"
	case "decorate_workers_output", "clear_env":
		s.Value = "yes"
	case "security.limit_extensions":
		s.Value = ".php .phar"
	case "pm.start_servers":
		// php-fpm starts min + (max - min) / 2 children when unset.
		lo, ok1 := p.settings["pm.min_spare_servers"].Int()
		hi, ok2 := p.settings["pm.max_spare_servers"].Int()
		if ok1 && ok2 {
			s.Value = strconv.FormatInt(lo+(hi-lo)/2, 10)
		}
	}
	return s
}

// fpmBacklogDefault is listen.backlog's default on Linux for PHP version v.
func fpmBacklogDefault(v string) string {
	major, minor, ok := strings.Cut(v, ".")
	if !ok {
		return "-1 (PHP 8.2 and later; 511 before)"
	}
	ma, _ := strconv.Atoi(major)
	mi, _ := strconv.Atoi(minor)
	if ma > 8 || ma == 8 && mi >= 2 {
		return "-1"
	}
	return "511"
}

// Global returns setting key of the [global] section of the pool's
// php-fpm configuration (error_log, log_level, process_control_timeout,
// emergency_restart_threshold, process.max, …), or php-fpm's default.
func (p *FPMPool) Global(key string) Setting {
	k := fpmKey(key)
	if s, ok := p.master.global[k]; ok {
		return s
	}
	s := Setting{Name: k, Default: true, Server: serverFPM}
	switch k {
	case "error_log":
		s.Value = p.master.varDir + "/log/php-fpm.log"
	case "log_level":
		s.Value = "notice"
	case "process_control_timeout", "emergency_restart_threshold", "emergency_restart_interval", "process.max":
		s.Value = "0"
	case "daemonize":
		s.Value = "yes"
	}
	return s
}

// PoolFor returns the pool whose listen address is upstream as nginx
// writes it after `upstream:` ("fastcgi://127.0.0.1:9000",
// "fastcgi://unix:/run/php/x.sock:"), or nil. A listen of a port alone,
// 0.0.0.0:port or [::]:port is every address; a relative socket path starts
// at the pool's prefix (or php-fpm's); /var/run is /run.
func (s *Config) PoolFor(upstream string) *FPMPool {
	_, want, ok := parseLogUpstream(upstream)
	if !ok {
		return nil
	}
	for _, p := range s.FPM {
		if p.listens(want) {
			return p
		}
	}
	return nil
}

// Pool returns the pool named name, as php-fpm.log writes it in
// `[pool NAME]` (case does not matter, as for php-fpm), or nil. With
// several php-fpm configurations (PHP versions), the first one read that
// has the pool; compare Config or Global("error_log") to tell them apart.
func (s *Config) Pool(name string) *FPMPool {
	for _, p := range s.FPM {
		if strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}

// listens reports whether the pool listens at address want.
func (p *FPMPool) listens(want peerAddr) bool {
	l := p.Get("listen")
	v := strings.TrimSpace(l.Value)
	if v == "" {
		return false
	}
	if _, err := strconv.Atoi(v); err == nil {
		return want.unix == "" && want.port == v
	}
	if strings.Contains(v, ":") {
		a := parsePeer(v)
		if want.unix != "" || a.port != want.port {
			return false
		}
		switch a.host {
		case "", "*", "0.0.0.0", "::":
			return true
		}
		return sameHost(a.host, want.host)
	}
	if !path.IsAbs(v) {
		prefix := p.master.prefix
		if pp := p.Get("prefix"); pp.Value != "" {
			prefix = pp.Value
		}
		v = path.Join(prefix, v)
	}
	return want.unix != "" && sameSocket(v, want.unix)
}

// fpmKey normalizes a php-fpm key: php-fpm compares names without case;
// the key of an array entry (php_value[KEY]) keeps its case.
func fpmKey(k string) string {
	k = strings.TrimSpace(k)
	name, sub, isArray := strings.Cut(k, "[")
	if !isArray {
		return strings.ToLower(k)
	}
	return strings.ToLower(strings.TrimSpace(name)) + "[" + sub
}

// fpmLayout returns the install prefix, the state directory and the PHP
// version a php-fpm.conf's path implies.
func fpmLayout(conf string) (prefix, varDir, version string) {
	if m := remiPath.FindStringSubmatch(conf); m != nil {
		root := "/opt/remi/php" + m[2] + "/root"
		if m[1] != "" { // the current layout: /etc/opt/remi/phpNN, /var/opt/remi/phpNN
			return root + "/usr", "/var/opt/remi/php" + m[2], phpVersion(m[2])
		}
		return root + "/usr", root + "/var", phpVersion(m[2])
	}
	if strings.HasPrefix(conf, "/usr/local/") {
		return "/usr/local", "/usr/local/var", ""
	}
	if m := debianPHPPath.FindStringSubmatch(conf); m != nil {
		return "/usr", "/var", m[1]
	}
	if m := alpinePHPPath.FindStringSubmatch(conf); m != nil {
		return "/usr", "/var", phpVersion(m[1])
	}
	return "/usr", "/var", ""
}

var (
	remiPath      = regexp.MustCompile(`^(/etc)?/opt/remi/php(\d\d)/`)
	debianPHPPath = regexp.MustCompile(`^/etc/php/(\d+\.\d+)/`)
	alpinePHPPath = regexp.MustCompile(`^/etc/php(\d\d)/`)
)

// phpVersion turns "82" into "8.2".
func phpVersion(digits string) string { return digits[:1] + "." + digits[1:] }

// readFPM reads every php-fpm configuration found and returns their pools.
func (r *stackReader) readFPM() []*FPMPool {
	var pools []*FPMPool
	seen := map[string]bool{}
	for _, pattern := range fpmMainFiles {
		files, err := r.fs.glob(pattern)
		if err != nil {
			r.problem(fmt.Errorf("cannot look for php-fpm configuration: %w", err))
		}
		for _, f := range files {
			if seen[f] || r.fs.isDir(f) {
				continue
			}
			seen[f] = true
			prefix, varDir, version := fpmLayout(f)
			fr := &fpmReader{r: r, conf: f, version: version,
				master: &fpmMaster{global: map[string]Setting{}, prefix: prefix, varDir: varDir}}
			fr.read(f, "", 0)
			pools = append(pools, fr.pools...)
		}
	}
	return pools
}

// fpmReader reads one php-fpm configuration: its main file and includes.
// As in php-fpm, the section in force carries on into and out of included
// files.
type fpmReader struct {
	r       *stackReader
	conf    string
	version string
	master  *fpmMaster
	pools   []*FPMPool
	cur     *FPMPool // nil in [global]
	files   int
	stopped bool // a limit was reached
}

// read reads one file; from says where it was included.
func (fr *fpmReader) read(file, from string, depth int) {
	where := file
	if from != "" {
		where += " (included from " + from + ")"
	}
	if fr.stopped {
		return
	}
	if depth > maxConfIncludeDepth || fr.files >= maxConfFiles {
		fr.stopped = true
		fr.r.problem(fmt.Errorf("cannot read php-fpm config %s: more than %d files or includes nested deeper than %d (an include cycle?)", where, maxConfFiles, maxConfIncludeDepth))
		return
	}
	fr.files++
	src, err := fr.r.fs.readFile(file)
	if err != nil {
		fr.r.problem(fmt.Errorf("cannot read php-fpm config %s: %w", where, err))
		return
	}
	fr.r.readFiles(file)
	for i, line := range strings.Split(src, "\n") {
		fr.line(file, i+1, line, depth)
	}
}

// line reads one line. php-fpm reads its files line by line, as INI: ';'
// starts a comment, [name] a section, and the rest is key = value.
func (fr *fpmReader) line(file string, n int, line string, depth int) {
	s := strings.TrimSpace(line)
	if s == "" || s[0] == ';' {
		return
	}
	at := file + ":" + strconv.Itoa(n)
	switch s[0] {
	case '#':
		fr.r.problem(fmt.Errorf("php-fpm config %s: a line starting with # (php-fpm takes only ; as a comment and refuses the file)", at))
		return
	case '[':
		end := strings.IndexByte(s, ']')
		if end < 0 {
			fr.r.problem(fmt.Errorf("php-fpm config %s: no ] after the section name (php-fpm refuses the file)", at))
			return
		}
		fr.section(s[1:end], file, n)
		return
	}
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		fr.r.problem(fmt.Errorf("php-fpm config %s: %q has no value (php-fpm refuses the file)", at, s))
		return
	}
	key, value = strings.TrimSpace(key), iniValue(value)
	if key == "include" {
		fr.include(value, at, depth)
		return
	}
	settings := fr.master.global
	if fr.cur != nil {
		settings = fr.cur.settings
		value = strings.ReplaceAll(value, "$pool", fr.cur.Name)
	}
	k := fpmKey(key)
	settings[k] = Setting{Name: k, Value: value, File: file, Line: n, Server: serverFPM}
}

// section switches to section name: [global], or a pool, new or seen
// before (php-fpm compares the names without case).
func (fr *fpmReader) section(name, file string, line int) {
	if strings.EqualFold(name, "global") {
		fr.cur = nil
		return
	}
	for _, p := range fr.pools {
		if strings.EqualFold(p.Name, name) {
			fr.cur = p
			return
		}
	}
	fr.cur = &FPMPool{Name: name, File: file, Line: line, Config: fr.conf, Version: fr.version,
		settings: map[string]Setting{}, master: fr.master}
	fr.pools = append(fr.pools, fr.cur)
}

// include reads the files an include = PATTERN names; a relative pattern
// starts at the install prefix, as in php-fpm.
func (fr *fpmReader) include(pattern, at string, depth int) {
	p := pattern
	if !path.IsAbs(p) {
		p = path.Join(fr.master.prefix, p)
	}
	matches, err := fr.r.fs.glob(p)
	if err != nil {
		fr.r.problem(fmt.Errorf("php-fpm config %s: include %q: %w", at, pattern, err))
	} else if len(matches) == 0 {
		fr.r.problem(fmt.Errorf("php-fpm config %s: include %q matches no file", at, pattern))
	}
	for _, m := range matches {
		if !fr.r.fs.isDir(m) {
			fr.read(m, at, depth+1)
		}
	}
}

// iniValue reads the value of an INI line as PHP does: "double-quoted"
// (with \" and \\), 'single-quoted' (raw), or bare up to a ';' comment;
// spaces around it dropped. ${VAR} references stay as written.
func iniValue(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	switch v[0] {
	case '"':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			if c == '"' {
				return b.String()
			}
			if c == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\') {
				i++
				c = v[i]
			}
			b.WriteByte(c)
		}
		return v // unterminated: php-fpm refuses it; keep it as written
	case '\'':
		if end := strings.IndexByte(v[1:], '\''); end >= 0 {
			return v[1 : end+1]
		}
		return v
	}
	v, _, _ = strings.Cut(v, ";")
	return strings.TrimSpace(v)
}
