package patterns

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The log_format texts the tests use.
const (
	logcauseText = combinedText + logcauseTail
	ingressText  = combinedText + upstreamInfoTail
	mainText     = combinedText + mainTail
	jsonText     = `{"time":"$time_iso8601","remote_addr":"$remote_addr","request":"$request","status":$status,` +
		`"body_bytes_sent":$body_bytes_sent,"request_time":$request_time,"http_referer":"$http_referer",` +
		`"http_user_agent":"$http_user_agent","upstream_addr":"$upstream_addr","upstream_status":"$upstream_status",` +
		`"upstream_response_time":"$upstream_response_time","request_id":"$request_id"}`
)

// ingressTestLog is Filebeat's ingress-nginx sample (upstreaminfo format).
var ingressTestLog = corpusDir + "/elastic-beats/filebeat/module/nginx/ingress_controller/test/test.log"

// extras builds an Access.Extra array.
func extras(kv ...string) (x [MaxAccessExtra]AccessVar) {
	for i := 0; i+1 < len(kv); i += 2 {
		x[i/2] = AccessVar{Name: kv[i], Value: kv[i+1]}
	}
	return x
}

// formatCase is one line parsed with one format.
type formatCase struct {
	name, escape, format, line string
	want                       Access // compared whole; ignored when err is set
	time                       string // RFC 3339 (nano) UTC
	zone                       int
	err                        string // a part of the error
}

