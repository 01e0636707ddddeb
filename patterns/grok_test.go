package patterns

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// grokFormat returns the built-in grok definition of kind k.
func grokFormat(t testing.TB, k Kind) *GrokFormat {
	t.Helper()
	fs, err := BuiltinGrokFormats()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Kind == k {
			return f
		}
	}
	t.Fatalf("no built-in grok format for %s", k)
	return nil
}

// TestGrokDifferential parses real logs with the hand-written scanner and
// with the grok definition of the same format: every record must give the
// same event.
func TestGrokDifferential(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		kind  Kind
		files []string
		loc   *time.Location
	}{
		{KindNginxAccess, []string{"../testdata/demo/access.log", lnavShopAccess, lnavDir + "logfile_access_log.0", lnavDir + "logfile_access_log.1",
			corpusDir + "/elastic-beats/filebeat/module/nginx/access/test/test.log"}, time.UTC},
		{KindNginxError, []string{"../testdata/demo/error.log", corpusDir + "/elastic-beats/filebeat/module/nginx/error/test/error.log"}, paris},
		{KindFPMError, []string{"../testdata/demo/php-fpm.log"}, paris},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			ref := grokFormat(t, tc.kind).Parser(tc.loc)
			fast, err := NewParser(tc.kind, tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, file := range tc.files {
				for _, rec := range frame(tc.kind, readCorpus(t, file)) {
					var a, b Event
					errFast, errRef := fast.Parse(rec.text, &a), ref.Parse(rec.text, &b)
					if (errFast == nil) != (errRef == nil) {
						t.Errorf("%s@%d: scanner err %v, grok err %v:\n%s", filepath.Base(file), rec.offset, errFast, errRef, rec.text)
						continue
					}
					if errFast != nil {
						continue
					}
					n++
					if !reflect.DeepEqual(a, b) {
						t.Errorf("%s@%d differs:\nscanner %s\ngrok    %s", filepath.Base(file), rec.offset, a.AppendJSON(nil), b.AppendJSON(nil))
					}
				}
			}
			if n < 5 {
				t.Fatalf("only %d records compared", n)
			}
			t.Logf("%d records agree", n)
		})
	}
}

func TestUserGrokFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "app.grok")
	os.WriteFile(p, []byte(`# a load balancer's log: "2026-11-23T14:02:10+01:00 10.0.0.1 GET /x 502"
LB_TIME %{TIMESTAMP_ISO8601}
LOGCAUSE_NGINX_ACCESS ^(?<time_iso8601>%{LB_TIME}) %{IP:remote_addr} %{WORD:method} %{NOTSPACE:uri} %{INT:status}$
`), 0o644)
	fs, err := LoadGrokFile(p)
	if err != nil || len(fs) != 1 || fs[0].Kind != KindNginxAccess {
		t.Fatalf("%v %v", fs, err)
	}
	var ev Event
	if err := fs[0].Parser(time.UTC).Parse([]byte("2026-11-23T14:02:10+01:00 10.0.0.1 GET /x 502"), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Access.Status != 502 || ev.Access.URI != "/x" || !ev.Time.Equal(time.Date(2026, 11, 23, 13, 2, 10, 0, time.UTC)) {
		t.Errorf("event %s", ev.AppendJSON(nil))
	}
	if err := fs[0].Parser(time.UTC).Parse([]byte("garbage"), &ev); err == nil {
		t.Error("a line that does not match parsed")
	}
}

func TestGrokFileErrors(t *testing.T) {
	for name, text := range map[string]string{
		"no top pattern":   "FOO %{INT}\n",
		"unknown kind":     "LOGCAUSE_TOMCAT %{GREEDYDATA:message}\n",
		"bad definition":   "LOGCAUSE_NGINX_ACCESS\n",
		"bad regexp":       "LOGCAUSE_NGINX_ACCESS (?<status>[0-9]\n",
		"undefined subpat": "LOGCAUSE_NGINX_ACCESS %{NOPE:status}\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.grok")
			os.WriteFile(p, []byte(text), 0o644)
			_, err := LoadGrokFile(p)
			if err == nil || !strings.Contains(err.Error(), "x.grok") {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if _, err := LoadGrokFile(filepath.Join(t.TempDir(), "missing.grok")); err == nil {
		t.Error("missing file accepted")
	}
}

func FuzzGrokFile(f *testing.F) {
	f.Add("LOGCAUSE_NGINX_ACCESS %{INT:status}\n", "502")
	f.Add("A %{B}\nB %{A}\nLOGCAUSE_FPM_ERROR %{A}", "x")
	f.Fuzz(func(t *testing.T, def, line string) {
		if len(def) > 4096 || len(line) > 4096 {
			return
		}
		fs, err := compileGrok("fuzz.grok", def)
		if err != nil {
			return
		}
		for _, g := range fs {
			var ev Event
			if g.Parser(time.UTC).Parse([]byte(line), &ev) == nil && ev.Kind != g.Kind {
				t.Fatalf("kind %s from a %s format", ev.Kind, g.Kind)
			}
		}
	})
}

// BenchmarkGrokCombined shows why grok is not on the path of built-in
// formats: compare with BenchmarkParseCombined.
func BenchmarkGrokCombined(b *testing.B) {
	lines := physicalLines(readCorpus(b, lnavShopAccess))
	p := grokFormat(b, KindNginxAccess).Parser(time.UTC)
	var size int64
	for _, l := range lines {
		size += int64(len(l)) + 1
	}
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	var ev Event
	i := 0
	for b.Loop() {
		p.Parse(lines[i%len(lines)], &ev)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lines/s")
}
