package patterns

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// accessCase is one line of the access-log table; the fuzz seeds reuse it.
type accessCase struct {
	name string
	line string
	want Access // with want.Status == 0: the line must fail
	time string // RFC 3339 UTC
	zone int
	err  string // for failures: a part of the error message
}

// wantAccess is tc.want with the fields combined lines do not log unset.
func (tc accessCase) wantAccess() Access {
	w := tc.want
	if w.RequestTime == 0 {
		w.RequestTime = -1
	}
	return w
}

var accessCases = []accessCase{
	{
		name: "shop line with trailing forwarded-for",
		line: `31.56.96.51 - - [22/Jan/2019:03:56:16 +0330] "GET /image/60844/productModel/200x200 HTTP/1.1" 200 5667 "https://www.zanbil.ir/m/filter/b113" "Mozilla/5.0 (Linux; Android 6.0; ALE-L21 Build/HuaweiALE-L21) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/66.0.3359.158 Mobile Safari/537.36" "-"`,
		want: Access{RemoteAddr: "31.56.96.51", Method: "GET", URI: "/image/60844/productModel/200x200", Protocol: "HTTP/1.1", Status: 200, BodyBytesSent: 5667,
			HTTPReferer: "https://www.zanbil.ir/m/filter/b113", HTTPUserAgent: "Mozilla/5.0 (Linux; Android 6.0; ALE-L21 Build/HuaweiALE-L21) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/66.0.3359.158 Mobile Safari/537.36"},
		time: "2019-01-22T00:26:16Z", zone: 3*3600 + 30*60,
	},
	{
		name: "plain combined",
		line: `192.168.202.254 - - [20/Jul/2009:22:59:26 +0000] "GET /vmw/cgi/tramp HTTP/1.0" 200 134 "-" "gPXE/0.9.7"`,
		want: Access{RemoteAddr: "192.168.202.254", Method: "GET", URI: "/vmw/cgi/tramp", Protocol: "HTTP/1.0", Status: 200, BodyBytesSent: 134, HTTPUserAgent: "gPXE/0.9.7"},
		time: "2009-07-20T22:59:26Z",
	},
	{
		name: "bare forwarded-for list takes the last address",
		line: `10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:49.0) Gecko/20100101 Firefox/49.0"`,
		want: Access{RemoteAddr: "127.0.0.1", Method: "GET", URI: "/ocelot", Protocol: "HTTP/1.1", Status: 200, BodyBytesSent: 571,
			HTTPUserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:49.0) Gecko/20100101 Firefox/49.0"},
		time: "2016-12-07T10:05:07Z", zone: 3600,
	},
	{
		name: "quoted forwarded-for list before remote_addr",
		line: `"10.5.102.222, 199.96.1.1, 204.246.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET /assets/xxxx?q=100 HTTP/1.1" 200 25507 "-" "Amazon CloudFront"`,
		want: Access{RemoteAddr: "10.2.1.185", Method: "GET", URI: "/assets/xxxx?q=100", Protocol: "HTTP/1.1", Status: 200, BodyBytesSent: 25507, HTTPUserAgent: "Amazon CloudFront"},
		time: "2016-01-22T13:18:29Z",
	},
	{
		name: "quoted forwarded-for holding brackets",
		line: `"[2001:db8::1]:443" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET / HTTP/1.1" 200 1 "-" "-"`,
		want: Access{RemoteAddr: "10.2.1.185", Method: "GET", URI: "/", Protocol: "HTTP/1.1", Status: 200, BodyBytesSent: 1},
		time: "2016-01-22T13:18:29Z",
	},
	{
		name: "IPv6 forwarded-for then remote_addr",
		line: `2a03:0000:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121 - - [30/Dec/2016:06:47:09 +0000] "GET /test.html HTTP/1.1" 404 8571 "-" "Mozilla/5.0 (compatible; Facebot 1.0; https://developers.facebook.com/docs/sharing/webmasters/crawler)"`,
		want: Access{RemoteAddr: "10.2.2.121", Method: "GET", URI: "/test.html", Protocol: "HTTP/1.1", Status: 404, BodyBytesSent: 8571,
			HTTPUserAgent: "Mozilla/5.0 (compatible; Facebot 1.0; https://developers.facebook.com/docs/sharing/webmasters/crawler)"},
		time: "2016-12-30T06:47:09Z",
	},
	{
		name: "empty request with status 400",
		line: `127.0.0.1 - - [12/Apr/2018:09:48:40 +0200] "" 400 0 "-" "-"`,
		want: Access{RemoteAddr: "127.0.0.1", Status: 400},
		time: "2018-04-12T07:48:40Z", zone: 7200,
	},
	{
		name: "dash request with status 400",
		line: `10.112.81.15 - - [15/Feb/2013:06:00:31 +0000] "-" 400 0 "-" "-"`,
		want: Access{RemoteAddr: "10.112.81.15", URI: "-", Status: 400},
		time: "2013-02-15T06:00:31Z",
	},
	{
		name: "TLS bytes on a plain port stay escaped",
		line: `203.0.113.9 - - [23/Nov/2026:14:02:10 +0100] "\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03" 400 157 "-" "-"`,
		want: Access{RemoteAddr: "203.0.113.9", URI: `\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03`, Status: 400, BodyBytesSent: 157},
		time: "2026-11-23T13:02:10Z", zone: 3600,
	},
	{
		name: "two-token request goes whole into uri",
		line: `203.0.113.9 - - [23/Nov/2026:14:02:10 +0100] "GET /" 400 157 "-" "-"`,
		want: Access{RemoteAddr: "203.0.113.9", URI: "GET /", Status: 400, BodyBytesSent: 157},
		time: "2026-11-23T13:02:10Z", zone: 3600,
	},
	{
		name: "escaped quote and UTF-8 in user agent",
		line: `203.0.113.9 - alice [23/Nov/2026:14:02:10 -0530] "POST /api/x?y=%D0%9F HTTP/2.0" 502 552 "https://example.com/?q=\x22a\x22" "Agent \xD0\x9F \x22quoted\x22"`,
		want: Access{RemoteAddr: "203.0.113.9", RemoteUser: "alice", Method: "POST", URI: "/api/x?y=%D0%9F", Protocol: "HTTP/2.0", Status: 502, BodyBytesSent: 552,
			HTTPReferer: `https://example.com/?q=\x22a\x22`, HTTPUserAgent: `Agent \xD0\x9F \x22quoted\x22`},
		time: "2026-11-23T19:32:10Z", zone: -(5*3600 + 30*60),
	},
	{
		name: "unescaped quote in request (escape=none)",
		line: `203.0.113.9 - - [23/Nov/2026:14:02:10 +0000] "GET /a"b HTTP/1.1" 504 160 "-" "curl/8.0"`,
		want: Access{RemoteAddr: "203.0.113.9", Method: "GET", URI: `/a"b`, Protocol: "HTTP/1.1", Status: 504, BodyBytesSent: 160, HTTPUserAgent: "curl/8.0"},
		time: "2026-11-23T14:02:10Z",
	},
	{
		name: "common log format",
		line: `203.0.113.9 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 612`,
		want: Access{RemoteAddr: "203.0.113.9", Method: "GET", URI: "/", Protocol: "HTTP/1.1", Status: 200, BodyBytesSent: 612},
		time: "2026-11-23T14:02:10Z",
	},
	{
		name: "body_bytes_sent dash and CRLF",
		line: "203.0.113.9 - - [29/Feb/2024:23:59:59 -0100] \"HEAD / HTTP/1.1\" 304 - \"-\" \"-\"\r",
		want: Access{RemoteAddr: "203.0.113.9", Method: "HEAD", URI: "/", Protocol: "HTTP/1.1", Status: 304, BodyBytesSent: -1},
		time: "2024-03-01T00:59:59Z", zone: -3600,
	},
	{
		name: "extra fields after user agent",
		line: `10.0.0.1 - - [23/Nov/2026:14:02:10 +0000] "GET /slow.php HTTP/1.1" 504 160 "-" "curl/8.0" "198.51.100.7" rt=60.001 us="504"`,
		want: Access{RemoteAddr: "10.0.0.1", Method: "GET", URI: "/slow.php", Protocol: "HTTP/1.1", Status: 504, BodyBytesSent: 160, HTTPUserAgent: "curl/8.0"},
		time: "2026-11-23T14:02:10Z",
	},
	{name: "missing remote_user", line: `192.168.202.254 [20/Jul/2009:22:59:29 +0000] "GET /vmw/vSphere/default/vmkboot.gz HTTP/1.0" 404 46210 "-" "gPXE/0.9.7"`, err: "remote_user"},
	{name: "empty", line: ``, err: "empty line"},
	{name: "no time", line: `1.2.3.4 - - "GET / HTTP/1.1" 200 1 "-" "-"`, err: "no [time_local]"},
	{name: "bad month", line: `1.2.3.4 - - [23/Foo/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 1 "-" "-"`, err: "bad time_local"},
	{name: "no such day", line: `1.2.3.4 - - [30/Feb/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 1 "-" "-"`, err: "bad time_local"},
	{name: "bad zone", line: `1.2.3.4 - - [23/Nov/2026:14:02:10 0000] "GET / HTTP/1.1" 200 1 "-" "-"`, err: "bad time_local"},
	{name: "time cut", line: `1.2.3.4 - - [23/Nov/2026:14:02`, err: "bad time_local"},
	{name: "request not quoted", line: `1.2.3.4 - - [23/Nov/2026:14:02:10 +0000] GET / HTTP/1.1 200 1 "-" "-"`, err: "no quoted request"},
	{name: "no closing quote after request", line: `1.2.3.4 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1 200 1`, err: "no closing quote after request"},
	{name: "status not three digits", line: `1.2.3.4 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 20 1 "-" "-"`, err: "no closing quote after request"},
	{name: "no body bytes", line: `1.2.3.4 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 200`, err: "body_bytes_sent"},
	{name: "huge body bytes", line: `1.2.3.4 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 1234567890123456789012 "-" "-"`, err: "body_bytes_sent"},
	{name: "referer cut", line: `1.2.3.4 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 1 "-`, err: "http_referer"},
	{name: "user agent cut", line: `1.2.3.4 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla`, err: "http_user_agent"},
	{name: "custom format after bytes", line: `1.2.3.4 - - [23/Nov/2026:14:02:10 +0000] "GET / HTTP/1.1" 200 1 0.123`, err: "http_referer"},
}

