package patterns

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// apacheCase is one record of the httpd error-log table; the fuzz seeds and
// the benchmark reuse it.
type apacheCase struct {
	name string
	rec  string
	want *ApacheError // nil: the record must fail
	time string       // RFC 3339 UTC, for loc = tableLoc (UTC+1)
	err  string       // for failures: a part of the error message
}

var apacheCases = []apacheCase{
	{
		name: "2.4 status line timeout (catalog)",
		rec:  `[Mon Nov 23 14:02:10.123456 2026] [proxy_http:error] [pid 1234:tid 5678] (70007)The timeout specified has expired: [client 1.2.3.4:5678] AH01102: error reading status line from remote server 127.0.0.1:8080`,
		want: &ApacheError{Module: "proxy_http", Level: "error", PID: 1234, TID: 5678, Client: "1.2.3.4:5678", APRCode: 70007, Code: "AH01102",
			Message: "error reading status line from remote server 127.0.0.1:8080", Upstream: "127.0.0.1:8080"},
		time: "2026-11-23T13:02:10.123456Z",
	},
	{
		name: "2.4 reset by peer, 64-bit tid, referer",
		rec:  `[Mon Nov 23 14:02:11.000001 2026] [proxy_http:error] [pid 29427:tid 140358537402112] (104)Connection reset by peer: [client 203.0.113.9:55114] AH01102: error reading status line from remote server backend.internal:8080, referer: https://shop.example.com/cart`,
		want: &ApacheError{Module: "proxy_http", Level: "error", PID: 29427, TID: 140358537402112, Client: "203.0.113.9:55114", APRCode: 104, Code: "AH01102",
			Message: "error reading status line from remote server backend.internal:8080", Upstream: "backend.internal:8080", Referer: "https://shop.example.com/cart"},
		time: "2026-11-23T13:02:11.000001Z",
	},
	{
		name: "2.4 error reading from remote server",
		rec:  `[Mon Nov 23 14:02:10.123470 2026] [proxy:error] [pid 1234:tid 5678] [client 1.2.3.4:5678] AH00898: Error reading from remote server returned by /slow.php`,
		want: &ApacheError{Module: "proxy", Level: "error", PID: 1234, TID: 5678, Client: "1.2.3.4:5678", Code: "AH00898",
			Message: "Error reading from remote server returned by /slow.php"},
		time: "2026-11-23T13:02:10.12347Z",
	},
	{
		name: "2.4 connect refused",
		rec:  `[Mon Nov 23 14:02:12.500000 2026] [proxy:error] [pid 1234:tid 5679] (111)Connection refused: AH00957: HTTP: attempt to connect to 127.0.0.1:8080 (localhost) failed`,
		want: &ApacheError{Module: "proxy", Level: "error", PID: 1234, TID: 5679, APRCode: 111, Code: "AH00957",
			Message: "HTTP: attempt to connect to 127.0.0.1:8080 (localhost) failed", Upstream: "127.0.0.1:8080"},
		time: "2026-11-23T13:02:12.5Z",
	},
	{
		name: "2.4 worker disabled",
		rec:  `[Mon Nov 23 14:02:12.500100 2026] [proxy:error] [pid 1234:tid 5679] AH00959: ap_proxy_connect_backend disabling worker for (localhost) for 60s`,
		want: &ApacheError{Module: "proxy", Level: "error", PID: 1234, TID: 5679, Code: "AH00959",
			Message: "ap_proxy_connect_backend disabling worker for (localhost) for 60s", Upstream: "localhost"},
		time: "2026-11-23T13:02:12.5001Z",
	},
	{
		name: "2.4 no connection to backend",
		rec:  `[Mon Nov 23 14:02:12.500200 2026] [proxy_http:error] [pid 1234:tid 5679] [client 1.2.3.4:5678] AH01114: HTTP: failed to make connection to backend: localhost`,
		want: &ApacheError{Module: "proxy_http", Level: "error", PID: 1234, TID: 5679, Client: "1.2.3.4:5678", Code: "AH01114",
			Message: "HTTP: failed to make connection to backend: localhost", Upstream: "localhost"},
		time: "2026-11-23T13:02:12.5002Z",
	},
	{
		name: "2.4 DNS failure, EAI status",
		rec:  `[Mon Nov 23 14:02:13.000000 2026] [proxy:error] [pid 1234:tid 5680] (EAI 2)Name or service not known: [client 1.2.3.4:5678] AH00898: DNS lookup failure for: backend returned by /x`,
		want: &ApacheError{Module: "proxy", Level: "error", PID: 1234, TID: 5680, Client: "1.2.3.4:5678", APRCode: 670002, Code: "AH00898",
			Message: "DNS lookup failure for: backend returned by /x", Upstream: "backend"},
		time: "2026-11-23T13:02:13Z",
	},
	{
		name: "2.4 fcgi backend down",
		rec:  `[Mon Nov 23 14:02:14.000000 2026] [proxy_fcgi:error] [pid 1234:tid 5681] [client 1.2.3.4:5678] AH01079: failed to make connection to backend: 127.0.0.1`,
		want: &ApacheError{Module: "proxy_fcgi", Level: "error", PID: 1234, TID: 5681, Client: "1.2.3.4:5678", Code: "AH01079",
			Message: "failed to make connection to backend: 127.0.0.1", Upstream: "127.0.0.1"},
		time: "2026-11-23T13:02:14Z",
	},
	{
		name: "2.4 fcgi unix socket connect",
		rec:  `[Mon Nov 23 14:02:14.000001 2026] [proxy:error] [pid 1234:tid 5681] (2)No such file or directory: AH02454: FCGI: attempt to connect to Unix domain socket /run/php/php8.2-fpm.sock (*) failed`,
		want: &ApacheError{Module: "proxy", Level: "error", PID: 1234, TID: 5681, APRCode: 2, Code: "AH02454",
			Message: "FCGI: attempt to connect to Unix domain socket /run/php/php8.2-fpm.sock (*) failed", Upstream: "/run/php/php8.2-fpm.sock"},
		time: "2026-11-23T13:02:14.000001Z",
	},
	{
		name: "2.4 fcgi dispatch timeout, empty backend",
		rec:  `[Mon Nov 23 14:02:15.000000 2026] [proxy_fcgi:error] [pid 1234:tid 5682] (70007)The timeout specified has expired: [client 1.2.3.4:5678] AH01075: Error dispatching request to : (polling)`,
		want: &ApacheError{Module: "proxy_fcgi", Level: "error", PID: 1234, TID: 5682, Client: "1.2.3.4:5678", APRCode: 70007, Code: "AH01075",
			Message: "Error dispatching request to : (polling)"},
		time: "2026-11-23T13:02:15Z",
	},
	{
		name: "2.4 fcgi dispatch timeout, named backend",
		rec:  `[Mon Nov 23 14:02:15.000001 2026] [proxy_fcgi:error] [pid 1234:tid 5682] (70007)The timeout specified has expired: [client 1.2.3.4:5678] AH01075: Error dispatching request to 127.0.0.1:9000: (polling)`,
		want: &ApacheError{Module: "proxy_fcgi", Level: "error", PID: 1234, TID: 5682, Client: "1.2.3.4:5678", APRCode: 70007, Code: "AH01075",
			Message: "Error dispatching request to 127.0.0.1:9000: (polling)", Upstream: "127.0.0.1:9000"},
		time: "2026-11-23T13:02:15.000001Z",
	},
	{
		name: "2.4 fcgi header read reset",
		rec:  `[Mon Nov 23 14:02:16.000000 2026] [proxy_fcgi:error] [pid 1234:tid 5683] (104)Connection reset by peer: [client 1.2.3.4:5678] AH01067: Failed to read FastCGI header`,
		want: &ApacheError{Module: "proxy_fcgi", Level: "error", PID: 1234, TID: 5683, Client: "1.2.3.4:5678", APRCode: 104, Code: "AH01067",
			Message: "Failed to read FastCGI header"},
		time: "2026-11-23T13:02:16Z",
	},
	{
		name: "2.4 fcgi PHP message",
		rec:  `[Mon Nov 23 14:02:17.000000 2026] [proxy_fcgi:error] [pid 1234:tid 5684] [client 1.2.3.4:5678] AH01071: Got error 'PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /var/www/html/index.php on line 3\nPHP message: PHP Warning:  x', referer: http://example.com/`,
		want: &ApacheError{Module: "proxy_fcgi", Level: "error", PID: 1234, TID: 5684, Client: "1.2.3.4:5678", Code: "AH01071",
			Message: `Got error 'PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /var/www/html/index.php on line 3\nPHP message: PHP Warning:  x'`, Referer: "http://example.com/"},
		time: "2026-11-23T13:02:17Z",
	},
	{
		name: "2.4 balancer failontimeout",
		rec:  `[Mon Nov 23 14:02:18.000000 2026] [proxy_balancer:error] [pid 1234:tid 5685] [client 1.2.3.4:5678] AH02460: balancer://app: Forcing worker (http://10.0.0.5:8080) into error state due to timeout and 'failonstatus' parameter being set`,
		want: &ApacheError{Module: "proxy_balancer", Level: "error", PID: 1234, TID: 5685, Client: "1.2.3.4:5678", Code: "AH02460",
			Message: "balancer://app: Forcing worker (http://10.0.0.5:8080) into error state due to timeout and 'failonstatus' parameter being set", Upstream: "http://10.0.0.5:8080"},
		time: "2026-11-23T13:02:18Z",
	},
	{
		name: "2.4 balancer all workers in error",
		rec:  `[Mon Nov 23 14:02:18.000001 2026] [proxy_balancer:error] [pid 1234:tid 5685] [client 1.2.3.4:5678] AH01170: balancer://app: All workers are in error state`,
		want: &ApacheError{Module: "proxy_balancer", Level: "error", PID: 1234, TID: 5685, Client: "1.2.3.4:5678", Code: "AH01170",
			Message: "balancer://app: All workers are in error state", Upstream: "balancer://app"},
		time: "2026-11-23T13:02:18.000001Z",
	},
	{
		name: "2.4 prefork, no module, debug source location",
		rec:  `[Mon Nov 23 14:02:19.000000 2026] [:debug] [pid 4321] mod_php.c(123): [client ::1:58619] PHP Notice:  Undefined index: a in /var/www/a.php on line 2`,
		want: &ApacheError{Level: "debug", PID: 4321, Client: "::1:58619", Message: "PHP Notice:  Undefined index: a in /var/www/a.php on line 2"},
		time: "2026-11-23T13:02:19Z",
	},
	{
		name: "2.4 proxy connection error names the remote",
		rec:  `[Mon Nov 23 14:02:20.000000 2026] [ssl:error] [pid 1234:tid 5686] [remote 10.0.0.7:443] AH02039: Certificate Verification: Error (20): unable to get local issuer certificate`,
		want: &ApacheError{Module: "ssl", Level: "error", PID: 1234, TID: 5686, Code: "AH02039",
			Message: "Certificate Verification: Error (20): unable to get local issuer certificate", Upstream: "10.0.0.7:443"},
		time: "2026-11-23T13:02:20Z",
	},
	{
		name: "2.4 Windows OS status, trace level",
		rec:  `[Mon Nov 23 14:02:21.000000 2026] [proxy:trace2] [pid 1:tid 2] (OS 10060)A connection attempt failed because the connected party did not properly respond after a period of time: AH00957: HTTP: attempt to connect to 10.0.0.8:80 (app) failed`,
		want: &ApacheError{Module: "proxy", Level: "trace2", PID: 1, TID: 2, APRCode: 730060, Code: "AH00957",
			Message: "HTTP: attempt to connect to 10.0.0.8:80 (app) failed", Upstream: "10.0.0.8:80"},
		time: "2026-11-23T13:02:21Z",
	},
	{
		name: "2.2 proxy with client",
		rec:  `[Mon Nov 23 14:02:10 2026] [error] [client 1.2.3.4] proxy: Error reading from remote server returned by /x`,
		want: &ApacheError{Level: "error", Client: "1.2.3.4", Message: "proxy: Error reading from remote server returned by /x"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "2.2 client before status",
		rec:  `[Mon Nov 23 14:02:10 2026] [error] [client 1.2.3.4] (70007)The timeout specified has expired: proxy: error reading status line from remote server 127.0.0.1, referer: http://example.com/a`,
		want: &ApacheError{Level: "error", Client: "1.2.3.4", APRCode: 70007,
			Message: "proxy: error reading status line from remote server 127.0.0.1", Upstream: "127.0.0.1", Referer: "http://example.com/a"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "2.2 connect refused, no client",
		rec:  `[Mon Nov 23 14:02:10 2026] [error] (111)Connection refused: proxy: HTTP: attempt to connect to 127.0.0.1:8080 (localhost) failed`,
		want: &ApacheError{Level: "error", APRCode: 111, Message: "proxy: HTTP: attempt to connect to 127.0.0.1:8080 (localhost) failed", Upstream: "127.0.0.1:8080"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "2.2 disabled connection, space-padded day",
		rec:  `[Tue Dec  1 09:00:00 2026] [error] proxy: HTTP: disabled connection for (backend1)`,
		want: &ApacheError{Level: "error", Message: "proxy: HTTP: disabled connection for (backend1)", Upstream: "backend1"},
		time: "2026-12-01T08:00:00Z",
	},
	{
		name: "2.2 notice without message",
		rec:  `[Mon Nov 23 14:02:10 2026] [notice]`,
		want: &ApacheError{Level: "notice"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "CRLF",
		rec:  "[Mon Nov 23 14:02:10 2026] [notice] caught SIGTERM, shutting down\r",
		want: &ApacheError{Level: "notice", Message: "caught SIGTERM, shutting down"},
		time: "2026-11-23T13:02:10Z",
	},
	{name: "nginx error line", rec: `2026/11/23 14:02:10 [error] 1#1: *1 upstream timed out`, err: "stamp"},
	{name: "fpm line", rec: `[23-Nov-2026 14:02:10] WARNING: [pool www] server reached pm.max_children setting (4)`, err: "stamp"},
	{name: "empty", rec: ``, err: "stamp"},
	{name: "bad weekday", rec: `[Xyz Nov 23 14:02:10 2026] [error] x`, err: "stamp"},
	{name: "bad date", rec: `[Mon Feb 30 14:02:10 2026] [error] x`, err: "bad time"},
	{name: "bad hour", rec: `[Mon Nov 23 24:02:10 2026] [error] x`, err: "bad time"},
	{name: "empty fraction", rec: `[Mon Nov 23 14:02:10. 2026] [error] x`, err: "stamp"},
	{name: "no level", rec: `[Mon Nov 23 14:02:10 2026] proxy: x`, err: "level"},
	{name: "unknown level", rec: `[Mon Nov 23 14:02:10 2026] [proxy:oops] x`, err: "level"},
	{name: "unclosed level", rec: `[Mon Nov 23 14:02:10 2026] [proxy:error x`, err: "level"},
	{name: "bad pid", rec: `[Mon Nov 23 14:02:10 2026] [core:error] [pid x] y`, err: "pid"},
	{name: "tid overflow", rec: `[Mon Nov 23 14:02:10 2026] [core:error] [pid 1:tid 99999999999999999999999] y`, err: "pid"},
	{name: "client with space", rec: `[Mon Nov 23 14:02:10 2026] [error] [client 1.2.3.4 x] y`, err: "client"},
}

func TestApacheError(t *testing.T) {
	p, err := NewParser(KindApacheError, tableLoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range apacheCases {
		t.Run(tc.name, func(t *testing.T) {
			ev := Event{Path: "p", Offset: 7}
			err := p.Parse([]byte(tc.rec), &ev)
			if matched := formats[KindApacheError].matches([]byte(tc.rec)); matched != (err == nil) {
				t.Errorf("matches = %v, Parse error %v", matched, err)
			}
			if tc.want == nil {
				if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want a malformed-record error about %q", err, tc.err)
				}
				if ev.Path != "p" || ev.Apache != nil {
					t.Errorf("event changed on error: %+v", ev)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *ev.Apache != *tc.want {
				t.Errorf("\n got %#v\nwant %#v", *ev.Apache, *tc.want)
			}
			if got := ev.Time.Format(time.RFC3339Nano); got != tc.time || ev.Time.Location() != time.UTC {
				t.Errorf("time %s, want %s", got, tc.time)
			}
			if ev.Kind != KindApacheError || ev.Text != tc.rec || ev.Path != "p" || ev.Offset != 7 {
				t.Errorf("kind/text/path/offset: %v %q %q %d", ev.Kind, ev.Text, ev.Path, ev.Offset)
			}
		})
	}
}

func apacheCaseNamed(t *testing.T, name string) apacheCase {
	for _, tc := range apacheCases {
		if tc.name == name {
			return tc
		}
	}
	t.Fatalf("no case %q", name)
	return apacheCase{}
}

func TestApacheErrorJSON(t *testing.T) {
	p, _ := NewParser(KindApacheError, tableLoc)
	var ev Event
	if err := p.Parse([]byte(apacheCaseNamed(t, "2.4 reset by peer, 64-bit tid, referer").rec), &ev); err != nil {
		t.Fatal(err)
	}
	ev.Path = "/var/log/apache2/error.log"
	want := `{"time":"2026-11-23T13:02:11.000001Z","format":"apache_error","path":"/var/log/apache2/error.log","offset":0,` +
		`"module":"proxy_http","level":"error","pid":29427,"tid":140358537402112,"client":"203.0.113.9:55114","apr_code":104,"code":"AH01102",` +
		`"message":"error reading status line from remote server backend.internal:8080","upstream":"backend.internal:8080","referer":"https://shop.example.com/cart"}`
	if got := string(ev.AppendJSON(nil)); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// 2.2: no module, pid, tid or code.
	ev = Event{}
	if err := p.Parse([]byte(apacheCaseNamed(t, "2.2 proxy with client").rec), &ev); err != nil {
		t.Fatal(err)
	}
	want = `{"time":"2026-11-23T13:02:10Z","format":"apache_error","path":"","offset":0,"level":"error","client":"1.2.3.4","message":"proxy: Error reading from remote server returned by /x"}`
	if got := string(ev.AppendJSON(nil)); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestApacheErrorAllocs(t *testing.T) {
	var lines [][]byte
	for _, tc := range apacheCases {
		lines = append(lines, []byte(tc.rec))
	}
	var a apacheSpans
	n := testing.AllocsPerRun(20, func() {
		for _, l := range lines {
			_ = parseApache(l, time.UTC, &a)
			formats[KindApacheError].matches(l)
		}
	})
	if n != 0 {
		t.Errorf("the scanner allocates %v times, want 0", n)
	}
}

var filebeatApacheError = corpusDir + "/elastic-beats/filebeat/module/apache/error/test/test.log"

// TestFilebeatApacheError parses Filebeat's httpd error sample (2.2 and 2.4
// shapes): every line parses, with these fields.
func TestFilebeatApacheError(t *testing.T) {
	lines := physicalLines(readCorpus(t, filebeatApacheError))
	want := []struct {
		time string
		e    ApacheError
	}{
		{"2016-12-26T16:22:08Z", ApacheError{Level: "error", Client: "192.168.33.1", Message: "File does not exist: /var/www/favicon.ico"}},
		{"2016-12-26T16:15:55.103786Z", ApacheError{Module: "core", Level: "notice", PID: 11379, Code: "AH00094",
			Message: "Command line: '/usr/local/Cellar/httpd24/2.4.23_2/bin/httpd'"}},
		{"2011-09-09T10:42:29.902022Z", ApacheError{Module: "core", Level: "error", PID: 35708, TID: 4328636416, Client: "72.15.99.187",
			Message: "File does not exist: /usr/local/apache2/htdocs/favicon.ico"}},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	p, _ := NewParser(KindApacheError, time.UTC)
	for i, l := range lines {
		if !StartsRecord(KindApacheError, l) {
			t.Errorf("line %d does not start a record", i+1)
		}
		var ev Event
		if err := p.Parse(l, &ev); err != nil {
			t.Errorf("line %d: %v", i+1, err)
			continue
		}
		if got := ev.Time.Format(time.RFC3339Nano); got != want[i].time {
			t.Errorf("line %d: time %s, want %s", i+1, got, want[i].time)
		}
		if *ev.Apache != want[i].e {
			t.Errorf("line %d:\n got %#v\nwant %#v", i+1, *ev.Apache, want[i].e)
		}
	}
}

func validApacheRecords() string {
	var b strings.Builder
	for _, tc := range apacheCases {
		if tc.want != nil {
			b.WriteString(tc.rec + "\n")
		}
	}
	return b.String()
}

func FuzzApacheError(f *testing.F) {
	for _, tc := range apacheCases {
		f.Add([]byte(tc.rec))
	}
	for _, l := range physicalLines(readCorpus(f, filebeatApacheError)) {
		f.Add(l)
	}
	p, _ := NewParser(KindApacheError, time.FixedZone("x", -3*3600-1800))
	f.Fuzz(func(t *testing.T, rec []byte) {
		var ev Event
		err := p.Parse(rec, &ev)
		if formats[KindApacheError].matches(rec) != (err == nil) {
			t.Fatalf("matches disagrees with Parse (%v)", err)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		a := ev.Apache
		if ev.Kind != KindApacheError || a == nil || ev.HAProxy != nil || ev.Error != nil || ev.Text != string(rec) {
			t.Fatalf("kind/field sets/text wrong: %+v", ev)
		}
		if ev.Time.Location() != time.UTC {
			t.Fatalf("time not UTC: %v", ev.Time)
		}
		if a.Level == "" || a.PID < 0 || a.APRCode < 0 {
			t.Fatalf("bad level or numbers: %#v", *a)
		}
		if a.Code != "" && (len(a.Code) != 7 || !strings.HasPrefix(a.Code, "AH")) {
			t.Fatalf("bad code %q", a.Code)
		}
		for _, s := range []string{a.Module, a.Level, a.Client, a.Code, a.Message, a.Upstream, a.Referer} {
			if !isSubstring(ev.Text, s) {
				t.Fatalf("field %q is not part of the record", s)
			}
		}
		if a.Upstream != "" && !strings.Contains(a.Message, a.Upstream) && !bytes.Contains(rec, []byte("[remote "+a.Upstream+"]")) {
			t.Fatalf("upstream %q neither in the message nor the remote", a.Upstream)
		}
		checkJSON(t, &ev, map[string]string{"message": a.Message, "client": a.Client, "upstream": a.Upstream})
	})
}

func BenchmarkParseApacheError(b *testing.B) {
	p, _ := NewParser(KindApacheError, time.UTC)
	var ev Event
	benchLines(b, textLines(validApacheRecords()), func(l []byte) {
		if err := p.Parse(l, &ev); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkParseApacheErrorSpans is the scanner without building the Event.
func BenchmarkParseApacheErrorSpans(b *testing.B) {
	var a apacheSpans
	benchLines(b, textLines(validApacheRecords()), func(l []byte) {
		if err := parseApache(l, time.UTC, &a); err != nil {
			b.Fatal(err)
		}
	})
}
