package stackconf

import (
	"testing"
	"testing/fstest"

	"github.com/logcause/logcause/internal/lineartest"
)

// TestReadLinearWork: reading a configuration and asking it what the
// analysis asks take time linear in its size, whatever it holds: nested
// blocks, many servers and upstream servers, quotes and escapes, includes,
// pools, option groups.
func TestReadLinearWork(t *testing.T) {
	// 256 KiB gives three sizes (4, 32, 256 KiB): a quadratic reader costs
	// 8 times more per byte at each. Larger configurations make the
	// readers' allocations, not their scans, lead (a real run measured
	// 7 ns per byte at 128 KiB and 30 at 1 MiB for a reader that is linear).
	const size = 256 << 10
	const nginx, fpm, mysql = "etc/nginx/nginx.conf", "etc/php/8.2/fpm/php-fpm.conf", "etc/mysql/my.cnf"
	for _, tc := range []struct {
		name, file string
		conf       func(int) []byte
	}{
		{"nginx nested blocks", nginx, lineartest.Filled("http { ", "server { location / { ")},
		{"nginx servers", nginx, lineartest.Filled("http { ", "server { server_name a.example.com ~^(?<x>a+)$; location / { fastcgi_pass 127.0.0.1:9000; } } ")},
		{"nginx upstream servers", nginx, lineartest.Filled("http { upstream up { ", "server 127.0.0.1:9000 max_fails=2; ")},
		{"nginx quotes", nginx, lineartest.Filled(`http { server_name "`, `\"`)},
		{"nginx includes", nginx, lineartest.Filled("http { ", "include conf.d/*.conf; ")},
		{"fpm pools", fpm, lineartest.Filled("[global]\n", "[p]\nlisten = 127.0.0.1:9000\npm = static\n")},
		{"fpm quotes", fpm, lineartest.Filled("[www]\nslowlog = \"", `\"`)},
		{"fpm includes", fpm, lineartest.Filled("", "include=/etc/php/8.2/fpm/pool.d/*.conf\n")},
		{"mysql groups", mysql, lineartest.Filled("", "[mysqld]\nmax_connections = 1\n")},
		{"mysql quotes", mysql, lineartest.Filled("[mysqld]\na = \"", `\\x # `)},
		{"mysql includes", mysql, lineartest.Filled("", "!includedir /etc/mysql/conf.d/\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lineartest.Want(t, size, tc.conf, func(b []byte) {
				c := Read(fstest.MapFS{tc.file: {Data: b}}, "/")
				if n := c.Nginx; n != nil {
					n.For("fastcgi://127.0.0.1:9000", "a.example.com", "fastcgi_read_timeout")
					n.Find("server")
					n.Get("worker_connections")
					n.Upstream("up")
				}
				c.PoolFor("fastcgi://127.0.0.1:9000")
				for _, p := range c.FPM {
					p.Get("pm")
					p.Global("error_log")
				}
				if c.MySQL != nil {
					c.MySQL.Get("max_connections")
				}
			})
		})
	}
}
