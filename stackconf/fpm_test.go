package stackconf

import (
	"reflect"
	"testing"
)

// debianFPM is a Debian-shaped php-fpm configuration (written for these
// tests; php-fpm's own files may not be copied here, see
// realserver_test.go).
var debianFPM = map[string]string{
	"etc/php/8.2/fpm/php-fpm.conf": `;;;;;;;;;;;;;;;;;;;;;
; FPM Configuration ;
;;;;;;;;;;;;;;;;;;;;;
[global]
pid = /run/php/php8.2-fpm.pid
error_log = /var/log/php8.2-fpm.log
process_control_timeout = 10s

include=/etc/php/8.2/fpm/pool.d/*.conf
; after the include, php-fpm is still in the last pool read
pm.max_requests = 500
`,
	"etc/php/8.2/fpm/pool.d/www.conf": `[www]
user = www-data
listen = /run/php/php8.2-fpm.sock
  pm = dynamic   ; an inline comment
PM.Max_Children = 5
pm.min_spare_servers = 1
pm.max_spare_servers = 3
slowlog = /var/log/php-fpm/$pool.slow.log
request_slowlog_timeout = '5s'
php_admin_value[error_log] = "/var/log/fpm-$pool;errors.log"
php_admin_value[memory_limit] = 256M
access.format = "%R - %u \"%m %r\" %s"
`,
	"etc/php/8.2/fpm/pool.d/zz-shop.conf": `[shop]
listen = 127.0.0.1:9001
pm = ondemand
pm.max_children = 20
request_terminate_timeout = 30s
listen.backlog =
[WWW]
; a section seen before: php-fpm goes back to that pool
pm.max_children = 8
`,
	"etc/php/8.2/fpm/pool.d/README": "not a .conf: not read [broken",
}

func TestStackConfigFPMDebian(t *testing.T) {
	c := Read(confFS(debianFPM), "/")
	checkProblems(t, c)
	wantFiles := []string{"/etc/php/8.2/fpm/php-fpm.conf", "/etc/php/8.2/fpm/pool.d/www.conf", "/etc/php/8.2/fpm/pool.d/zz-shop.conf"}
	if !reflect.DeepEqual(c.Files, wantFiles) {
		t.Errorf("files %q", c.Files)
	}
	if len(c.FPM) != 2 {
		t.Fatalf("%d pools", len(c.FPM))
	}
	www, shop := c.Pool("WWW"), c.Pool("shop")
	if www != c.FPM[0] || shop != c.FPM[1] || c.Pool("nope") != nil {
		t.Fatalf("Pool: %v %v", www, shop)
	}
	if www.Name != "www" || www.File != "/etc/php/8.2/fpm/pool.d/www.conf" || www.Line != 1 ||
		www.Config != "/etc/php/8.2/fpm/php-fpm.conf" || www.Version != "8.2" {
		t.Errorf("www: %+v", www)
	}
	const wwwConf, shopConf = "/etc/php/8.2/fpm/pool.d/www.conf", "/etc/php/8.2/fpm/pool.d/zz-shop.conf"
	for _, tc := range []struct {
		pool *FPMPool
		key  string
		want string
	}{
		{www, "pm", "pm = dynamic (" + wwwConf + ":4)"},
		{www, "pm.max_children", "pm.max_children = 8 (" + shopConf + ":9)"}, // later wins, keys without case
		{www, "pm.max_requests", "pm.max_requests = 500 (/etc/php/8.2/fpm/php-fpm.conf:11)"},
		{www, "slowlog", "slowlog = /var/log/php-fpm/www.slow.log (" + wwwConf + ":8)"},
		{www, "request_slowlog_timeout", "request_slowlog_timeout = 5s (" + wwwConf + ":9)"},
		{www, "php_admin_value[error_log]", "php_admin_value[error_log] = /var/log/fpm-www;errors.log (" + wwwConf + ":10)"},
		{www, "PHP_ADMIN_VALUE[memory_limit]", "php_admin_value[memory_limit] = 256M (" + wwwConf + ":11)"},
		{www, "access.format", `access.format = %R - %u "%m %r" %s (` + wwwConf + ":12)"},
		{www, "pm.start_servers", "pm.start_servers = 2 (php-fpm default)"}, // min + (max - min) / 2
		{www, "listen.backlog", "listen.backlog = -1 (php-fpm default)"},    // PHP 8.2
		{www, "request_terminate_timeout", "request_terminate_timeout = 0 (php-fpm default)"},
		{www, "pm.process_idle_timeout", "pm.process_idle_timeout = 10s (php-fpm default)"},
		{www, "php_admin_value[memory_limit]x", "php_admin_value[memory_limit]x not set"},
		{shop, "listen.backlog", `listen.backlog = "" (` + shopConf + ":6)"},
		{shop, "request_terminate_timeout", "request_terminate_timeout = 30s (" + shopConf + ":5)"},
		{shop, "pm.max_requests", "pm.max_requests = 0 (php-fpm default)"},
		{shop, "slowlog", "slowlog not set"},
		{shop, "pm.start_servers", "pm.start_servers not set"},
	} {
		if got := tc.pool.Get(tc.key).String(); got != tc.want {
			t.Errorf("%s: Get(%s) = %s, want %s", tc.pool.Name, tc.key, got, tc.want)
		}
	}
	for key, want := range map[string]string{
		"error_log":                   "error_log = /var/log/php8.2-fpm.log (/etc/php/8.2/fpm/php-fpm.conf:6)",
		"process_control_timeout":     "process_control_timeout = 10s (/etc/php/8.2/fpm/php-fpm.conf:7)",
		"log_level":                   "log_level = notice (php-fpm default)",
		"emergency_restart_threshold": "emergency_restart_threshold = 0 (php-fpm default)",
	} {
		if got := shop.Global(key).String(); got != want {
			t.Errorf("Global(%s) = %s, want %s", key, got, want)
		}
	}
	if d, ok := www.Get("request_slowlog_timeout").Duration(); !ok || d.Seconds() != 5 {
		t.Errorf("Duration %v %v", d, ok)
	}
}

