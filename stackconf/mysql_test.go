package stackconf

import (
	"reflect"
	"testing"
)

// TestStackConfigMySQLDebian reads a Debian-shaped MariaDB configuration:
// /etc/mysql/my.cnf links (through /etc/alternatives) to mariadb.cnf, which
// includes two directories.
func TestStackConfigMySQLDebian(t *testing.T) {
	m := confFS(map[string]string{
		"etc/mysql/mariadb.cnf": `# The MariaDB configuration file
[client-server]
socket = /run/mysqld/mysqld.sock
!includedir /etc/mysql/conf.d/
!includedir /etc/mysql/mariadb.conf.d/
`,
		"etc/mysql/conf.d/mysqldump.cnf": "[mysqldump]\nquick\nmax_allowed_packet = 16M\n",
		"etc/mysql/mariadb.conf.d/50-server.cnf": `[server]

[mysqld]
pid-file                = /run/mysqld/mysqld.pid
bind-address            = 127.0.0.1
max_connections         = 100
#slow_query_log_file    = /var/log/mysql/mariadb-slow.log
long-query-time         = 10

[embedded]
long_query_time = 99

[mariadb-10.11]
`,
		"etc/mysql/mariadb.conf.d/60-tuning.cnf":  "[mysqld]\nmax-connections = 300\nslow-query-log\nlong_query_time = 0.5\n",
		"etc/mysql/mariadb.conf.d/10-first.cnf":   "[mysqld]\nmax_connections = 7\nwait_timeout = 600\n",
		"etc/mysql/mariadb.conf.d/README":         "[mysqld]\nmax_connections = 1\n", // not *.cnf
		"etc/mysql/mariadb.conf.d/99-old.cnf.bak": "[mysqld]\nmax_connections = 2\n",
	})
	symlink(m, "etc/mysql/my.cnf", "/etc/alternatives/my.cnf")
	symlink(m, "etc/alternatives/my.cnf", "/etc/mysql/mariadb.cnf")
	c := Read(m, "/")
	checkProblems(t, c)
	wantFiles := []string{
		"/etc/mysql/my.cnf", "/etc/mysql/conf.d/mysqldump.cnf",
		"/etc/mysql/mariadb.conf.d/10-first.cnf", "/etc/mysql/mariadb.conf.d/50-server.cnf", "/etc/mysql/mariadb.conf.d/60-tuning.cnf",
	}
	if !reflect.DeepEqual(c.Files, wantFiles) {
		t.Errorf("files %q", c.Files)
	}
	my := c.MySQL
	if my == nil || my.File != "/etc/mysql/my.cnf" {
		t.Fatalf("%+v", my)
	}
	for key, want := range map[string]string{
		"max_connections":          "max_connections = 300 (/etc/mysql/mariadb.conf.d/60-tuning.cnf:2)", // sorted order, later wins
		"long_query_time":          "long_query_time = 0.5 (/etc/mysql/mariadb.conf.d/60-tuning.cnf:4)",
		"slow-query-log":           "slow_query_log = ON (/etc/mysql/mariadb.conf.d/60-tuning.cnf:3)",
		"wait_timeout":             "wait_timeout = 600 (/etc/mysql/mariadb.conf.d/10-first.cnf:3)",
		"socket":                   "socket = /run/mysqld/mysqld.sock (/etc/mysql/my.cnf:3)", // [client-server]
		"PID_FILE":                 "pid_file = /run/mysqld/mysqld.pid (/etc/mysql/mariadb.conf.d/50-server.cnf:4)",
		"max_allowed_packet":       "max_allowed_packet not set", // [mysqldump] only
		"slow_query_log_file":      "slow_query_log_file not set",
		"innodb_lock_wait_timeout": "innodb_lock_wait_timeout = 50 (MySQL/MariaDB default)",
	} {
		if got := my.Get(key).String(); got != want {
			t.Errorf("Get(%s) = %s, want %s", key, got, want)
		}
	}
	if d, ok := my.Get("long_query_time").Duration(); !ok || d.Milliseconds() != 500 {
		t.Errorf("Duration %v %v", d, ok)
	}
}

