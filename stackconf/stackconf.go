// Package stackconf answers one question: what does the servers'
// configuration say? It reads the nginx, PHP-FPM and MySQL/MariaDB
// configuration under a config root (a server's "/", or a copy of its /etc)
// and says which settings apply to an upstream or a pool, each with the file
// and line it was read from, or as the server's built-in default, so that
// findings can quote the values in force.
//
// Read reads a config root into a Config, and never fails as a whole: what
// cannot be read is listed in Config.Problems. NginxConfig.For gives the
// settings nginx applied to requests it passed to an upstream, as the error
// log names it; Config.PoolFor the PHP-FPM pool that listens there; and
// MySQLConfig.Get the server's options. nginx's includes are expanded and
// its inheritance (http, server, location) followed. Every answer is a
// Setting.
//
// nginx's log_format directives are read here too, into the
// patterns.AccessFormat values the access-log parser uses: ReadLogFormats
// from an nginx.conf and the files it includes, ParseLogFormatDirective from
// one directive given as text.
package stackconf

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
)

// What Read reads and the settings it gives. The parsers are in nginx.go
// (with nginxconf.go, nginx's lexer and include-following reader), fpm.go
// and mysql.go.

// Setting is one configuration value and where it was read.
type Setting struct {
	Name    string // as the docs spell it: "fastcgi_read_timeout", "pm.max_children", "max_connections"
	Value   string // as written: "2s", "50", "dynamic" (unquoted, unescaped)
	File    string // absolute path as on the server (the config root removed), e.g. /etc/nginx/nginx.conf
	Line    int    // 0 for a default
	Default bool   // not set anywhere: Value is the server's built-in default ("" when it has none)
	Server  string // the program that reads it: "nginx", "php-fpm" or "mysqld"
}

// Programs a Setting is read by.
const (
	serverNginx = "nginx"
	serverFPM   = "php-fpm"
	serverMySQL = "mysqld"
)

// String quotes the setting as a finding shows it:
//
//	fastcgi_read_timeout 2s (/etc/nginx/nginx.conf:31)
//	fastcgi_read_timeout 60s (nginx default)
//	pm.max_children = 5 (/etc/php/8.2/fpm/pool.d/www.conf:113)
//	max_connections = 151 (MySQL/MariaDB default)
//	pm not set (php-fpm requires it)
func (s Setting) String() string {
	sep := " "
	if s.Server == serverFPM || s.Server == serverMySQL {
		sep = " = "
	}
	value := s.Value
	if value == "" {
		value = `""`
	}
	switch {
	case !s.Default:
		where := s.File
		if s.Line > 0 {
			where += ":" + strconv.Itoa(s.Line)
		}
		return s.Name + sep + value + " (" + where + ")"
	case s.Value == "" && s.Server == serverFPM && fpmRequired[s.Name]:
		return s.Name + " not set (php-fpm requires it)"
	case s.Value == "":
		return s.Name + " not set"
	}
	label := "default"
	switch s.Server {
	case serverNginx, serverFPM:
		label = s.Server + " default"
	case serverMySQL:
		label = "MySQL/MariaDB default"
	}
	return s.Name + sep + s.Value + " (" + label + ")"
}

// Duration reads the value as a time: nginx's syntax ("2s", "500ms",
// "1m30s", "1h 30m"; units ms s m h d w M y), PHP-FPM's ("30s", "2m", "1h",
// "1d") and a bare number of seconds, integer or not (nginx "60", FPM "30",
// MySQL long_query_time "0.5"). ok is false for anything else, a negative
// value or one too large for a time.Duration.
func (s Setting) Duration() (d time.Duration, ok bool) {
	return parseConfDuration(s.Value)
}

// Int reads the value as an integer, with an optional size suffix as
// nginx, PHP-FPM and MySQL write them: k or K (×1024), m or M (×1024²), g or
// G (×1024³), t or T (×1024⁴); so "16k" is 16384 and "1m" is 1048576 (a
// size: read times with Duration). ok is false for anything else ("8 4k",
// "dynamic") or on overflow.
func (s Setting) Int() (n int64, ok bool) {
	return parseConfInt(s.Value)
}

