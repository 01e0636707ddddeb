//go:build realserver

package stackconf

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// The configuration Debian 12's packages install, read from the live "/":
// php8.2-fpm's www.conf is under the PHP License and MariaDB's option files
// under the GPL, so they are not copied into the repository. Run with
//
//	go test -tags realserver -run StackConfig ./stackconf/
//
// on a machine with the Debian packages nginx, php8.2-fpm and
// mariadb-server installed, their configuration as shipped.

func TestStackConfigRealServer(t *testing.T) {
	c := Read(os.DirFS("/"), "/")
	t.Logf("files read: %v", c.Files)
	for _, p := range c.Problems {
		t.Logf("problem: %s", p)
	}
	for _, f := range []string{
		"/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled/default",
		"/etc/php/8.2/fpm/php-fpm.conf", "/etc/php/8.2/fpm/pool.d/www.conf",
		"/etc/mysql/my.cnf", "/etc/mysql/mariadb.conf.d/50-server.cnf",
	} {
		if !slices.Contains(c.Files, f) {
			t.Errorf("%s not read", f)
		}
	}

	t.Run("nginx", func(t *testing.T) {
		if c.Nginx == nil {
			t.Fatal("no nginx config")
		}
		// The stock site passes nothing upstream: every value is http's or
		// the default.
		got := c.Nginx.For("fastcgi://unix:/run/php/php8.2-fpm.sock:", "", "fastcgi_read_timeout")
		if len(got) != 1 || !got[0].Default || got[0].Value != "60s" {
			t.Errorf("fastcgi_read_timeout = %v", got)
		}
		if s := c.Nginx.Get("worker_connections"); s.Value != "768" || s.File != "/etc/nginx/nginx.conf" {
			t.Errorf("worker_connections = %v", s)
		}
		roots := c.Nginx.Find("root")
		if len(roots) != 1 || roots[0].Value != "/var/www/html" || roots[0].File != "/etc/nginx/sites-enabled/default" ||
			!strings.HasPrefix(roots[0].Context, "http > server _ (listen 80 default_server") {
			t.Errorf("root = %+v", roots)
		}
	})

	t.Run("php-fpm", func(t *testing.T) {
		p := c.Pool("www")
		if p == nil {
			t.Fatalf("no pool www among %d pools", len(c.FPM))
		}
		if p.File != "/etc/php/8.2/fpm/pool.d/www.conf" || p.Config != "/etc/php/8.2/fpm/php-fpm.conf" || p.Version != "8.2" {
			t.Errorf("pool www: %s %s %s", p.File, p.Config, p.Version)
		}
		for key, want := range map[string]string{
			"pm": "dynamic", "pm.max_children": "5", "pm.start_servers": "2",
			"listen": "/run/php/php8.2-fpm.sock", "user": "www-data",
		} {
			if s := p.Get(key); s.Value != want || s.Default || s.File != p.File {
				t.Errorf("%s = %v, want %s from %s", key, s, want, p.File)
			}
		}
		// Left commented out in www.conf: php-fpm 8.2's defaults.
		for key, want := range map[string]string{
			"listen.backlog": "-1", "request_terminate_timeout": "0", "pm.max_requests": "0",
		} {
			if s := p.Get(key); s.Value != want || !s.Default {
				t.Errorf("%s = %v, want the default %s", key, s, want)
			}
		}
		if s := p.Global("error_log"); s.Value != "/var/log/php8.2-fpm.log" {
			t.Errorf("error_log = %v", s)
		}
		if c.PoolFor("fastcgi://unix:/run/php/php8.2-fpm.sock:") != p || c.PoolFor("fastcgi://unix:/var/run/php/php8.2-fpm.sock:") != p {
			t.Error("PoolFor does not find www by its socket")
		}
	})

	t.Run("mariadb", func(t *testing.T) {
		if c.MySQL == nil {
			t.Fatal("no MySQL config")
		}
		if c.MySQL.File != "/etc/mysql/my.cnf" {
			t.Errorf("File = %s", c.MySQL.File)
		}
		// 50-server.cnf leaves max_connections commented out.
		if s := c.MySQL.Get("max_connections"); s.Value != "151" || !s.Default {
			t.Errorf("max_connections = %v", s)
		}
		if s := c.MySQL.Get("bind-address"); s.Value != "127.0.0.1" || s.File != "/etc/mysql/mariadb.conf.d/50-server.cnf" {
			t.Errorf("bind_address = %v", s)
		}
		// [client-server] in mariadb.cnf is read by the server too.
		if s := c.MySQL.Get("socket"); s.Value != "/run/mysqld/mysqld.sock" {
			t.Errorf("socket = %v", s)
		}
		// [mysqldump]'s max_allowed_packet is not the server's.
		if s := c.MySQL.Get("max_allowed_packet"); !s.Default {
			t.Errorf("max_allowed_packet = %v", s)
		}
	})
}
