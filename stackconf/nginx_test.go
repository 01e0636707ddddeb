package stackconf

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// confFS builds a config root from server paths (without the leading /)
// and their contents.
func confFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for p, c := range files {
		m[p] = &fstest.MapFile{Data: []byte(c), Mode: 0o644}
	}
	return m
}

// symlink adds a symbolic link at server path name (without the leading /)
// to target.
func symlink(m fstest.MapFS, name, target string) {
	m[name] = &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink | 0o777}
}

// values returns the String of each setting.
func values(ss []Setting) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.String())
	}
	return out
}

func checkProblems(t *testing.T, c *Config, want ...string) {
	t.Helper()
	if len(c.Problems) != len(want) {
		t.Errorf("problems %q, want %d: %q", c.Problems, len(want), want)
		return
	}
	for i, w := range want {
		if !strings.Contains(c.Problems[i], w) {
			t.Errorf("problem %d %q does not contain %q", i, c.Problems[i], w)
		}
	}
}

func TestStackConfigNginxIncludes(t *testing.T) {
	m := confFS(map[string]string{
		"etc/nginx/nginx.conf": `events { worker_connections 64; }
http {
    fastcgi_read_timeout 7s;
    include conf.d/*.conf;              # glob, relative to /etc/nginx
    include /etc/nginx/sites/shop;      # absolute: under the root
    include missing.conf;               # a problem, not fatal
    include loop.conf;
}
`,
		"etc/nginx/conf.d/b.conf":       "proxy_read_timeout 2s;\n",
		"etc/nginx/conf.d/a.conf":       "proxy_connect_timeout 1s;\n",
		"etc/nginx/conf.d/.a.conf.swp":  "garbage {",
		"etc/nginx/conf.d/notes.txt":    "garbage {",
		"etc/nginx/conf.d/dir.conf/x":   "a directory the glob matches is skipped",
		"etc/nginx/sites/shop":          "server {\n    server_name shop;\n    include snippets/php.conf;\n}\n",
		"etc/nginx/snippets/php.conf":   "location ~ \\.php$ { fastcgi_pass unix:/run/php/php.sock; }\n",
		"etc/nginx/loop.conf":           "include loop.conf;\n",
		"etc/nginx/conf.d/broken.conf":  "send_timeout 3s;\nserver {\n",
		"etc/nginx/conf.d/broken2.conf": "}\n",
		"etc/nginx/conf.d/z.conf":       "keepalive_timeout 5s;\n",
	})
	c := Read(m, "/")
	checkProblems(t, c,
		"nginx config /etc/nginx/conf.d/broken.conf: unexpected end of file, expecting }",
		"nginx config /etc/nginx/conf.d/broken2.conf:1: unexpected }",
		"cannot read nginx config /etc/nginx/missing.conf (included from /etc/nginx/nginx.conf:6): file does not exist",
		"includes nested deeper than 16 (an include cycle?)",
	)
	wantFiles := []string{
		"/etc/nginx/nginx.conf",
		"/etc/nginx/conf.d/a.conf", "/etc/nginx/conf.d/b.conf", "/etc/nginx/conf.d/broken.conf",
		"/etc/nginx/conf.d/broken2.conf", "/etc/nginx/conf.d/z.conf",
		"/etc/nginx/sites/shop", "/etc/nginx/snippets/php.conf", "/etc/nginx/loop.conf",
	}
	if !reflect.DeepEqual(c.Files, wantFiles) {
		t.Errorf("files\n%q\nwant\n%q", c.Files, wantFiles)
	}
	n := c.Nginx
	if n == nil || n.File != "/etc/nginx/nginx.conf" {
		t.Fatalf("nginx %+v", n)
	}
	// What an included file holds sits in the block of its include.
	for name, want := range map[string]string{
		"proxy_read_timeout":    "proxy_read_timeout 2s (/etc/nginx/conf.d/b.conf:1)",
		"proxy_connect_timeout": "proxy_connect_timeout 1s (/etc/nginx/conf.d/a.conf:1)",
		"send_timeout":          "send_timeout 3s (/etc/nginx/conf.d/broken.conf:1)", // read up to the error
		"keepalive_timeout":     "keepalive_timeout 5s (/etc/nginx/conf.d/z.conf:1)", // after the broken files
		"worker_connections":    "worker_connections 64 (/etc/nginx/nginx.conf:1)",
	} {
		if got := n.Get(name).String(); got != want {
			t.Errorf("Get(%s) = %s, want %s", name, got, want)
		}
	}
	got := values(n.For("fastcgi://unix:/run/php/php.sock:", "", "fastcgi_read_timeout"))
	if want := []string{"fastcgi_read_timeout 7s (/etc/nginx/nginx.conf:3)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("For = %q, want %q", got, want)
	}
	loc := n.Find("fastcgi_pass")
	if len(loc) != 1 || loc[0].Context != `http > server shop > location ~ \.php$` || loc[0].File != "/etc/nginx/snippets/php.conf" {
		t.Errorf("Find(fastcgi_pass) = %+v", loc)
	}
}

