package patterns

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/internal/lineartest"
)

// haproxyCase is one line of the HAProxy table; the fuzz seeds reuse it.
type haproxyCase struct {
	name string
	rec  string
	want *HAProxy // nil: the line must fail
	time string   // RFC 3339 UTC, for loc = tableLoc (UTC+1)
	err  string   // for failures: a part of the error message
}

// hapHTTP returns the fields of an HTTP log line, for the table.
func hapHTTP(client, fe string, tls bool, be, srv string, timers [5]int, status int, bytes int64, state string, conns [5]int, queues [2]int, method, uri, proto string) *HAProxy {
	return &HAProxy{LogFormat: "http", Client: client, Frontend: fe, TLS: tls, Backend: be, Server: srv,
		TR: timers[0], Tw: timers[1], Tc: timers[2], Tr: timers[3], Ta: timers[4], Status: status, BytesRead: bytes, TerminationState: state,
		ActConn: conns[0], FeConn: conns[1], BeConn: conns[2], SrvConn: conns[3], Retries: conns[4], SrvQueue: queues[0], BackendQueue: queues[1],
		Method: method, URI: uri, Protocol: proto}
}

func withSyslog(h *HAProxy, host string, pid int) *HAProxy {
	h.Host, h.PID = host, pid
	return h
}

// hapOther returns the fields of a line without timers.
func hapOther(format, client, fe, be, srv, msg string) *HAProxy {
	return &HAProxy{LogFormat: format, Client: client, Frontend: fe, Backend: be, Server: srv, Message: msg, TR: -1, Tw: -1, Tc: -1, Tr: -1, Ta: -1}
}

const hapStamp = "1.2.3.4:5678 [23/Nov/2026:14:02:10.123] "

