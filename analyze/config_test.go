package analyze

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/logcause/logcause/stackconf"
)

// A server's configuration, as the scenarios' harness writes it: PHP over
// TCP, a /api/ location proxied to an upstream group.
func stackConfig(t *testing.T) *stackconf.Config {
	t.Helper()
	sc := stackconf.Read(fstest.MapFS{
		"etc/nginx/nginx.conf": {Data: []byte(`user www-data;
http {
    upstream backend { server 10.0.0.5:8080 max_fails=3 fail_timeout=30s; }
    server {
        server_name shop.example.com;
        location /api/ { proxy_pass http://backend; proxy_read_timeout 3s; }
        location ~ \.php$ {
            fastcgi_pass unix:/run/php/php8.2-fpm.sock;
            fastcgi_read_timeout 2s;
            fastcgi_buffer_size 4k;
        }
    }
}
`)},
		"etc/php/8.2/fpm/php-fpm.conf": {Data: []byte(`[global]
include=/etc/php/8.2/fpm/pool.d/*.conf
`)},
		"etc/php/8.2/fpm/pool.d/www.conf": {Data: []byte(`[www]
listen = /run/php/php8.2-fpm.sock
listen.backlog = 8
pm = static
pm.max_children = 4
request_terminate_timeout = 0
`)},
		"etc/mysql/my.cnf": {Data: []byte("[mysqld]\nmax_connections = 50\nlong_query_time = 1\n")},
	}, "/srv/web1")
	if sc.Nginx == nil || len(sc.FPM) != 1 || sc.MySQL == nil {
		t.Fatalf("config not read: %+v", sc)
	}
	return sc
}

func analyzeWith(t *testing.T, f *fake, sc *stackconf.Config) Result {
	t.Helper()
	cfg := DefaultConfig
	cfg.Stack = sc
	res, err := Analyze(f, TimeRange{t0, at(3600)}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestTimeoutQuotesTheTimeoutAndTheRequestTimes(t *testing.T) {
	f := &fake{}
	f.healthy(0, 120)
	for s := 30; s < 36; s++ {
		f.access(s, 504, "/api/stock", 2)
		f.nginx(s, 2, 110, timedOut, readHeader, "http://10.0.0.5:8080/api/stock")
	}
	for _, ev := range f.events {
		if ev.Access != nil && ev.Access.Status == 504 {
			ev.Access.RequestTime = 3.001
		}
	}
	res := analyzeWith(t, f, stackConfig(t))
	c := onlyIncident(t, res).Causes[0]
	want := "nginx waits proxy_read_timeout 3s (/etc/nginx/nginx.conf:6) and the 504s took 3.0 s"
	if c.Kind != UpstreamTimeout || !strings.Contains(c.Summary, want) {
		t.Errorf("summary %q, want it to say %q", c.Summary, want)
	}
	if len(c.Settings) != 1 || c.Settings[0].Name != "proxy_read_timeout" || c.Settings[0].Value != "3s" || c.Settings[0].Line != 6 {
		t.Errorf("settings %+v", c.Settings)
	}
	if !strings.Contains(c.Recommendations[0], "proxy_read_timeout 3s (/etc/nginx/nginx.conf:6)") {
		t.Errorf("recommendations %q", c.Recommendations)
	}
	if res.Config == nil || res.Config.Root != "/srv/web1" || !slices.Contains(res.Config.Files, "/etc/nginx/nginx.conf") {
		t.Errorf("config use %+v", res.Config)
	}
}

func TestExhaustionQuotesThePool(t *testing.T) {
	f := &fake{}
	f.healthy(0, 120)
	f.fpm(49, "WARNING", maxChildren)
	for s := 50; s < 60; s++ {
		f.access(s, 502, "/slow.php", 10)
		f.nginx(s, 10, 11, eagain, connecting, fpmSock)
	}
	c := onlyIncident(t, analyzeWith(t, f, stackConfig(t))).Causes[0]
	for _, want := range []string{"[www] pm = static (/etc/php/8.2/fpm/pool.d/www.conf:4)", "[www] pm.max_children = 4 (/etc/php/8.2/fpm/pool.d/www.conf:5)", "[www] listen.backlog = 8 (/etc/php/8.2/fpm/pool.d/www.conf:3)"} {
		if !strings.Contains(c.Summary, want) {
			t.Errorf("summary %q lacks %q", c.Summary, want)
		}
	}
	if len(c.Recommendations) != 2 || !strings.HasPrefix(c.Recommendations[0], "Raise pm.max_children = 4 (/etc/php/8.2/fpm/pool.d/www.conf:5) in pool [www]") ||
		!strings.HasPrefix(c.Recommendations[1], "Raise listen.backlog = 8 (") {
		t.Errorf("recommendations %q", c.Recommendations)
	}
}

func TestHeaderTooBigQuotesTheBuffer(t *testing.T) {
	f := &fake{}
	f.healthy(0, 120)
	for s := 30; s < 36; s++ {
		f.access(s, 502, "/big.php", 2)
		f.nginx(s, 2, 0, "upstream sent too big header", readHeader, fpmSock)
	}
	c := onlyIncident(t, analyzeWith(t, f, stackConfig(t))).Causes[0]
	if c.Kind != UpstreamHeaderTooBig || !strings.HasPrefix(c.Recommendations[0], "Raise fastcgi_buffer_size 4k (/etc/nginx/nginx.conf:10) to 16k or 32k there, with fastcgi_buffers to match") {
		t.Errorf("%s: %q", c.Kind, c.Recommendations)
	}
}

// FPM down, and nginx connects to a socket no pool listens on: the
// configuration says so.
func TestFPMDownOnASocketNoPoolListensOn(t *testing.T) {
	sc := stackConfig(t)
	f := &fake{}
	f.healthy(0, 120)
	for s := 30; s < 40; s++ {
		f.access(s, 502, "/index.php", 2)
		f.nginx(s, 2, 2, "connect() to unix:/run/php/php8.1-fpm.sock failed (2: No such file or directory)", connecting, "fastcgi://unix:/run/php/php8.1-fpm.sock:")
		f.nginx(s, 1, 110, timedOut, readHeader, "http://10.0.0.5:8080/api/x") // and one that ties the logs to this config
	}
	inc := onlyIncident(t, analyzeWith(t, f, sc))
	var down *Cause
	for i := range inc.Causes {
		if inc.Causes[i].Kind == FPMDown {
			down = &inc.Causes[i]
		}
	}
	if down == nil || !strings.Contains(down.Summary, "no PHP-FPM pool listens on unix:/run/php/php8.1-fpm.sock:: [www] listen = /run/php/php8.2-fpm.sock") ||
		down.Recommendations[0] != "Make nginx's fastcgi_pass and the pool's listen name the same socket." {
		t.Errorf("fpm_down: %+v", down)
	}
}

// Logs of another server are not explained with this configuration: its
// nginx passes nothing to their upstreams.
func TestAnotherServersConfigIsNotQuoted(t *testing.T) {
	f := &fake{}
	f.healthy(0, 120)
	for s := 30; s < 36; s++ {
		f.access(s, 504, "/api", 2)
		f.nginx(s, 2, 110, timedOut, readHeader, "http://192.168.7.7:8080/api")
	}
	res := analyzeWith(t, f, stackConfig(t))
	c := onlyIncident(t, res).Causes[0]
	if len(c.Settings) != 0 || res.Config != nil || strings.Contains(c.Summary, "nginx waits") || c.Recommendations[0] != upstreamTimeout.advice[0] {
		t.Errorf("quoted another server's config: %+v, %+v", c, res.Config)
	}
}