var formatCases = []formatCase{
	{
		name: "combined", format: combinedText,
		line: `203.0.113.9 - alice [23/Nov/2026:14:02:10 +0100] "GET /a?b=1 HTTP/1.1" 502 552 "https://example.com/" "curl/8.0"`,
		want: Access{RemoteAddr: "203.0.113.9", RemoteUser: "alice", Method: "GET", URI: "/a?b=1", Protocol: "HTTP/1.1", Status: 502, BodyBytesSent: 552,
			HTTPReferer: "https://example.com/", HTTPUserAgent: "curl/8.0", RequestTime: -1},
		time: "2026-11-23T13:02:10Z", zone: 3600,
	},
	{
		name: "escape=default keeps \\x22", format: combinedText,
		line: `203.0.113.9 - - [23/Nov/2026:14:02:10 +0000] "GET /q=\x22a\x22 HTTP/1.1" 200 1 "-" "Agent \x22x\x22 \xD0\x9F"`,
		want: Access{RemoteAddr: "203.0.113.9", Method: "GET", URI: `/q=\x22a\x22`, Protocol: "HTTP/1.1", Status: 200, BodyBytesSent: 1,
			HTTPUserAgent: `Agent \x22x\x22 \xD0\x9F`, RequestTime: -1},
		time: "2026-11-23T14:02:10Z",
	},
	{
		name: "escape=default: a raw quote cannot be in a value", format: combinedText,
		line: `203.0.113.9 - - [23/Nov/2026:14:02:10 +0000] "GET /a" b HTTP/1.1" 200 1 "-" "-"`,
		err:  "bad $status", // the request ends at the first quote
	},
	{
		name: "escape=default: combined does not swallow the forwarded-for", format: combinedText,
		line: `203.0.113.9 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8.0" "198.51.100.7"`,
		err:  "bad $http_user_agent",
	},
	{
		name: "escape=none: the quote followed by a status ends the request", escape: "none", format: combinedText,
		line: `203.0.113.9 - - [23/Nov/2026:14:02:10 +0000] "GET /a" b"x" 1 HTTP/1.1" 504 160 "-" "curl "8" x"`,
		want: Access{RemoteAddr: "203.0.113.9", Method: "GET", URI: `/a" b"x" 1`, Protocol: "HTTP/1.1", Status: 504, BodyBytesSent: 160,
			HTTPUserAgent: `curl "8" x`, RequestTime: -1},
		time: "2026-11-23T14:02:10Z",
	},
	{
		name: "main with forwarded-for", format: mainText,
		line: `172.17.0.1 - - [29/May/2017:19:02:48 +0000] "GET /x HTTP/1.1" 404 612 "-" "Mozilla/5.0" "198.51.100.7, 10.0.0.1"`,
		want: Access{RemoteAddr: "172.17.0.1", Method: "GET", URI: "/x", Protocol: "HTTP/1.1", Status: 404, BodyBytesSent: 612,
			HTTPUserAgent: "Mozilla/5.0", XForwardedFor: "198.51.100.7, 10.0.0.1", RequestTime: -1},
		time: "2017-05-29T19:02:48Z",
	},
	{
		name: "logcause format, retried upstream", format: logcauseText,
		line: `10.0.0.1 - - [23/Nov/2026:14:02:10 +0100] "POST /api/cart.php HTTP/1.1" 502 157 "https://shop.example/" "Mozilla/5.0 (X11)" ` +
			`rt=0.013 uct="0.000, -" uht="-, -" urt="0.004, 0.000" us="502, 502" ua="unix:/run/php/php8.2-fpm.sock, 10.0.0.7:9000" rid=6f1c0e7d2b1f4a58a0c3c1b2d3e4f5a6`,
		want: Access{RemoteAddr: "10.0.0.1", Method: "POST", URI: "/api/cart.php", Protocol: "HTTP/1.1", Status: 502, BodyBytesSent: 157,
			HTTPReferer: "https://shop.example/", HTTPUserAgent: "Mozilla/5.0 (X11)", RequestTime: 0.013,
			UpstreamConnectTime: "0.000, -", UpstreamHeaderTime: "-, -", UpstreamResponseTime: "0.004, 0.000", UpstreamStatus: "502, 502",
			UpstreamAddr: "unix:/run/php/php8.2-fpm.sock, 10.0.0.7:9000", RequestID: "6f1c0e7d2b1f4a58a0c3c1b2d3e4f5a6"},
		time: "2026-11-23T13:02:10Z", zone: 3600,
	},
	{
		name: "logcause format, no upstream at all", format: logcauseText,
		line: `10.0.0.1 - - [23/Nov/2026:14:02:10 +0100] "GET /static/a.css HTTP/2.0" 200 1234 "-" "-" rt=0.000 uct="-" uht="-" urt="-" us="-" ua="-" rid=00000000000000000000000000000001`,
		want: Access{RemoteAddr: "10.0.0.1", Method: "GET", URI: "/static/a.css", Protocol: "HTTP/2.0", Status: 200, BodyBytesSent: 1234,
			RequestTime: 0, RequestID: "00000000000000000000000000000001"},
		time: "2026-11-23T13:02:10Z", zone: 3600,
	},
	{
		name: "upstream groups after an internal redirect", format: `[$time_local] $status us="$upstream_status" ua="$upstream_addr" urt=$upstream_response_time`,
		line: `[23/Nov/2026:14:02:10 +0000] 200 us="502, 504 : 200" ua="10.0.0.7:9000, 10.0.0.8:9000 : unix:/run/php/php8.2-fpm.sock" urt=0.001, 60.002 : 0.010`,
		want: Access{Status: 200, BodyBytesSent: -1, RequestTime: -1, UpstreamStatus: "502, 504 : 200",
			UpstreamAddr: "10.0.0.7:9000, 10.0.0.8:9000 : unix:/run/php/php8.2-fpm.sock", UpstreamResponseTime: "0.001, 60.002 : 0.010"},
		time: "2026-11-23T14:02:10Z",
	},
	{
		name: "unquoted lists separated by spaces", format: `$time_iso8601 $upstream_addr $upstream_status $upstream_response_time $request_id`,
		line: `2026-11-23T14:02:10+01:00 [2a02:cf40::7]:5000, [2a02:cf40::4e36]:5000 502, 502 0.000, 0.000 3db73c6c673c4256ade033a6ce08c2ab`,
		want: Access{Status: -1, BodyBytesSent: -1, RequestTime: -1, UpstreamAddr: "[2a02:cf40::7]:5000, [2a02:cf40::4e36]:5000",
			UpstreamStatus: "502, 502", UpstreamResponseTime: "0.000, 0.000", RequestID: "3db73c6c673c4256ade033a6ce08c2ab"},
		time: "2026-11-23T13:02:10Z", zone: 3600,
	},
	{
		name: "msec: UTC with milliseconds", format: `$msec $remote_addr "$request" $status $request_time $connection`,
		line: `1763906530.123 192.0.2.1 "GET / HTTP/1.1" 504 60.001 12345`,
		want: Access{RemoteAddr: "192.0.2.1", Method: "GET", URI: "/", Protocol: "HTTP/1.1", Status: 504, BodyBytesSent: -1, RequestTime: 60.001, Connection: 12345},
		time: "2025-11-23T14:02:10.123Z",
	},
	{
		name: "time_iso8601 with a negative offset", format: `$time_iso8601|$status|$host$request_uri|$http_host`,
		line: `2026-11-23T09:02:10-05:00|200|shop.example/index.php?a=1|shop.example:8080`,
		want: Access{URI: "/index.php?a=1", Status: 200, BodyBytesSent: -1, RequestTime: -1, Host: "shop.example", Extra: extras("http_host", "shop.example:8080")},
		time: "2026-11-23T14:02:10Z", zone: -5 * 3600,
	},
	{
		name: "braces, dashes and extras", format: `${remote_addr}:${remote_port} [$time_local] "$request_method ${uri}?$args" $status ${bytes_sent} $pipe $gzip_ratio $foo_bar`,
		line: `192.0.2.1:51234 [23/Nov/2026:14:02:10 +0000] "GET /x.php?a=1&b=2" 502 - p - some thing`,
		want: Access{RemoteAddr: "192.0.2.1", Method: "GET", URI: "/x.php", Status: 502, BodyBytesSent: -1, RequestTime: -1,
			Extra: extras("remote_port", "51234", "args", "a=1&b=2", "pipe", "p", "foo_bar", "some thing")},
		time: "2026-11-23T14:02:10Z",
	},
	{
		name: "request wins over request_uri", format: `[$time_local] "$request" $request_uri $server_protocol $status`,
		line: `[23/Nov/2026:14:02:10 +0000] "GET /a HTTP/1.1" /a HTTP/1.1 200`,
		want: Access{Method: "GET", URI: "/a", Protocol: "HTTP/1.1", Status: 200, BodyBytesSent: -1, RequestTime: -1,
			Extra: extras("request_uri", "/a", "server_protocol", "HTTP/1.1")},
		time: "2026-11-23T14:02:10Z",
	},
	{
		name: "escape=json values with escaped quotes", escape: "json", format: jsonText,
		line: `{"time":"2026-11-23T14:02:10+01:00","remote_addr":"192.0.2.1","request":"GET /a\"b\\c HTTP/1.1","status":502,` +
			`"body_bytes_sent":157,"request_time":0.002,"http_referer":"","http_user_agent":"Agent \"q\" \u0001 Пр",` +
			`"upstream_addr":"unix:/run/php/php8.2-fpm.sock","upstream_status":"502","upstream_response_time":"0.001","request_id":"abc"}`,
		want: Access{RemoteAddr: "192.0.2.1", Method: "GET", URI: `/a"b\c`, Protocol: "HTTP/1.1", Status: 502, BodyBytesSent: 157, RequestTime: 0.002,
			HTTPUserAgent: "Agent \"q\" \x01 Пр", UpstreamAddr: "unix:/run/php/php8.2-fpm.sock", UpstreamStatus: "502", UpstreamResponseTime: "0.001", RequestID: "abc"},
		time: "2026-11-23T13:02:10Z", zone: 3600,
	},
	{
		name: "escape=json: an escaped quote does not end a value", escape: "json", format: `{"t":"$time_local","ua":"$http_user_agent","s":$status}`,
		line: `{"t":"23/Nov/2026:14:02:10 +0000","ua":"x\",\"s\":200","s":404}`,
		want: Access{Status: 404, BodyBytesSent: -1, RequestTime: -1, HTTPUserAgent: `x","s":200`},
		time: "2026-11-23T14:02:10Z",
	},
	{
		name: "CRLF", format: `$time_iso8601 $status`, line: "2026-11-23T14:02:10+00:00 200\r",
		want: Access{Status: 200, BodyBytesSent: -1, RequestTime: -1}, time: "2026-11-23T14:02:10Z",
	},
	{name: "wrong first literal", format: `[$time_local] $status`, line: `23/Nov/2026:14:02:10 +0000] 200`, err: `does not start with "["`},
	{name: "status not 3 digits", format: `[$time_local] $status`, line: `[23/Nov/2026:14:02:10 +0000] 20`, err: "bad $status"},
	{name: "trailing text", format: `[$time_local] $status`, line: `[23/Nov/2026:14:02:10 +0000] 200 x`, err: "bad $status"},
	{name: "bad time", format: `[$time_local] $status`, line: `[30/Feb/2026:14:02:10 +0000] 200`, err: "bad $time_local"},
	{name: "bad iso time", format: `$time_iso8601 $status`, line: `2026-11-23T14:02:10Z+00:0 200`, err: "bad $time_iso8601"},
	{name: "literal missing", format: `$remote_addr - $remote_user [$time_local]`, line: `1.2.3.4 -- [23/Nov/2026:14:02:10 +0000]`, err: "bad $remote_addr"},
	{name: "empty line", format: `$remote_addr - $status`, line: ``, err: "bad $remote_addr"},
	{name: "bad request_time", format: `$time_iso8601 $request_time`, line: `2026-11-23T14:02:10+00:00 1.`, err: "bad $request_time"},
	{name: "bad list", format: `$time_iso8601 us=$upstream_status;`, line: `2026-11-23T14:02:10+00:00 us=502,,502;`, err: "bad $upstream_status"},
}