var haproxyCases = []haproxyCase{
	{
		name: "504 server timeout (catalog)",
		rec:  `Nov 23 14:02:10 lb haproxy[123]: 1.2.3.4:5678 [23/Nov/2026:14:02:10.123] fe~ be/srv1 0/0/1/-1/30002 504 194 - - sH-- 10/10/5/5/0 0/0 "GET /x HTTP/1.1"`,
		want: withSyslog(hapHTTP("1.2.3.4:5678", "fe", true, "be", "srv1", [5]int{0, 0, 1, -1, 30002}, 504, 194, "sH--", [5]int{10, 10, 5, 5, 0}, [2]int{0, 0}, "GET", "/x", "HTTP/1.1"), "lb", 123),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "raw, captured request and response headers",
		rec:  `10.0.1.2:33317 [23/Nov/2026:14:02:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"`,
		want: hapHTTP("10.0.1.2:33317", "http-in", false, "static", "srv1", [5]int{10, 0, 30, 69, 109}, 200, 2750, "----", [5]int{1, 1, 1, 1, 0}, [2]int{0, 0}, "GET", "/index.html", "HTTP/1.1"),
		time: "2026-11-23T13:02:14.655Z",
	},
	{
		name: "captured headers with spaces and pipes",
		rec:  `Nov 23 14:02:10 lb haproxy[7]: 141.35.244.171:53332 [23/Nov/2026:14:02:10.143] www~ be/web 0/0/7/1457/1487 200 11394 - - ---- 2/1/0/0/0 0/0 {Mozilla/5.0 (Windows NT 6.1; Win64; x64) Gecko/20100101|example.com} {text/html} "GET /admin?a=1&b=2 HTTP/1.1"`,
		want: withSyslog(hapHTTP("141.35.244.171:53332", "www", true, "be", "web", [5]int{0, 0, 7, 1457, 1487}, 200, 11394, "----", [5]int{2, 1, 0, 0, 0}, [2]int{0, 0}, "GET", "/admin?a=1&b=2", "HTTP/1.1"), "lb", 7),
		time: "2026-11-23T13:02:10.143Z",
	},
	{
		name: "502 server aborted before headers",
		rec:  hapStamp + `shop app/php2 0/0/0/-1/12 502 209 - - SH-- 3/3/1/1/0 0/0 "POST /api/cart HTTP/1.1"`,
		want: hapHTTP("1.2.3.4:5678", "shop", false, "app", "php2", [5]int{0, 0, 0, -1, 12}, 502, 209, "SH--", [5]int{3, 3, 1, 1, 0}, [2]int{0, 0}, "POST", "/api/cart", "HTTP/1.1"),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "503 no server",
		rec:  hapStamp + `shop app/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 5/5/0/0/0 0/0 "GET / HTTP/1.1"`,
		want: hapHTTP("1.2.3.4:5678", "shop", false, "app", "<NOSRV>", [5]int{0, -1, -1, -1, 0}, 503, 217, "SC--", [5]int{5, 5, 0, 0, 0}, [2]int{0, 0}, "GET", "/", "HTTP/1.1"),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "503 queue timeout, old Tq/Tt timers",
		rec:  hapStamp + `shop app/<NOSRV> 0/30001/-1/-1/30001 503 212 - - sQ-- 100/100/99/10/0 0/45 "GET /q HTTP/1.0"`,
		want: hapHTTP("1.2.3.4:5678", "shop", false, "app", "<NOSRV>", [5]int{0, 30001, -1, -1, 30001}, 503, 212, "sQ--", [5]int{100, 100, 99, 10, 0}, [2]int{0, 45}, "GET", "/q", "HTTP/1.0"),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "bad request",
		rec:  hapStamp + `shop shop/<NOSRV> -1/-1/-1/-1/0 400 187 - - PR-- 1/1/0/0/0 0/0 "<BADREQ>"`,
		want: hapHTTP("1.2.3.4:5678", "shop", false, "shop", "<NOSRV>", [5]int{-1, -1, -1, -1, 0}, 400, 187, "PR--", [5]int{1, 1, 0, 0, 0}, [2]int{0, 0}, "", "<BADREQ>", ""),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "option logasap",
		rec:  hapStamp + `shop static/srv1 9/0/7/147/+156 200 +2750 - - ---- 1/1/1/1/0 0/0 "GET /image.iso HTTP/1.0"`,
		want: hapHTTP("1.2.3.4:5678", "shop", false, "static", "srv1", [5]int{9, 0, 7, 147, 156}, 200, 2750, "----", [5]int{1, 1, 1, 1, 0}, [2]int{0, 0}, "GET", "/image.iso", "HTTP/1.0"),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "redispatched retry, cookies",
		rec:  hapStamp + `shop app/php1 0/0/3004/12/3016 200 512 SRVID=a SRVID=b --NI 2/2/1/1/+1 0/0 "GET / HTTP/1.1"`,
		want: hapHTTP("1.2.3.4:5678", "shop", false, "app", "php1", [5]int{0, 0, 3004, 12, 3016}, 200, 512, "--NI", [5]int{2, 2, 1, 1, 1}, [2]int{0, 0}, "GET", "/", "HTTP/1.1"),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "client aborted before the response",
		rec:  hapStamp + `shop app/php1 5/0/1/-1/10002 -1 0 - - CD-- 4/4/2/2/0 0/0 "GET /big HTTP/1.1"`,
		want: hapHTTP("1.2.3.4:5678", "shop", false, "app", "php1", [5]int{5, 0, 1, -1, 10002}, -1, 0, "CD--", [5]int{4, 4, 2, 2, 0}, [2]int{0, 0}, "GET", "/big", "HTTP/1.1"),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "rsyslog RFC 3339 header, HTTP/2 absolute URI",
		rec:  `2026-11-23T14:02:10.999999+01:00 lb1 haproxy[4242]: [2001:db8::1]:51000 [23/Nov/2026:14:02:10.500] fe~ be/s1 0/0/0/5/5 200 90 - - ---- 1/1/0/1/0 0/0 "GET https://example.com/p?q=1 HTTP/2.0"`,
		want: withSyslog(hapHTTP("[2001:db8::1]:51000", "fe", true, "be", "s1", [5]int{0, 0, 0, 5, 5}, 200, 90, "----", [5]int{1, 1, 0, 1, 0}, [2]int{0, 0}, "GET", "https://example.com/p?q=1", "HTTP/2.0"), "lb1", 4242),
		time: "2026-11-23T13:02:10.5Z",
	},
	{
		name: "journalctl -o short-iso-precise",
		rec:  `2026-11-23T14:02:11.250000+0100 lb haproxy[1]: Proxy fe started.`,
		want: withSyslog(hapOther("message", "", "", "", "", "Proxy fe started."), "lb", 1),
		time: "2026-11-23T13:02:11.25Z",
	},
	{
		name: "format short, IPv6 client",
		rec:  `<134>2001:db8::7:51000 [23/Nov/2026:14:02:10.5] fe be/s1 0/0/0/5/5 200 90 - - ---- 1/1/0/1/0 0/0 "GET / HTTP/1.1"`,
		want: hapHTTP("2001:db8::7:51000", "fe", false, "be", "s1", [5]int{0, 0, 0, 5, 5}, 200, 90, "----", [5]int{1, 1, 0, 1, 0}, [2]int{0, 0}, "GET", "/", "HTTP/1.1"),
		time: "2026-11-23T13:02:10.5Z",
	},
	{
		name: "RFC 3164 from HAProxy itself: no host",
		rec:  `<134>Nov  3 14:02:10 haproxy[99]: 1.2.3.4:5678 [03/Nov/2026:14:02:10.000] fe be/s1 0/0/0/5/5 200 90 - - ---- 1/1/0/1/0 0/0 "GET / HTTP/1.1"`,
		want: withSyslog(hapHTTP("1.2.3.4:5678", "fe", false, "be", "s1", [5]int{0, 0, 0, 5, 5}, 200, 90, "----", [5]int{1, 1, 0, 1, 0}, [2]int{0, 0}, "GET", "/", "HTTP/1.1"), "", 99),
		time: "2026-11-03T13:02:10Z",
	},
	{
		name: "custom log-format: host between server and timers",
		rec:  `May 22 02:22:22 server1 haproxy[5089]: -:22222 [22/May/2026:02:22:22.222] www-https~ myapp/node2 site.domain.com 0/0/0/18/18 200 200 - - ---- 222/222/2/0/0 0/0 "OPTIONS /api/v2/app/ HTTP/1.1"`,
		want: withSyslog(hapHTTP("-:22222", "www-https", true, "myapp", "node2", [5]int{0, 0, 0, 18, 18}, 200, 200, "----", [5]int{222, 222, 2, 0, 0}, [2]int{0, 0}, "OPTIONS", "/api/v2/app/", "HTTP/1.1"), "server1", 5089),
		time: "2026-05-22T01:22:22.222Z",
	},
	{
		name: "option httpslog: fields after the request",
		rec:  hapStamp + `fe~ be/s1 0/0/0/5/5 200 90 - - ---- 1/1/0/1/0 0/0 "GET / HTTP/1.1" 0/0/0/0/0 example.com/TLSv1.3/TLS_AES_256_GCM_SHA384`,
		want: hapHTTP("1.2.3.4:5678", "fe", true, "be", "s1", [5]int{0, 0, 0, 5, 5}, 200, 90, "----", [5]int{1, 1, 0, 1, 0}, [2]int{0, 0}, "GET", "/", "HTTP/1.1"),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "request cut by the syslog line limit",
		rec:  hapStamp + `fe be/s1 0/0/0/5/5 200 90 - - ---- 1/1/0/1/0 0/0 "GET /search?q=aaaaaaaaaaaaaaaa`,
		want: hapHTTP("1.2.3.4:5678", "fe", false, "be", "s1", [5]int{0, 0, 0, 5, 5}, 200, 90, "----", [5]int{1, 1, 0, 1, 0}, [2]int{0, 0}, "", "GET /search?q=aaaaaaaaaaaaaaaa", ""),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "line cut inside the captured headers",
		rec:  hapStamp + `fe be/s1 0/0/0/5/5 200 90 - - ---- 1/1/0/1/0 0/0 {Mozilla/5.0 (X11; Linux`,
		want: hapHTTP("1.2.3.4:5678", "fe", false, "be", "s1", [5]int{0, 0, 0, 5, 5}, 200, 90, "----", [5]int{1, 1, 0, 1, 0}, [2]int{0, 0}, "", "", ""),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "CRLF",
		rec:  hapStamp + "fe be/s1 0/0/0/5/5 200 90 - - ---- 1/1/0/1/0 0/0 \"GET / HTTP/1.1\"\r",
		want: hapHTTP("1.2.3.4:5678", "fe", false, "be", "s1", [5]int{0, 0, 0, 5, 5}, 200, 90, "----", [5]int{1, 1, 0, 1, 0}, [2]int{0, 0}, "GET", "/", "HTTP/1.1"),
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "TCP, no server",
		rec:  `Sep 20 15:44:23 127.0.0.1 haproxy[25457]: 127.0.0.1:40962 [20/Sep/2026:15:44:23.285] main app/<NOSRV> -1/-1/1 212 SC 1/1/0/0/0 0/0`,
		want: &HAProxy{LogFormat: "tcp", Host: "127.0.0.1", PID: 25457, Client: "127.0.0.1:40962", Frontend: "main", Backend: "app", Server: "<NOSRV>",
			TR: -1, Tw: -1, Tc: -1, Tr: -1, Ta: 1, BytesRead: 212, TerminationState: "SC", ActConn: 1, FeConn: 1},
		time: "2026-09-20T14:44:23.285Z",
	},
	{
		name: "TCP, normal end",
		rec:  hapStamp + `ssh_in ssh_out/ssh1 1/1/861 1485 -- 2/1/0/0/0 0/0`,
		want: &HAProxy{LogFormat: "tcp", Client: "1.2.3.4:5678", Frontend: "ssh_in", Backend: "ssh_out", Server: "ssh1",
			TR: -1, Tw: 1, Tc: 1, Tr: -1, Ta: 861, BytesRead: 1485, TerminationState: "--", ActConn: 2, FeConn: 1},
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "TCP, server timeout in data phase, queued",
		rec:  hapStamp + `db_in db/pg1 120/0/+3600000 +1048576 sD 50/50/49/10/0 3/7`,
		want: &HAProxy{LogFormat: "tcp", Client: "1.2.3.4:5678", Frontend: "db_in", Backend: "db", Server: "pg1",
			TR: -1, Tw: 120, Tc: 0, Tr: -1, Ta: 3600000, BytesRead: 1048576, TerminationState: "sD", ActConn: 50, FeConn: 50, BeConn: 49, SrvConn: 10, SrvQueue: 3, BackendQueue: 7},
		time: "2026-11-23T13:02:10.123Z",
	},
	{
		name: "connection error",
		rec:  `Feb 25 16:20:15 192.168.4.2 haproxy[7]: 95.216.197.33:56224 [25/Feb/2026:16:20:10.111] prod_http_in/sktst2: SSL handshake failure`,
		want: withSyslog(hapOther("error", "95.216.197.33:56224", "prod_http_in", "", "", "SSL handshake failure"), "192.168.4.2", 7),
		time: "2026-02-25T15:20:10.111Z",
	},
	{
		name: "default format",
		rec:  `2026-11-23T14:02:10.5+01:00 lb haproxy[24551]: Connect from 1.128.3.4:40780 to 10.0.0.1:5000 (main/HTTP)`,
		want: withSyslog(hapOther("default", "1.128.3.4:40780", "main", "", "", ""), "lb", 24551),
		time: "2026-11-23T13:02:10.5Z",
	},
	{
		name: "server down",
		rec:  `2026-11-23T13:02:10Z lb haproxy[1]: Server app/web1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`,
		want: withSyslog(hapOther("message", "", "", "app", "web1", `Server app/web1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`), "lb", 1),
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "backend without server",
		rec:  `2026-11-23T13:02:10Z lb haproxy[1]: backend app has no server available!`,
		want: withSyslog(hapOther("message", "", "", "app", "", "backend app has no server available!"), "lb", 1),
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "stderr message relayed by journald",
		rec:  `2026-11-23T13:02:10Z lb haproxy[1]: [WARNING]  (8) : Server app/web2 is UP, reason: Layer7 check passed, code: 200, check duration: 3ms.`,
		want: withSyslog(hapOther("message", "", "", "app", "web2", "Server app/web2 is UP, reason: Layer7 check passed, code: 200, check duration: 3ms."), "lb", 1),
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "health check failed",
		rec:  `2026-11-23T13:02:10Z lb haproxy: Health check for server app/web1 failed, reason: Layer4 timeout, check duration: 2001ms, status: 0/2 DOWN.`,
		want: withSyslog(hapOther("message", "", "", "app", "web1", "Health check for server app/web1 failed, reason: Layer4 timeout, check duration: 2001ms, status: 0/2 DOWN."), "lb", 0),
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "proxy started",
		rec:  `2026-11-23T13:02:10Z lb haproxy[1]: Proxy fe started.`,
		want: withSyslog(hapOther("message", "", "", "", "", "Proxy fe started."), "lb", 1),
		time: "2026-11-23T13:02:10Z",
	},
	{name: "another program's message", rec: `2026-11-23T13:02:10Z lb sshd[1]: Accepted publickey for root`, err: "neither"},
	{name: "message without a stamp", rec: `Proxy fe started.`, err: "neither"},
	{name: "nginx access line", rec: `1.2.3.4 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 1 "-" "-"`, err: "neither"},
	{name: "empty", rec: ``, err: "neither"},
	{name: "bad PRI", rec: `<999>` + hapStamp + `fe be/s 0/0/0/0/0 200 1 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`, err: "header"},
	{name: "bad RFC 3339 stamp", rec: `2026-11-23T25:02:10Z lb haproxy[1]: Proxy fe started.`, err: "header"},
	{name: "bad tag pid", rec: `Nov 23 14:02:10 lb haproxy[x]: Proxy fe started.`, err: "header"},
	{name: "bad accept date", rec: `1.2.3.4:5 [30/Feb/2026:14:02:10.123] fe be/s 0/0/0/0/0 200 1 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`, err: "bad time"},
	{name: "no backend/server", rec: hapStamp + `fe bes 0/0/0/0/0 200 1 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`, err: "BACKEND/SERVER"},
	{name: "no timers", rec: hapStamp + `fe be/s a b c d e f g`, err: "timers"},
	{name: "timer below -1", rec: hapStamp + `fe be/s 0/0/-2/0/0 200 1 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`, err: "timers"},
	{name: "bad status", rec: hapStamp + `fe be/s 0/0/0/0/0 2x0 1 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`, err: "status"},
	{name: "bad bytes", rec: hapStamp + `fe be/s 0/0/0/0/0 200 -1 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`, err: "bytes"},
	{name: "bad termination state", rec: hapStamp + `fe be/s 0/0/0/0/0 200 1 - - XX-- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`, err: "termination"},
	{name: "HTTP line with a TCP state", rec: hapStamp + `fe be/s 0/0/0/0/0 200 1 - - SC 1/1/1/1/0 0/0 "GET / HTTP/1.1"`, err: "termination"},
	{name: "TCP line with an HTTP state", rec: hapStamp + `fe be/s 0/0/0 1 SC-- 1/1/1/1/0 0/0`, err: "termination"},
	{name: "four counters", rec: hapStamp + `fe be/s 0/0/0/0/0 200 1 - - ---- 1/1/1/1 0/0 "GET / HTTP/1.1"`, err: "actconn"},
	{name: "one queue", rec: hapStamp + `fe be/s 0/0/0/0/0 200 1 - - ---- 1/1/1/1/0 0 "GET / HTTP/1.1"`, err: "srv_queue"},
}

