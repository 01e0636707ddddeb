package ingest

import (
	"reflect"
	"testing"
)

func TestGroupSeries(t *testing.T) {
	var files []File
	for _, p := range []string{
		"/var/log/nginx/access.log.2.gz", "/var/log/nginx/access.log", "/var/log/nginx/access.log.10.gz",
		"/var/log/nginx/access.log.1", "/var/log/nginx/error.log-20261122.zst", "/var/log/nginx/error.log",
		"/var/log/nginx/error.log-20261121", "/var/log/nginx/error.log-2026112305.gz", "/var/log/php8.2-fpm.log.1",
		"/var/log/php8.2-fpm.log", "/var/log/syslog.3.gz",
	} {
		files = append(files, File{Path: p})
	}
	got := map[string][]string{}
	for _, s := range GroupSeries(files) {
		for _, f := range s.Files {
			got[s.Name] = append(got[s.Name], f.Path)
		}
	}
	want := map[string][]string{
		"/var/log/nginx/access.log": {"/var/log/nginx/access.log.10.gz", "/var/log/nginx/access.log.2.gz", "/var/log/nginx/access.log.1", "/var/log/nginx/access.log"},
		"/var/log/nginx/error.log":  {"/var/log/nginx/error.log-20261121", "/var/log/nginx/error.log-20261122.zst", "/var/log/nginx/error.log-2026112305.gz", "/var/log/nginx/error.log"},
		"/var/log/php8.2-fpm.log":   {"/var/log/php8.2-fpm.log.1", "/var/log/php8.2-fpm.log"},
		"/var/log/syslog":           {"/var/log/syslog.3.gz"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("series:\n got %v\nwant %v", got, want)
	}
}

func TestNameHint(t *testing.T) {
	for path, want := range map[string]string{
		"/var/log/nginx/access.log.2.gz":             "nginx_access",
		"/var/log/nginx/shop.example.com.access.log": "nginx_access",
		"/var/log/nginx/error.log":                   "nginx_error",
		"/var/log/nginx/shop-error.log-20261122":     "nginx_error",
		"/var/log/php8.2-fpm.log.1":                  "fpm_error",
		"/var/log/php-fpm/www-slow.log":              "fpm_slow",
		"/var/log/mysql/mysql-slow.log":              "mysql_slow",
		"/var/log/mysql/error.log":                   "mysql_error", // Debian's MySQL error log
		"/var/log/mysql/mariadb-slow.log.1.gz":       "mysql_slow",
		"/var/lib/mysql/db1.err":                     "mysql_error",
		"/var/log/mysql/mysqld-error.log":            "mysql_error",
		"/var/log/kern.log.1":                        "syslog",
		"/var/log/syslog":                            "syslog",
		"/var/log/messages-20261122":                 "syslog",
		"/var/log/haproxy.log":                       "haproxy",
		"/var/log/apache2/error.log":                 "apache_error",
		"/var/log/dpkg.log":                          "",
		"/var/log/wtmp":                              "",
		// Configuration, whatever its name says.
		"/etc/php/8.2/fpm/php-fpm.conf":        "",
		"/etc/nginx/snippets/access-log.conf":  "",
		"/etc/mysql/conf.d/mysqld-error.cnf":   "",
		"/srv/backup/etc/php-fpm.conf.1":       "",
		"/etc/php/8.2/fpm/conf.d/slow-php.ini": "",
	} {
		if got := NameHint(path); got != want {
			t.Errorf("NameHint(%s) = %q, want %q", path, got, want)
		}
	}
}