func TestStackConfigFPMRequired(t *testing.T) {
	c := Read(confFS(map[string]string{"etc/php-fpm.conf": "[empty]\n"}), "/")
	p := c.Pool("empty")
	for _, key := range []string{"pm", "pm.max_children", "listen"} {
		s := p.Get(key)
		if !s.Default || s.Value != "" || s.String() != key+" not set (php-fpm requires it)" {
			t.Errorf("%s: %+v %s", key, s, s)
		}
	}
	if c.PoolFor("fastcgi://127.0.0.1:9000") != nil {
		t.Error("a pool without listen listens")
	}
}

func TestStackConfigFPMLayouts(t *testing.T) {
	for _, tc := range []struct {
		name       string
		files      map[string]string
		pool       string
		version    string
		errorLog   string
		backlog    string
		wantConfig string
	}{
		{
			name: "two Debian PHP versions",
			files: map[string]string{
				"etc/php/7.4/fpm/php-fpm.conf":       "include=/etc/php/7.4/fpm/pool.d/*.conf\n",
				"etc/php/7.4/fpm/pool.d/legacy.conf": "[legacy]\nlisten = /run/php/php7.4-fpm.sock\n",
				"etc/php/8.2/fpm/php-fpm.conf":       "[www]\nlisten = /run/php/php8.2-fpm.sock\n",
			},
			pool: "legacy", version: "7.4", errorLog: "/var/log/php-fpm.log", backlog: "511", wantConfig: "/etc/php/7.4/fpm/php-fpm.conf",
		},
		{
			name: "docker php image: include relative to /usr/local",
			files: map[string]string{
				"usr/local/etc/php-fpm.conf":          "[global]\ninclude=etc/php-fpm.d/*.conf\n",
				"usr/local/etc/php-fpm.d/docker.conf": "[global]\nerror_log = /proc/self/fd/2\n",
				"usr/local/etc/php-fpm.d/www.conf":    "[www]\nlisten = 9000\n",
			},
			pool: "www", errorLog: "/proc/self/fd/2", backlog: "-1 (PHP 8.2 and later; 511 before)", wantConfig: "/usr/local/etc/php-fpm.conf",
		},
		{
			name: "docker php image, no error_log",
			files: map[string]string{
				"usr/local/etc/php-fpm.conf": "[www]\nlisten = 9000\n",
			},
			pool: "www", errorLog: "/usr/local/var/log/php-fpm.log", backlog: "-1 (PHP 8.2 and later; 511 before)", wantConfig: "/usr/local/etc/php-fpm.conf",
		},
		{
			name: "RHEL",
			files: map[string]string{
				"etc/php-fpm.conf":       "include=/etc/php-fpm.d/*.conf\n[global]\nerror_log = /var/log/php-fpm/error.log\n",
				"etc/php-fpm.d/www.conf": "[www]\nlisten = /run/php-fpm/www.sock\n",
			},
			pool: "www", errorLog: "/var/log/php-fpm/error.log", backlog: "-1 (PHP 8.2 and later; 511 before)", wantConfig: "/etc/php-fpm.conf",
		},
		{
			name: "Remi, current layout",
			files: map[string]string{
				"etc/opt/remi/php81/php-fpm.conf":       "include=/etc/opt/remi/php81/php-fpm.d/*.conf\n",
				"etc/opt/remi/php81/php-fpm.d/www.conf": "[www]\nlisten = /var/opt/remi/php81/run/php-fpm/www.sock\n",
			},
			pool: "www", version: "8.1", errorLog: "/var/opt/remi/php81/log/php-fpm.log", backlog: "511", wantConfig: "/etc/opt/remi/php81/php-fpm.conf",
		},
		{
			name: "Remi, old layout",
			files: map[string]string{
				"opt/remi/php56/root/etc/php-fpm.conf": "[www]\nlisten = 127.0.0.1:9000\n",
			},
			pool: "www", version: "5.6", errorLog: "/opt/remi/php56/root/var/log/php-fpm.log", backlog: "511", wantConfig: "/opt/remi/php56/root/etc/php-fpm.conf",
		},
		{
			name: "Alpine",
			files: map[string]string{
				"etc/php83/php-fpm.conf":         "include=/etc/php83/php-fpm.d/*.conf\n",
				"etc/php83/php-fpm.d/www.conf":   "[www]\nlisten = 127.0.0.1:9000\n",
				"etc/php83/php-fpm.d/notes.conf": "; nothing\n",
			},
			pool: "www", version: "8.3", errorLog: "/var/log/php-fpm.log", backlog: "-1", wantConfig: "/etc/php83/php-fpm.conf",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Read(confFS(tc.files), "/")
			checkProblems(t, c)
			p := c.Pool(tc.pool)
			if p == nil {
				t.Fatalf("no pool %s in %d pools", tc.pool, len(c.FPM))
			}
			if p.Config != tc.wantConfig || p.Version != tc.version {
				t.Errorf("config %s version %q", p.Config, p.Version)
			}
			if s := p.Global("error_log"); s.Value != tc.errorLog {
				t.Errorf("error_log %s", s)
			}
			if s := p.Get("listen.backlog"); s.Value != tc.backlog || !s.Default {
				t.Errorf("listen.backlog %s", s)
			}
		})
	}
}

func TestStackConfigPoolFor(t *testing.T) {
	c := Read(confFS(map[string]string{
		"etc/php/8.2/fpm/php-fpm.conf": `[sock]
listen = /run/php/php8.2-fpm.sock
[port]
listen = 9000
[v4]
listen = 127.0.0.1:9001
[v6any]
listen = [::]:9002
[v4any]
listen = 0.0.0.0:9003
[local]
listen = localhost:9004
[relative]
prefix = /srv/app
listen = run/app.sock
[relative2]
listen = run/other.sock
[varrun]
listen = /var/run/php/legacy.sock
`,
	}), "/")
	checkProblems(t, c)
	for upstream, want := range map[string]string{
		"fastcgi://unix:/run/php/php8.2-fpm.sock:":     "sock",
		"fastcgi://unix:/var/run/php/php8.2-fpm.sock:": "sock",
		"unix:/run/php/php8.2-fpm.sock":                "sock",
		"fastcgi://127.0.0.1:9000":                     "port",
		"fastcgi://10.0.0.7:9000":                      "port",
		"fastcgi://[::1]:9000":                         "port",
		"fastcgi://127.0.0.1:9001":                     "v4",
		"fastcgi://10.0.0.7:9001":                      "",
		"fastcgi://10.0.0.7:9002":                      "v6any",
		"fastcgi://192.168.1.1:9003":                   "v4any",
		"fastcgi://127.0.0.1:9004":                     "local",
		"fastcgi://[::1]:9004":                         "local",
		"fastcgi://10.0.0.7:9004":                      "",
		"fastcgi://unix:/srv/app/run/app.sock:":        "relative",
		"fastcgi://unix:/usr/run/other.sock:":          "relative2",
		"fastcgi://unix:/run/php/legacy.sock:":         "varrun",
		"fastcgi://unix:/run/php/other.sock:":          "",
		"fastcgi://127.0.0.1:8000":                     "",
		"":                                             "",
	} {
		got := ""
		if p := c.PoolFor(upstream); p != nil {
			got = p.Name
		}
		if got != want {
			t.Errorf("PoolFor(%q) = %q, want %q", upstream, got, want)
		}
	}
}

func TestStackConfigFPMProblems(t *testing.T) {
	c := Read(confFS(map[string]string{
		"etc/php/8.2/fpm/php-fpm.conf": `[global]
# a hash comment
include=/etc/php/8.2/fpm/pool.d/*.conf
include=/etc/php/8.2/fpm/loop.conf
[www
[www]
listen
listen = /run/php.sock
user = "unterminated
`,
		"etc/php/8.2/fpm/loop.conf": "include=/etc/php/8.2/fpm/loop.conf\n",
	}), "/")
	const f = "/etc/php/8.2/fpm/php-fpm.conf"
	checkProblems(t, c,
		"php-fpm config "+f+":2: a line starting with # (php-fpm takes only ; as a comment and refuses the file)",
		`php-fpm config `+f+`:3: include "/etc/php/8.2/fpm/pool.d/*.conf" matches no file`,
		"cannot read php-fpm config /etc/php/8.2/fpm/loop.conf (included from /etc/php/8.2/fpm/loop.conf:1): more than 1024 files or includes nested deeper than 16 (an include cycle?)",
		"php-fpm config "+f+":5: no ] after the section name",
		`php-fpm config `+f+`:7: "listen" has no value`,
	)
	// Reading goes on after each problem (but not after a limit).
	if p := c.Pool("www"); p == nil || p.Get("listen").Value != "/run/php.sock" || p.Get("user").Value != `"unterminated` {
		t.Errorf("pool www: %+v", p)
	}
}
