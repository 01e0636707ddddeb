package patterns

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestAppendJSON(t *testing.T) {
	at := time.Date(2026, 11, 23, 13, 2, 10, 0, time.UTC)
	for _, tc := range []struct {
		name string
		ev   Event
		want string
	}{
		{
			name: "access",
			ev: Event{Time: at, Kind: KindNginxAccess, Path: "/var/log/nginx/access.log", Offset: 1024,
				Access: &Access{RemoteAddr: "203.0.113.9", Method: "GET", URI: `/a?q=\x22`, Protocol: "HTTP/1.1", Status: 502, BodyBytesSent: 552, HTTPUserAgent: `Agent "x"`}},
			want: `{"time":"2026-11-23T13:02:10Z","format":"nginx_access","path":"/var/log/nginx/access.log","offset":1024,"remote_addr":"203.0.113.9","method":"GET","uri":"/a?q=\\x22","protocol":"HTTP/1.1","status":502,"body_bytes_sent":552,"http_user_agent":"Agent \"x\""}`,
		},
		{
			name: "access without body_bytes_sent",
			ev:   Event{Time: at, Kind: KindNginxAccess, Access: &Access{RemoteAddr: "::1", URI: "-", Status: 400, BodyBytesSent: -1}},
			want: `{"time":"2026-11-23T13:02:10Z","format":"nginx_access","path":"","offset":0,"remote_addr":"::1","uri":"-","status":400}`,
		},
		{
			name: "nginx error",
			ev: Event{Time: at, Kind: KindNginxError, Path: "error.log", Offset: 500,
				Error: &NginxError{Level: "error", PID: 1234, TID: 0, Connection: 5678, Message: "connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable)",
					Errno: 11, Action: "connecting to upstream", Client: "203.0.113.9", Server: "_", Request: "GET / HTTP/1.1", Upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", Host: "h", Referrer: "r"}},
			want: `{"time":"2026-11-23T13:02:10Z","format":"nginx_error","path":"error.log","offset":500,"level":"error","pid":1234,"tid":0,"connection":5678,"message":"connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable)","errno":11,"action":"connecting to upstream","client":"203.0.113.9","server":"_","request":"GET / HTTP/1.1","upstream":"fastcgi://unix:/run/php/php8.2-fpm.sock:","host":"h","referrer":"r"}`,
		},
		{
			name: "process-level nginx error",
			ev:   Event{Time: at, Kind: KindNginxError, Error: &NginxError{Level: "notice", PID: 1, TID: 1, Message: "signal process started"}},
			want: `{"time":"2026-11-23T13:02:10Z","format":"nginx_error","path":"","offset":0,"level":"notice","pid":1,"tid":1,"message":"signal process started"}`,
		},
		{
			name: "fpm with fraction and zone",
			ev: Event{Time: time.Date(2026, 11, 23, 14, 2, 10, 123456000, time.FixedZone("x", 3600)), Kind: KindFPMError,
				FPM: &FPMError{Level: "WARNING", Pool: "www", Child: 1234, Message: "child 1234 said into stderr: \"a\nb\ttab\u2028\""}},
			want: `{"time":"2026-11-23T13:02:10.123456Z","format":"fpm_error","path":"","offset":0,"level":"WARNING","pool":"www","pid":1234,"message":"child 1234 said into stderr: \"a\nb\ttab\u2028\""}`,
		},
		{
			name: "invalid UTF-8 and control bytes",
			ev:   Event{Time: at, Kind: KindFPMError, Path: "bad\xffname", FPM: &FPMError{Level: "NOTICE", Message: "a\x00b\x1fc\\d\xc3\x28e\xf0\x9f\x98\x80"}},
			want: `{"time":"2026-11-23T13:02:10Z","format":"fpm_error","path":"bad\ufffdname","offset":0,"level":"NOTICE","message":"a\u0000b\u001fc\\d\ufffd(e` + "\U0001F600" + `"}`,
		},
		{
			name: "missing field set",
			ev:   Event{Time: at, Kind: KindNginxError},
			want: `{"time":"2026-11-23T13:02:10Z","format":"nginx_error","path":"","offset":0}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(tc.ev.AppendJSON([]byte("prefix:")))
			if got != "prefix:"+tc.want {
				t.Errorf("AppendJSON:\n got %s\nwant %s", got, tc.want)
			}
			if !json.Valid([]byte(tc.want)) {
				t.Errorf("want is not valid JSON")
			}
		})
	}
}

// TestAppendJSONRoundTrip checks the output against encoding/json for every
// record of the tables.
func TestAppendJSONRoundTrip(t *testing.T) {
	var events []Event
	add := func(k Kind, rec string) {
		p, _ := NewParser(k, tableLoc)
		ev := Event{Path: "p", Offset: 3}
		if p.Parse([]byte(rec), &ev) == nil {
			events = append(events, ev)
		}
	}
	for _, tc := range accessCases {
		add(KindNginxAccess, tc.line)
	}
	for _, tc := range nginxErrorCases {
		add(KindNginxError, tc.rec)
	}
	for _, tc := range fpmCases {
		add(KindFPMError, tc.rec)
	}
	for _, ev := range events {
		out := ev.AppendJSON(nil)
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if m["time"] != ev.Time.Format(time.RFC3339Nano) || m["format"] != ev.Kind.String() || m["offset"] != 3.0 {
			t.Errorf("envelope wrong: %s", out)
		}
		var want map[string]any
		switch ev.Kind {
		case KindNginxAccess:
			a := ev.Access
			want = map[string]any{"remote_addr": a.RemoteAddr, "remote_user": a.RemoteUser, "method": a.Method, "uri": a.URI, "protocol": a.Protocol,
				"status": float64(a.Status), "body_bytes_sent": float64(a.BodyBytesSent), "http_referer": a.HTTPReferer, "http_user_agent": a.HTTPUserAgent}
			if a.BodyBytesSent < 0 {
				delete(want, "body_bytes_sent")
			}
		case KindNginxError:
			x := ev.Error
			want = map[string]any{"level": x.Level, "pid": float64(x.PID), "tid": float64(x.TID), "connection": float64(x.Connection), "message": x.Message,
				"errno": float64(x.Errno), "action": x.Action, "client": x.Client, "server": x.Server, "request": x.Request, "upstream": x.Upstream, "host": x.Host, "referrer": x.Referrer}
			for _, k := range []string{"connection", "errno"} {
				if want[k] == 0.0 {
					delete(want, k)
				}
			}
		case KindFPMError:
			f := ev.FPM
			want = map[string]any{"level": f.Level, "pool": f.Pool, "pid": float64(f.Child), "message": f.Message,
				"script": f.Script, "request": f.Request, "duration": f.Duration}
			if f.Child == 0 {
				delete(want, "pid")
			}
			if f.Duration == 0 {
				delete(want, "duration")
			}
		}
		for k, v := range want {
			if v == "" {
				delete(want, k)
			}
		}
		want["time"], want["format"], want["path"], want["offset"] = m["time"], m["format"], "p", 3.0
		if !reflect.DeepEqual(m, want) {
			t.Errorf("JSON fields:\n got %v\nwant %v", m, want)
		}
	}
}