// parseFormatCase parses tc's line with tc's format by both paths
// (AccessLine and Event) and checks that they agree.
func parseFormatCase(t *testing.T, f *AccessFormat, line string) (*Access, *AccessLine, *Event, error) {
	t.Helper()
	var a AccessLine
	err := f.Parse([]byte(line), &a)
	ev := Event{Path: "p", Offset: 7}
	err2 := NewAccessParser(f).Parse([]byte(line), &ev)
	if (err == nil) != (err2 == nil) {
		t.Fatalf("Parse and the Parser disagree: %v / %v", err, err2)
	}
	if err != nil {
		if !errors.Is(err, ErrMalformed) || !strings.HasPrefix(err.Error(), "malformed nginx_access record: ") {
			t.Fatalf("error %q does not wrap ErrMalformed", err)
		}
		if ev.Kind != KindUnknown || ev.Path != "p" {
			t.Fatalf("failed Parse changed the event: %+v", ev)
		}
		return nil, nil, nil, err
	}
	x := a.Access()
	if *x != *ev.Access || ev.Kind != KindNginxAccess || ev.Text != line || ev.Path != "p" || ev.Offset != 7 {
		t.Fatalf("AccessLine and Event differ:\n%+v\n%+v", *x, ev)
	}
	if !ev.Time.Equal(a.Time) || a.Time.Location() != time.UTC {
		t.Fatalf("times differ or not UTC: %v %v", ev.Time, a.Time)
	}
	return x, &a, &ev, nil
}

