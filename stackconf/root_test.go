package stackconf

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseLogFormatDirectives(t *testing.T) {
	fs, err := ParseLogFormatDirectives([]string{
		"log_format shop '$time_iso8601|$status';",
		"log_format api escape=json '{\"s\":$status}';",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(fs), []string{"shop/default", "api/json"}; !reflect.DeepEqual(got, want) {
		t.Errorf("formats %v, want %v, in the order given", got, want)
	}
	fs, err = ParseLogFormatDirectives([]string{"log_format shop '$status';", "log_format broken '$status"})
	if err == nil || fs != nil || !strings.HasPrefix(err.Error(), `invalid log_format "log_format broken '$status": `) {
		t.Errorf("a directive that does not compile: %v %v", names(fs), err)
	}
	if fs, err := ParseLogFormatDirectives(nil); fs != nil || err != nil {
		t.Errorf("none: %v %v", fs, err)
	}
}

// captureLog sends the default logger to a buffer, at Debug, for the test.
func captureLog(t *testing.T) *bytes.Buffer {
	var b bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &b
}

func TestLogFormatsUnder(t *testing.T) {
	const shop = "log_format shop '$time_iso8601|$status';\n"
	root, other := t.TempDir(), t.TempDir()
	writeTree(t, root, map[string]string{defaultNginxConf: "include conf.d/*.conf;\n", "etc/nginx/conf.d/shop.conf": shop})
	writeTree(t, other, map[string]string{"nginx.conf": "log_format other '$status';\n"})

	logged := captureLog(t)
	fs, err := LogFormatsUnder(root, "")
	if got := names(fs); err != nil || !reflect.DeepEqual(got, []string{"shop/default"}) {
		t.Errorf("the root's nginx.conf: %v %v", got, err)
	}
	fs, err = LogFormatsUnder(root, filepath.Join(other, "nginx.conf"))
	if got := names(fs); err != nil || !reflect.DeepEqual(got, []string{"other/default"}) {
		t.Errorf("the nginx.conf given wins over the root's: %v %v", got, err)
	}
	if fs, err := LogFormatsUnder(t.TempDir(), ""); fs != nil || err != nil {
		t.Errorf("a root without nginx.conf: %v %v", names(fs), err)
	}
	if logged.Len() != 0 {
		t.Errorf("logged %q", logged)
	}

	missing := filepath.Join(other, "missing.conf")
	if fs, err := LogFormatsUnder(root, missing); fs != nil || err == nil || !strings.HasPrefix(err.Error(), "cannot read the log formats of "+missing+": ") {
		t.Errorf("an nginx.conf given that cannot be read: %v %v", names(fs), err)
	}

	// The root's own, not asked for, that does not read: a warning, no error.
	writeTree(t, root, map[string]string{"etc/nginx/conf.d/dup.conf": shop})
	if fs, err := LogFormatsUnder(root, ""); fs != nil || err != nil {
		t.Errorf("the root's nginx.conf that does not read: %v %v", names(fs), err)
	}
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "duplicate log_format name") {
		t.Errorf("no warning: %q", logged)
	}
}

func TestReadRootLogsItsProblems(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{defaultNginxConf: "http {\n"})
	logged := captureLog(t)
	sc := ReadRoot(root)
	if sc == nil || sc.Root != root || len(sc.Problems) == 0 {
		t.Fatalf("ReadRoot(%s) = %+v", root, sc)
	}
	if !strings.Contains(logged.String(), "level=DEBUG msg=\"server configuration\" problem=") {
		t.Errorf("the problems are not logged: %q", logged)
	}
}