// TestStackConfigNginxLimits checks that a file including itself twice
// (2^16 reads without a limit) stops at the file limit with one problem.
func TestStackConfigNginxLimits(t *testing.T) {
	c := Read(confFS(map[string]string{
		"etc/nginx/nginx.conf": "include nginx.conf;\ninclude nginx.conf;\n",
	}), "/")
	if len(c.Problems) != 1 || !strings.Contains(c.Problems[0], "nested deeper than 16") {
		t.Errorf("problems %q", c.Problems)
	}
	c = Read(confFS(map[string]string{
		"etc/nginx/nginx.conf": "include a/*;\n",
		"etc/nginx/a/1":        "include /etc/nginx/a/*;\n",
	}), "/")
	if len(c.Problems) != 1 || !strings.Contains(c.Problems[0], "nested deeper than 16") {
		t.Errorf("problems %q", c.Problems)
	}
}

// TestStackConfigNginxPlaces checks where the main file is looked for.
func TestStackConfigNginxPlaces(t *testing.T) {
	for _, p := range []string{
		"etc/nginx/nginx.conf", "usr/local/nginx/conf/nginx.conf", "usr/local/etc/nginx/nginx.conf",
		"etc/openresty/nginx.conf", "usr/local/openresty/nginx/conf/nginx.conf",
	} {
		c := Read(confFS(map[string]string{p: "http { include x.conf; }", path2dir(p) + "/x.conf": "send_timeout 1s;"}), "/")
		if c.Nginx == nil || c.Nginx.File != "/"+p || c.Nginx.Get("send_timeout").Value != "1s" || len(c.Problems) != 0 {
			t.Errorf("%s: %+v %q", p, c.Nginx, c.Problems)
		}
	}
	// The first one found wins.
	c := Read(confFS(map[string]string{
		"usr/local/nginx/conf/nginx.conf": "", "etc/openresty/nginx.conf": "",
	}), "/")
	if c.Nginx == nil || c.Nginx.File != "/usr/local/nginx/conf/nginx.conf" {
		t.Errorf("%+v", c.Nginx)
	}
}

func path2dir(p string) string { return p[:strings.LastIndexByte(p, '/')] }

// shopConf is a configuration with most of what For has to tell apart.
const shopConf = `
http {
    fastcgi_read_timeout 30s;
    proxy_read_timeout 20s;

    upstream php_pool {
        server 127.0.0.1:9001 max_fails=3 fail_timeout=30s;
        server 127.0.0.1:9002;
        server unix:/run/php/pool.sock weight=2;
    }
    upstream api {
        server 10.0.0.5:8080;
        server api-2.internal;
    }

    server {
        listen 443 ssl;
        server_name shop.example.com www.shop.example.com;
        fastcgi_read_timeout 2s;

        location / { try_files $uri /index.php; }
        location ~ \.php$ {
            fastcgi_pass unix:/run/php/php8.2-fpm.sock;
            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
            fastcgi_param HTTPS on;
        }
        location /admin/ {
            fastcgi_read_timeout 300s;
            location ~ \.php$ {
                fastcgi_pass unix:/var/run/php/php8.2-fpm.sock;
            }
        }
        location /upload {
            if ($request_method = POST) {
                fastcgi_pass unix:/run/php/php8.2-fpm.sock;
            }
            fastcgi_read_timeout 90s;
        }
        location /api/ { proxy_pass http://api/v1/; }
        location /legacy/ { proxy_pass http://127.0.0.1; }
        location /local/ { proxy_pass http://localhost:8081/; }
        location /dyn/ { proxy_pass http://$backend; }
    }

    server {
        listen 80;
        server_name *.blog.example.com .wiki.example.org ~^img\d+\.example\.net$ static.*;
        location ~ \.php$ {
            fastcgi_pass unix:/run/php/php8.2-fpm.sock;
            fastcgi_param HTTPS off;
        }
        location /pool/ { fastcgi_pass php_pool; fastcgi_read_timeout 5s; }
        location /tcp/ { fastcgi_pass 127.0.0.1:9000; }
        location /docker/ { fastcgi_pass php-app:9000; }
        location /grpc/ { grpc_pass grpc://127.0.0.1:50051; grpc_read_timeout 4s; }
        location /uwsgi/ { uwsgi_pass uwsgi://unix:/run/uwsgi.sock; }
    }
}
events { worker_connections 4096; }
`