func TestHAProxy(t *testing.T) {
	for _, tc := range haproxyCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewParser(KindHAProxy, tableLoc)
			if err != nil {
				t.Fatal(err)
			}
			ev := Event{Path: "p", Offset: 7}
			err = p.Parse([]byte(tc.rec), &ev)
			if matched := formats[KindHAProxy].matches([]byte(tc.rec)); matched != (err == nil) {
				t.Errorf("matches = %v, Parse error %v", matched, err)
			}
			if tc.want == nil {
				if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want a malformed-record error about %q", err, tc.err)
				}
				if ev.Path != "p" || ev.HAProxy != nil {
					t.Errorf("event changed on error: %+v", ev)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *ev.HAProxy != *tc.want {
				t.Errorf("\n got %#v\nwant %#v", *ev.HAProxy, *tc.want)
			}
			if got := ev.Time.Format(time.RFC3339Nano); got != tc.time || ev.Time.Location() != time.UTC {
				t.Errorf("time %s, want %s", got, tc.time)
			}
			if ev.Kind != KindHAProxy || ev.Text != tc.rec || ev.Path != "p" || ev.Offset != 7 {
				t.Errorf("kind/text/path/offset: %v %q %q %d", ev.Kind, ev.Text, ev.Path, ev.Offset)
			}
		})
	}
}

