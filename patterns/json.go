package patterns

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends e as one JSON object, without a newline, as
// `logcause parse` prints it, and returns the extended slice:
//
//	{"time":"2026-11-23T13:02:10Z","format":"nginx_error","path":"…","offset":0, …fields}
//
// time is RFC 3339 in UTC (with a fraction only when the stamp had one);
// time, format, path and offset are always present. The fields that follow
// are the kind's (each format's appendFields, beside its parser): named
// after the nginx variables for nginx logs, after the log's own keys in
// snake_case for the others. Empty strings and zero counters are left out.
// Strings are escaped for JSON whatever bytes they hold: control bytes as
// \n, \r, \t or \u00XX, U+2028 and U+2029 as \u2028 and \u2029, and each
// byte of invalid UTF-8 as \ufffd.
func (e *Event) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"time":"`...)
	dst = e.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","format":`...)
	dst = appendJSONString(dst, e.Kind.String())
	dst = append(dst, `,"path":`...)
	dst = appendJSONString(dst, e.Path)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, e.Offset, 10)

	if e.Kind < numKinds && formats[e.Kind].appendFields != nil {
		dst = formats[e.Kind].appendFields(dst, e)
	}
	return append(dst, '}')
}

// appendStringField appends `,"name":"value"` unless value is empty. name
// must need no escaping.
func appendStringField(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, value)
}

func appendIntField(dst []byte, name string, v int64) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return strconv.AppendInt(dst, v, 10)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a quoted JSON string.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is pending, needs no escaping
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendNginxErrorFields(dst []byte, e *Event) []byte {
	x := e.Error
	if x == nil {
		return dst
	}
	dst = appendStringField(dst, "level", x.Level)
	dst = appendIntField(dst, "pid", int64(x.PID))
	dst = appendIntField(dst, "tid", int64(x.TID))
	if x.Connection != 0 {
		dst = appendIntField(dst, "connection", x.Connection)
	}
	dst = appendStringField(dst, "message", x.Message)
	if x.Errno != 0 {
		dst = appendIntField(dst, "errno", int64(x.Errno))
	}
	dst = appendStringField(dst, "action", x.Action)
	dst = appendStringField(dst, "client", x.Client)
	dst = appendStringField(dst, "server", x.Server)
	dst = appendStringField(dst, "request", x.Request)
	dst = appendStringField(dst, "upstream", x.Upstream)
	dst = appendStringField(dst, "host", x.Host)
	return appendStringField(dst, "referrer", x.Referrer)
}

func appendFPMFields(dst []byte, e *Event) []byte {
	f := e.FPM
	if f == nil {
		return dst
	}
	dst = appendStringField(dst, "level", f.Level)
	dst = appendStringField(dst, "pool", f.Pool)
	if f.Child != 0 {
		dst = appendIntField(dst, "pid", int64(f.Child)) // the child's pid
	}
	dst = appendStringField(dst, "script", f.Script)
	dst = appendStringField(dst, "request", f.Request)
	if f.Duration > 0 {
		dst = append(dst, `,"duration":`...)
		dst = strconv.AppendFloat(dst, f.Duration, 'f', -1, 64)
	}
	return appendStringField(dst, "message", f.Message)
}
