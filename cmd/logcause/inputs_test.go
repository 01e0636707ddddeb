package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/internal/testarchive"
)

// asCLI, set in the environment, makes the test binary run as logcause
// itself (TestMain): runDenied runs it so as another user.
const asCLI = "LOGCAUSE_TEST_AS_CLI"

// openDir returns a new directory that every user may enter and list, for
// the files a test runs logcause on as another user.
func openDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "logcause-inputs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runDenied makes the paths denied unreadable (mode 0) and runs logcause
// as a user they are denied to: the tests' own user, or nobody when the
// tests run as root, which reads every file whatever its mode. The paths
// must be under openDir directories.
func runDenied(t *testing.T, denied []string, args ...string) (int, string, string) {
	t.Helper()
	for _, p := range denied {
		if err := os.Chmod(p, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(p, 0o755) })
	}
	if os.Geteuid() != 0 {
		return runCmd(t, args...)
	}
	// Root: this test binary, copied where nobody may run it, runs as
	// logcause as nobody.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := openDir(t)
	bin := filepath.Join(dir, "logcause")
	copyFile(t, self, bin)
	tmp := filepath.Join(dir, "tmp") // the temporary store is made here
	if err := os.Mkdir(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(tmp, 0o777)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{asCLI + "=1", "TMPDIR=" + tmp, "HOME=" + tmp, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return exitOK, out.String(), errb.String()
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode(), out.String(), errb.String()
	}
	t.Fatalf("cannot run logcause as nobody: %v: %s", err, errb.String())
	return 0, "", ""
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// analyzeJSON runs `logcause analyze --format json` on args and returns
// its exit status, its report (empty when it printed none) and stderr.
func analyzeJSON(t *testing.T, args ...string) (int, analyze.Result, string) {
	t.Helper()
	code, out, errs := runCmd(t, append([]string{"analyze", "--format", "json"}, args...)...)
	var res analyze.Result
	if out != "" {
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("invalid JSON: %v\n%s", err, out)
		}
	}
	return code, res, errs
}

// inputCase is a run of `logcause analyze --format json` on input that is
// partly bad, and what it must give.
type inputCase struct {
	name   string
	denied []string // made unreadable for the run (runDenied)
	args   []string
	code   int
	stderr []string // each is on stderr; none: stderr is empty
	report bool     // the report of writeLogs' incident is printed
}

func checkInputs(t *testing.T, cases []inputCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"analyze", "--format", "json"}, tc.args...)
			var code int
			var out, errs string
			if len(tc.denied) > 0 {
				code, out, errs = runDenied(t, tc.denied, args...)
				defer func() {
					for _, p := range tc.denied {
						os.Chmod(p, 0o755)
					}
				}()
			} else {
				code, out, errs = runCmd(t, args...)
			}
			if code != tc.code || (len(tc.stderr) == 0 && errs != "") {
				t.Errorf("exit %d, stderr %q; want exit %d", code, errs, tc.code)
			}
			for _, w := range tc.stderr {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
			if tc.report && !strings.Contains(out, `"root_cause": "fpm_worker_exhaustion"`) {
				t.Errorf("no report of the logs that could be read:\n%s", out)
			}
		})
	}
}