// TestHAProxyYear feeds one parser lines with only an RFC 3164 stamp
// (no year) among lines with a full date.
func TestHAProxyYear(t *testing.T) {
	loc := time.FixedZone("UTC-5", -5*3600)
	traffic := func(date string) string {
		return "Jan  1 00:00:00 lb haproxy[1]: 1.2.3.4:5 [" + date + "] fe be/s 0/0/0/1/1 200 1 - - ---- 1/1/1/1/0 0/0 \"GET / HTTP/1.1\""
	}
	msg := func(stamp string) string {
		return stamp + " lb haproxy[1]: Server be/s is DOWN, reason: Layer4 timeout"
	}
	for _, tc := range []struct {
		name string
		ref  time.Time
		recs []string
		want []string // RFC 3339 UTC; "" for the no-year error
	}{
		{"no year before the first dated line", time.Time{},
			[]string{msg("Nov 23 14:02:09"), traffic("23/Nov/2026:14:02:10.000"), msg("Nov 23 14:02:11")},
			[]string{"", "2026-11-23T19:02:10Z", "2026-11-23T19:02:11Z"}},
		{"new year after the last dated line", time.Time{},
			[]string{traffic("31/Dec/2026:23:59:59.000"), msg("Jan  1 00:00:05"), msg("Dec 31 23:59:58")},
			[]string{"2027-01-01T04:59:59Z", "2027-01-01T05:00:05Z", "2027-01-01T04:59:58Z"}},
		{"old year before the next dated line", time.Time{},
			[]string{traffic("01/Jan/2027:00:00:01.000"), msg("Dec 31 23:59:58")},
			[]string{"2027-01-01T05:00:01Z", "2027-01-01T04:59:58Z"}},
		{"reference time", time.Date(2018, 9, 21, 0, 0, 0, 0, time.UTC),
			[]string{"Sep 20 15:42:59 1.128.3.4 haproxy[24551]: Connect from 1.128.3.4:40780 to 1.128.3.4:5000 (main/HTTP)"},
			[]string{"2018-09-20T20:42:59Z"}},
		{"reference time in the new year", time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC),
			[]string{msg("Dec 31 23:00:00"), msg("Jan  2 00:00:00")},
			[]string{"2027-01-01T04:00:00Z", "2027-01-02T05:00:00Z"}},
		{"a dated line wins over the reference time", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
			[]string{traffic("23/Nov/2026:14:02:10.000"), msg("Nov 23 14:02:11")},
			[]string{"2026-11-23T19:02:10Z", "2026-11-23T19:02:11Z"}},
		{"leap day after a dated line", time.Time{},
			[]string{traffic("28/Feb/2028:23:59:59.000"), msg("Feb 29 00:00:01")},
			[]string{"2028-02-29T04:59:59Z", "2028-02-29T05:00:01Z"}},
		{"RFC 3339 stamp sets the year", time.Time{},
			[]string{"2026-06-01T00:00:00-05:00 lb haproxy[1]: Proxy fe started.", msg("Jun  1 00:00:01")},
			[]string{"2026-06-01T05:00:00Z", "2026-06-01T05:00:01Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewHAProxyParser(loc, tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range tc.recs {
				var ev Event
				err := p.Parse([]byte(r), &ev)
				if tc.want[i] == "" {
					if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "no year") {
						t.Errorf("record %d: error %v, want the no-year error", i, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				if got := ev.Time.Format(time.RFC3339Nano); got != tc.want[i] {
					t.Errorf("record %d: time %s, want %s", i, got, tc.want[i])
				}
			}
		})
	}
	// Feb 29 near a year that has none is not a date; with a reference
	// time it is the last Feb 29 before it.
	p, _ := NewHAProxyParser(loc, time.Time{})
	var ev Event
	if err := p.Parse([]byte(traffic("01/Jul/2026:00:00:00.000")), &ev); err != nil {
		t.Fatal(err)
	}
	if err := p.Parse([]byte(msg("Feb 29 00:00:01")), &ev); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "bad time") {
		t.Errorf("Feb 29 near 2026: error %v, want a bad time", err)
	}
	p, _ = NewHAProxyParser(loc, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	if err := p.Parse([]byte(msg("Feb 29 00:00:01")), &ev); err != nil || ev.Time.Year() != 2024 {
		t.Errorf("Feb 29 before 2026-07: %v, %v", ev.Time, err)
	}
	if _, err := NewHAProxyParser(nil, time.Time{}); err == nil {
		t.Error("NewHAProxyParser(nil) did not fail")
	}
}