func TestStackConfigMySQLSyntax(t *testing.T) {
	c := Read(confFS(map[string]string{
		"etc/my.cnf": `; RHEL
[MYSQLD]
loose-max-connections = 40
a = "quoted # not a comment" # a comment
b = 'single' ; not a comment
c = x\sy\tz\\w\q
d = "x\"y"
e = "unterminated
f=1#comment
skip-slow-query-log
skip-name-resolve
disable-performance-schema
enable-local-infile
maximum-max_connections = 9999
[mysqld-8.0]
g = 8
[mariadb-10.6]
h = 10
[mariadbd]
i = 1
[galera]
j = 1
[mysqld_safe]
k = 1
[client]
max_connections = 1
[mariadb-client]
l = 1
[ mysqld ]
m = 1
!includedir /etc/my.cnf.d
`,
		"etc/my.cnf.d/server.cnf":         "[server]\nwait-timeout = 120\n",
		"etc/mysql/my.cnf":                "[mysqld]\nwait_timeout = 90\n", // read after /etc/my.cnf
		"usr/local/etc/mysql/my.cnf":      "[mysqld]\nn = FreeBSD\n",
		"etc/my.cnf.d/client.cnf":         "[client]\nwait_timeout = 1\n",
		"etc/my.cnf.d/subdir.cnf/ignored": "",
	}), "/")
	checkProblems(t, c)
	my := c.MySQL
	for key, want := range map[string]string{
		"max_connections":    "40",
		"a":                  "quoted # not a comment",
		"b":                  "'single' ; not a comment",
		"c":                  "x y\tz\\w\\q",
		"d":                  `x"y`,
		"e":                  `"unterminated`,
		"f":                  "1",
		"slow_query_log":     "OFF",
		"skip_name_resolve":  "ON",
		"name_resolve":       "OFF",
		"performance_schema": "OFF",
		"local_infile":       "ON",
		"g":                  "8",
		"h":                  "10",
		"i":                  "1",
		"j":                  "1",
		"k":                  "",
		"l":                  "",
		"m":                  "",
		"wait_timeout":       "90",
		"n":                  "FreeBSD",
	} {
		if got := my.Get(key).Value; got != want {
			t.Errorf("Get(%s) = %q, want %q", key, got, want)
		}
	}
	if s := my.Get("wait_timeout"); s.File != "/etc/mysql/my.cnf" || s.Line != 2 {
		t.Errorf("wait_timeout %s", s)
	}
}

func TestStackConfigMySQLDefaults(t *testing.T) {
	c := Read(confFS(map[string]string{"etc/mysql/my.cnf": "[mysqld]\n"}), "/")
	for key, want := range map[string]string{
		"max_connections": "max_connections = 151 (MySQL/MariaDB default)",
		"long-query-time": "long_query_time = 10 (MySQL/MariaDB default)",
		"slow_query_log":  "slow_query_log = OFF (MySQL/MariaDB default)",
		"wait_timeout":    "wait_timeout = 28800 (MySQL/MariaDB default)",
	} {
		s := c.MySQL.Get(key)
		if s.String() != want || !s.Default || s.File != "" {
			t.Errorf("Get(%s) = %+v, want %s", key, s, want)
		}
	}
	if n, ok := c.MySQL.Get("max_connections").Int(); !ok || n != 151 {
		t.Errorf("Int %d %v", n, ok)
	}
}

func TestStackConfigMySQLProblems(t *testing.T) {
	c := Read(confFS(map[string]string{
		"etc/mysql/my.cnf": `max_connections = 5
[mysqld
[mysqld]
!include conf.d/x.cnf
!include /etc/mysql/missing.cnf
!includedir /etc/mysql/nope.d
!include /etc/mysql/my.cnf
!unknown directive
max_connections = 6
`,
	}), "/")
	const f = "/etc/mysql/my.cnf"
	checkProblems(t, c,
		"MySQL option file "+f+":1: an option before any [group] (mysqld refuses the file)",
		"MySQL option file "+f+":2: no ] after the group name",
		`MySQL option file `+f+`:4: !include "conf.d/x.cnf" is not an absolute path`,
		"MySQL option file "+f+":6: cannot read directory /etc/mysql/nope.d: file does not exist",
		"more than 1024 files or includes nested deeper than 16 (an include cycle?)",
	)
	if s := c.MySQL.Get("max_connections"); s.Value != "6" {
		t.Errorf("max_connections %s", s)
	}
}