// TestPartialFailureStillReports: whatever could not be read — a missing
// path, a pattern the shell passed on because it matched nothing, a file
// or a directory that may not be read, named or met while walking — the
// report of the rest is printed, each problem is on stderr, and the exit
// status is 1.
func TestPartialFailureStillReports(t *testing.T) {
	good := openDir(t)
	writeLogs(t, good)
	other := openDir(t)
	secret := filepath.Join(other, "php8.2-fpm.log")
	os.WriteFile(secret, []byte("[23-Nov-2026 14:00:49] NOTICE: ready to handle connections\n"), 0o644)
	locked := filepath.Join(good, "archive")
	os.Mkdir(locked, 0o755)
	os.WriteFile(filepath.Join(locked, "access.log.1"), nil, 0o644)
	walkedSecret := filepath.Join(good, "notes.txt")
	os.WriteFile(walkedSecret, []byte("not a log\n"), 0o644)
	glob := filepath.Join(other, "php8.1-fpm.log*")

	checkInputs(t, []inputCase{
		{"missing path", nil, []string{good, "/no/such/dir"}, exitRuntime, []string{"cannot read /no/such/dir: no such file or directory"}, true},
		{"pattern that matches nothing", nil, []string{good, glob}, exitRuntime, []string{"cannot read " + glob + ": no file matches this pattern"}, true},
		{"unreadable file named", []string{secret}, []string{good, secret}, exitRuntime, []string{"cannot open " + secret + ": open " + secret + ": permission denied", "adm group"}, true},
		{"unreadable file met while walking", []string{walkedSecret}, []string{good}, exitRuntime, []string{"cannot open " + walkedSecret + ": open " + walkedSecret + ": permission denied"}, true},
		{"unreadable directory met while walking", []string{locked}, []string{good}, exitRuntime, []string{"cannot read " + locked + ": open " + locked + ": permission denied", "adm group"}, true},
		{"all of them", []string{secret, locked}, []string{"/no/such/dir", good, glob, secret}, exitRuntime, []string{"/no/such/dir", glob, secret, locked}, true},
	})
}

// TestSymlinkNamedIsFollowed: `logcause analyze LINK` reads the logs a
// symlink to a directory, or to a file, leads to.
func TestSymlinkNamedIsFollowed(t *testing.T) {
	logs := t.TempDir()
	writeLogs(t, logs)
	links := t.TempDir()
	dirLink := filepath.Join(links, "logs")
	os.Symlink(logs, dirLink)
	for _, name := range []string{"access.log", "error.log", "php-fpm.log"} {
		os.Symlink(filepath.Join(logs, name), filepath.Join(links, name))
	}
	for name, args := range map[string][]string{
		"directory": {dirLink},
		"files":     {filepath.Join(links, "access.log"), filepath.Join(links, "error.log"), filepath.Join(links, "php-fpm.log")},
	} {
		t.Run(name, func(t *testing.T) {
			code, res, errs := analyzeJSON(t, args...)
			if code != exitOK || errs != "" {
				t.Errorf("exit %d, stderr %s", code, errs)
			}
			if len(res.Incidents) != 1 || res.Incidents[0].RootCause != analyze.FPMWorkerExhaustion || len(res.Sources) != 3 {
				t.Fatalf("incidents %+v, sources %+v", res.Incidents, res.Sources)
			}
			for _, s := range res.Sources {
				if !strings.HasPrefix(s.Path, links+string(filepath.Separator)) {
					t.Errorf("source %s: want it under the name given, %s", s.Path, links)
				}
			}
		})
	}
}

// feedPipe makes a named pipe at path and writes data to every reader
// that opens it, until the test ends: logcause opening it would read a
// log, not block.
func feedPipe(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			w, err := os.OpenFile(path, os.O_WRONLY, 0) // until a reader opens it
			if err != nil || stop.Load() {
				return
			}
			w.Write(data)
			w.Close()
		}
	}()
	t.Cleanup(func() {
		stop.Store(true)
		r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0) // lets the writer's open return
		if err != nil {
			t.Error(err)
			return
		}
		<-done
		r.Close()
	})
}

// TestNotARegularFile: a pipe, a socket or a device named on the command
// line is refused at once, never opened (open blocks on a pipe without a
// writer); one met while walking is skipped with the reason.
func TestNotARegularFile(t *testing.T) {
	good := t.TempDir()
	writeLogs(t, good)
	access, _ := os.ReadFile(filepath.Join(good, "access.log"))
	named := filepath.Join(t.TempDir(), "access.log")
	feedPipe(t, named, access)
	walked := filepath.Join(good, "error.log.1")
	feedPipe(t, walked, access)
	sock := filepath.Join(t.TempDir(), "access.log")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	checkInputs(t, []inputCase{
		{"pipe named", nil, []string{named}, exitRuntime, []string{"cannot read " + named + ": it is a named pipe (FIFO), not a regular file; give logcause the log files"}, false},
		{"pipe named beside logs", nil, []string{good, named}, exitRuntime, []string{"cannot read " + named + ": it is a named pipe (FIFO)"}, true},
		{"socket named", nil, []string{good, sock}, exitRuntime, []string{"cannot read " + sock + ": it is a socket, not a regular file"}, true},
		{"device named", nil, []string{good, "/dev/null"}, exitRuntime, []string{"cannot read /dev/null: it is a character device, not a regular file"}, true},
		{"pipe met while walking", nil, []string{good}, exitOK, []string{"logcause: skipping: " + walked + ": a named pipe (FIFO), not a regular file\n"}, true},
	})
}