func TestParseCombined(t *testing.T) {
	for _, tc := range accessCases {
		t.Run(tc.name, func(t *testing.T) {
			var a AccessLine
			err := ParseCombined([]byte(tc.line), &a)
			if tc.want.Status == 0 {
				wantMalformed(t, KindNginxAccess, tc.line, err, tc.err)
				return
			}
			if err != nil {
				t.Fatalf("ParseCombined: %v", err)
			}
			if got := *a.Access(); got != tc.wantAccess() {
				t.Errorf("fields:\n got %+v\nwant %+v", got, tc.want)
			}
			if got := a.Time.Format(time.RFC3339); got != tc.time || a.Time.Location() != time.UTC {
				t.Errorf("Time = %s (%v), want %s UTC", got, a.Time.Location(), tc.time)
			}
			if a.ZoneOffset != tc.zone {
				t.Errorf("ZoneOffset = %d, want %d", a.ZoneOffset, tc.zone)
			}
		})
	}
}

// TestAccessParser checks that the Event path agrees with ParseCombined.
func TestAccessParser(t *testing.T) {
	p, err := NewParser(KindNginxAccess, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range accessCases {
		t.Run(tc.name, func(t *testing.T) {
			ev := Event{Path: "/var/log/nginx/access.log", Offset: 42}
			err := p.Parse([]byte(tc.line), &ev)
			if tc.want.Status == 0 {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Parse error = %v, want ErrMalformed", err)
				}
				if ev.Kind != KindUnknown || ev.Access != nil || ev.Path != "/var/log/nginx/access.log" {
					t.Errorf("failed Parse changed the event: %+v", ev)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != KindNginxAccess || ev.Error != nil || ev.FPM != nil || ev.Access == nil {
				t.Fatalf("kind/field sets wrong: %+v", ev)
			}
			if ev.Path != "/var/log/nginx/access.log" || ev.Offset != 42 {
				t.Errorf("Parse changed Path/Offset: %q %d", ev.Path, ev.Offset)
			}
			if ev.Text != tc.line {
				t.Errorf("Text = %q, want the record", ev.Text)
			}
			if *ev.Access != tc.wantAccess() {
				t.Errorf("fields:\n got %+v\nwant %+v", *ev.Access, tc.wantAccess())
			}
			if got := ev.Time.Format(time.RFC3339); got != tc.time {
				t.Errorf("Time = %s, want %s", got, tc.time)
			}
		})
	}
}

// TestAccessParserCopies checks that the Event does not alias rec.
func TestAccessParserCopies(t *testing.T) {
	p, _ := NewParser(KindNginxAccess, time.UTC)
	rec := []byte(accessCases[0].line)
	var ev Event
	if err := p.Parse(rec, &ev); err != nil {
		t.Fatal(err)
	}
	for i := range rec {
		rec[i] = 'x'
	}
	if ev.Access.RemoteAddr != "31.56.96.51" || ev.Text != accessCases[0].line {
		t.Errorf("event changed with the caller's buffer: %+v", ev.Access)
	}
}

func TestParseCombinedAllocs(t *testing.T) {
	line := []byte(accessCases[0].line)
	bad := []byte(accessCases[len(accessCases)-1].line)
	var a AccessLine
	n := testing.AllocsPerRun(100, func() {
		_ = ParseCombined(line, &a)
		_ = ParseCombined(bad, &a)
	})
	if n != 0 {
		t.Errorf("ParseCombined allocates %v times per line, want 0", n)
	}
}

func TestDaysSinceEpoch(t *testing.T) {
	for y := 1; y <= 2500; y += 7 {
		for m := time.January; m <= time.December; m++ {
			for _, d := range []int{1, 15, 28} {
				want := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400 // midnight: exact
				if got := daysSinceEpoch(y, m, d); got != want {
					t.Fatalf("daysSinceEpoch(%d, %v, %d) = %d, want %d", y, m, d, got, want)
				}
			}
		}
	}
	for _, y := range []int{1900, 2000, 2024, 2100} {
		want := int64(1)
		if isLeap(y) {
			want = 2
		}
		if got := daysSinceEpoch(y, time.March, 1) - daysSinceEpoch(y, time.February, 28); got != want {
			t.Errorf("year %d: Feb 28 to Mar 1 is %d days, want %d", y, got, want)
		}
	}
}

// AccessOf gives the fields Access gives, each a substring of the kept
// text (one copy of the line, not one per field): OffsetOf finds each
// where it is. A JSON-escaped line's unescaped fields cannot be: copies.
func TestAccessOfSharesTheLinesText(t *testing.T) {
	parsed := 0
	for _, tc := range accessCases {
		rec := []byte(tc.line)
		var a AccessLine
		if err := ParseAccess(rec, &a); err != nil {
			continue
		}
		parsed++
		text := string(rec)
		got, want := a.AccessOf(rec, text), a.Access()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nAccessOf %+v\nAccess   %+v", tc.line, got, want)
		}
		v := reflect.ValueOf(*got)
		for i := range v.NumField() {
			f := v.Field(i)
			if f.Kind() != reflect.String || f.Len() == 0 {
				continue
			}
			s := f.String()
			if off, ok := OffsetOf(text, s); !ok || text[off:off+len(s)] != s {
				t.Errorf("%q: field %s = %q is not the text's (%d, %v)", tc.line, v.Type().Field(i).Name, s, off, ok)
			}
			if _, ok := OffsetOf(tc.line+"", strings.Clone(s)); ok {
				t.Errorf("OffsetOf found a copy of %q in the text", s)
			}
		}
	}
	if parsed < 5 {
		t.Fatalf("only %d of the cases parse", parsed)
	}
	rec := []byte(`{"remote_addr":"10.0.0.1","request":"GET /a\"b HTTP/1.1","status":502,"time_local":"23/Nov/2026:03:00:00 +0100"}`)
	var a AccessLine
	if err := ParseAccess(rec, &a); err != nil {
		t.Fatal(err)
	}
	if got := a.AccessOf(rec, string(rec)); !a.JSONEscaped || !reflect.DeepEqual(got, a.Access()) || got.URI != `/a"b` {
		t.Errorf("a JSON line: %+v", got)
	}
}

// OffsetIn tells a part of rec by its place: an equal copy elsewhere, an
// empty slice, a slice past rec are not.
func TestOffsetIn(t *testing.T) {
	rec := []byte("GET /index.php HTTP/1.1")
	for _, tc := range []struct {
		b    []byte
		off  int
		part bool
	}{
		{rec[4:14], 4, true},
		{rec[len(rec)-3:], len(rec) - 3, true},
		{rec, 0, true},
		{[]byte("/index.php"), 0, false},
		{rec[4:4], 0, false},
		{append(rec[:len(rec):len(rec)], 'x')[len(rec)-1:], 0, false}, // reaches past rec: another array
	} {
		off, ok := OffsetIn(rec, tc.b)
		if ok != tc.part || (ok && off != tc.off) {
			t.Errorf("OffsetIn(%q) = %d, %v; want %d, %v", tc.b, off, ok, tc.off, tc.part)
		}
		if s := SubstringOf(rec, string(rec), tc.b); s != string(tc.b) {
			t.Errorf("SubstringOf(%q) = %q", tc.b, s)
		}
	}
}