func TestAccessFormatParse(t *testing.T) {
	for _, tc := range formatCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := CompileLogFormat("t", tc.escape, tc.format)
			if err != nil {
				t.Fatal(err)
			}
			got, a, _, err := parseFormatCase(t, f, tc.line)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q; got %+v", err, tc.err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Errorf("fields:\n got %+v\nwant %+v", *got, tc.want)
			}
			if s := a.Time.Format(time.RFC3339Nano); s != tc.time {
				t.Errorf("time %s, want %s", s, tc.time)
			}
			if a.ZoneOffset != tc.zone {
				t.Errorf("zone %d, want %d", a.ZoneOffset, tc.zone)
			}
			if a.JSONEscaped != (tc.escape == "json") {
				t.Errorf("JSONEscaped = %v", a.JSONEscaped)
			}
		})
	}
}

func TestCompileLogFormatErrors(t *testing.T) {
	for _, tc := range []struct{ name, escape, text, err string }{
		{"", "", "$status", "without a name"},
		{"x", "", "", "empty format"},
		{"x", "html", "$status", `unknown escape "html"`},
		{"x", "", "a $ b", "invalid variable name at byte 2"},
		{"x", "", "a $", "invalid variable name at byte 2"},
		{"x", "", "${status", "missing }"},
		{"x", "", "${}", "invalid variable name"},
		{"x", "", "${a-b}", "invalid variable name ${a-b}"},
		{"x", "", strings.Repeat("$a ", maxLogFormatVars+1), "more than 256 variables"},
		{"x", "", strings.Repeat("a", maxLogFormatText+1), "longer than"},
	} {
		if _, err := CompileLogFormat(tc.name, tc.escape, tc.text); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("CompileLogFormat(%q, %q, %.20q) error %v, want %q", tc.name, tc.escape, tc.text, err, tc.err)
		}
	}
	f, err := CompileLogFormat("lit", "", "static")
	if err != nil {
		t.Fatal(err)
	}
	var a AccessLine
	if f.Parse([]byte("static"), &a) != nil || f.Parse([]byte("static!"), &a) == nil || f.HasTime() {
		t.Error("a format of literals only")
	}
}

func TestAccessFormatAccessors(t *testing.T) {
	f, err := CompileLogFormat("main", "json", `{"a":"$remote_addr",'t':"${time_iso8601}"}`)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != "main" || f.Escape() != "json" || !f.HasTime() || !reflect.DeepEqual(f.Variables(), []string{"remote_addr", "time_iso8601"}) {
		t.Errorf("accessors: %q %q %v %v", f.Name(), f.Escape(), f.HasTime(), f.Variables())
	}
	// String is the directive (stackconf's FuzzLogFormatString reads it
	// back).
	if want := `log_format main escape=json '{"a":"$remote_addr",\'t\':"${time_iso8601}"}';`; f.String() != want {
		t.Errorf("String() = %s, want %s", f.String(), want)
	}
	if JSONAccessFormat().Name() != "json" || JSONAccessFormat().Text() != "" {
		t.Error("JSONAccessFormat accessors")
	}
}