func parseConfInt(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	mult := int64(1)
	switch v[len(v)-1] {
	case 'k', 'K':
		mult = 1 << 10
	case 'm', 'M':
		mult = 1 << 20
	case 'g', 'G':
		mult = 1 << 30
	case 't', 'T':
		mult = 1 << 40
	}
	if mult > 1 {
		v = v[:len(v)-1]
	}
	if v == "" || v[0] == '+' {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n > math.MaxInt64/mult || n < math.MinInt64/mult {
		return 0, false
	}
	return n * mult, true
}

// confTimeUnits are the units of nginx's and PHP-FPM's times, longest first
// where one is a prefix of another.
var confTimeUnits = []struct {
	unit string
	d    time.Duration
}{
	{"ms", time.Millisecond},
	{"s", time.Second},
	{"m", time.Minute},
	{"h", time.Hour},
	{"d", 24 * time.Hour},
	{"w", 7 * 24 * time.Hour},
	{"M", 30 * 24 * time.Hour},
	{"y", 365 * 24 * time.Hour},
}

func parseConfDuration(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if d, ok := parseSeconds(v); ok {
		return d, true
	}
	var total time.Duration
	for v != "" {
		i := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == 0 || i > 18 {
			return 0, false
		}
		n, _ := strconv.ParseInt(v[:i], 10, 64)
		v = v[i:]
		unit := time.Duration(0)
		for _, u := range confTimeUnits {
			if strings.HasPrefix(v, u.unit) {
				unit, v = u.d, v[len(u.unit):]
				break
			}
		}
		if unit == 0 || n > int64(math.MaxInt64/unit) {
			return 0, false
		}
		add := time.Duration(n) * unit
		if total > math.MaxInt64-add {
			return 0, false
		}
		total += add
		v = strings.TrimLeft(v, " ")
	}
	return total, true
}

// parseSeconds reads a bare number of seconds: digits with at most one '.'.
func parseSeconds(v string) (time.Duration, bool) {
	dot := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f*1e9 >= math.MaxInt64 {
		return 0, false
	}
	return time.Duration(math.Round(f * 1e9)), true
}

// Config is the servers' configuration, as Read found it.
type Config struct {
	Root     string       // the config root as given
	Nginx    *NginxConfig // nil: no nginx config found
	FPM      []*FPMPool   // every pool of every php-fpm config found
	MySQL    *MySQLConfig // nil: none found
	Files    []string     // the files read, as absolute server paths
	Problems []string     // what could not be read and why, e.g. "cannot read nginx config /etc/nginx/nginx.conf: permission denied; …"; never fatal
}

// Read reads the configuration under root from fsys (fsys is the config
// root, e.g. os.DirFS(root); root is only for messages). It never fails:
// what cannot be read goes to Problems.
//
// It reads nginx's main configuration at the first of the usual places that
// exists (/etc/nginx/nginx.conf, /usr/local/nginx/conf/nginx.conf,
// /usr/local/etc/nginx/nginx.conf, /etc/openresty/nginx.conf,
// /usr/local/openresty/nginx/conf/nginx.conf), every php-fpm.conf of the
// usual places (/etc/php/*/fpm/php-fpm.conf, /etc/php-fpm.conf,
// /usr/local/etc/php-fpm.conf, Remi's and Alpine's), and the MySQL/MariaDB
// option files the server reads (/etc/my.cnf, /etc/mysql/my.cnf,
// /usr/local/etc/my.cnf, /usr/local/etc/mysql/my.cnf), with the files each
// includes. Paths, include targets and symbolic links are all taken inside
// the root: an absolute link target or include starts at the root, as if
// chrooted (links are followed when fsys implements fs.ReadLinkFS, as
// os.DirFS does).
//
// Every file is read up to 8 MiB; includes nest at most 16 deep and 1024
// files are read at most per program.
func Read(fsys fs.FS, root string) *Config {
	s := &Config{Root: root}
	r := &stackReader{fs: rootFS{fsys}, s: s, seen: map[string]bool{}, said: map[string]bool{}}
	s.Nginx = r.readNginx()
	s.FPM = r.readFPM()
	s.MySQL = r.readMySQL()
	if s.Nginx == nil && len(s.FPM) == 0 && s.MySQL == nil && len(s.Problems) == 0 {
		where := root
		if where == "" {
			where = "the config root"
		}
		r.problem(fmt.Errorf("no nginx, PHP-FPM or MySQL/MariaDB configuration found under %s (is the config root right?)", where))
	}
	return s
}

// stackReader gathers what Read finds.
type stackReader struct {
	fs   rootFS
	s    *Config
	seen map[string]bool // files listed in s.Files
	said map[string]bool // problems listed in s.Problems
}

// problem adds err to the problems, once, with a hint when it is about
// permissions.
func (r *stackReader) problem(err error) {
	msg := err.Error()
	if errors.Is(err, fs.ErrPermission) {
		msg += "; run logcause as a user who can read it, or copy the configuration somewhere readable and pass --config-root"
	}
	if !r.said[msg] {
		r.said[msg] = true
		r.s.Problems = append(r.s.Problems, msg)
	}
}

// readFiles adds files to s.Files, each once.
func (r *stackReader) readFiles(files ...string) {
	for _, f := range files {
		if !r.seen[f] {
			r.seen[f] = true
			r.s.Files = append(r.s.Files, f)
		}
	}
}

// firstExisting returns the first of names (server paths) that exists, or
// "" when none does; an error other than not existing is a problem and
// counts as found: the program would have used that file.
func (r *stackReader) firstExisting(what string, names ...string) string {
	for _, n := range names {
		_, err := r.fs.stat(n)
		if err == nil {
			return n
		}
		if !errors.Is(err, fs.ErrNotExist) {
			r.problem(fmt.Errorf("cannot read %s %s: %w", what, n, err))
			return ""
		}
	}
	return ""
}

// rootFS reads a server's files under a config root. Names are absolute
// paths as on the server; symbolic links are followed inside the root.
type rootFS struct{ fsys fs.FS }

// maxSymlinks bounds the links followed for one name, as the kernel's
// ELOOP does.
const maxSymlinks = 40

// fsName turns a clean absolute server path into its fs.FS name.
func fsName(p string) string {
	if p == "/" {
		return "."
	}
	return p[1:]
}

// resolve returns the fs.FS name of server path name, with every symbolic
// link on the way followed inside the root: an absolute target starts at
// the root, a relative one at the link's directory, and ".." stops at the
// root. Without fs.ReadLinkFS, links are left to fsys.
func (r rootFS) resolve(name string) (string, error) {
	p := path.Clean("/" + name)
	lfs, ok := r.fsys.(fs.ReadLinkFS)
	if !ok {
		return fsName(p), nil
	}
	for hops := 0; ; {
		done, rest, relinked := "/", p[1:], false
		for rest != "" {
			elem, after, _ := strings.Cut(rest, "/")
			next := path.Join(done, elem)
			fi, err := lfs.Lstat(fsName(next))
			if err != nil {
				return "", plainErr(err)
			}
			if fi.Mode()&fs.ModeSymlink != 0 {
				if hops++; hops > maxSymlinks {
					return "", errors.New("too many levels of symbolic links")
				}
				target, err := lfs.ReadLink(fsName(next))
				if err != nil {
					return "", plainErr(err)
				}
				if !path.IsAbs(target) {
					target = path.Join(done, target)
				}
				p, relinked = path.Clean("/"+target+"/"+after), true
				break
			}
			done, rest = next, after
		}
		if !relinked {
			return fsName(done), nil
		}
	}
}

// plainErr drops the fs.FS name an *fs.PathError carries (the caller names
// the server path).
func plainErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (r rootFS) stat(name string) (fs.FileInfo, error) {
	n, err := r.resolve(name)
	if err != nil {
		return nil, err
	}
	fi, err := fs.Stat(r.fsys, n)
	return fi, plainErr(err)
}

func (r rootFS) isDir(name string) bool {
	fi, err := r.stat(name)
	return err == nil && fi.IsDir()
}

func (r rootFS) join(dir, name string) string {
	if path.IsAbs(name) {
		return path.Clean(name)
	}
	return path.Join(dir, name)
}

// readFile reads a regular file, at most maxConfFileSize bytes. Anything
// else is refused before it is opened: opening a named pipe would block.
func (r rootFS) readFile(name string) (string, error) {
	n, err := r.resolve(name)
	if err != nil {
		return "", err
	}
	fi, err := fs.Stat(r.fsys, n)
	switch {
	case err != nil:
		return "", plainErr(err)
	case fi.IsDir():
		return "", errors.New("is a directory")
	case !fi.Mode().IsRegular():
		return "", errors.New("not a regular file")
	}
	f, err := r.fsys.Open(n)
	if err != nil {
		return "", plainErr(err)
	}
	defer f.Close()
	s, err := readLimited(f)
	return s, plainErr(err)
}

func (r rootFS) readDir(name string) ([]fs.DirEntry, error) {
	n, err := r.resolve(name)
	if err != nil {
		return nil, err
	}
	ents, err := fs.ReadDir(r.fsys, n)
	return ents, plainErr(err)
}

// glob returns the server paths matching pattern (path.Match syntax on
// each element), sorted by element, as glob(3) does: a '*' or '?' does not
// match a leading '.', missing directories match nothing. Directories that
// cannot be read are reported in the error (the first one), and the
// matches found elsewhere are returned with it.
func (r rootFS) glob(pattern string) ([]string, error) {
	pattern = path.Clean("/" + pattern)
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	if !hasGlobMeta(pattern) {
		if _, err := r.stat(pattern); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			return nil, fmt.Errorf("cannot read %s: %w", pattern, err)
		}
		return []string{pattern}, nil
	}
	dir, file := path.Split(pattern)
	dir = path.Clean(dir)
	dirs, firstErr := []string{dir}, error(nil)
	if hasGlobMeta(dir) {
		dirs, firstErr = r.glob(dir)
	}
	var out []string
	for _, d := range dirs {
		fi, err := r.stat(d)
		if err == nil && !fi.IsDir() || errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var ents []fs.DirEntry
		if err == nil {
			ents, err = r.readDir(d)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("cannot list %s: %w", d, err)
			}
			continue
		}
		for _, e := range ents {
			name := e.Name()
			if name[0] == '.' && file[0] != '.' {
				continue
			}
			if ok, _ := path.Match(file, name); ok {
				out = append(out, path.Join(d, name))
			}
		}
	}
	return out, firstErr
}

func hasGlobMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }
