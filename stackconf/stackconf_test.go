package stackconf

import (
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestSettingString(t *testing.T) {
	for _, tc := range []struct {
		s    Setting
		want string
	}{
		{Setting{Name: "fastcgi_read_timeout", Value: "2s", File: "/etc/nginx/nginx.conf", Line: 31, Server: "nginx"}, "fastcgi_read_timeout 2s (/etc/nginx/nginx.conf:31)"},
		{Setting{Name: "fastcgi_read_timeout", Value: "60s", Default: true, Server: "nginx"}, "fastcgi_read_timeout 60s (nginx default)"},
		{Setting{Name: "pm.max_children", Value: "5", File: "/etc/php/8.2/fpm/pool.d/www.conf", Line: 113, Server: "php-fpm"}, "pm.max_children = 5 (/etc/php/8.2/fpm/pool.d/www.conf:113)"},
		{Setting{Name: "pm.max_requests", Value: "0", Default: true, Server: "php-fpm"}, "pm.max_requests = 0 (php-fpm default)"},
		{Setting{Name: "pm", Default: true, Server: "php-fpm"}, "pm not set (php-fpm requires it)"},
		{Setting{Name: "slowlog", Default: true, Server: "php-fpm"}, "slowlog not set"},
		{Setting{Name: "max_connections", Value: "151", Default: true, Server: "mysqld"}, "max_connections = 151 (MySQL/MariaDB default)"},
		{Setting{Name: "long_query_time", Value: "1", File: "/etc/mysql/my.cnf", Line: 9, Server: "mysqld"}, "long_query_time = 1 (/etc/mysql/my.cnf:9)"},
		{Setting{Name: "listen.backlog", Value: "", File: "/x.conf", Line: 2, Server: "php-fpm"}, `listen.backlog = "" (/x.conf:2)`},
		{Setting{Name: "x", Value: "1", File: "/f"}, "x 1 (/f)"},
		{Setting{Name: "x", Value: "1", Default: true}, "x 1 (default)"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestSettingDuration(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"2s", 2 * time.Second, true},
		{"500ms", 500 * time.Millisecond, true},
		{"1m30s", 90 * time.Second, true},
		{"1h 30m", 90 * time.Minute, true},
		{"60", time.Minute, true}, // nginx and FPM: bare seconds
		{" 30s ", 30 * time.Second, true},
		{"2m", 2 * time.Minute, true}, // FPM minutes
		{"1d", 24 * time.Hour, true},
		{"1w", 7 * 24 * time.Hour, true},
		{"1M", 30 * 24 * time.Hour, true},
		{"1y", 365 * 24 * time.Hour, true},
		{"0", 0, true},
		{"0s", 0, true},
		{"0.5", 500 * time.Millisecond, true}, // MySQL long_query_time
		{"10.000000", 10 * time.Second, true},
		{"1.", time.Second, true},
		{"", 0, false},
		{"s", 0, false},
		{"2x", 0, false},
		{"-1", 0, false},
		{"1.5s", 0, false},
		{"1..5", 0, false},
		{"1e3", 0, false},
		{"inf", 0, false},
		{"60s (nginx default)", 0, false},
		{"9999999999999999999", 0, false},
		{"9223372036s", 9223372036 * time.Second, true},
		{"9223372037s", 0, false},
		{"300y", 0, false},
		{"290y 290y", 0, false},
		{"10000000000", 0, false},
	} {
		d, ok := Setting{Value: tc.v}.Duration()
		if d != tc.want || ok != tc.ok {
			t.Errorf("Duration(%q) = %v %v, want %v %v", tc.v, d, ok, tc.want, tc.ok)
		}
	}
}

func TestSettingInt(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want int64
		ok   bool
	}{
		{"50", 50, true},
		{"-1", -1, true},
		{"16k", 16 << 10, true},
		{"4K", 4 << 10, true},
		{"1m", 1 << 20, true},
		{"1M", 1 << 20, true},
		{"1G", 1 << 30, true},
		{"2t", 2 << 40, true},
		{" 128M ", 128 << 20, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"9223372036854775808", 0, false},
		{"8589934592G", 0, false},
		{"-8589934593G", 0, false},
		{"", 0, false},
		{"k", 0, false},
		{"+5", 0, false},
		{"8 4k", 0, false},
		{"4k or 8k (one memory page)", 0, false},
		{"dynamic", 0, false},
		{"1.5M", 0, false},
	} {
		n, ok := Setting{Value: tc.v}.Int()
		if n != tc.want || ok != tc.ok {
			t.Errorf("Int(%q) = %d %v, want %d %v", tc.v, n, ok, tc.want, tc.ok)
		}
	}
}

func TestStackConfigNothingFound(t *testing.T) {
	c := Read(fstest.MapFS{"etc/hostname": {Data: []byte("x")}}, "/mnt/server")
	if c.Root != "/mnt/server" || c.Nginx != nil || c.FPM != nil || c.MySQL != nil || c.Files != nil {
		t.Errorf("%+v", c)
	}
	checkProblems(t, c, "no nginx, PHP-FPM or MySQL/MariaDB configuration found under /mnt/server (is the config root right?)")
}

// denyFS is an fs.FS (Open only) where the named files and directories,
// and what is below those, cannot be opened: what a user without
// permission to read them sees. Root reads everything, so the tests use it
// when they run as root.
type denyFS struct {
	fsys fs.FS
	deny map[string]bool
}

func (d denyFS) Open(name string) (fs.File, error) {
	for p := name; p != "."; p = path.Dir(p) {
		if d.deny[p] {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
		}
	}
	return d.fsys.Open(name)
}

// TestStackConfigUnreadable checks that what cannot be read is a problem
// naming the server path with what to do, and that the rest is read. As an
// unprivileged user it takes permissions away in a real directory; as root
// (who reads everything) it uses denyFS.
func TestStackConfigUnreadable(t *testing.T) {
	files := map[string]string{
		"etc/nginx/nginx.conf":             "http { include conf.d/*.conf; send_timeout 5s; }",
		"etc/nginx/conf.d/a.conf":          "keepalive_timeout 3s;",
		"etc/nginx/conf.d/secret.conf":     "client_max_body_size 9m;",
		"etc/php/8.2/fpm/php-fpm.conf":     "[www]\nlisten = /run/php.sock\n",
		"etc/php-fpm.conf":                 "include=/etc/php-fpm.d/*.conf\n",
		"etc/php-fpm.d/www.conf":           "[rhel]\nlisten = 9000\n",
		"etc/my.cnf":                       "[mysqld]\nmax_connections = 10\n",
		"etc/mysql/my.cnf":                 "[mysqld]\nwait_timeout = 60\n",
		"usr/local/etc/nginx/nginx.conf":   "",
		"usr/local/etc/php-fpm.conf":       "[bsd]\nlisten = 9001\n",
		"usr/local/etc/mysql/my.cnf":       "[mysqld]\n!includedir /usr/local/etc/mysql/conf.d\n",
		"usr/local/etc/mysql/conf.d/x.cnf": "[mysqld]\nlong_query_time = 2\n",
	}
	denied := []string{"etc/nginx/conf.d/secret.conf", "etc/php", "etc/php-fpm.d", "etc/my.cnf", "usr/local/etc/mysql/conf.d"}
	var fsys fs.FS
	if os.Geteuid() == 0 {
		deny := map[string]bool{}
		for _, d := range denied {
			deny[d] = true
		}
		fsys = denyFS{confFS(files), deny}
	} else {
		dir := t.TempDir()
		for p, c := range files {
			writeTree(t, dir, map[string]string{p: c})
		}
		for _, d := range denied {
			p := filepath.Join(dir, d)
			if err := os.Chmod(p, 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(p, 0o755) })
		}
		fsys = os.DirFS(dir)
	}
	c := Read(fsys, "/")
	const hint = "permission denied; run logcause as a user who can read it, or copy the configuration somewhere readable and pass --config-root"
	checkProblems(t, c,
		"cannot read nginx config /etc/nginx/conf.d/secret.conf (included from /etc/nginx/nginx.conf:1): "+hint,
		"cannot look for php-fpm configuration: cannot list /etc/php: "+hint,
		"cannot look for php-fpm configuration: cannot read /etc/php/php-fpm.conf: "+hint, // Arch's place
		`php-fpm config /etc/php-fpm.conf:1: include "/etc/php-fpm.d/*.conf": cannot list /etc/php-fpm.d: `+hint,
		"cannot read MySQL option file /etc/my.cnf: "+hint,
		"MySQL option file /usr/local/etc/mysql/my.cnf:2: cannot read directory /usr/local/etc/mysql/conf.d: "+hint,
	)
	// The rest is read.
	if s := c.Nginx.Get("keepalive_timeout"); s.Value != "3s" {
		t.Errorf("keepalive_timeout %s", s)
	}
	if s := c.Nginx.Get("send_timeout"); s.Value != "5s" {
		t.Errorf("send_timeout %s", s)
	}
	if c.Pool("bsd") == nil || c.Pool("www") != nil || c.Pool("rhel") != nil {
		t.Errorf("pools %v", c.FPM)
	}
	if s := c.MySQL.Get("wait_timeout"); s.Value != "60" {
		t.Errorf("wait_timeout %s", s)
	}
	wantFiles := []string{"/etc/nginx/nginx.conf", "/etc/nginx/conf.d/a.conf", "/etc/php-fpm.conf", "/usr/local/etc/php-fpm.conf", "/etc/mysql/my.cnf", "/usr/local/etc/mysql/my.cnf"}
	if !reflect.DeepEqual(c.Files, wantFiles) {
		t.Errorf("files %q", c.Files)
	}
}

// TestStackConfigUnreadableMain checks a main nginx file that cannot be
// read: a problem, and no nginx config (the next place is not tried:
// nginx would use that file).
func TestStackConfigUnreadableMain(t *testing.T) {
	c := Read(denyFS{confFS(map[string]string{
		"etc/nginx/nginx.conf":           "http {}",
		"usr/local/etc/nginx/nginx.conf": "http {}",
	}), map[string]bool{"etc/nginx/nginx.conf": true}}, "/")
	checkProblems(t, c, "cannot read nginx config /etc/nginx/nginx.conf: permission denied; run logcause as a user")
	if c.Nginx != nil {
		t.Errorf("%+v", c.Nginx)
	}
}

// The configuration testdata/harness/lib.sh writes, as its functions wrote
// it with LC_PREFIX=/srv/lc, run as root:
//
//	lc_write_fpm_conf listen=127.0.0.1:19000 backlog=8 max_children=4 terminate_timeout=3s \
//		extra="request_slowlog_timeout = 1s
//	slowlog = $LC_PREFIX/logs/\$pool.slow.log"
//	lc_write_nginx_conf read_timeout=2s access_format=logcause
//	lc_write_mariadb_conf
const (
	harnessFPM = `; generated by testdata/harness/lib.sh
[global]
pid = /srv/lc/run/php-fpm.pid
error_log = /srv/lc/logs/php-fpm.log
log_level = notice
daemonize = yes

[www]
user = www-data
group = www-data
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
listen = 127.0.0.1:19000
listen.backlog = 8
pm = dynamic
pm.max_children = 4
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
pm.process_idle_timeout = 10s
request_terminate_timeout = 3s
catch_workers_output = yes
decorate_workers_output = yes
clear_env = yes
php_admin_value[error_log] = /dev/stderr
php_admin_flag[log_errors] = on
php_admin_flag[display_errors] = off
request_slowlog_timeout = 1s
slowlog = /srv/lc/logs/$pool.slow.log
`
	harnessNginx = `# generated by testdata/harness/lib.sh
user www-data;
worker_processes 1;
pid /srv/lc/run/nginx.pid;
error_log /srv/lc/logs/error.log warn;
daemon on;

events {
    worker_connections 1024;
}

http {
    log_format logcause '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                        '"$http_referer" "$http_user_agent" rt=$request_time uct="$upstream_connect_time" '
                        'uht="$upstream_header_time" urt="$upstream_response_time" us="$upstream_status" ua="$upstream_addr" rid=$request_id';
    access_log /srv/lc/logs/access.log logcause;
    default_type text/plain;
    sendfile on;
    keepalive_timeout 15s;
    client_body_temp_path /srv/lc/tmp/client_body;
    fastcgi_temp_path /srv/lc/tmp/fastcgi;
    proxy_temp_path /srv/lc/tmp/proxy;
    uwsgi_temp_path /srv/lc/tmp/uwsgi;
    scgi_temp_path /srv/lc/tmp/scgi;

    server {
        listen 127.0.0.1:18480;
        server_name shop.example.test;
        root /srv/lc/www;
        index index.php;

        location / {
            try_files $uri $uri/ =404;
        }

        location ~ \.php$ {
            try_files $uri =404;
            fastcgi_pass 127.0.0.1:19000;
            fastcgi_connect_timeout 5s;
            fastcgi_send_timeout 30s;
            fastcgi_read_timeout 2s;
            fastcgi_index index.php;
            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
            fastcgi_param QUERY_STRING    $query_string;
            fastcgi_param REQUEST_METHOD  $request_method;
            fastcgi_param CONTENT_TYPE    $content_type;
            fastcgi_param CONTENT_LENGTH  $content_length;
            fastcgi_param SCRIPT_NAME     $fastcgi_script_name;
            fastcgi_param REQUEST_URI     $request_uri;
            fastcgi_param DOCUMENT_URI    $document_uri;
            fastcgi_param DOCUMENT_ROOT   $document_root;
            fastcgi_param SERVER_PROTOCOL $server_protocol;
            fastcgi_param REQUEST_SCHEME  $scheme;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
            fastcgi_param SERVER_SOFTWARE nginx/$nginx_version;
            fastcgi_param REMOTE_ADDR     $remote_addr;
            fastcgi_param REMOTE_PORT     $remote_port;
            fastcgi_param SERVER_ADDR     $server_addr;
            fastcgi_param SERVER_PORT     $server_port;
            fastcgi_param SERVER_NAME     $server_name;
            fastcgi_param REDIRECT_STATUS 200;
        }
    }
}
`
	harnessMariaDB = `# generated by testdata/harness/lib.sh
[mysqld]
user = mysql
datadir = /srv/lc/mysql
socket = /srv/lc/run/mysqld/mysqld.sock
pid-file = /srv/lc/run/mysqld/mysqld.pid
skip-networking
log_error = /srv/lc/logs/mysql-error.log
slow_query_log = 1
slow_query_log_file = /srv/lc/logs/mysql-slow.log
long_query_time = 1
log_output = FILE
max_connections = 50
innodb_buffer_pool_size = 32M
innodb_log_file_size = 16M
performance_schema = OFF

`
)