func TestHAProxyJSON(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"504 server timeout (catalog)", `{"time":"2026-11-23T13:02:10.123Z","format":"haproxy","path":"","offset":0,"log_format":"http","host":"lb","pid":123,` +
			`"client":"1.2.3.4:5678","frontend":"fe","tls":true,"backend":"be","server":"srv1","request_ms":0,"queue_ms":0,"connect_ms":1,"response_ms":-1,"total_ms":30002,` +
			`"status":504,"bytes_read":194,"termination_state":"sH--","actconn":10,"feconn":10,"beconn":5,"srv_conn":5,"retries":0,"srv_queue":0,"backend_queue":0,` +
			`"method":"GET","uri":"/x","protocol":"HTTP/1.1"}`},
		{"TCP, no server", `{"time":"2026-09-20T14:44:23.285Z","format":"haproxy","path":"","offset":0,"log_format":"tcp","host":"127.0.0.1","pid":25457,` +
			`"client":"127.0.0.1:40962","frontend":"main","backend":"app","server":"<NOSRV>","queue_ms":-1,"connect_ms":-1,"total_ms":1,` +
			`"bytes_read":212,"termination_state":"SC","actconn":1,"feconn":1,"beconn":0,"srv_conn":0,"retries":0,"srv_queue":0,"backend_queue":0}`},
		{"server down", `{"time":"2026-11-23T13:02:10Z","format":"haproxy","path":"","offset":0,"log_format":"message","host":"lb","pid":1,"backend":"app","server":"web1",` +
			`"message":"Server app/web1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."}`},
	} {
		var rec string
		for _, c := range haproxyCases {
			if c.name == tc.name {
				rec = c.rec
			}
		}
		p, _ := NewParser(KindHAProxy, tableLoc)
		var ev Event
		if err := p.Parse([]byte(rec), &ev); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := string(ev.AppendJSON(nil)); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestHAProxyAllocs(t *testing.T) {
	var lines [][]byte
	for _, tc := range haproxyCases {
		lines = append(lines, []byte(tc.rec))
	}
	var h haproxySpans
	n := testing.AllocsPerRun(20, func() {
		for _, l := range lines {
			_ = parseHAProxy(l, time.UTC, &h)
			formats[KindHAProxy].matches(l)
		}
	})
	if n != 0 {
		t.Errorf("the scanner allocates %v times, want 0", n)
	}
}

var (
	filebeatHAProxyDir      = corpusDir + "/elastic-beats/filebeat/module/haproxy/log/test/"
	filebeatHAProxyHTTP     = filebeatHAProxyDir + "haproxy.log"
	filebeatHAProxyDefault  = filebeatHAProxyDir + "default.log"
	filebeatHAProxyTCP      = filebeatHAProxyDir + "tcplog.log"
	filebeatHAProxyExpected = filebeatHAProxyDir + "tcplog.log-expected.json"
	lnavHAProxy             = lnavDir + "logfile_haproxy.0"
)

// haproxyCorpus lists the HAProxy samples, a plausible modification time
// (the samples' own years), how many lines of each log format they hold, and
// the lines (0-based) that NewParser's parser must reject.
var haproxyCorpus = []struct {
	path    string
	mtime   time.Time
	formats map[string]int
	noYear  map[int]string
}{
	{path: filebeatHAProxyHTTP, formats: map[string]int{"http": 10}},
	{path: filebeatHAProxyTCP, formats: map[string]int{"tcp": 1}},
	// The default log format has no accept date, only the syslog stamp,
	// which has no year: NewParser's parser (no reference time) rejects the
	// line rather than guess; NewHAProxyParser with the file's time reads it.
	{path: filebeatHAProxyDefault, mtime: time.Date(2018, 9, 20, 16, 0, 0, 0, time.UTC), formats: map[string]int{"default": 1},
		noYear: map[int]string{0: "Connect from, RFC 3164 stamp only"}},
	// lnav's sample starts with three "Proxy X started." messages: RFC 3164
	// stamp only, before the first line with an accept date. From line 4 on
	// the accept dates give the year.
	{path: lnavHAProxy, mtime: time.Date(2019, 2, 25, 17, 0, 0, 0, time.UTC), formats: map[string]int{"message": 3, "http": 13, "error": 1},
		noYear: map[int]string{0: "Proxy started", 1: "Proxy started", 2: "Proxy started"}},
}

func TestHAProxyCorpus(t *testing.T) {
	for _, f := range haproxyCorpus {
		t.Run(f.path[len(corpusDir)+1:], func(t *testing.T) {
			data := readCorpus(t, f.path)
			if got := Detect(sampleLines(data, 64)); got != KindHAProxy {
				t.Errorf("Detect = %v", got)
			}
			recs := frame(KindHAProxy, data)
			p, _ := NewParser(KindHAProxy, time.UTC)
			seeded, _ := NewHAProxyParser(time.UTC, f.mtime)
			counts := map[string]int{}
			for i, r := range recs {
				var ev Event
				err := p.Parse(r.text, &ev)
				if _, skip := f.noYear[i]; skip {
					if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "no year") {
						t.Errorf("line %d: error %v, want the no-year error", i+1, err)
					}
				} else if err != nil {
					t.Errorf("line %d: %v\n%s", i+1, err, r.text)
				}
				if err := seeded.Parse(r.text, &ev); err != nil {
					t.Errorf("line %d, year given: %v", i+1, err)
					continue
				}
				h := ev.HAProxy
				counts[h.LogFormat]++
				if h.LogFormat == "http" || h.LogFormat == "tcp" || h.LogFormat == "error" {
					// The instant is the accept date's.
					s := string(r.text)
					lb := strings.Index(s, " [") + 2
					want, err := time.Parse("02/Jan/2006:15:04:05.000", s[lb:lb+24])
					if err != nil || !ev.Time.Equal(want) {
						t.Errorf("line %d: time %v, want %v (%v)", i+1, ev.Time, want, err)
					}
				}
				if h.LogFormat == "http" {
					if !strings.Contains(string(r.text), `"`+h.Method+" "+h.URI+" "+h.Protocol+`"`) || h.Status < 100 || h.BytesRead <= 0 || len(h.TerminationState) != 4 {
						t.Errorf("line %d: implausible %+v", i+1, *h)
					}
				}
				if h.Host == "" || h.PID == 0 {
					t.Errorf("line %d: no syslog host or pid: %+v", i+1, *h)
				}
			}
			for k, n := range f.formats {
				if counts[k] != n {
					t.Errorf("%d %s lines, want %d (all: %v)", counts[k], k, n, counts)
				}
			}
			if len(recs) != len(physicalLines(data)) {
				t.Errorf("framing joined lines")
			}
		})
	}
}

// TestFilebeatHAProxyTCP compares the TCP log line with Filebeat's expected
// document, field by field where they map.
func TestFilebeatHAProxyTCP(t *testing.T) {
	var expected []map[string]any
	if err := json.Unmarshal(readCorpus(t, filebeatHAProxyExpected), &expected); err != nil {
		t.Fatal(err)
	}
	lines := physicalLines(readCorpus(t, filebeatHAProxyTCP))
	if len(lines) != 1 || len(expected) != 1 {
		t.Fatalf("%d lines, %d documents", len(lines), len(expected))
	}
	want := expected[0]
	p, _ := NewParser(KindHAProxy, time.UTC) // Filebeat read the stamp as UTC
	var ev Event
	if err := p.Parse(lines[0], &ev); err != nil {
		t.Fatal(err)
	}
	h := ev.HAProxy
	wantTime, err := time.Parse(time.RFC3339Nano, want["@timestamp"].(string))
	if err != nil || !ev.Time.Equal(wantTime) {
		t.Errorf("time %v, Filebeat has %v (%v)", ev.Time, wantTime, err)
	}
	ip, port, _ := strings.Cut(h.Client, ":")
	for _, c := range []struct {
		field     string
		got, want any
	}{
		{"offset", 0.0, want["offset"]},
		{"haproxy.source", h.Host, want["haproxy.source"]},
		{"haproxy.pid", float64(h.PID), want["haproxy.pid"]},
		{"haproxy.client.ip", ip, want["haproxy.client.ip"]},
		{"haproxy.client.port", port, "40962"},
		{"haproxy.frontend_name", h.Frontend, want["haproxy.frontend_name"]},
		{"haproxy.backend_name", h.Backend, want["haproxy.backend_name"]},
		{"haproxy.server_name", h.Server, want["haproxy.server_name"]},
		{"haproxy.total_waiting_time_ms", float64(h.Tw), want["haproxy.total_waiting_time_ms"]},
		{"haproxy.connection_wait_time_ms", float64(h.Tc), want["haproxy.connection_wait_time_ms"]},
		{"haproxy.bytes_read", float64(h.BytesRead), want["haproxy.bytes_read"]},
		{"haproxy.termination_state", h.TerminationState, want["haproxy.termination_state"]},
		{"haproxy.connections.active", float64(h.ActConn), want["haproxy.connections.active"]},
		{"haproxy.connections.frontend", float64(h.FeConn), want["haproxy.connections.frontend"]},
		{"haproxy.connections.backend", float64(h.BeConn), want["haproxy.connections.backend"]},
		{"haproxy.connections.server", float64(h.SrvConn), want["haproxy.connections.server"]},
		{"haproxy.connections.retries", float64(h.Retries), want["haproxy.connections.retries"]},
		{"haproxy.server_queue", float64(h.SrvQueue), want["haproxy.server_queue"]},
		{"haproxy.backend_queue", float64(h.BackendQueue), want["haproxy.backend_queue"]},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, Filebeat has %v", c.field, c.got, c.want)
		}
	}
	// The one exception: Filebeat's document has tcp.processing_time_ms 0,
	// but its log line's timers are "-1/-1/1": Tt is 1. The document
	// disagrees with the line it was made from (it was committed separately,
	// against another version of the test); we follow the line.
	if want["haproxy.tcp.processing_time_ms"] != 0.0 || !strings.Contains(string(lines[0]), " -1/-1/1 ") || h.Ta != 1 {
		t.Errorf("Tt: ours %d, Filebeat %v: the known disagreement changed", h.Ta, want["haproxy.tcp.processing_time_ms"])
	}
}