// TestSourcesListEveryFileTried: a file that could not be read at all — a
// truncated archive of one block, a file named that is not a log — is in
// the report's sources with its error, in JSON and in the text table.
func TestSourcesListEveryFileTried(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	access, _ := os.ReadFile(filepath.Join(dir, "access.log"))
	z := zstdBytes(t, string(access[:1000])) // one block
	truncated := filepath.Join(dir, "access.log.1.zst")
	os.WriteFile(truncated, z[:len(z)/2], 0o644)
	bin := filepath.Join(t.TempDir(), "x.bin")
	os.WriteFile(bin, []byte{0, 1, 2, 3, 0xff, 0xfe, 0, 0}, 0o644)

	code, res, errs := analyzeJSON(t, dir, bin)
	if code != exitRuntime {
		t.Errorf("exit %d: %s", code, errs)
	}
	if len(res.Sources) != 5 {
		t.Errorf("%d sources, want 5: %+v", len(res.Sources), res.Sources)
	}
	for path, want := range map[string]string{truncated: "the zstd archive is truncated or corrupt", bin: "cannot detect the format of " + bin} {
		if src := sourceOf(res, path); src == nil || !strings.Contains(src.Error, want) {
			t.Errorf("source %s: %+v, want the error %q", path, src, want)
		}
	}

	// The text report: a row of the sources table, then the error.
	_, text, _ := runCmd(t, "analyze", dir, bin)
	_, sources, _ := strings.Cut(text, "\nSources:\n")
	table, problems, _ := strings.Cut(sources, "\n! ")
	for path, want := range map[string]string{truncated: ": cannot read", bin: ": cannot detect"} {
		if !strings.Contains(table, filepath.Base(path)) || !strings.Contains("! "+problems, "! "+path+want) {
			t.Errorf("the text report's sources lack %s and its error:\n%s", path, text)
		}
	}
}

// sourceOf returns the report's source of path, or nil.
func sourceOf(res analyze.Result, path string) *analyze.Source {
	if i := slices.IndexFunc(res.Sources, func(s analyze.Source) bool { return s.Path == path }); i >= 0 {
		return &res.Sources[i]
	}
	return nil
}

// TestConfigurationIsNotALog: configuration files met while walking
// (php-fpm.conf, nginx.conf, my.cnf, a pool file kept by dpkg) are not
// logs and not errors; one named on the command line is an error that
// says what it is.
func TestConfigurationIsNotALog(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	pool := "[www]\nuser = www-data\nlisten = /run/php/php8.2-fpm.sock\npm.max_children = 4\n"
	conf := map[string]string{
		"etc/php/8.2/fpm/php-fpm.conf":             "[global]\nerror_log = /var/log/php8.2-fpm.log\ninclude=/etc/php/8.2/fpm/pool.d/*.conf\n",
		"etc/php/8.2/fpm/pool.d/www.conf":          pool,
		"etc/php/8.2/fpm/pool.d/www.conf.dpkg-old": pool,
		"etc/php/8.2/fpm/php-fpm.log.dpkg-dist":    pool, // named like php-fpm's log: its content says otherwise
		"etc/nginx/nginx.conf":                     "user www-data;\nhttp {\n  access_log /var/log/nginx/access.log;\n}\n",
		"etc/mysql/my.cnf":                         "[mysqld]\nskip-name-resolve\nlog_error = /var/log/mysql/error.log\n",
	}
	for name, text := range conf {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(text), 0o644)
	}
	named := filepath.Join(dir, "etc/php/8.2/fpm/php-fpm.conf")
	checkInputs(t, []inputCase{
		{"a scenario with its configuration beside its logs", nil, []string{"../../testdata/scenarios/upstream-timeout"}, exitOK, nil, false},
		{"configuration met while walking", nil, []string{dir}, exitOK, nil, true},
		{"configuration named", nil, []string{dir, named}, exitRuntime, []string{"cannot detect the format of " + named + ": it holds configuration, not a log"}, true},
	})
}