// TestStackConfigHarness reads the harness's configuration shapes from the
// places a packaged stack has them, over TCP and over a unix socket (the
// harness's default).
func TestStackConfigHarness(t *testing.T) {
	for _, tc := range []struct {
		name, listen, upstream string
	}{
		{"tcp", "127.0.0.1:19000", "fastcgi://127.0.0.1:19000"},
		{"unix socket", "/srv/lc/run/php-fpm.sock", "fastcgi://unix:/srv/lc/run/php-fpm.sock:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pass := tc.listen
			if strings.HasPrefix(pass, "/") {
				pass = "unix:" + pass
			}
			c := Read(confFS(map[string]string{
				"etc/nginx/nginx.conf":         strings.Replace(harnessNginx, "fastcgi_pass 127.0.0.1:19000;", "fastcgi_pass "+pass+";", 1),
				"etc/php/8.2/fpm/php-fpm.conf": strings.Replace(harnessFPM, "listen = 127.0.0.1:19000", "listen = "+tc.listen, 1),
				"etc/mysql/my.cnf":             harnessMariaDB,
			}), "/")
			checkProblems(t, c)
			const nginx, fpm, my = "/etc/nginx/nginx.conf", "/etc/php/8.2/fpm/php-fpm.conf", "/etc/mysql/my.cnf"
			for _, host := range []string{"", "shop.example.test"} {
				got := values(c.Nginx.For(tc.upstream, host, "fastcgi_read_timeout"))
				if want := []string{"fastcgi_read_timeout 2s (" + nginx + ":41)"}; !reflect.DeepEqual(got, want) {
					t.Errorf("host %q: %q, want %q", host, got, want)
				}
			}
			if a := c.Nginx.Find("access_log"); len(a) != 1 || a[0].Value != "/srv/lc/logs/access.log logcause" || a[0].Context != "http" {
				t.Errorf("access_log %+v", a)
			}
			timeout := c.Nginx.For(tc.upstream, "", "fastcgi_read_timeout")[0]
			if d, ok := timeout.Duration(); !ok || d != 2*time.Second {
				t.Errorf("Duration %v %v", d, ok)
			}
			for name, want := range map[string]string{
				"fastcgi_connect_timeout": "fastcgi_connect_timeout 5s (" + nginx + ":39)",
				"fastcgi_buffer_size":     "fastcgi_buffer_size 4k or 8k (one memory page) (nginx default)",
				"keepalive_timeout":       "keepalive_timeout 15s (" + nginx + ":19)",
				"worker_connections":      "worker_connections 1024 (" + nginx + ":9)",
			} {
				if got := values(c.Nginx.For(tc.upstream, "", name)); len(got) != 1 || got[0] != want {
					t.Errorf("%s = %q, want %s", name, got, want)
				}
			}
			p := c.PoolFor(tc.upstream)
			if p == nil || p != c.Pool("www") {
				t.Fatalf("PoolFor(%s) = %v", tc.upstream, p)
			}
			for key, want := range map[string]string{
				"pm.max_children":           "pm.max_children = 4 (" + fpm + ":17)",
				"listen.backlog":            "listen.backlog = 8 (" + fpm + ":15)",
				"request_terminate_timeout": "request_terminate_timeout = 3s (" + fpm + ":22)",
				"slowlog":                   "slowlog = /srv/lc/logs/www.slow.log (" + fpm + ":30)",
				"pm.max_requests":           "pm.max_requests = 0 (php-fpm default)",
			} {
				if got := p.Get(key).String(); got != want {
					t.Errorf("%s = %s, want %s", key, got, want)
				}
			}
			if got := p.Global("log_level").String(); got != "log_level = notice ("+fpm+":5)" {
				t.Errorf("log_level = %s", got)
			}
			for key, want := range map[string]string{
				"long_query_time": "long_query_time = 1 (" + my + ":11)",
				"max_connections": "max_connections = 50 (" + my + ":13)",
				"slow_query_log":  "slow_query_log = 1 (" + my + ":9)",
				"skip_networking": "skip_networking = ON (" + my + ":7)",
				"wait_timeout":    "wait_timeout = 28800 (MySQL/MariaDB default)",
			} {
				if got := c.MySQL.Get(key).String(); got != want {
					t.Errorf("%s = %s, want %s", key, got, want)
				}
			}
			if n, ok := c.MySQL.Get("innodb_buffer_pool_size").Int(); !ok || n != 32<<20 {
				t.Errorf("innodb_buffer_pool_size %d %v", n, ok)
			}
		})
	}
}