// combinedTailCases are lines of the combined family whose tail
// ParseCombined decodes (or ignores).
var combinedTailCases = []struct {
	name, line string
	want       Access
}{
	{
		name: "main",
		line: `172.17.0.1 - - [29/May/2017:19:02:48 +0000] "GET /x HTTP/1.1" 404 612 "-" "Mozilla/5.0" "198.51.100.7"`,
		want: Access{RemoteAddr: "172.17.0.1", Method: "GET", URI: "/x", Protocol: "HTTP/1.1", Status: 404, BodyBytesSent: 612,
			HTTPUserAgent: "Mozilla/5.0", XForwardedFor: "198.51.100.7", RequestTime: -1},
	},
	{
		name: "logcause",
		line: `10.0.0.1 - - [23/Nov/2026:14:02:10 +0100] "GET /slow.php HTTP/1.1" 504 160 "-" "curl/8.0" rt=60.001 uct="0.000" uht="-" urt="60.000" us="504" ua="unix:/run/php/php8.2-fpm.sock" rid=f00d`,
		want: Access{RemoteAddr: "10.0.0.1", Method: "GET", URI: "/slow.php", Protocol: "HTTP/1.1", Status: 504, BodyBytesSent: 160,
			HTTPUserAgent: "curl/8.0", RequestTime: 60.001, UpstreamConnectTime: "0.000", UpstreamResponseTime: "60.000", UpstreamStatus: "504",
			UpstreamAddr: "unix:/run/php/php8.2-fpm.sock", RequestID: "f00d"},
	},
	{
		name: "upstreaminfo",
		line: `2a02:cf40::4e36 - - [24/Aug/2022:18:05:41 +0000] "GET /favicon.ico HTTP/2.0" 502 552 "https://localhost:8080/" "Mozilla/5.0" 27 0.000 [localhost-8080] [] [2a02:cf40::7]:5000, [2a02:cf40::4e36]:5000 0, 0 0.000, 0.000 502, 502 3db73c6c`,
		want: Access{RemoteAddr: "2a02:cf40::4e36", Method: "GET", URI: "/favicon.ico", Protocol: "HTTP/2.0", Status: 502, BodyBytesSent: 552,
			HTTPReferer: "https://localhost:8080/", HTTPUserAgent: "Mozilla/5.0", RequestTime: 0, UpstreamAddr: "[2a02:cf40::7]:5000, [2a02:cf40::4e36]:5000",
			UpstreamResponseTime: "0.000, 0.000", UpstreamStatus: "502, 502", RequestID: "3db73c6c",
			Extra: extras("request_length", "27", "proxy_upstream_name", "localhost-8080", "proxy_alternative_upstream_name", "",
				"upstream_response_length", "0, 0")},
	},
	{
		name: "unknown tail is ignored",
		line: `10.0.0.1 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8.0" "198.51.100.7" rt=60.001 us="504"`,
		want: Access{RemoteAddr: "10.0.0.1", Method: "GET", URI: "/", Protocol: "HTTP/1.1", Status: 200, BodyBytesSent: 1, HTTPUserAgent: "curl/8.0", RequestTime: -1},
	},
	{
		name: "broken logcause tail is ignored whole",
		line: `10.0.0.1 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8.0" rt=0.001 uct="0.000" uht="x" urt="-" us="-" ua="-" rid=1`,
		want: Access{RemoteAddr: "10.0.0.1", Method: "GET", URI: "/", Protocol: "HTTP/1.1", Status: 200, BodyBytesSent: 1, HTTPUserAgent: "curl/8.0", RequestTime: -1},
	},
}

func TestCombinedTails(t *testing.T) {
	p, _ := NewParser(KindNginxAccess, time.UTC)
	for _, tc := range combinedTailCases {
		t.Run(tc.name, func(t *testing.T) {
			var a AccessLine
			if err := ParseCombined([]byte(tc.line), &a); err != nil {
				t.Fatal(err)
			}
			if got := *a.Access(); got != tc.want {
				t.Errorf("ParseCombined:\n got %+v\nwant %+v", got, tc.want)
			}
			var ev Event
			if err := p.Parse([]byte(tc.line), &ev); err != nil || *ev.Access != tc.want {
				t.Errorf("registered parser: %v %+v", err, ev.Access)
			}
			// A built-in format parses the line the same way.
			if f, ok := DetectAccessFormat([][]byte{[]byte(tc.line)}, nil); ok {
				var b AccessLine
				if err := f.Parse([]byte(tc.line), &b); err != nil || *b.Access() != tc.want {
					t.Errorf("built-in %s: %v\n got %+v\nwant %+v", f.Name(), err, *b.Access(), tc.want)
				}
			} else if !strings.Contains(tc.name, "ignored") {
				t.Errorf("no built-in format parses the line")
			}
		})
	}
}

