package patterns

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// jsonAccessCase is one JSON access line; the first ones are valid (the
// fuzz seeds and TestDetectAccessKinds use them).
type jsonAccessCase struct {
	name, line string
	want       Access
	time       string // RFC 3339 (nano) UTC
	zone       int
	err        string
}

var jsonAccessCases = []jsonAccessCase{
	{
		name: "nginx escape=json, recommended keys",
		line: `{"time":"2026-11-23T14:02:10+01:00","remote_addr":"192.0.2.1","remote_user":"-","request":"GET /api/cart.php?id=1 HTTP/1.1",` +
			`"status":502,"body_bytes_sent":157,"request_time":0.013,"http_referer":"","http_user_agent":"Mozilla/5.0 \"X\"",` +
			`"upstream_addr":"unix:/run/php/php8.2-fpm.sock","upstream_status":"502","upstream_response_time":"0.004","upstream_connect_time":"-",` +
			`"upstream_header_time":"-","request_id":"6f1c0e7d","host":"shop.example","connection":1234,"http_x_forwarded_for":"-"}`,
		want: Access{RemoteAddr: "192.0.2.1", Method: "GET", URI: "/api/cart.php?id=1", Protocol: "HTTP/1.1", Status: 502, BodyBytesSent: 157,
			RequestTime: 0.013, HTTPUserAgent: `Mozilla/5.0 "X"`, UpstreamAddr: "unix:/run/php/php8.2-fpm.sock", UpstreamStatus: "502",
			UpstreamResponseTime: "0.004", RequestID: "6f1c0e7d", Host: "shop.example", Connection: 1234},
		time: "2026-11-23T13:02:10Z", zone: 3600,
	},
	{
		name: "hand-rolled keys, numbers as strings, @timestamp with fraction",
		line: ` { "@timestamp": "2026-11-23T13:02:10.250Z", "Status": "504", "Method": "POST", "Path": "/slow.php",` +
			` "Request-Time": "60.001", "upstream_status": "504", "client_ip": "198.51.100.7", "user_agent": "curl/8.0", "bytes": 160 } `,
		want: Access{RemoteAddr: "198.51.100.7", Method: "POST", URI: "/slow.php", Status: 504, BodyBytesSent: 160, RequestTime: 60.001,
			HTTPUserAgent: "curl/8.0", UpstreamStatus: "504"},
		time: "2026-11-23T13:02:10.25Z",
	},
	{
		name: "time_local, retries, nested values and unknown keys kept",
		line: `{"time_local":"23/Nov/2026:14:02:10 -0500","status":"502","request":"GET / HTTP/2.0","upstream_status":"502, 502 : 200",` +
			`"upstream_addr":"10.0.0.7:9000, 10.0.0.8:9000 : unix:/run/php/php8.2-fpm.sock","geo":{"country":"FR","tags":["a","}"]},"ssl":true,"scheme":"https","n":null}`,
		want: Access{Method: "GET", URI: "/", Protocol: "HTTP/2.0", Status: 502, BodyBytesSent: -1, RequestTime: -1, UpstreamStatus: "502, 502 : 200",
			UpstreamAddr: "10.0.0.7:9000, 10.0.0.8:9000 : unix:/run/php/php8.2-fpm.sock",
			Extra:        extras("geo", `{"country":"FR","tags":["a","}"]}`, "ssl", "true", "scheme", "https")},
		time: "2026-11-23T19:02:10Z", zone: -5 * 3600,
	},
	{
		name: "msec number wins over a coarser time",
		line: `{"time_iso8601":"2026-11-23T14:02:10+01:00","msec":1763906530.123,"status":200}`,
		want: Access{Status: 200, BodyBytesSent: -1, RequestTime: -1},
		time: "2025-11-23T14:02:10.123Z", zone: 3600,
	},
	{
		name: "epoch milliseconds, escapes decoded",
		line: `{"ts":1763906530123,"status":404,"uri":"/a\/b\u00e9\ud83d\ude00","x\"y":"v\\w"}`,
		want: Access{URI: "/a/bé😀", Status: 404, BodyBytesSent: -1, RequestTime: -1, Extra: extras(`x"y`, `v\w`)},
		time: "2025-11-23T14:02:10.123Z",
	},
	{
		name: "CRLF and empty object members",
		line: "{\"date\":\"2026-11-23 14:02:10\",\"status\":200,\"host\":\"\"}\r",
		want: Access{Status: 200, BodyBytesSent: -1, RequestTime: -1},
		time: "2026-11-23T14:02:10Z",
	},
	{name: "no status", line: `{"time":"2026-11-23T14:02:10+01:00","request":"GET / HTTP/1.1"}`, err: "no status"},
	{name: "status not 3 digits", line: `{"time":"2026-11-23T14:02:10+01:00","status":"ok"}`, err: "no status"},
	{name: "null status", line: `{"time":"2026-11-23T14:02:10+01:00","status":null}`, err: "no status"},
	{name: "no time", line: `{"status":200,"request":"GET / HTTP/1.1"}`, err: "no time"},
	{name: "time in an unknown layout", line: `{"time":"Mon Nov 23 14:02:10 2026","status":200}`, err: "no time"},
	{name: "not an object", line: `["status",200]`, err: "not one JSON object"},
	{name: "two objects", line: `{"status":200,"ts":1} {"status":200,"ts":1}`, err: "bad JSON"},
	{name: "unterminated string", line: `{"status":200,"ts":1,"a":"b}`, err: "bad JSON"},
	{name: "missing colon", line: `{"status" 200,"ts":1}`, err: "bad JSON"},
	{name: "empty", line: ``, err: "not one JSON object"},
	{name: "too deep", line: `{"status":200,"ts":1,"a":` + strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1) + `}`, err: "nested too deep"},
	{name: "combined line", line: accessCases[1].line, err: "not one JSON object"},
}