func shopNginx(t *testing.T) *NginxConfig {
	t.Helper()
	c := Read(confFS(map[string]string{"etc/nginx/nginx.conf": shopConf}), "/")
	if len(c.Problems) > 0 || c.Nginx == nil {
		t.Fatalf("problems %q", c.Problems)
	}
	return c.Nginx
}

func TestStackConfigNginxFor(t *testing.T) {
	n := shopNginx(t)
	const conf = "/etc/nginx/nginx.conf"
	at := func(name, value string, line int) string {
		return Setting{Name: name, Value: value, File: conf, Line: line, Server: serverNginx}.String()
	}
	for _, tc := range []struct {
		name, upstream, host, directive string
		want                            []string
	}{
		{
			name:     "unix socket, every location passing there, distinct values",
			upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", directive: "fastcgi_read_timeout",
			want: []string{
				at("fastcgi_read_timeout", "2s", 19),   // server: location ~ \.php$ inherits it
				at("fastcgi_read_timeout", "300s", 28), // /admin/'s nested location, via /var/run
				at("fastcgi_read_timeout", "90s", 37),  // if{} inherits /upload's
				at("fastcgi_read_timeout", "30s", 3),   // the second server inherits http's
			},
		},
		{
			name:     "host narrows to the server",
			upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "WWW.Shop.Example.com:443", directive: "fastcgi_read_timeout",
			want: []string{at("fastcgi_read_timeout", "2s", 19), at("fastcgi_read_timeout", "300s", 28), at("fastcgi_read_timeout", "90s", 37)},
		},
		{name: "wildcard name", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "a.b.blog.example.com", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "30s", 3)}},
		{name: "dot name, bare", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "wiki.example.org", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "30s", 3)}},
		{name: "regex name", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "img42.example.net", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "30s", 3)}},
		{name: "trailing wildcard", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "static.example.de", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "30s", 3)}},
		{
			name:     "unknown host: every location",
			upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "other.example", directive: "fastcgi_read_timeout",
			want: []string{at("fastcgi_read_timeout", "2s", 19), at("fastcgi_read_timeout", "300s", 28), at("fastcgi_read_timeout", "90s", 37), at("fastcgi_read_timeout", "30s", 3)},
		},
		{
			name:     "arrays: the innermost block's lines",
			upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "shop.example.com", directive: "fastcgi_param",
			want: []string{at("fastcgi_param", "SCRIPT_FILENAME $document_root$fastcgi_script_name", 24), at("fastcgi_param", "HTTPS on", 25), "fastcgi_param not set"},
		},
		{name: "tcp", upstream: "fastcgi://127.0.0.1:9000", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "30s", 3)}},
		{name: "upstream block by server", upstream: "fastcgi://127.0.0.1:9002", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "5s", 52)}},
		{name: "upstream block by unix server", upstream: "fastcgi://unix:/run/php/pool.sock:", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "5s", 52)}},
		{name: "upstream block by name (no live upstreams)", upstream: "fastcgi://php_pool", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "5s", 52)}},
		{name: "DNS name matches any address with its port", upstream: "fastcgi://172.18.0.3:9000", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "30s", 3)}},
		{name: "proxy through upstream, URI ignored", upstream: "http://10.0.0.5:8080/v1/orders", directive: "proxy_read_timeout", want: []string{at("proxy_read_timeout", "20s", 4)}},
		{name: "proxy upstream server without port is :80", upstream: "http://10.9.9.9:80/v1/x", directive: "proxy_connect_timeout", want: []string{"proxy_connect_timeout 60s (nginx default)"}},
		{name: "proxy_pass without port is :80", upstream: "http://127.0.0.1:80/legacy/x", host: "shop.example.com", directive: "proxy_read_timeout", want: []string{at("proxy_read_timeout", "20s", 4)}},
		{name: "localhost is a loopback address", upstream: "http://[::1]:8081/", directive: "proxy_read_timeout", want: []string{at("proxy_read_timeout", "20s", 4)}},
		{name: "grpc", upstream: "grpc://127.0.0.1:50051", directive: "grpc_read_timeout", want: []string{at("grpc_read_timeout", "4s", 55)}},
		{name: "uwsgi with scheme in the pass", upstream: "uwsgi://unix:/run/uwsgi.sock:", directive: "uwsgi_read_timeout", want: []string{"uwsgi_read_timeout 60s (nginx default)"}},
		{name: "no location: http's value", upstream: "fastcgi://10.1.1.1:9999", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "30s", 3)}},
		{name: "scheme must fit the module", upstream: "http://127.0.0.1:9000", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "30s", 3)}},
		{name: "unparsable upstream", upstream: "", directive: "fastcgi_read_timeout", want: []string{at("fastcgi_read_timeout", "30s", 3)}},
		{name: "events value", upstream: "fastcgi://127.0.0.1:9000", directive: "worker_connections", want: []string{at("worker_connections", "4096", 59)}},
		{name: "max_fails on the server line", upstream: "fastcgi://127.0.0.1:9001", directive: "max_fails", want: []string{at("max_fails", "3", 7)}},
		{name: "fail_timeout on the server line", upstream: "fastcgi://127.0.0.1:9001", directive: "fail_timeout", want: []string{at("fail_timeout", "30s", 7)}},
		{name: "max_fails default", upstream: "fastcgi://127.0.0.1:9002", directive: "max_fails", want: []string{"max_fails 1 (nginx default)"}},
		{name: "max_fails of every server of a group named", upstream: "fastcgi://php_pool", directive: "max_fails", want: []string{at("max_fails", "3", 7), "max_fails 1 (nginx default)"}},
		{name: "fail_timeout without upstream block", upstream: "fastcgi://127.0.0.1:9000", directive: "fail_timeout", want: []string{"fail_timeout 10s (nginx default)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := values(n.For(tc.upstream, tc.host, tc.directive))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("For(%q, %q, %q)\n got %q\nwant %q", tc.upstream, tc.host, tc.directive, got, tc.want)
			}
		})
	}
}

