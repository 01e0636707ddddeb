package stackconf

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// mysqlOptionFiles are the option files mysqld and mariadbd read, in the
// order they read them (a later value wins): RHEL, Debian/Ubuntu, FreeBSD.
var mysqlOptionFiles = []string{
	"/etc/my.cnf",
	"/etc/mysql/my.cnf",
	"/usr/local/etc/my.cnf",
	"/usr/local/etc/mysql/my.cnf",
}

// MySQLConfig is the MySQL/MariaDB server's options, from its option files.
type MySQLConfig struct {
	File string        // the first option file read, e.g. /etc/mysql/my.cnf
	opts []mysqlOption // the server's options, in the order read
}

// mysqlOption is one option line of a group the server reads.
type mysqlOption struct {
	name  string // mysqlKey of the name as written
	value string
	bare  bool // no "= value"
	file  string
	line  int
}

// Get returns server option key (dashes and underscores alike, case does
// not matter) as the server takes it: the last value read, from the groups
// the server reads ([mysqld], [server], [mysqld-X.Y], [mariadb],
// [mariadb-X.Y], [mariadbd], [mariadbd-X.Y], [client-server], [galera];
// whatever X.Y, as the server's version is not known here), with the
// loose- prefix dropped; skip-KEY and disable-KEY read as OFF, a bare KEY
// or enable-KEY as ON. Unset, the server's default: max_connections 151,
// long_query_time 10, slow_query_log OFF, wait_timeout 28800, …; or a
// Setting with no Value when the default is not known here.
func (c *MySQLConfig) Get(key string) Setting {
	k := mysqlKey(key)
	for i := len(c.opts) - 1; i >= 0; i-- {
		o := c.opts[i]
		s := Setting{Name: k, Value: o.value, File: o.file, Line: o.line, Server: serverMySQL}
		switch o.name {
		case k, "enable_" + k:
			if o.bare {
				s.Value = "ON"
			}
			return s
		case "skip_" + k, "disable_" + k:
			s.Value = "OFF"
			return s
		}
	}
	s := Setting{Name: k, Default: true, Server: serverMySQL}
	switch k {
	case "max_connections":
		s.Value = "151"
	case "long_query_time":
		s.Value = "10"
	case "slow_query_log":
		s.Value = "OFF"
	case "wait_timeout", "interactive_timeout":
		s.Value = "28800"
	case "connect_timeout":
		s.Value = "10"
	case "innodb_lock_wait_timeout":
		s.Value = "50"
	case "lock_wait_timeout":
		s.Value = "86400" // MariaDB's; MySQL's is 31536000
	case "max_user_connections":
		s.Value = "0"
	case "innodb_buffer_pool_size":
		s.Value = "128M"
	}
	return s
}

// mysqlKey normalizes an option name: lower case, '_' for '-', no loose-
// prefix.
func mysqlKey(k string) string {
	k = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "-", "_")
	return strings.TrimPrefix(k, "loose_")
}

// isServerGroup reports whether the server reads option group g.
func isServerGroup(g string) bool {
	g = strings.ToLower(g)
	switch g {
	case "mysqld", "server", "mariadb", "mariadbd", "client-server", "galera":
		return true
	}
	for _, p := range []string{"mysqld-", "mariadb-", "mariadbd-"} {
		if v, ok := strings.CutPrefix(g, p); ok && v != "" && v[0] >= '0' && v[0] <= '9' {
			return true
		}
	}
	return false
}

// readMySQL reads the option files the server reads, or returns nil when
// there is none.
func (r *stackReader) readMySQL() *MySQLConfig {
	mr := &mysqlReader{r: r}
	for _, f := range mysqlOptionFiles {
		if _, err := r.fs.stat(f); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				r.problem(fmt.Errorf("cannot read MySQL option file %s: %w", f, err))
			}
			continue
		}
		mr.read(f, "", 0)
	}
	if len(mr.files) == 0 {
		return nil
	}
	return &MySQLConfig{File: mr.files[0], opts: mr.opts}
}

// mysqlReader reads option files as mysqld does (mysys/my_default.c).
type mysqlReader struct {
	r       *stackReader
	opts    []mysqlOption
	files   []string
	count   int
	stopped bool
}