// TestXZAndBzip2Archives: rotated logs compressed with xz and bzip2, as
// logrotate makes them, give the analysis of the same logs uncompressed;
// a truncated one keeps the records before the damage, with a clear
// error; another compression is named, not taken for a log that does not
// parse.
func TestXZAndBzip2Archives(t *testing.T) {
	plain := t.TempDir()
	writeLogs(t, plain)
	dir := t.TempDir()
	writeLogs(t, dir)
	for name, compress := range map[string]func(testing.TB, []byte) []byte{"access.log": testarchive.XZ, "error.log": testarchive.Bzip2} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		os.Remove(filepath.Join(dir, name))
		ext := map[string]string{"access.log": ".1.xz", "error.log": ".1.bz2"}[name]
		os.WriteFile(filepath.Join(dir, name+ext), compress(t, b), 0o644)
	}
	_, a, _ := analyzeJSON(t, plain)
	code, c, errs := analyzeJSON(t, dir)
	if code != exitOK || len(c.Sources) != 3 || c.Totals.Requests != a.Totals.Requests || len(c.Incidents) != 1 ||
		c.Incidents[0].Causes[0].Summary != a.Incidents[0].Causes[0].Summary {
		t.Errorf("exit %d, %s; xz and bzip2 archives give another analysis:\n%+v\n%+v\nsources %+v", code, errs, a.Incidents, c.Incidents, c.Sources)
	}

	// Earlier days, truncated; and lz4 archives.
	var old strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&old, "127.0.0.1 - - [22/Nov/2026:%02d:%02d:%02d +0100] \"GET /product.php?id=%08x HTTP/1.1\" 200 150 \"-\" \"curl/7.88.1\"\n", i/3600, i/60%60, i%60, uint32(i)*2654435761)
	}
	cut := map[string][]byte{
		"access.log.3.xz":  testarchive.XZ(t, []byte(old.String())),
		"access.log.4.bz2": testarchive.Bzip2(t, []byte(old.String())),
	}
	for name, z := range cut {
		os.WriteFile(filepath.Join(dir, name), z[:len(z)*3/4], 0o644)
	}
	lz4 := []byte{0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x20, 0x00, 0x00, 0x80}
	os.WriteFile(filepath.Join(dir, "access.log.5.lz4"), lz4, 0o644)
	os.WriteFile(filepath.Join(dir, "backup.tar.lz4"), lz4, 0o644) // not named like a log: skipped
	code, res, errs := analyzeJSON(t, dir)
	if code != exitRuntime || len(res.Incidents) != 1 || res.Incidents[0].RootCause != analyze.FPMWorkerExhaustion {
		t.Errorf("exit %d, incidents %+v", code, res.Incidents)
	}
	if strings.Contains(errs, "backup.tar.lz4") {
		t.Errorf("an archive not named like a log, met while walking, is reported:\n%s", errs)
	}
	if want := "cannot read " + filepath.Join(dir, "access.log.5.lz4") + ": unsupported compression: lz4; decompress it (lz4 -d)"; !strings.Contains(errs, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errs)
	}
	for name, compression := range map[string]string{"access.log.3.xz": "xz", "access.log.4.bz2": "bzip2"} {
		p := filepath.Join(dir, name)
		if want := "cannot read " + p + ": the " + compression + " archive is truncated or corrupt after"; !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
		if src := sourceOf(res, p); src == nil || src.Records == 0 || src.Records >= 20000 || src.Error == "" {
			t.Errorf("truncated archive %s: source %+v; want its records before the damage and the error", p, src)
		}
	}
}
