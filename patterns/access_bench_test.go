package patterns

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// The benchmarks of the compiled formats run on the real shop log's lines,
// extended as the format in question would have written them (upstream
// times and statuses varied deterministically, some requests retried).

// fakeUpstream returns deterministic upstream values for line i.
func fakeUpstream(i, status int) (rt float64, uct, uht, urt, us, ua string) {
	rt = float64(i%997) / 1000
	switch {
	case i%11 == 0: // retried on a second server
		return rt, "0.000, 0.001", "-, " + fmt.Sprintf("%.3f", rt), "0.001, " + fmt.Sprintf("%.3f", rt), "502, " + strconv.Itoa(status),
			"10.0.0.7:9000, 10.0.0.8:9000"
	case i%13 == 0: // served by nginx itself
		return rt, "-", "-", "-", "-", "-"
	}
	t := fmt.Sprintf("%.3f", rt)
	return rt, "0.000", t, t, strconv.Itoa(status), "unix:/run/php/php8.2-fpm.sock"
}

// logcauseLines are the shop lines in the logcause format.
func logcauseLines(b *testing.B) [][]byte {
	var out [][]byte
	for i, l := range shopLines(b) {
		var a AccessLine
		if err := ParseCombined(l, &a); err != nil {
			b.Fatal(err)
		}
		end := bytes.LastIndex(l, []byte(` "`)) // the shop log is `main`: drop the forwarded-for
		rt, uct, uht, urt, us, ua := fakeUpstream(i, a.Status)
		out = append(out, fmt.Appendf(nil, `%s rt=%.3f uct="%s" uht="%s" urt="%s" us="%s" ua="%s" rid=%032x`,
			l[:end], rt, uct, uht, urt, us, ua, i*7919))
	}
	return out
}

// jsonLines are the shop lines as jsonText (escape=json) writes them.
func jsonLines(b *testing.B) [][]byte {
	var out [][]byte
	for i, l := range shopLines(b) {
		var a AccessLine
		if err := ParseCombined(l, &a); err != nil {
			b.Fatal(err)
		}
		x := a.Access()
		req := x.Method + " " + x.URI + " " + x.Protocol
		rt, _, _, urt, us, ua := fakeUpstream(i, x.Status)
		buf := []byte(`{"time":"`)
		buf = a.Time.In(time.FixedZone("", a.ZoneOffset)).AppendFormat(buf, "2006-01-02T15:04:05-07:00")
		buf = append(buf, `","remote_addr":`...)
		buf = appendJSONString(buf, x.RemoteAddr)
		buf = append(buf, `,"request":`...)
		buf = appendJSONString(buf, req)
		buf = fmt.Appendf(buf, `,"status":%d,"body_bytes_sent":%d,"request_time":%.3f,"http_referer":`, x.Status, x.BodyBytesSent, rt)
		buf = appendJSONString(buf, x.HTTPReferer)
		buf = append(buf, `,"http_user_agent":`...)
		buf = appendJSONString(buf, x.HTTPUserAgent)
		buf = fmt.Appendf(buf, `,"upstream_addr":"%s","upstream_status":"%s","upstream_response_time":"%s","request_id":"%032x"}`, ua, us, urt, i*7919)
		out = append(out, buf)
	}
	return out
}

func benchFormat(b *testing.B, f *AccessFormat, lines [][]byte) {
	var a AccessLine
	benchLines(b, lines, func(l []byte) {
		if err := f.Parse(l, &a); err != nil {
			b.Fatalf("%v\n%s", err, l)
		}
	})
}

// BenchmarkAccessFormatLogcause is the compiled logcause format.
func BenchmarkAccessFormatLogcause(b *testing.B) {
	benchFormat(b, BuiltinAccessFormats()[0], logcauseLines(b))
}

// BenchmarkAccessFormatCombined is the compiled `main` format on the shop
// log, to compare with BenchmarkParseCombined.
func BenchmarkAccessFormatMain(b *testing.B) {
	benchFormat(b, BuiltinAccessFormats()[2], shopLines(b))
}

// BenchmarkAccessFormatJSON is a compiled escape=json log_format.
func BenchmarkAccessFormatJSON(b *testing.B) {
	f, err := CompileLogFormat("json", "json", jsonText)
	if err != nil {
		b.Fatal(err)
	}
	benchFormat(b, f, jsonLines(b))
}

// BenchmarkJSONAccess is the tolerant JSON scanner on the same lines.
func BenchmarkJSONAccess(b *testing.B) {
	benchFormat(b, JSONAccessFormat(), jsonLines(b))
}

// BenchmarkParseCombinedLogcause is ParseCombined decoding the logcause tail.
func BenchmarkParseCombinedLogcause(b *testing.B) {
	lines := logcauseLines(b)
	var a AccessLine
	benchLines(b, lines, func(l []byte) {
		if err := ParseCombined(l, &a); err != nil || a.RequestTime < 0 {
			b.Fatal(err)
		}
	})
}

func BenchmarkDetectAccessFormat(b *testing.B) {
	sample := logcauseLines(b)[:64]
	b.ReportAllocs()
	for b.Loop() {
		if f, ok := DetectAccessFormat(sample, nil); !ok || f.Name() != "logcause" {
			b.Fatal("not detected")
		}
	}
}