// read reads one option file; from says where it was included.
func (mr *mysqlReader) read(file, from string, depth int) {
	where := file
	if from != "" {
		where += " (included from " + from + ")"
	}
	if mr.stopped {
		return
	}
	if depth > maxConfIncludeDepth || mr.count >= maxConfFiles {
		mr.stopped = true
		mr.r.problem(fmt.Errorf("cannot read MySQL option file %s: more than %d files or includes nested deeper than %d (an include cycle?)", where, maxConfFiles, maxConfIncludeDepth))
		return
	}
	mr.count++
	src, err := mr.r.fs.readFile(file)
	if err != nil {
		if from == "" || !errors.Is(err, fs.ErrNotExist) { // mysqld skips a missing !include
			mr.r.problem(fmt.Errorf("cannot read MySQL option file %s: %w", where, err))
		}
		return
	}
	mr.r.readFiles(file)
	mr.files = append(mr.files, file)
	inGroup, server := false, false // each file starts outside any group
	for i, line := range strings.Split(src, "\n") {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' || s[0] == ';' {
			continue
		}
		at := file + ":" + strconv.Itoa(i+1)
		switch s[0] {
		case '!':
			mr.directive(s, at, depth)
			continue
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				mr.r.problem(fmt.Errorf("MySQL option file %s: no ] after the group name (mysqld refuses the file)", at))
				continue
			}
			inGroup, server = true, isServerGroup(s[1:end])
			continue
		}
		if !inGroup {
			mr.r.problem(fmt.Errorf("MySQL option file %s: an option before any [group] (mysqld refuses the file)", at))
			continue
		}
		if server {
			mr.opts = append(mr.opts, parseMySQLOption(s, file, i+1))
		}
	}
}

// directive follows !include FILE and !includedir DIR (its *.cnf files,
// in sorted order). mysqld ignores other ! lines, and a missing !include.
func (mr *mysqlReader) directive(s, at string, depth int) {
	word, arg := s, ""
	if i := strings.IndexAny(s, " \t"); i > 0 {
		word, arg = s[:i], strings.TrimSpace(s[i:])
	}
	if word != "!include" && word != "!includedir" {
		return
	}
	if !path.IsAbs(arg) {
		mr.r.problem(fmt.Errorf("MySQL option file %s: %s %q is not an absolute path (mysqld takes it from its working directory): not read", at, word, arg))
		return
	}
	if word == "!include" {
		mr.read(path.Clean(arg), at, depth+1)
		return
	}
	dir := path.Clean(arg)
	ents, err := mr.r.fs.readDir(dir)
	if err != nil {
		mr.r.problem(fmt.Errorf("MySQL option file %s: cannot read directory %s: %w", at, dir, err))
		return
	}
	for _, e := range ents { // sorted by name
		if strings.HasSuffix(e.Name(), ".cnf") && !mr.r.fs.isDir(path.Join(dir, e.Name())) {
			mr.read(path.Join(dir, e.Name()), at, depth+1)
		}
	}
}

// parseMySQLOption reads an option line: NAME, or NAME = VALUE with a '#'
// comment outside quotes removed, the value unquoted when quoted at both
// ends, and its escapes (\b \t \n \r \\ \s \" \') read.
func parseMySQLOption(s, file string, line int) mysqlOption {
	s = strings.TrimSpace(removeEndComment(s))
	name, value, hasValue := strings.Cut(s, "=")
	value = strings.TrimSpace(value)
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		value = value[1 : len(value)-1]
	}
	return mysqlOption{name: mysqlKey(name), value: unescapeMySQL(value), bare: !hasValue, file: file, line: line}
}

// removeEndComment cuts s at the first '#' outside quotes.
func removeEndComment(s string) string {
	var quote byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0 && c == '\\':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == 0 && c == '#':
			return s[:i]
		}
	}
	return s
}

// mysqlEscapes are the escapes of option values: \b \t \n \r \\ \s \" \'.
var mysqlEscapes = [256]byte{'b': '\b', 't': '\t', 'n': '\n', 'r': '\r', '\\': '\\', 's': ' ', '"': '"', '\'': '\''}

func unescapeMySQL(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			if r := mysqlEscapes[v[i+1]]; r != 0 {
				b.WriteByte(r)
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