// TestDetectApacheHAProxy checks that Detect tells the new kinds' files and
// tables apart and takes no other kind's file.
func TestDetectApacheHAProxy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines [][]byte
		want  Kind
	}{
		{"apache corpus", sampleLines(readCorpus(t, filebeatApacheError), 64), KindApacheError},
		{"apache table", textLines(validApacheRecords()), KindApacheError},
		{"haproxy table", textLines(validHAProxyRecords()), KindHAProxy},
	} {
		if got := Detect(tc.lines); got != tc.want {
			t.Errorf("%s: Detect = %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, path := range []string{
		filebeatNginxError, filebeatNginxAccess, lnavShopAccess,
		lnavDir + "logfile_access_log.0", lnavDir + "logfile_bad_access_log.0",
		lnavDir + "logfile_mysql_slow.0", lnavDir + "logfile_syslog.0", lnavDir + "logfile_syslog_with_access_log.0",
	} {
		if got := Detect(sampleLines(readCorpus(t, path), 64)); got == KindApacheError || got == KindHAProxy {
			t.Errorf("%s: Detect = %v", path, got)
		}
	}
	// No other table is taken for ours.
	for name, s := range map[string]string{"nginx error": validNginxErrorRecords(), "fpm": validFPMRecords()} {
		for _, l := range textLines(s) {
			if formats[KindApacheError].matches(l) || formats[KindHAProxy].matches(l) {
				t.Errorf("%s line matches apache or haproxy: %s", name, l)
			}
		}
	}
	for _, tc := range accessCases {
		if formats[KindApacheError].matches([]byte(tc.line)) || formats[KindHAProxy].matches([]byte(tc.line)) {
			t.Errorf("access line matches apache or haproxy: %s", tc.line)
		}
	}
}

func validHAProxyRecords() string {
	var b strings.Builder
	for _, tc := range haproxyCases {
		if tc.want != nil {
			b.WriteString(tc.rec + "\n")
		}
	}
	return b.String()
}

// TestBoundedWorkApacheHAProxy feeds the two parsers and Detect 10 MB lines
// built to make their searches work hard (1 MB under -race or -short); the
// work must grow linearly with the line (lineartest.Want).
func TestBoundedWorkApacheHAProxy(t *testing.T) {
	size := 10 << 20
	if raceEnabled || testing.Short() {
		size = 1 << 20
	}
	apHead := "[Mon Nov 23 14:02:10.123456 2026] [proxy:error] [pid 1:tid 2] "
	hapHead := "Nov 23 14:02:10 lb haproxy[1]: " + hapStamp
	hapFull := hapHead + "fe be/s 0/0/0/0/0 200 1 - - ---- 1/1/1/1/0 0/0 "
	ap, _ := NewParser(KindApacheError, time.UTC)
	hp, _ := NewHAProxyParser(time.UTC, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name string
		p    Parser
		rec  func(int) []byte
	}{
		{"apache referers", ap, lineartest.Filled(apHead, ", referer: ")},
		{"apache upstream keys", ap, lineartest.Filled(apHead, "worker (attempt to connect to Error dispatching request to ")},
		{"apache parens", ap, lineartest.Filled(apHead, "(1")},
		{"apache client", ap, lineartest.Filled(apHead+"[client ", "1")},
		{"apache level", ap, lineartest.Filled("[Mon Nov 23 14:02:10 2026] [", "a")},
		{"haproxy headers", hp, lineartest.Filled(hapFull, "{")},
		{"haproxy header blocks", hp, lineartest.Filled(hapFull, "{} ")},
		{"haproxy request", hp, lineartest.Filled(hapFull+`"`, "GET ")},
		{"haproxy extra tokens", hp, lineartest.Filled(hapHead+"fe be/s ", "x ")},
		{"haproxy digits", hp, lineartest.Filled(hapHead+"fe be/s ", "1")},
		{"haproxy slashes", hp, lineartest.Filled(hapHead+"fe be/s ", "1/")},
		{"haproxy host", hp, lineartest.Filled("Nov 23 14:02:10 ", "a")},
		{"haproxy message", hp, lineartest.Filled("Nov 23 14:02:10 lb haproxy[1]: Server ", "a/")},
		{"haproxy level", hp, lineartest.Filled("Nov 23 14:02:10 lb haproxy[1]: [", "A")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lineartest.Want(t, size, tc.rec, func(rec []byte) {
				var ev Event
				_ = tc.p.Parse(rec, &ev)
				Detect([][]byte{rec, rec})
			})
		})
	}
}