// TestIngressCorpus parses Filebeat's ingress-nginx sample with the
// upstreaminfo format: every line parses, by the compiled format and by the
// registered parser alike, and the lists come out right.
func TestIngressCorpus(t *testing.T) {
	lines := physicalLines(readCorpus(t, ingressTestLog))
	if len(lines) != 29 {
		t.Fatalf("%d lines, want 29", len(lines))
	}
	f, ok := DetectAccessFormat(lines, nil)
	if !ok || f.Name() != "upstreaminfo" {
		t.Fatalf("DetectAccessFormat = %v, %v", f, ok)
	}
	if Detect(lines[:20]) != KindNginxAccess {
		t.Fatal("Detect does not recognise the ingress log")
	}
	p, _ := NewParser(KindNginxAccess, time.UTC)
	var all []*Access
	for i, l := range lines {
		x, a, _, err := parseFormatCase(t, f, string(l))
		if err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, l)
		}
		var ev Event
		if err := p.Parse(l, &ev); err != nil || *ev.Access != *x || !ev.Time.Equal(a.Time) {
			t.Errorf("line %d: registered parser differs: %v\n%+v\n%+v", i+1, err, ev.Access, x)
		}
		if n := len(x.UpstreamStatuses()); x.UpstreamStatus != "" && n == 0 {
			t.Errorf("line %d: no statuses from %q", i+1, x.UpstreamStatus)
		}
		if x.RequestID == "" || x.RequestTime < 0 {
			t.Errorf("line %d: request id %q, time %v", i+1, x.RequestID, x.RequestTime)
		}
		all = append(all, x)
	}
	type upstream struct {
		addrs    []string
		statuses []int
		rt       string
		last     int
		lastAddr string
	}
	for _, c := range []struct {
		line int // 1-based
		want upstream
	}{
		{1, upstream{[]string{"172.17.0.5:8080"}, []int{200}, "0.000", 200, "172.17.0.5:8080"}},
		{5, upstream{nil, nil, "", -1, ""}}, // "- - - -": a 400 nginx answered itself
		{23, upstream{[]string{"172.17.0.6:8080", "172.17.0.7:8080"}, []int{200, 203}, "0.100, 0.004", 203, "172.17.0.7:8080"}},
		{25, upstream{[]string{"[2a02:cf40::]:9200"}, []int{200}, "0.036", 200, "[2a02:cf40::]:9200"}},
		{26, upstream{[]string{"[2a02:cf40::7]:5000", "[2a02:cf40::4e36]:5000"}, []int{502, 502}, "0.000, 0.000", 502, "[2a02:cf40::4e36]:5000"}},
		{27, upstream{[]string{"[2a02:cf40::7]:5000", "[2a02:cf40::::::::4e36]:500000000"}, []int{502, 502}, "0.000, 0.000", 502, "[2a02:cf40::::::::4e36]:500000000"}},
		{28, upstream{[]string{"unix:/var/run/php-fpm.sock"}, []int{200}, "0.002", 200, "unix:/var/run/php-fpm.sock"}},
		{29, upstream{[]string{"172.17.0.6:8080", "172.17.0.7:8080"}, []int{200}, "0.100, -", -1, "172.17.0.7:8080"}},
	} {
		x := all[c.line-1]
		var a AccessLine
		_ = f.Parse(lines[c.line-1], &a)
		got := upstream{x.UpstreamAddrs(), x.UpstreamStatuses(), x.UpstreamResponseTime, a.LastUpstreamStatus(), string(a.LastUpstreamAddr())}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("line %d:\n got %+v\nwant %+v", c.line, got, c.want)
		}
	}
	// Line 29: "200, -" — the second attempt got no status; its response
	// length was "-" for both.
	at := all[28].UpstreamAttempts()
	want := []UpstreamAttempt{
		{Addr: "172.17.0.6:8080", Status: 200, ResponseTime: 0.1, ConnectTime: -1, HeaderTime: -1},
		{Addr: "172.17.0.7:8080", Status: -1, ResponseTime: -1, ConnectTime: -1, HeaderTime: -1},
	}
	if !reflect.DeepEqual(at, want) {
		t.Errorf("attempts of line 29:\n got %+v\nwant %+v", at, want)
	}
	if v, ok := all[28].ExtraValue("proxy_upstream_name"); !ok || v != "default-web2-8080" {
		t.Errorf("proxy_upstream_name = %q, %v", v, ok)
	}
	if v, ok := all[0].ExtraValue("request_length"); !ok || v != "89" {
		t.Errorf("request_length = %q, %v", v, ok)
	}
}

func TestUpstreamHelpers(t *testing.T) {
	x := &Access{
		UpstreamAddr:         "10.0.0.7:9000, 10.0.0.8:9000 : unix:/run/php/php8.2-fpm.sock",
		UpstreamStatus:       "502, 504 : 200",
		UpstreamResponseTime: "0.001, 60.002 : 0.010",
		UpstreamConnectTime:  "0.000, 0.001 : -",
	}
	if got := x.UpstreamStatuses(); !reflect.DeepEqual(got, []int{502, 504, 200}) {
		t.Errorf("statuses %v", got)
	}
	if got := x.UpstreamAddrs(); !reflect.DeepEqual(got, []string{"10.0.0.7:9000", "10.0.0.8:9000", "unix:/run/php/php8.2-fpm.sock"}) {
		t.Errorf("addrs %q", got)
	}
	want := []UpstreamAttempt{
		{Group: 0, Addr: "10.0.0.7:9000", Status: 502, ResponseTime: 0.001, ConnectTime: 0, HeaderTime: -1},
		{Group: 0, Addr: "10.0.0.8:9000", Status: 504, ResponseTime: 60.002, ConnectTime: 0.001, HeaderTime: -1},
		{Group: 1, Addr: "unix:/run/php/php8.2-fpm.sock", Status: 200, ResponseTime: 0.01, ConnectTime: -1, HeaderTime: -1},
	}
	if got := x.UpstreamAttempts(); !reflect.DeepEqual(got, want) {
		t.Errorf("attempts:\n got %+v\nwant %+v", got, want)
	}
	if (&Access{}).UpstreamStatuses() != nil || (&Access{}).UpstreamAddrs() != nil || (&Access{}).UpstreamAttempts() != nil {
		t.Error("empty lists give non-nil slices")
	}
	if got := (&Access{UpstreamStatus: "-", UpstreamAddr: "-"}); got.UpstreamStatuses() != nil || got.UpstreamAddrs() != nil {
		t.Error(`"-" gives entries`)
	}
	for _, c := range []struct {
		status, addr string
		last         int
		lastAddr     string
	}{
		{"502, 502", "a:1, b:2", 502, "b:2"},
		{"502 : 200", "a:1 : unix:/run/x.sock", 200, "unix:/run/x.sock"},
		{"200, -", "a:1, b:2", -1, "b:2"},
		{"-", "-", -1, ""},
		{"", "", -1, ""},
		{"5021", "[::1]:80", -1, "[::1]:80"},
		{"x", "backend", -1, "backend"},
	} {
		a := AccessLine{UpstreamStatus: []byte(c.status), UpstreamAddr: []byte(c.addr)}
		if got := a.LastUpstreamStatus(); got != c.last {
			t.Errorf("LastUpstreamStatus(%q) = %d, want %d", c.status, got, c.last)
		}
		if got := string(a.LastUpstreamAddr()); got != c.lastAddr {
			t.Errorf("LastUpstreamAddr(%q) = %q, want %q", c.addr, got, c.lastAddr)
		}
	}
}

