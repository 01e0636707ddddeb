package stackconf

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/logcause/logcause/patterns"
)

func TestParseLogFormatDirective(t *testing.T) {
	for _, tc := range []struct {
		name, directive      string
		wantName, wantEscape string
		wantText             string
		err                  string
	}{
		{
			name:      "combined as nginx documents it",
			directive: `log_format combined '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';`,
			wantName:  "combined", wantEscape: "default",
			wantText: `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
		},
		{
			name: "multi-line, both quote styles, escapes, comments",
			directive: "log_format  main  '$remote_addr - $remote_user [$time_local] \"$request\" '\n" +
				"                  \"$status $body_bytes_sent \\\"$http_referer\\\" \"  # referer\n" +
				"\t\t'\"$http_user_agent\" \\'$http_x_forwarded_for\\'' ;",
			wantName: "main", wantEscape: "default",
			wantText: `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" '$http_x_forwarded_for'`,
		},
		{
			name: "escape=json spanning lines",
			directive: "log_format json escape=json\n  '{'\n    '\"time\":\"$time_iso8601\",'\n    '\"status\":$status'\n  '}';\n" +
				"# trailing comment\n",
			wantName: "json", wantEscape: "json", wantText: `{"time":"$time_iso8601","status":$status}`,
		},
		{
			name:      "escape=none, bare words, ${var}, no final ;",
			directive: `log_format raw escape=none ${remote_addr}|$status|${request_time}s`,
			wantName:  "raw", wantEscape: "none", wantText: `${remote_addr}|$status|${request_time}s`,
		},
		{
			name:      "\\t \\n escapes; other backslashes kept",
			directive: `log_format tabs '$status\t$request_time\n\x22';`,
			wantName:  "tabs", wantEscape: "default", wantText: "$status\t$request_time\n\\x22",
		},
		{name: "not log_format", directive: `access_log /var/log/nginx/access.log main;`, err: "not a log_format directive"},
		{name: "empty", directive: "  # nothing\n", err: "not a log_format directive"},
		{name: "no format", directive: `log_format main;`, err: "needs a name and a format"},
		{name: "escape without format", directive: `log_format main escape=json;`, err: "no format after escape=json"},
		{name: "bad escape", directive: `log_format main escape=xml '$status';`, err: `unknown escape "xml"`},
		{name: "unterminated string", directive: "log_format main '$status;\n", err: "unterminated ' string"},
		{name: "text after a quote", directive: `log_format main '$status'x;`, err: `unexpected 'x' after a quoted string`},
		{name: "two directives", directive: `log_format a '$status'; log_format b '$status';`, err: "text after the final ;"},
		{name: "a block", directive: `log_format a '$status' {`, err: "unexpected {"},
		{name: "bad variable", directive: `log_format a 'x $ y';`, err: "invalid variable name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseLogFormatDirective(tc.directive)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Name() != tc.wantName || f.Escape() != tc.wantEscape || f.Text() != tc.wantText {
				t.Errorf("got %q %q %q\nwant %q %q %q", f.Name(), f.Escape(), f.Text(), tc.wantName, tc.wantEscape, tc.wantText)
			}
		})
	}
}

// TestParseLogFormatDirectiveParses checks a directive end to end: the
// format from nginx.conf parses the line nginx wrote with it.
func TestParseLogFormatDirectiveParses(t *testing.T) {
	f, err := ParseLogFormatDirective(`log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';`)
	if err != nil {
		t.Fatal(err)
	}
	var a patterns.AccessLine
	if err := f.Parse([]byte(`172.17.0.1 - - [29/May/2017:19:02:48 +0000] "GET /x HTTP/1.1" 404 612 "-" "Mozilla/5.0" "198.51.100.7"`), &a); err != nil || string(a.XForwardedFor) != "198.51.100.7" {
		t.Fatalf("%v %+v", err, a.Access())
	}
}

func names(fs []*patterns.AccessFormat) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name()+"/"+f.Escape())
	}
	return out
}