func FuzzHAProxy(f *testing.F) {
	for _, tc := range haproxyCases {
		f.Add([]byte(tc.rec))
	}
	for _, c := range haproxyCorpus {
		for _, l := range physicalLines(readCorpus(f, c.path)) {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		p, _ := NewHAProxyParser(time.FixedZone("x", 9*3600), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
		var ev Event
		err := p.Parse(rec, &ev)
		if formats[KindHAProxy].matches(rec) != (err == nil) {
			t.Fatalf("matches disagrees with Parse (%v)", err)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		h := ev.HAProxy
		if ev.Kind != KindHAProxy || h == nil || ev.Apache != nil || ev.Access != nil || ev.Text != string(rec) {
			t.Fatalf("kind/field sets/text wrong: %+v", ev)
		}
		if ev.Time.Location() != time.UTC {
			t.Fatalf("time not UTC: %v", ev.Time)
		}
		for _, v := range []int{h.TR, h.Tw, h.Tc, h.Tr, h.Ta, h.Status} {
			if v < -1 {
				t.Fatalf("timer or status below -1: %#v", *h)
			}
		}
		if h.BytesRead < 0 || h.ActConn < 0 || h.FeConn < 0 || h.BeConn < 0 || h.SrvConn < 0 || h.Retries < 0 || h.SrvQueue < 0 || h.BackendQueue < 0 || h.PID < 0 {
			t.Fatalf("negative count: %#v", *h)
		}
		switch h.LogFormat {
		case "http":
			if len(h.TerminationState) != 4 || h.Status > 999 {
				t.Fatalf("http line: %#v", *h)
			}
		case "tcp":
			if len(h.TerminationState) != 2 || h.Status != 0 || h.TR != -1 || h.Tr != -1 || h.URI != "" {
				t.Fatalf("tcp line: %#v", *h)
			}
		case "error", "default", "message":
			if h.TerminationState != "" || h.Ta != -1 {
				t.Fatalf("%s line: %#v", h.LogFormat, *h)
			}
		default:
			t.Fatalf("log format %q", h.LogFormat)
		}
		for _, s := range []string{h.Client, h.Frontend, h.Backend, h.Server, h.TerminationState, h.Method, h.URI, h.Protocol, h.Host, h.Message} {
			if !isSubstring(ev.Text, s) {
				t.Fatalf("field %q is not part of the line", s)
			}
		}
		checkJSON(t, &ev, map[string]string{"uri": h.URI, "message": h.Message, "client": h.Client})
	})
}

// haproxyBenchLines are the real HTTP log lines of the corpus (syslog
// header, captured User-Agent headers).
func haproxyBenchLines(b *testing.B) [][]byte {
	var lines [][]byte
	for _, path := range []string{lnavHAProxy, filebeatHAProxyHTTP} {
		for _, l := range physicalLines(readCorpus(b, path)) {
			var h haproxySpans
			if parseHAProxy(l, time.UTC, &h) == nil && h.format == haproxyHTTP {
				lines = append(lines, l)
			}
		}
	}
	return lines
}

func BenchmarkParseHAProxy(b *testing.B) {
	p, _ := NewParser(KindHAProxy, time.UTC)
	var ev Event
	benchLines(b, haproxyBenchLines(b), func(l []byte) {
		if err := p.Parse(l, &ev); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkParseHAProxySpans is the scanner without building the Event.
func BenchmarkParseHAProxySpans(b *testing.B) {
	var h haproxySpans
	benchLines(b, haproxyBenchLines(b), func(l []byte) {
		if err := parseHAProxy(l, time.UTC, &h); err != nil {
			b.Fatal(err)
		}
	})
}