func TestBuiltinAccessFormats(t *testing.T) {
	fs := BuiltinAccessFormats()
	var names []string
	for _, f := range fs {
		names = append(names, f.Name())
	}
	if !reflect.DeepEqual(names, []string{"logcause", "upstreaminfo", "main", "combined", "common"}) {
		t.Fatalf("names %v", names)
	}
	fs[0] = nil // the slice is the caller's
	if BuiltinAccessFormats()[0] == nil {
		t.Fatal("BuiltinAccessFormats returns a shared slice")
	}
	samples := map[string]string{
		"logcause":     combinedTailCases[1].line,
		"upstreaminfo": combinedTailCases[2].line,
		"main":         combinedTailCases[0].line,
		"combined":     accessCases[1].line,
		"common":       `203.0.113.9 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 612`,
	}
	// Each sample parses with its format only: the built-ins do not overlap.
	for _, f := range BuiltinAccessFormats() {
		for name, line := range samples {
			var a AccessLine
			err := f.Parse([]byte(line), &a)
			if (err == nil) != (name == f.Name()) {
				t.Errorf("format %s on the %s sample: %v", f.Name(), name, err)
			}
		}
	}
}

func TestDetectAccessFormat(t *testing.T) {
	user, err := CompileLogFormat("mine", "", `$time_iso8601 $remote_addr "$request" $status $request_time`)
	if err != nil {
		t.Fatal(err)
	}
	shadow, _ := CompileLogFormat("shadow", "", combinedText) // the user's copy of combined
	noTime, _ := CompileLogFormat("notime", "", `$remote_addr $status`)
	userLines := textLines("2026-11-23T14:02:10+01:00 192.0.2.1 \"GET / HTTP/1.1\" 200 0.001\n\n" +
		"2026-11-23T14:02:11+01:00 192.0.2.2 \"GET /x HTTP/1.1\" 502 0.010\n")
	jsonLines := textLines(`{"@timestamp":"2026-11-23T14:02:10.123Z","status":"200","request":"GET / HTTP/1.1"}` + "\n" +
		`{"@timestamp":"2026-11-23T14:02:11.456Z","status":502,"request":"GET /x HTTP/1.1","upstream_status":"502"}` + "\n")
	for _, tc := range []struct {
		name       string
		lines      [][]byte
		candidates []*AccessFormat
		want       string // "" for none
	}{
		{"shop log", sampleLines(readCorpus(t, lnavShopAccess), 64), nil, "main"},
		{"demo log", sampleLines(readCorpus(t, "../testdata/demo/access.log"), 64), nil, "combined"},
		{"lnav access log", sampleLines(readCorpus(t, lnavDir+"logfile_access_log.0"), 64), nil, "combined"},
		{"filebeat access log (mixed combined/main)", sampleLines(readCorpus(t, filebeatNginxAccess), 64), nil, "combined"},
		{"ingress", sampleLines(readCorpus(t, ingressTestLog), 64), nil, "upstreaminfo"},
		{"user format", userLines, []*AccessFormat{noTime, user}, "mine"},
		{"user format without candidates", userLines, nil, ""},
		{"user's combined comes first", sampleLines(readCorpus(t, lnavDir+"logfile_access_log.0"), 64), []*AccessFormat{shadow}, "shadow"},
		{"format without time is skipped", textLines("192.0.2.1 200\n192.0.2.1 200\n"), []*AccessFormat{noTime}, ""},
		{"json", jsonLines, nil, "json"},
		{"nginx error log", sampleLines(readCorpus(t, filebeatNginxError), 64), nil, ""},
		{"empty", [][]byte{{}, []byte("  ")}, nil, ""},
		{"half", [][]byte{[]byte(accessCases[1].line), []byte("junk")}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := DetectAccessFormat(tc.lines, tc.candidates)
			got := ""
			if ok {
				got = f.Name()
			}
			if got != tc.want || ok != (f != nil) {
				t.Errorf("DetectAccessFormat = %q (%v), want %q", got, ok, tc.want)
			}
		})
	}
}

