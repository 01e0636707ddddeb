package patterns

import (
	"testing"
	"time"
)

// nginxErrorCase is one record of the error-log table; the fuzz seeds reuse it.
type nginxErrorCase struct {
	name string
	rec  string
	want *NginxError // nil: the record must fail
	time string      // RFC 3339 UTC, for loc = UTC+1
	err  string      // for failures: a part of the error message
}

// The zone the table's stamps are read in.
var tableLoc = time.FixedZone("UTC+1", 3600)

var nginxErrorCases = []nginxErrorCase{
	{
		name: "connect EAGAIN on unix socket",
		rec:  `2026/11/23 14:02:10 [error] 1234#1234: *5678 connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /checkout HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "shop.example.com"`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5678,
			Message: "connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable)", Errno: 11, Action: "connecting to upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET /checkout HTTP/1.1", Upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", Host: "shop.example.com"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "TCP connect refused without peer",
		rec:  `2026/11/23 14:02:11 [error] 1234#1234: *5679 connect() failed (111: Connection refused) while connecting to upstream, client: 2001:db8::7, server: api.example.com, request: "POST /api/x?y=1 HTTP/1.1", upstream: "http://127.0.0.1:8080/api/x?y=1", host: "api.example.com", referrer: "https://example.com/"`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5679,
			Message: "connect() failed (111: Connection refused)", Errno: 111, Action: "connecting to upstream",
			Client: "2001:db8::7", Server: "api.example.com", Request: "POST /api/x?y=1 HTTP/1.1", Upstream: "http://127.0.0.1:8080/api/x?y=1", Host: "api.example.com", Referrer: "https://example.com/"},
		time: "2026-11-23T13:02:11Z",
	},
	{
		name: "TCP connect refused with peer",
		rec:  `2026/11/23 14:02:11 [error] 99#99: *7 connect() to 127.0.0.1:9000 failed (111: Connection refused) while connecting to upstream, client: 198.51.100.4, server: _, request: "GET /index.php HTTP/1.1", upstream: "fastcgi://127.0.0.1:9000", host: "localhost"`,
		want: &NginxError{Level: "error", PID: 99, TID: 99, Connection: 7,
			Message: "connect() to 127.0.0.1:9000 failed (111: Connection refused)", Errno: 111, Action: "connecting to upstream",
			Client: "198.51.100.4", Server: "_", Request: "GET /index.php HTTP/1.1", Upstream: "fastcgi://127.0.0.1:9000", Host: "localhost"},
		time: "2026-11-23T13:02:11Z",
	},
	{
		name: "upstream timed out reading response header",
		rec:  `2026/11/23 14:03:10 [error] 1234#1234: *5680 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /slow.php HTTP/1.1", upstream: "fastcgi://127.0.0.1:9000", host: "shop.example.com"`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5680,
			Message: "upstream timed out (110: Connection timed out)", Errno: 110, Action: "reading response header from upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET /slow.php HTTP/1.1", Upstream: "fastcgi://127.0.0.1:9000", Host: "shop.example.com"},
		time: "2026-11-23T13:03:10Z",
	},
	{
		name: "upstream timed out musl strerror",
		rec:  `2026/11/23 14:03:10 [error] 31#31: *9 upstream timed out (110: Operation timed out) while connecting to upstream, client: 10.244.0.1, server: app.example.com, request: "GET / HTTP/2.0", upstream: "http://10.244.1.5:8080/", host: "app.example.com"`,
		want: &NginxError{Level: "error", PID: 31, TID: 31, Connection: 9,
			Message: "upstream timed out (110: Operation timed out)", Errno: 110, Action: "connecting to upstream",
			Client: "10.244.0.1", Server: "app.example.com", Request: "GET / HTTP/2.0", Upstream: "http://10.244.1.5:8080/", Host: "app.example.com"},
		time: "2026-11-23T13:03:10Z",
	},
	{
		name: "no live upstreams",
		rec:  `2026/11/23 14:03:11 [error] 1234#1234: *5690 no live upstreams while connecting to upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /api HTTP/1.1", upstream: "http://backend/api", host: "shop.example.com"`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5690,
			Message: "no live upstreams", Action: "connecting to upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET /api HTTP/1.1", Upstream: "http://backend/api", Host: "shop.example.com"},
		time: "2026-11-23T13:03:11Z",
	},
	{
		name: "upstream sent too big header",
		rec:  `2026/11/23 14:03:12 [error] 1234#1234: *5691 upstream sent too big header while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /cart HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "shop.example.com", referrer: "https://shop.example.com/"`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5691,
			Message: "upstream sent too big header", Action: "reading response header from upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET /cart HTTP/1.1", Upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", Host: "shop.example.com", Referrer: "https://shop.example.com/"},
		time: "2026-11-23T13:03:12Z",
	},
	{
		name: "recv reset by peer",
		rec:  `2026/11/23 14:03:13 [error] 1234#1234: *5692 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "POST /order HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "shop.example.com"`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5692,
			Message: "recv() failed (104: Connection reset by peer)", Errno: 104, Action: "reading response header from upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "POST /order HTTP/1.1", Upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", Host: "shop.example.com"},
		time: "2026-11-23T13:03:13Z",
	},
	{
		name: "upstream prematurely closed connection",
		rec:  `2026/11/23 14:03:14 [error] 1234#1234: *5693 upstream prematurely closed connection while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:8080/", host: "shop.example.com"`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5693,
			Message: "upstream prematurely closed connection", Action: "reading response header from upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET / HTTP/1.1", Upstream: "http://127.0.0.1:8080/", Host: "shop.example.com"},
		time: "2026-11-23T13:03:14Z",
	},
	{
		name: "crit missing socket",
		rec:  `2026/11/23 14:03:15 [crit] 1234#1234: *5694 connect() to unix:/run/php/php7.4-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 203.0.113.9, server: shop.example.com, request: "GET / HTTP/1.1", upstream: "fastcgi://unix:/run/php/php7.4-fpm.sock:", host: "shop.example.com"`,
		want: &NginxError{Level: "crit", PID: 1234, TID: 1234, Connection: 5694,
			Message: "connect() to unix:/run/php/php7.4-fpm.sock failed (2: No such file or directory)", Errno: 2, Action: "connecting to upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET / HTTP/1.1", Upstream: "fastcgi://unix:/run/php/php7.4-fpm.sock:", Host: "shop.example.com"},
		time: "2026-11-23T13:03:15Z",
	},
	{
		name: "warn upstream server temporarily disabled",
		rec:  `2026/11/23 14:03:16 [warn] 1234#1234: *5695 upstream server temporarily disabled while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:18091/", host: "shop.example.com"`,
		want: &NginxError{Level: "warn", PID: 1234, TID: 1234, Connection: 5695,
			Message: "upstream server temporarily disabled", Action: "reading response header from upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET / HTTP/1.1", Upstream: "http://127.0.0.1:18091/", Host: "shop.example.com"},
		time: "2026-11-23T13:03:16Z",
	},
	{
		name: "process-level line without connection",
		rec:  `2026/11/23 14:00:00 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)`,
		want: &NginxError{Level: "emerg", PID: 1, TID: 1, Message: "bind() to 0.0.0.0:80 failed (98: Address already in use)", Errno: 98},
		time: "2026-11-23T13:00:00Z",
	},
	{
		name: "process-level notice with thread id 0",
		rec:  `2026/11/23 14:00:00 [notice] 54053#0: signal process started`,
		want: &NginxError{Level: "notice", PID: 54053, TID: 0, Message: "signal process started"},
		time: "2026-11-23T13:00:00Z",
	},
	{
		name: "alert worker_connections are not enough",
		rec:  `2026/11/23 14:00:01 [alert] 1234#1234: *77 1024 worker_connections are not enough while connecting to upstream, client: 203.0.113.9, server: shop.example.com, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:8080/", host: "shop.example.com"`,
		want: &NginxError{Level: "alert", PID: 1234, TID: 1234, Connection: 77,
			Message: "1024 worker_connections are not enough", Action: "connecting to upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET / HTTP/1.1", Upstream: "http://127.0.0.1:8080/", Host: "shop.example.com"},
		time: "2026-11-23T13:00:01Z",
	},
	{
		name: "line cut mid-context inside request",
		rec:  `2026/11/23 14:03:17 [error] 1234#1234: *5696 FastCGI sent in stderr: "PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted" while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /search?q=aaaaaaaaaaaaaaaaaaaaaaaa`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5696,
			Message: `FastCGI sent in stderr: "PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted"`, Action: "reading response header from upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET /search?q=aaaaaaaaaaaaaaaaaaaaaaaa"},
		time: "2026-11-23T13:03:17Z",
	},
	{
		name: "line cut inside a field name",
		rec:  `2026/11/23 14:03:17 [error] 1234#1234: *5697 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "GET / HTTP/1.1", ups`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5697,
			Message: "upstream timed out (110: Connection timed out)", Errno: 110, Action: "reading response header from upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET / HTTP/1.1"},
		time: "2026-11-23T13:03:17Z",
	},
	{
		name: "line cut before the context",
		rec:  `2026/11/23 14:03:18 [error] 1234#1234: *5698 FastCGI sent in stderr: "PHP message: PHP Warning:  Undefined variable $x in /var/www/a.php on line 3PHP message: PHP Warning:  Undefined var`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5698,
			Message: `FastCGI sent in stderr: "PHP message: PHP Warning:  Undefined variable $x in /var/www/a.php on line 3PHP message: PHP Warning:  Undefined var`},
		time: "2026-11-23T13:03:18Z",
	},
	{
		name: "request containing a fake context and quotes",
		rec:  `2026/11/23 14:03:19 [error] 1234#1234: *5699 upstream prematurely closed connection while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /a?b=", client: 6.6.6.6, server: evil"c HTTP/1.1", upstream: "http://127.0.0.1:8080/a?b=", host: "shop.example.com"`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5699,
			Message: "upstream prematurely closed connection", Action: "reading response header from upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: `GET /a?b=", client: 6.6.6.6, server: evil"c HTTP/1.1`, Upstream: "http://127.0.0.1:8080/a?b=", Host: "shop.example.com"},
		time: "2026-11-23T13:03:19Z",
	},
	{
		name: "FastCGI stderr text containing a context",
		rec:  `2026/11/23 14:03:20 [error] 1234#1234: *5700 FastCGI sent in stderr: "PHP message: bad input, client: 1.1.1.1, server: x while parsing (13: oops" while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "GET / HTTP/1.1", upstream: "fastcgi://127.0.0.1:9000", host: "shop.example.com"`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5700,
			Message: `FastCGI sent in stderr: "PHP message: bad input, client: 1.1.1.1, server: x while parsing (13: oops"`, Errno: 13, Action: "reading response header from upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET / HTTP/1.1", Upstream: "fastcgi://127.0.0.1:9000", Host: "shop.example.com"},
		time: "2026-11-23T13:03:20Z",
	},
	{
		name: "multi-line FastCGI stderr with context on the last line",
		rec: "2026/11/23 14:03:21 [error] 1234#1234: *5701 FastCGI sent in stderr: \"PHP message: PHP Fatal error:  Uncaught PDOException: SQLSTATE[HY000] [1040] Too many connections in /var/www/db.php:12, client: 9.9.9.9, server: fake\n" +
			"Stack trace:\n#0 /var/www/db.php(12): PDO->__construct()\n#1 {main}\n" +
			"  thrown in /var/www/db.php on line 12\" while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: \"GET /db HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"shop.example.com\"",
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5701,
			Message: "FastCGI sent in stderr: \"PHP message: PHP Fatal error:  Uncaught PDOException: SQLSTATE[HY000] [1040] Too many connections in /var/www/db.php:12, client: 9.9.9.9, server: fake\nStack trace:\n#0 /var/www/db.php(12): PDO->__construct()\n#1 {main}\n  thrown in /var/www/db.php on line 12\"",
			Action:  "reading response header from upstream",
			Client:  "203.0.113.9", Server: "shop.example.com", Request: "GET /db HTTP/1.1", Upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", Host: "shop.example.com"},
		time: "2026-11-23T13:03:21Z",
	},
	{
		name: "SSL handshake without request",
		rec:  `2026/11/23 14:03:22 [crit] 1234#1234: *5702 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 203.0.113.9, server: 0.0.0.0:443`,
		want: &NginxError{Level: "crit", PID: 1234, TID: 1234, Connection: 5702,
			Message: "SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share)", Action: "SSL handshaking",
			Client: "203.0.113.9", Server: "0.0.0.0:443"},
		time: "2026-11-23T13:03:22Z",
	},
	{
		name: "subrequest is skipped",
		rec:  `2026/11/23 14:03:23 [error] 1234#1234: *5703 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /private HTTP/1.1", subrequest: "/auth", upstream: "http://127.0.0.1:9001/auth", host: "shop.example.com"`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5703,
			Message: "upstream timed out (110: Connection timed out)", Errno: 110, Action: "reading response header from upstream",
			Client: "203.0.113.9", Server: "shop.example.com", Request: "GET /private HTTP/1.1", Upstream: "http://127.0.0.1:9001/auth", Host: "shop.example.com"},
		time: "2026-11-23T13:03:23Z",
	},
	{
		name: "last errno group wins and CRLF",
		rec:  "2026/11/23 14:03:24 [error] 1234#1234: *5704 open() \"/var/www/(1: x\" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: \"GET /(1: x HTTP/1.1\", host: \"localhost:8080\"\r",
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5704,
			Message: `open() "/var/www/(1: x" failed (2: No such file or directory)`, Errno: 2,
			Client: "127.0.0.1", Server: "localhost", Request: "GET /(1: x HTTP/1.1", Host: "localhost:8080"},
		time: "2026-11-23T13:03:24Z",
	},
	{
		name: "mail-style unquoted upstream leaves the context in the message",
		rec:  `2026/11/23 14:03:25 [error] 1234#1234: *5705 upstream timed out (110: Connection timed out) while reading response from upstream, client: 203.0.113.9, server: 0.0.0.0:25, login: "bob", upstream: 10.0.0.1:25`,
		want: &NginxError{Level: "error", PID: 1234, TID: 1234, Connection: 5705,
			Message: `upstream timed out (110: Connection timed out) while reading response from upstream, client: 203.0.113.9, server: 0.0.0.0:25, login: "bob", upstream: 10.0.0.1:25`, Errno: 110},
		time: "2026-11-23T13:03:25Z",
	},
	{name: "no stamp", rec: `PHP message: PHP Warning:  Declaration of FEE_Field_Tags::wrap() should be compatible`, err: "no YYYY/MM/DD"},
	{name: "empty", rec: ``, err: "no YYYY/MM/DD"},
	{name: "no such date", rec: `2026/02/30 14:03:25 [error] 1#1: x`, err: "bad time"},
	{name: "hour 24", rec: `2026/02/03 24:03:25 [error] 1#1: x`, err: "bad time"},
	{name: "upper-case level", rec: `2026/11/23 14:03:25 [ERROR] 1#1: x`, err: "bad level"},
	{name: "unclosed level", rec: `2026/11/23 14:03:25 [error 1#1: x`, err: "bad level"},
	{name: "no pid", rec: `2026/11/23 14:03:25 [error] x`, err: "PID#TID"},
	{name: "no tid", rec: `2026/11/23 14:03:25 [error] 12: x`, err: "PID#TID"},
	{name: "huge tid", rec: `2026/11/23 14:03:25 [error] 12#123456789012345678901: x`, err: "PID#TID"},
	{name: "bad connection", rec: `2026/11/23 14:03:25 [error] 12#12: *x1 x`, err: "connection"},
}