func TestStackConfigNginxDefaults(t *testing.T) {
	c := Read(confFS(map[string]string{
		"etc/nginx/nginx.conf": "http { server { location / { fastcgi_pass 127.0.0.1:9000; } } }",
	}), "/")
	n := c.Nginx
	for name, want := range map[string]string{
		"fastcgi_read_timeout":        "fastcgi_read_timeout 60s (nginx default)",
		"fastcgi_connect_timeout":     "fastcgi_connect_timeout 60s (nginx default)",
		"fastcgi_send_timeout":        "fastcgi_send_timeout 60s (nginx default)",
		"fastcgi_buffer_size":         "fastcgi_buffer_size 4k or 8k (one memory page) (nginx default)",
		"fastcgi_buffers":             "fastcgi_buffers 8 4k or 8 8k (one memory page each) (nginx default)",
		"proxy_buffer_size":           "proxy_buffer_size 4k or 8k (one memory page) (nginx default)",
		"large_client_header_buffers": "large_client_header_buffers 4 8k (nginx default)",
		"client_header_buffer_size":   "client_header_buffer_size 1k (nginx default)",
		"client_max_body_size":        "client_max_body_size 1m (nginx default)",
		"keepalive_timeout":           "keepalive_timeout 75s (nginx default)",
		"worker_connections":          "worker_connections 512 (nginx default)",
		"max_fails":                   "max_fails 1 (nginx default)",
		"fail_timeout":                "fail_timeout 10s (nginx default)",
		"no_such_directive":           "no_such_directive not set",
	} {
		got := n.For("fastcgi://127.0.0.1:9000", "", name)
		if len(got) != 1 || got[0].String() != want || !got[0].Default || got[0].Line != 0 {
			t.Errorf("%s: %+v, want %s", name, got, want)
		}
	}
	if d, ok := n.For("fastcgi://127.0.0.1:9000", "", "fastcgi_read_timeout")[0].Duration(); !ok || d.Seconds() != 60 {
		t.Errorf("default Duration %v %v", d, ok)
	}
	if _, ok := n.For("fastcgi://127.0.0.1:9000", "", "fastcgi_buffer_size")[0].Int(); ok {
		t.Error("the page-size default has an Int")
	}
}

