package ingest

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Series is one log with its rotated siblings (access.log, access.log.1,
// access.log.2.gz, access.log-20261122.zst, …), oldest first: the order in
// which they were written.
type Series struct {
	Name  string // the live file's path (the series' path without rotation suffixes)
	Files []File
}

// rotated matches the suffixes logrotate and friends add: a number, a date
// (dateext: -YYYYMMDD, optionally with hours), each optionally compressed.
var rotated = regexp.MustCompile(`^(.+?)(?:\.([0-9]{1,4})|-([0-9]{8}(?:[0-9]{2})?))?(\.gz|\.zst|\.bz2|\.xz)?$`)

// rotation splits a path into its series name and its place in the
// series: live files sort last (newest), dated ones by date, numbered ones
// by number (.1 is newer than .2).
func rotation(path string) (name string, rank [2]int64) {
	dir, base := filepath.Split(path)
	m := rotated.FindStringSubmatch(base)
	if m == nil {
		return path, [2]int64{3, 0}
	}
	switch {
	case m[2] != "":
		n, _ := strconv.ParseInt(m[2], 10, 64)
		return dir + m[1], [2]int64{1, -n}
	case m[3] != "":
		d, _ := strconv.ParseInt(m[3], 10, 64)
		if len(m[3]) == 8 {
			d *= 100
		}
		return dir + m[1], [2]int64{0, d}
	case m[4] != "":
		return dir + m[1], [2]int64{2, 0} // access.log.gz: compressed, not numbered
	}
	return path, [2]int64{3, 0}
}

// GroupSeries groups files into series, ordered by name; the files of a
// series are ordered oldest first.
func GroupSeries(files []File) []Series {
	type ranked struct {
		f    File
		rank [2]int64
	}
	byName := map[string][]ranked{}
	for _, f := range files {
		name, rank := rotation(f.Path)
		byName[name] = append(byName[name], ranked{f, rank})
	}
	out := make([]Series, 0, len(byName))
	for name, rs := range byName {
		slices.SortFunc(rs, func(a, b ranked) int {
			if a.rank[0] != b.rank[0] {
				return int(a.rank[0] - b.rank[0])
			}
			switch {
			case a.rank[1] < b.rank[1]:
				return -1
			case a.rank[1] > b.rank[1]:
				return 1
			}
			return strings.Compare(a.f.Path, b.f.Path)
		})
		s := Series{Name: name}
		for _, r := range rs {
			s.Files = append(s.Files, r.f)
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Series) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// NameHint returns the format a file's name says it holds — "nginx_access",
// "nginx_error", "fpm_error", "fpm_slow", "mysql_slow", "mysql_error",
// "syslog", "haproxy", "apache_error" — or "" when the name says nothing,
// or says configuration (php-fpm.conf, my.cnf, php.ini: named after the
// server, never a log). Content decides the format; the name only helps
// to explain a file whose content does not match it.
func NameHint(path string) string {
	name, _ := rotation(path)
	base := strings.ToLower(filepath.Base(name))
	switch filepath.Ext(base) {
	case ".conf", ".cnf", ".ini":
		return ""
	}
	dir := strings.ToLower(filepath.Dir(path))
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(base, w) {
				return true
			}
		}
		return false
	}
	in := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(dir, w) {
				return true
			}
		}
		return false
	}
	apache := in("apache", "httpd")
	mysql := has("mysql", "mariadb") || in("mysql", "mariadb")
	php := has("fpm", "php") || in("fpm", "php")
	switch {
	case mysql && has("slow"):
		return "mysql_slow"
	case mysql && (has("error") || strings.HasSuffix(base, ".err")):
		return "mysql_error"
	case php && has("slow"):
		return "fpm_slow"
	case has("fpm"):
		return "fpm_error"
	case has("haproxy"):
		return "haproxy"
	case has("access"):
		return "nginx_access"
	case has("error") && apache:
		return "apache_error"
	case has("error"):
		return "nginx_error"
	case base == "kern.log" || base == "syslog" || base == "messages" || base == "daemon.log":
		return "syslog"
	}
	return ""
}

// SeriesName returns the path of the live file of the series path belongs
// to: access.log for access.log.1, access.log-20261122.zst and access.log
// itself.
func SeriesName(path string) string {
	name, _ := rotation(path)
	return name
}