func TestNginxErrorParser(t *testing.T) {
	p, err := NewParser(KindNginxError, tableLoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range nginxErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			ev := Event{Path: "error.log", Offset: 7}
			err := p.Parse([]byte(tc.rec), &ev)
			if tc.want == nil {
				wantMalformed(t, KindNginxError, tc.rec, err, tc.err)
				if ev.Kind != KindUnknown || ev.Error != nil {
					t.Errorf("failed Parse changed the event: %+v", ev)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != KindNginxError || ev.Error == nil || ev.Access != nil || ev.FPM != nil {
				t.Fatalf("kind/field sets wrong: %+v", ev)
			}
			if ev.Path != "error.log" || ev.Offset != 7 || ev.Text != tc.rec {
				t.Errorf("Path/Offset/Text = %q %d %q", ev.Path, ev.Offset, ev.Text)
			}
			if *ev.Error != *tc.want {
				t.Errorf("fields:\n got %#v\nwant %#v", *ev.Error, *tc.want)
			}
			if got := ev.Time.Format(time.RFC3339); got != tc.time || ev.Time.Location() != time.UTC {
				t.Errorf("Time = %s (%v), want %s UTC", got, ev.Time.Location(), tc.time)
			}
		})
	}
}

func TestStartsRecord(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		line string
		want bool
	}{
		{KindNginxError, "2019/10/30 23:26:34 [error] 205860#205860: *180289 FastCGI sent in stderr: \"PHP message: x", true},
		{KindNginxError, "2019/10/30 23:26:34 [", true},
		{KindNginxError, "PHP message: PHP Warning:  Declaration of FEE_Field_Tags::wrap()", false},
		{KindNginxError, "2019/10/30 23:26:34 error", false},
		{KindNginxError, "2019-10-30 23:26:34 [error]", false},
		{KindNginxError, "", false},
		{KindFPMError, "[23-Nov-2026 14:02:10] WARNING: [pool www] server reached pm.max_children setting (4), consider raising it", true},
		{KindFPMError, "[23-Nov-2026 14:02:10.123456] DEBUG: pid 1, fpm_event_loop(), line 1: x", true},
		{KindFPMError, "[23-Nov-2026 14:02:10]  [pool www] pid 12345", true}, // a slow-log entry also starts a record
		{KindFPMError, "[23-Nov-2026 14:02:10]", false},
		{KindFPMError, "[23-Foo-2026 14:02:10] NOTICE: x", false},
		{KindFPMError, "[23-Nov-2026 14:02:10.] NOTICE: x", false},
		{KindFPMError, "[0x00007f2d286c2790] curl_exec() /var/www/html/lib/http.php:42", false},
		{KindFPMError, "script_filename = /var/www/html/index.php", false},
		{KindNginxAccess, "anything", true},
		{KindNginxAccess, "", true},
		{KindUnknown, "anything", true},
		{Kind(200), "anything", true},
	} {
		if got := StartsRecord(tc.kind, []byte(tc.line)); got != tc.want {
			t.Errorf("StartsRecord(%v, %q) = %v, want %v", tc.kind, tc.line, got, tc.want)
		}
	}
}

