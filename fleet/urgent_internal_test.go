package fleet

import (
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// parsed is line parsed as a record of kind, as the daemon reads it.
func parsed(t *testing.T, kind patterns.Kind, line string) *patterns.Event {
	t.Helper()
	p, err := patterns.NewParserAt(kind, time.UTC, time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	ev := &patterns.Event{}
	if err := p.Parse([]byte(line), ev); err != nil {
		t.Fatalf("%s %q: %v", kind, line, err)
	}
	return ev
}

// TestUrgentRecords: what a cause rule reads and the gravest levels go at
// once; a healthy day's notices, a client's errors, slow-log entries and
// 500s wait with the seconds held.
func TestUrgentRecords(t *testing.T) {
	for _, c := range []struct {
		kind patterns.Kind
		line string
		want bool
	}{
		{patterns.KindNginxError, `2026/12/06 04:22:08 [error] 1234#1234: *5 connect() to unix:/run/php/php8.2-fpm.sock failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: shop, request: "GET / HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "shop"`, true},
		{patterns.KindNginxError, `2026/12/06 04:22:08 [error] 1234#1234: *5 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, server: shop, request: "GET / HTTP/1.1", upstream: "fastcgi://127.0.0.1:9000", host: "shop"`, true},
		{patterns.KindNginxError, `2026/12/06 04:22:08 [error] 1234#1234: *5 open() "/var/www/html/favicon.ico" failed (2: No such file or directory), client: 10.0.0.1, server: shop, request: "GET /favicon.ico HTTP/1.1", host: "shop"`, false},
		{patterns.KindNginxError, `2026/12/06 04:22:08 [warn] 1234#1234: *5 an upstream response is buffered to a temporary file /var/cache/nginx/fastcgi_temp/1/00/0000000001 while reading upstream, client: 10.0.0.1, server: shop, request: "GET / HTTP/1.1", upstream: "fastcgi://127.0.0.1:9000", host: "shop"`, false},
		{patterns.KindNginxError, `2026/12/06 04:22:08 [crit] 1234#1234: accept4() failed (24: Too many open files)`, true},
		{patterns.KindNginxError, `2026/12/06 04:22:08 [alert] 1233#1233: worker process 1234 exited on signal 11 (core dumped)`, true},
		{patterns.KindNginxError, `2026/12/06 04:22:08 [crit] 1234#1234: *5 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 10.0.0.1, server: 0.0.0.0:443`, false},
		{patterns.KindFPMError, `[06-Dec-2026 04:22:08] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it`, true},
		{patterns.KindFPMError, `[06-Dec-2026 04:22:08] WARNING: [pool www] child 1234 said into stderr: "NOTICE: PHP message: PHP Fatal error:  Uncaught PDOException: SQLSTATE[HY000] [2002] Connection refused in /var/www/html/db.php:3"`, true},
		{patterns.KindFPMError, `[06-Dec-2026 04:22:08] WARNING: [pool www] child 1234 said into stderr: "NOTICE: PHP message: PHP Warning:  Undefined variable $x in /var/www/html/index.php on line 3"`, false},
		{patterns.KindFPMError, `[06-Dec-2026 04:22:08] NOTICE: [pool www] child 1234 started`, false},
		{patterns.KindFPMError, `[06-Dec-2026 04:22:08] ALERT: oops, unknown child (1234) exited with code 1. Please open a bug report (https://bugs.php.net).`, true},
		{patterns.KindMySQLError, `2026-12-06  4:22:08 12 [Warning] Aborted connection 12 to db: 'shop' user: 'shop' host: 'localhost' (Got an error reading communication packets)`, false},
		{patterns.KindMySQLError, `2026-12-06  4:22:08 0 [ERROR] mariadbd: Table './shop/orders' is marked as crashed and should be repaired`, true},
		{patterns.KindSyslog, `Dec  6 04:22:08 web1 kernel: [12345.678901] Out of memory: Killed process 1234 (php-fpm8.2) total-vm:1234567kB, anon-rss:123456kB, file-rss:0kB, shmem-rss:0kB, UID:33 pgtables:1234kB oom_score_adj:0`, true},
	} {
		ev := parsed(t, c.kind, c.line)
		if got := urgent([]record{{ev: ev}}); got != c.want {
			t.Errorf("%s %q: urgent %t, want %t", c.kind, c.line, got, c.want)
		}
	}

	slow := &patterns.Event{Kind: patterns.KindMySQLSlow, Slow: &patterns.SlowQuery{QueryTime: 12, Query: "SELECT SLEEP(12)"}}
	restart := &patterns.Event{Kind: patterns.KindMySQLSlow, Slow: &patterns.SlowQuery{Restart: true}}
	trace := &patterns.Event{Kind: patterns.KindFPMSlow, FPMSlow: &patterns.FPMSlow{Pool: "www", Script: "/var/www/html/index.php"}}
	access := func(status int) *patterns.Event {
		return &patterns.Event{Kind: patterns.KindNginxAccess, Access: &patterns.Access{Status: status}}
	}
	for name, c := range map[string]struct {
		evs  []*patterns.Event
		want bool
	}{
		"a slow query":                        {[]*patterns.Event{slow}, false},
		"an FPM slow-log trace":               {[]*patterns.Event{trace}, false},
		"a slow log's header (MySQL started)": {[]*patterns.Event{restart}, true},
		"a 500":                               {[]*patterns.Event{access(500), access(500), access(503)}, false},
		"a lone 502":                          {[]*patterns.Event{access(502), access(500)}, false},
		"a 502 and a 504":                     {[]*patterns.Event{access(502), access(500), access(504)}, true},
		"two 009s":                            {[]*patterns.Event{access(9), access(9)}, true},
	} {
		recs := make([]record, len(c.evs))
		for i, ev := range c.evs {
			recs[i].ev = ev
		}
		if got := urgent(recs); got != c.want {
			t.Errorf("%s: urgent %t, want %t", name, got, c.want)
		}
	}
}