func TestJSONAccess(t *testing.T) {
	f := JSONAccessFormat()
	for _, tc := range jsonAccessCases {
		t.Run(tc.name, func(t *testing.T) {
			got, a, ev, err := parseFormatCase(t, f, tc.line)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Errorf("fields:\n got %+v\nwant %+v", *got, tc.want)
			}
			if s := a.Time.Format(time.RFC3339Nano); s != tc.time || a.ZoneOffset != tc.zone {
				t.Errorf("time %s zone %d, want %s %d", s, a.ZoneOffset, tc.time, tc.zone)
			}
			if !a.JSONEscaped {
				t.Error("JSONEscaped not set")
			}
			// The registered parser takes JSON lines too.
			p, _ := NewParser(KindNginxAccess, time.UTC)
			var ev2 Event
			if err := p.Parse([]byte(tc.line), &ev2); err != nil || *ev2.Access != *ev.Access {
				t.Errorf("registered parser: %v %+v", err, ev2.Access)
			}
			if !json.Valid(ev.AppendJSON(nil)) {
				t.Errorf("invalid JSON output %s", ev.AppendJSON(nil))
			}
		})
	}
}

func TestJSONUnescape(t *testing.T) {
	for in, want := range map[string]string{
		``:                    ``,
		`plain`:               `plain`,
		`a\"b\\c\/d`:          `a"b\c/d`,
		`\b\f\n\r\t`:          "\b\f\n\r\t",
		`\u0041\u00e9\u20AC`:  "Aé€",
		`\ud83d\ude00`:        "😀",
		`\ud83d`:              "\uFFFD",
		`\ud83dx`:             "\uFFFDx",
		`\u12`:                `\u12`,
		`\uzzzz`:              `\uzzzz`,
		`\x41\q`:              `\x41\q`,
		`end\`:                `end\`,
		`\ud83d\u0041`:        "\uFFFDA",
		`\"\"\"\"\"\"\"\"\"x`: `"""""""""x`,
	} {
		if got := jsonUnescape(in); got != want {
			t.Errorf("jsonUnescape(%q) = %q, want %q", in, got, want)
		}
	}
}