// TestRootFSGlob checks the glob behind includes: sorted, no dot files
// for '*', meta characters in directories, bad patterns.
func TestRootFSGlob(t *testing.T) {
	r := rootFS{confFS(map[string]string{
		"etc/php/8.2/fpm/php-fpm.conf": "", "etc/php/7.4/fpm/php-fpm.conf": "", "etc/php/5.6/cli/php.ini": "",
		"etc/php/README": "", "etc/php/.hidden/fpm/php-fpm.conf": "",
		"d/b": "", "d/a": "", "d/.a": "",
	})}
	for pattern, want := range map[string][]string{
		"/etc/php/*/fpm/php-fpm.conf": {"/etc/php/7.4/fpm/php-fpm.conf", "/etc/php/8.2/fpm/php-fpm.conf"},
		"/d/*":                        {"/d/a", "/d/b"},
		"/d/.*":                       {"/d/.a"},
		"/d/[ab]":                     {"/d/a", "/d/b"},
		"/d/a":                        {"/d/a"},
		"/d/c":                        nil,
		"/nope/*":                     nil,
		"d/?":                         {"/d/a", "/d/b"},
	} {
		got, err := r.glob(pattern)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("glob(%s) = %q %v, want %q", pattern, got, err, want)
		}
	}
	if _, err := r.glob("/d/[a"); err == nil {
		t.Error("bad pattern: no error")
	}
}
