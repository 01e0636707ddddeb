package stackconf

import (
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"
)

// The configuration parsers on any input: no panic, and
// For/Get/PoolFor/Pool/Upstream/Find never panic on what they read.
// Crashers found are kept in testdata/fuzz/FuzzStackConfigXxx. Their work
// grows linearly with the input (TestReadLinearWork); while fuzzing, Go
// stops an input that runs for 10 s and keeps it as a crasher.

// checkStackConfig checks what holds for any Config, and uses every
// setting's methods.
func checkStackConfig(t *testing.T, c *Config) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range c.Files {
		if seen[f] || !path.IsAbs(f) {
			t.Fatalf("file %q listed twice or not absolute: %q", f, c.Files)
		}
		seen[f] = true
	}
	said := map[string]bool{}
	for _, p := range c.Problems {
		if said[p] || p == "" {
			t.Fatalf("problem %q listed twice or empty", p)
		}
		said[p] = true
	}
	for _, p := range c.FPM {
		if !seen[p.File] || !seen[p.Config] {
			t.Fatalf("pool %q from %s (%s) not in the files read", p.Name, p.File, p.Config)
		}
	}
}

// checkSetting checks a setting came from a file read (or is a default)
// and that its methods do not panic.
func checkSetting(t *testing.T, c *Config, s Setting) {
	t.Helper()
	files := map[string]bool{}
	for _, f := range c.Files {
		files[f] = true
	}
	if s.Default != (s.File == "") || s.Default != (s.Line == 0) || !s.Default && !files[s.File] {
		t.Fatalf("setting %+v: not a default and not from a file read", s)
	}
	_ = s.String()
	s.Duration()
	s.Int()
}

func FuzzStackConfigNginx(f *testing.F) {
	f.Add([]byte(shopConf), []byte(""), "fastcgi://unix:/run/php/php8.2-fpm.sock:")
	f.Add([]byte(harnessNginx), []byte(""), "fastcgi://127.0.0.1:19000")
	f.Add([]byte("http { include conf.d/*.conf; }"), []byte("server { server_name ~^(?<x>a+)+$ .b *.c d.*; location / { fastcgi_pass up; } }\nupstream up { server [::1]:9000 max_fails=2; }"), "fastcgi://[::1]:9000")
	f.Add([]byte("include nginx.conf; include /etc/nginx/conf.d/a.conf;"), []byte("include /etc/nginx/nginx.conf;"), "http://backend/")
	f.Add([]byte("http { server { location / { proxy_pass https://unix:/x.sock:/a; if ($a) { grpc_pass grpcs://h; } } } }"), []byte("}{"), "https://unix:/x.sock:/a")
	for _, p := range []string{"nginx.conf", "sites-available/default", "snippets/fastcgi-php.conf", "fastcgi.conf"} {
		b, err := os.ReadFile("testdata/debian-nginx/etc/nginx/" + p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte(shopConf), "fastcgi://10.0.0.1:80")
	}
	f.Fuzz(func(t *testing.T, main, included []byte, query string) {
		c := Read(fstest.MapFS{
			"etc/nginx/nginx.conf":    {Data: main},
			"etc/nginx/conf.d/a.conf": {Data: included},
		}, "/")
		checkStackConfig(t, c)
		n := c.Nginx
		if n == nil {
			return
		}
		for _, up := range []string{query, "fastcgi://127.0.0.1:9000", "fastcgi://unix:/run/php/php8.2-fpm.sock:", "http://backend/x", "http://[::1]:80/", ""} {
			for _, host := range []string{"", query, "shop.example.com"} {
				for _, name := range []string{"fastcgi_read_timeout", "fastcgi_param", "max_fails", "fail_timeout", "worker_connections", query} {
					got := n.For(up, host, name)
					if len(got) == 0 {
						t.Fatalf("For(%q, %q, %q) is empty", up, host, name)
					}
					for _, s := range got {
						checkSetting(t, c, s)
					}
				}
			}
		}
		for _, name := range []string{query, "server", "location", "fastcgi_pass"} {
			for _, d := range n.Find(name) {
				checkSetting(t, c, d.Setting)
			}
			checkSetting(t, c, n.Get(name))
			servers, _ := n.Upstream(name)
			for _, s := range servers {
				checkSetting(t, c, s)
			}
		}
	})
}

func FuzzStackConfigFPM(f *testing.F) {
	const include = "[global]\nerror_log = /var/log/fpm.log\ninclude=/etc/php/8.2/fpm/pool.d/*.conf\n"
	f.Add([]byte(debianFPM["etc/php/8.2/fpm/php-fpm.conf"]), []byte(debianFPM["etc/php/8.2/fpm/pool.d/www.conf"]), "fastcgi://unix:/run/php/php8.2-fpm.sock:")
	f.Add([]byte(include), []byte(debianFPM["etc/php/8.2/fpm/pool.d/zz-shop.conf"]), "fastcgi://127.0.0.1:9001")
	f.Add([]byte(harnessFPM), []byte(""), "www")
	f.Add([]byte(include), []byte("[a]\nlisten = [::]:9000\n# x\nkey\n[b\nslowlog = \"$pool\\\"\ninclude=x\n"), "fastcgi://[::1]:9000")
	f.Add([]byte("include=/etc/php/8.2/fpm/php-fpm.conf\n"), []byte(""), "")
	f.Fuzz(func(t *testing.T, main, pool []byte, query string) {
		c := Read(fstest.MapFS{
			"etc/php/8.2/fpm/php-fpm.conf":    {Data: main},
			"etc/php/8.2/fpm/pool.d/www.conf": {Data: pool},
		}, "/")
		checkStackConfig(t, c)
		c.PoolFor(query)
		c.Pool(query)
		for _, p := range c.FPM {
			if c.Pool(p.Name) == nil {
				t.Fatalf("Pool(%q) is nil", p.Name)
			}
			for _, key := range []string{query, "pm", "pm.max_children", "pm.start_servers", "listen", "listen.backlog", "slowlog", "php_admin_value[error_log]"} {
				checkSetting(t, c, p.Get(key))
				checkSetting(t, c, p.Global(key))
			}
		}
	})
}

func FuzzStackConfigMySQL(f *testing.F) {
	f.Add([]byte(harnessMariaDB), []byte(""), "long_query_time")
	f.Add([]byte("[client-server]\nsocket = /run/mysqld/mysqld.sock\n!includedir /etc/mysql/conf.d/\n"), []byte("[mysqld]\nmax-connections = 300\nskip-slow-query-log\n"), "max_connections")
	f.Add([]byte("[mysqld]\na = \"x # y\" # z\nb = 'q'\nc = \\s\\t\\\\\n!include /etc/mysql/my.cnf\n"), []byte("x=1\n[mysqld"), "a")
	f.Add([]byte("!includedir /etc/mysql\n!include conf.d/a.cnf\n"), []byte("[mariadb-10.11]\nloose-wait-timeout=5\n"), "wait-timeout")
	f.Fuzz(func(t *testing.T, main, included []byte, query string) {
		c := Read(fstest.MapFS{
			"etc/mysql/my.cnf":       {Data: main},
			"etc/mysql/conf.d/a.cnf": {Data: included},
		}, "/")
		checkStackConfig(t, c)
		if c.MySQL == nil {
			t.Fatal("no MySQL config")
		}
		for _, key := range []string{query, "max_connections", "long_query_time", "slow_query_log", "wait_timeout", strings.ToUpper(query)} {
			checkSetting(t, c, c.MySQL.Get(key))
		}
	})
}