func TestStackConfigNginxUpstreamFind(t *testing.T) {
	n := shopNginx(t)
	servers, ok := n.Upstream("PHP_POOL")
	got := values(servers)
	want := []string{
		"server 127.0.0.1:9001 max_fails=3 fail_timeout=30s (/etc/nginx/nginx.conf:7)",
		"server 127.0.0.1:9002 (/etc/nginx/nginx.conf:8)",
		"server unix:/run/php/pool.sock weight=2 (/etc/nginx/nginx.conf:9)",
	}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("Upstream = %q %v", got, ok)
	}
	if _, ok := n.Upstream("nope"); ok {
		t.Error("Upstream(nope) ok")
	}
	var contexts []string
	for _, d := range n.Find("fastcgi_pass") {
		contexts = append(contexts, d.Context)
	}
	wantCtx := []string{
		`http > server shop.example.com www.shop.example.com (listen 443 ssl) > location ~ \.php$`,
		`http > server shop.example.com www.shop.example.com (listen 443 ssl) > location /admin/ > location ~ \.php$`,
		`http > server shop.example.com www.shop.example.com (listen 443 ssl) > location /upload > if ($request_method = POST)`,
		`http > server *.blog.example.com .wiki.example.org ~^img\d+\.example\.net$ static.* (listen 80) > location ~ \.php$`,
		`http > server *.blog.example.com .wiki.example.org ~^img\d+\.example\.net$ static.* (listen 80) > location /pool/`,
		`http > server *.blog.example.com .wiki.example.org ~^img\d+\.example\.net$ static.* (listen 80) > location /tcp/`,
		`http > server *.blog.example.com .wiki.example.org ~^img\d+\.example\.net$ static.* (listen 80) > location /docker/`,
	}
	if !reflect.DeepEqual(contexts, wantCtx) {
		t.Errorf("contexts\n%q\nwant\n%q", contexts, wantCtx)
	}
	if wc := n.Find("worker_connections"); len(wc) != 1 || wc[0].Context != "events" || !reflect.DeepEqual(wc[0].Args, []string{"4096"}) {
		t.Errorf("%+v", wc)
	}
	if n.Find("nope") != nil {
		t.Error("Find(nope)")
	}
}