// TestDetectAccessKinds checks that Detect and the registered parser take
// every built-in format and JSON lines.
func TestDetectAccessKinds(t *testing.T) {
	p, _ := NewParser(KindNginxAccess, time.UTC)
	for name, lines := range map[string][][]byte{
		"ingress": physicalLines(readCorpus(t, ingressTestLog)),
		"tails":   {[]byte(combinedTailCases[0].line), []byte(combinedTailCases[1].line), []byte(combinedTailCases[2].line)},
		"json":    {[]byte(jsonAccessCases[0].line), []byte(jsonAccessCases[1].line), []byte(jsonAccessCases[2].line)},
	} {
		if k := Detect(lines); k != KindNginxAccess {
			t.Errorf("%s: Detect = %v", name, k)
		}
		for i, l := range lines {
			var ev Event
			if err := p.Parse(l, &ev); err != nil {
				t.Errorf("%s line %d: %v", name, i+1, err)
			}
			var a AccessLine
			if err := ParseAccess(l, &a); err != nil || *a.Access() != *ev.Access {
				t.Errorf("%s line %d: ParseAccess differs: %v", name, i+1, err)
			}
		}
	}
}

func TestNewAccessParserNoTime(t *testing.T) {
	f, _ := CompileLogFormat("notime", "", `$remote_addr $status`)
	var a AccessLine
	if err := f.Parse([]byte("192.0.2.1 200"), &a); err != nil || !a.Time.IsZero() || a.Status != 200 {
		t.Fatalf("Parse: %v %+v", err, a)
	}
	var ev Event
	err := NewAccessParser(f).Parse([]byte("192.0.2.1 200"), &ev)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "logs no time") {
		t.Errorf("error %v", err)
	}
}

func TestAccessJSONOutput(t *testing.T) {
	f := BuiltinAccessFormats()[1] // upstreaminfo
	p := NewAccessParser(f)
	var ev Event
	if err := p.Parse([]byte(combinedTailCases[2].line), &ev); err != nil {
		t.Fatal(err)
	}
	ev.Access.Connection = 42
	ev.Access.Host = "h"
	ev.Access.RequestTime = 0.25
	ev.Access.XForwardedFor = `a "b"`
	want := `{"time":"2022-08-24T18:05:41Z","format":"nginx_access","path":"","offset":0,"remote_addr":"2a02:cf40::4e36","method":"GET","uri":"/favicon.ico",` +
		`"protocol":"HTTP/2.0","status":502,"body_bytes_sent":552,"http_referer":"https://localhost:8080/","http_user_agent":"Mozilla/5.0",` +
		`"request_time":0.25,"host":"h","connection":42,"request_id":"3db73c6c","http_x_forwarded_for":"a \"b\"",` +
		`"upstream_addr":"[2a02:cf40::7]:5000, [2a02:cf40::4e36]:5000","upstream_status":"502, 502","upstream_response_time":"0.000, 0.000",` +
		`"extra":{"request_length":"27","proxy_upstream_name":"localhost-8080","proxy_alternative_upstream_name":"","upstream_response_length":"0, 0"}}`
	if got := string(ev.AppendJSON(nil)); got != want {
		t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
	}
}

func TestAccessAllocs(t *testing.T) {
	logcause := BuiltinAccessFormats()[0]
	jf, err := CompileLogFormat("j", "json", jsonText)
	if err != nil {
		t.Fatal(err)
	}
	none, _ := CompileLogFormat("n", "none", combinedText)
	lc := []byte(combinedTailCases[1].line)
	jl := []byte(formatCases[14].line)
	jsonLine := []byte(jsonAccessCases[0].line)
	ingress := []byte(combinedTailCases[2].line)
	noneLine := []byte(formatCases[4].line)
	var a AccessLine
	n := testing.AllocsPerRun(100, func() {
		if logcause.Parse(lc, &a) != nil || jf.Parse(jl, &a) != nil || none.Parse(noneLine, &a) != nil ||
			JSONAccessFormat().Parse(jsonLine, &a) != nil || ParseAccess(jsonLine, &a) != nil ||
			ParseCombined(ingress, &a) != nil || ParseCombined(lc, &a) != nil || a.LastUpstreamStatus() != 504 || len(a.LastUpstreamAddr()) == 0 {
			panic("parse failed")
		}
		_, _ = a.ExtraValue("request_length")
		_ = logcause.Parse(jsonLine, &a)
		_ = JSONAccessFormat().Parse(lc, &a)
		_ = Detect([][]byte{lc, jsonLine})
	})
	if n != 0 {
		t.Errorf("%v allocations per run, want 0", n)
	}
}