func TestNewParser(t *testing.T) {
	for _, k := range Kinds() {
		if p, err := NewParser(k, time.UTC); err != nil || p == nil {
			t.Errorf("NewParser(%v) = %v, %v", k, p, err)
		}
		if _, err := NewParser(k, nil); err == nil {
			t.Errorf("NewParser(%v, nil) succeeded", k)
		}
	}
	for _, k := range []Kind{KindUnknown, Kind(200)} {
		if _, err := NewParser(k, time.UTC); err == nil {
			t.Errorf("NewParser(%v) succeeded", k)
		}
	}
}

// TestNginxErrorLocalTime checks that zoneless stamps are read in loc,
// daylight saving time included.
func TestNginxErrorLocalTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin") // the zone database is embedded: see tzdata_test.go
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewParser(KindNginxError, berlin)
	for rec, want := range map[string]string{
		"2026/07/01 12:00:00 [error] 1#1: x": "2026-07-01T10:00:00Z",
		"2026/12/01 12:00:00 [error] 1#1: x": "2026-12-01T11:00:00Z",
	} {
		var ev Event
		if err := p.Parse([]byte(rec), &ev); err != nil {
			t.Fatal(err)
		}
		if got := ev.Time.Format(time.RFC3339); got != want {
			t.Errorf("%q: Time = %s, want %s", rec, got, want)
		}
	}
}