// debianNginx loads the copy of Debian's /etc/nginx in testdata into a
// config root, with the symbolic link Debian makes to enable the default
// site, and extra files.
func debianNginx(t *testing.T, extra map[string]string) fstest.MapFS {
	t.Helper()
	src := os.DirFS("testdata/debian-nginx")
	m := fstest.MapFS{}
	err := fs.WalkDir(src, "etc", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(src, p)
		m[p] = &fstest.MapFile{Data: b, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	symlink(m, "etc/nginx/sites-enabled/default", "/etc/nginx/sites-available/default")
	for p, c := range extra {
		m[p] = &fstest.MapFile{Data: []byte(c), Mode: 0o644}
	}
	return m
}

func TestStackConfigNginxDebian(t *testing.T) {
	c := Read(debianNginx(t, nil), "/")
	checkProblems(t, c) // modules-enabled/*.conf and conf.d/*.conf match nothing: fine
	want := []string{"/etc/nginx/nginx.conf", "/etc/nginx/mime.types", "/etc/nginx/sites-enabled/default"}
	if !reflect.DeepEqual(c.Files, want) {
		t.Errorf("files %q, want %q", c.Files, want)
	}
	n := c.Nginx
	if s := n.Get("worker_connections"); s.String() != "worker_connections 768 (/etc/nginx/nginx.conf:8)" {
		t.Errorf("worker_connections = %s", s)
	}
	roots := n.Find("root")
	if len(roots) != 1 || roots[0].String() != "root /var/www/html (/etc/nginx/sites-enabled/default:41)" ||
		roots[0].Context != "http > server _ (listen 80 default_server; listen [::]:80 default_server)" {
		t.Errorf("root = %+v", roots)
	}
	// The stock site passes nothing to PHP: http's values or defaults.
	for name, want := range map[string]string{
		"fastcgi_read_timeout": "fastcgi_read_timeout 60s (nginx default)",
		"access_log":           "access_log /var/log/nginx/access.log (/etc/nginx/nginx.conf:40)",
		"sendfile":             "sendfile on (/etc/nginx/nginx.conf:18)",
	} {
		if got := values(n.For("fastcgi://unix:/run/php/php8.2-fpm.sock:", "", name)); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %s", name, got, want)
		}
	}
	if len(n.Find("types")) != 0 || len(n.Find("application/json")) != 1 {
		t.Error("mime.types is not in its types{} block")
	}

	// The PHP location the stock site has commented out, enabled as
	// Debian's comments say, in a site of its own.
	c = Read(debianNginx(t, map[string]string{
		"etc/nginx/sites-enabled/shop": `server {
	listen 8080;
	server_name shop.example;
	root /srv/shop;
	location ~ \.php$ {
		include snippets/fastcgi-php.conf;
		fastcgi_pass unix:/run/php/php8.2-fpm.sock;
		fastcgi_read_timeout 2s;
	}
}
`}), "/")
	checkProblems(t, c)
	if !slices.Contains(c.Files, "/etc/nginx/snippets/fastcgi-php.conf") || !slices.Contains(c.Files, "/etc/nginx/fastcgi.conf") {
		t.Errorf("files %q", c.Files)
	}
	n = c.Nginx
	for _, host := range []string{"", "shop.example"} {
		got := values(n.For("fastcgi://unix:/run/php/php8.2-fpm.sock:", host, "fastcgi_read_timeout"))
		if want := []string{"fastcgi_read_timeout 2s (/etc/nginx/sites-enabled/shop:8)"}; !reflect.DeepEqual(got, want) {
			t.Errorf("host %q: %q", host, got)
		}
	}
	params := n.For("fastcgi://unix:/run/php/php8.2-fpm.sock:", "shop.example", "fastcgi_param")
	if len(params) != 22 || params[0].String() != "fastcgi_param PATH_INFO $path_info (/etc/nginx/snippets/fastcgi-php.conf:10)" ||
		params[1].String() != "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name (/etc/nginx/fastcgi.conf:2)" {
		t.Errorf("fastcgi_param: %d %q", len(params), values(params))
	}
	if s := n.For("fastcgi://unix:/run/php/php8.2-fpm.sock:", "", "fastcgi_index"); len(s) != 1 || s[0].File != "/etc/nginx/snippets/fastcgi-php.conf" {
		t.Errorf("fastcgi_index = %v", s)
	}
}

// TestStackConfigNginxSymlinks checks that links are followed inside the
// config root: an absolute target starts at the root, not at the host's /.
func TestStackConfigNginxSymlinks(t *testing.T) {
	m := confFS(map[string]string{
		"etc/nginx/nginx.conf":           "http { include sites-enabled/*; include /etc/nginx/rel; }",
		"etc/nginx/sites-available/shop": "send_timeout 9s;",
		"srv/conf/extra.conf":            "keepalive_timeout 1s;",
	})
	symlink(m, "etc/nginx/sites-enabled/shop", "/etc/nginx/sites-available/shop")
	symlink(m, "etc/nginx/sites-enabled/dangling", "/etc/nginx/sites-available/gone")
	symlink(m, "etc/nginx/rel", "../../srv/../../../srv/conf/extra.conf") // ".." stops at the root
	symlink(m, "etc/nginx/sites-enabled/loop", "loop")
	m["etc/nginx/sites-enabled/pipe"] = &fstest.MapFile{Mode: fs.ModeNamedPipe | 0o644} // never opened: it would block
	c := Read(m, "/")
	checkProblems(t, c,
		"cannot read nginx config /etc/nginx/sites-enabled/dangling (included from /etc/nginx/nginx.conf:1): file does not exist",
		"cannot read nginx config /etc/nginx/sites-enabled/loop (included from /etc/nginx/nginx.conf:1): too many levels of symbolic links",
		"cannot read nginx config /etc/nginx/sites-enabled/pipe (included from /etc/nginx/nginx.conf:1): not a regular file",
	)
	if s := c.Nginx.Get("send_timeout"); s.Value != "9s" || s.File != "/etc/nginx/sites-enabled/shop" {
		t.Errorf("send_timeout = %v", s)
	}
	if s := c.Nginx.Get("keepalive_timeout"); s.Value != "1s" || s.File != "/etc/nginx/rel" {
		t.Errorf("keepalive_timeout = %v", s)
	}
}

// TestStackConfigDirFSSymlinks reads a copy of a server's /etc in a real
// directory through os.DirFS: Debian's absolute links (sites-enabled,
// /etc/mysql/my.cnf through /etc/alternatives) point into the copy, not
// at the files of the machine running the tests.
func TestStackConfigDirFSSymlinks(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"etc/nginx/nginx.conf":                    "http { include /etc/nginx/sites-enabled/*; }",
		"etc/nginx/sites-available/logcause-test": "server { server_name copy; location / { fastcgi_pass unix:/run/x.sock; fastcgi_read_timeout 3s; } }",
		"etc/mysql/mariadb.cnf":                   "[mysqld]\nmax_connections = 33\n",
	})
	for link, target := range map[string]string{
		"etc/nginx/sites-enabled/logcause-test": "/etc/nginx/sites-available/logcause-test",
		"etc/alternatives/my.cnf":               "/etc/mysql/mariadb.cnf",
		"etc/mysql/my.cnf":                      "/etc/alternatives/my.cnf",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, link)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	c := Read(os.DirFS(dir), dir)
	checkProblems(t, c)
	want := []string{"/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled/logcause-test", "/etc/mysql/my.cnf"}
	if !reflect.DeepEqual(c.Files, want) {
		t.Errorf("files %q, want %q", c.Files, want)
	}
	if got := values(c.Nginx.For("fastcgi://unix:/run/x.sock:", "copy", "fastcgi_read_timeout")); len(got) != 1 || got[0] != "fastcgi_read_timeout 3s (/etc/nginx/sites-enabled/logcause-test:1)" {
		t.Errorf("For = %q", got)
	}
	if s := c.MySQL.Get("max_connections"); s.Value != "33" || s.File != "/etc/mysql/my.cnf" {
		t.Errorf("max_connections %s", s)
	}
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"Shop.Example.COM":     "shop.example.com",
		"shop.example.com:443": "shop.example.com",
		"shop.example.com.":    "shop.example.com",
		"[::1]:8080":           "[::1]",
		"[::1]":                "[::1]",
		" 10.0.0.1:80 ":        "10.0.0.1",
		"::1":                  "::1",
		"":                     "",
	} {
		if got := normalizeHost(in); got != want {
			t.Errorf("normalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNginxServes(t *testing.T) {
	c := Read(fstest.MapFS{"etc/nginx/nginx.conf": {Data: []byte(`http { server { location ~ \.php$ { fastcgi_pass unix:/run/php/php8.2-fpm.sock; } location /api/ { proxy_pass http://127.0.0.1:8080; } } }`)}}, "/").Nginx
	for up, want := range map[string]bool{
		"fastcgi://unix:/run/php/php8.2-fpm.sock:": true,
		"http://127.0.0.1:8080/api/x":              true,
		"fastcgi://unix:/tmp/other.sock:":          false,
		"http://127.0.0.1:9090/":                   false,
		"":                                         false,
	} {
		if got := c.Serves(up); got != want {
			t.Errorf("Serves(%q) = %v, want %v", up, got, want)
		}
	}
}