// TestReadLogFormatsTestdata reads the conf tree in testdata/nginxconf.
func TestReadLogFormatsTestdata(t *testing.T) {
	fs, err := ReadLogFormats("testdata/nginxconf/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"logcause/default", "main/default", "upstreaminfo/default", "json_combined/json"}
	if got := names(fs); !reflect.DeepEqual(got, want) {
		t.Fatalf("formats %v, want %v", got, want)
	}
	builtin := patterns.BuiltinAccessFormats()
	for i, b := range []*patterns.AccessFormat{builtin[0], builtin[2], builtin[1]} {
		if fs[i].Text() != b.Text() {
			t.Errorf("%s: text\n%q\nwant the built-in's\n%q", fs[i].Name(), fs[i].Text(), b.Text())
		}
	}
	// The user's formats are tried first: the JSON one wins on its lines.
	lines := [][]byte{[]byte(`{"time":"2026-11-23T14:02:10+01:00","remote_addr":"192.0.2.1","request":"GET /x.php HTTP/1.1","status": 502,"request_time":0.001,"upstream_status":"502","upstream_addr":"unix:/run/php/php8.2-fpm.sock","http_user_agent":"curl/8.0"}`)}
	f, ok := patterns.DetectAccessFormat(lines, fs)
	if !ok || f.Name() != "json_combined" {
		t.Fatalf("DetectAccessFormat = %v %v", f, ok)
	}
	var a patterns.AccessLine
	if err := f.Parse(lines[0], &a); err != nil || a.Status != 502 || a.LastUpstreamStatus() != 502 || string(a.URI) != "/x.php" {
		t.Errorf("%v %+v", err, a.Access())
	}
}

// writeTree writes files (path → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadLogFormats(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
		err   []string // parts of the error
	}{
		{
			name: "includes: globs in order, relative to the main conf's directory, nested, absolute",
			files: map[string]string{
				"nginx.conf":         "http {\n log_format a '$status';\n include sites/*.conf;\n include extra/b.conf;\n include ABS;\n}\n",
				"sites/2.conf":       "server { include snippets/log.conf; }\n",
				"sites/1.conf":       "log_format one '[$time_local] $status';\n",
				"sites/readme.txt":   "not read",
				"sites/dir.conf/x":   "a directory matched by the glob is skipped",
				"snippets/log.conf":  "log_format two escape=none \"$status\";\n",
				"extra/b.conf":       "log_format b escape=json '{\"s\":$status}';",
				"elsewhere/abs.conf": "log_format abs '$status';",
			},
			want: []string{"a/default", "one/default", "two/none", "b/json", "abs/default"},
		},
		{
			name:  "glob matching nothing",
			files: map[string]string{"nginx.conf": "include conf.d/*.conf;\nlog_format a '$status';\n"},
			want:  []string{"a/default"},
		},
		{
			name:  "missing include",
			files: map[string]string{"nginx.conf": "http {\n\n include missing.conf;\n}\n"},
			err:   []string{"cannot read nginx config", "missing.conf", "included from", "nginx.conf:3", "no such file"},
		},
		{
			name:  "include of a directory",
			files: map[string]string{"nginx.conf": "include sub;\n", "sub/a.conf": ""},
			err:   []string{"sub (included from", "is a directory"},
		},
		{
			name:  "include cycle",
			files: map[string]string{"nginx.conf": "include a.conf;\n", "a.conf": "include b.conf;\n", "b.conf": "include a.conf;\n"},
			err:   []string{"nested deeper than 16"},
		},
		{
			name:  "bad format in an included file",
			files: map[string]string{"nginx.conf": "include a.conf;\n", "a.conf": "\n\nlog_format bad 'x $';\n"},
			err:   []string{"a.conf:3", "log_format bad: invalid variable name"},
		},
		{
			name:  "duplicate name",
			files: map[string]string{"nginx.conf": "log_format a '$status';\ninclude a.conf;\n", "a.conf": "log_format a '$status';\n"},
			err:   []string{"a.conf:1", `duplicate log_format name "a"`, "nginx.conf:1"},
		},
		{
			name:  "combined redefined",
			files: map[string]string{"nginx.conf": "log_format combined '$status';\n"},
			err:   []string{"combined is built in"},
		},
		{
			name:  "unbalanced braces",
			files: map[string]string{"nginx.conf": "http {\n log_format a '$status';\n"},
			err:   []string{"unexpected end of file, expecting }"},
		},
		{
			name:  "unexpected }",
			files: map[string]string{"nginx.conf": "}\n"},
			err:   []string{"nginx.conf:1: unexpected }"},
		},
		{
			name:  "directive without ;",
			files: map[string]string{"nginx.conf": "http {\n log_format a '$status'\n}\n"},
			err:   []string{"has no ;"},
		},
		{
			name:  "include with two arguments",
			files: map[string]string{"nginx.conf": "include a b;\n"},
			err:   []string{"include takes one file name or pattern"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for p, c := range tc.files {
				files[p] = strings.ReplaceAll(c, "ABS", filepath.Join(dir, "elsewhere", "abs.conf"))
			}
			writeTree(t, dir, files)
			fs, err := ReadLogFormats(filepath.Join(dir, "nginx.conf"))
			if tc.err != nil {
				if err == nil {
					t.Fatalf("no error; formats %v", names(fs))
				}
				for _, part := range tc.err {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("error %q does not contain %q", err, part)
					}
				}
				if fs != nil {
					t.Errorf("formats returned with an error: %v", names(fs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(fs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("formats %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := ReadLogFormats(filepath.Join(t.TempDir(), "nope.conf")); err == nil || !strings.Contains(err.Error(), "nope.conf") {
		t.Errorf("missing main conf: %v", err)
	}
}

// TestReadLogFormatsUnreadable checks that an included file that cannot be
// read is an error naming it. A directory where the file should be fails
// for every user, root included; a file without read permission is tested
// as an unprivileged user by cmd/logcause's root suite.
func TestReadLogFormatsUnreadable(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"nginx.conf": "include conf.d/secret.conf;\n"})
	if err := os.MkdirAll(filepath.Join(dir, "conf.d/secret.conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := ReadLogFormats(filepath.Join(dir, "nginx.conf"))
	if err == nil || !strings.Contains(err.Error(), "secret.conf") {
		t.Errorf("error %v", err)
	}
}

func TestConfLexer(t *testing.T) {
	src := "a 'b c' \"d\\\"e\" f\\;g ${h}i {\n#x;\n} j#k ;"
	l := newConfLexer(src)
	var got []string
	for {
		tok, err := l.next()
		if err != nil {
			break
		}
		if tok.punct != 0 {
			got = append(got, string(tok.punct))
		} else {
			got = append(got, tok.text)
		}
	}
	want := []string{"a", "b c", `d"e`, `f\;g`, "${h}i", "{", "}", "j#k", ";"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tokens %q, want %q", got, want)
	}
}

// FuzzLogFormatString checks that a compiled format's String is a
// log_format directive that ParseLogFormatDirective reads back to the same
// format.
func FuzzLogFormatString(f *testing.F) {
	for _, b := range patterns.BuiltinAccessFormats() {
		f.Add(b.Text(), "")
	}
	f.Add(`{"a":"$remote_addr",'t':"${time_iso8601}"}`, "json")
	f.Add("${a}${b}$c$d x", "none")
	f.Add("'\"\\\n\t\r#;{}", "")
	f.Add("$", "")
	f.Fuzz(func(t *testing.T, text, escape string) {
		ft, err := patterns.CompileLogFormat("f", escape, text)
		if err != nil {
			return
		}
		g, err := ParseLogFormatDirective(ft.String())
		if err != nil || g.Name() != "f" || g.Text() != text || g.Escape() != ft.Escape() {
			t.Fatalf("String() = %s does not round-trip: %v", ft.String(), err)
		}
	})
}
