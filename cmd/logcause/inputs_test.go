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

	for _, tc := range []struct {
		name   string
		denied []string
		args   []string
		want   []string
	}{
		{"missing path", nil, []string{good, "/no/such/dir"}, []string{"cannot read /no/such/dir: no such file or directory"}},
		{"pattern that matches nothing", nil, []string{good, glob}, []string{"cannot read " + glob + ": no file matches this pattern"}},
		{"unreadable file named", []string{secret}, []string{good, secret}, []string{"cannot open " + secret + ": open " + secret + ": permission denied", "adm group"}},
		{"unreadable file met while walking", []string{walkedSecret}, []string{good}, []string{"cannot open " + walkedSecret + ": open " + walkedSecret + ": permission denied"}},
		{"unreadable directory met while walking", []string{locked}, []string{good}, []string{"cannot read " + locked + ": open " + locked + ": permission denied", "adm group"}},
		{"all of them", []string{secret, locked}, []string{"/no/such/dir", good, glob, secret}, []string{"/no/such/dir", glob, secret, locked}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runDenied(t, tc.denied, append([]string{"analyze", "--format", "json"}, tc.args...)...)
			if code != exitRuntime {
				t.Errorf("exit %d, want %d; stderr %s", code, exitRuntime, errs)
			}
			if !strings.Contains(out, `"root_cause": "fpm_worker_exhaustion"`) {
				t.Errorf("no report of the logs that could be read:\n%s\nstderr: %s", out, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
			for _, p := range tc.denied {
				os.Chmod(p, 0o755)
			}
		})
	}
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
			code, out, errs := runCmd(t, append([]string{"analyze", "--format", "json"}, args...)...)
			if code != exitOK || errs != "" {
				t.Errorf("exit %d, stderr %s", code, errs)
			}
			var res analyze.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("%v\n%s", err, out)
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

	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"pipe named", []string{named}, exitRuntime, "cannot read " + named + ": it is a named pipe (FIFO), not a regular file; give logcause the log files"},
		{"pipe named beside logs", []string{good, named}, exitRuntime, "cannot read " + named + ": it is a named pipe (FIFO)"},
		{"socket named", []string{good, sock}, exitRuntime, "cannot read " + sock + ": it is a socket, not a regular file"},
		{"device named", []string{good, "/dev/null"}, exitRuntime, "cannot read /dev/null: it is a character device, not a regular file"},
		{"pipe met while walking", []string{good}, exitOK, "path=" + walked + " reason=\"a named pipe (FIFO), not a regular file\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCmd(t, append([]string{"analyze", "--format", "json"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.msg)
			}
			if len(tc.args) > 1 || tc.args[0] == good {
				var res analyze.Result
				if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Incidents) != 1 {
					t.Errorf("no report of the logs beside it: %v\n%s", err, out)
				}
			}
		})
	}
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

	code, out, errs := runCmd(t, "analyze", "--format", "json", dir, bin)
	if code != exitRuntime {
		t.Errorf("exit %d: %s", code, errs)
	}
	var res analyze.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	errors := map[string]string{}
	for _, s := range res.Sources {
		errors[s.Path] = s.Error
	}
	if len(res.Sources) != 5 {
		t.Errorf("%d sources, want 5: %+v", len(res.Sources), res.Sources)
	}
	for path, want := range map[string]string{truncated: "the zstd archive is truncated or corrupt", bin: "cannot detect the format of " + bin} {
		if !strings.Contains(errors[path], want) {
			t.Errorf("source %s: error %q, want %q", path, errors[path], want)
		}
	}

	_, text, _ := runCmd(t, "analyze", dir, bin)
	for _, want := range []string{"│ " + truncated, "! " + truncated + ": cannot read", "│ " + bin, "! " + bin + ": cannot detect"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
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
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"a scenario with its configuration beside its logs", []string{"../../testdata/scenarios/upstream-timeout"}, exitOK, ""},
		{"configuration met while walking", []string{dir}, exitOK, ""},
		{"configuration named", []string{dir, filepath.Join(dir, "etc/php/8.2/fpm/php-fpm.conf")}, exitRuntime,
			"cannot detect the format of " + filepath.Join(dir, "etc/php/8.2/fpm/php-fpm.conf") + ": it holds configuration, not a log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCmd(t, append([]string{"analyze", "--format", "json"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.msg) || (tc.msg == "" && errs != "") {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.msg)
			}
			var res analyze.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Incidents) != 1 {
				t.Errorf("no report: %v\n%s", err, out)
			}
		})
	}
}

// TestXZAndBzip2Archives: rotated siblings compressed with xz and bzip2,
// as logrotate makes them, give the analysis of the same logs
// uncompressed; a truncated one keeps the records before the damage, with
// a clear error; another compression is named, not taken for a log that
// does not parse.
func TestXZAndBzip2Archives(t *testing.T) {
	whole := t.TempDir()
	writeLogs(t, whole)
	split := t.TempDir()
	writeLogs(t, split)
	b, _ := os.ReadFile(filepath.Join(split, "access.log"))
	lines := strings.SplitAfter(string(b), "\n")
	third := len(lines) / 3
	os.WriteFile(filepath.Join(split, "access.log.2.xz"), testarchive.XZ(t, []byte(strings.Join(lines[:third], ""))), 0o644)
	os.WriteFile(filepath.Join(split, "access.log.1.bz2"), testarchive.Bzip2(t, []byte(strings.Join(lines[third:2*third], ""))), 0o644)
	os.WriteFile(filepath.Join(split, "access.log"), []byte(strings.Join(lines[2*third:], "")), 0o644)

	get := func(dir string, wantCode int) (analyze.Result, string) {
		t.Helper()
		code, out, errs := runCmd(t, "analyze", "--format", "json", dir)
		if code != wantCode {
			t.Fatalf("exit %d, want %d: %s", code, wantCode, errs)
		}
		var res analyze.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return res, errs
	}
	a, _ := get(whole, exitOK)
	s, _ := get(split, exitOK)
	if len(s.Sources) != 5 || s.Totals.Requests != a.Totals.Requests || len(s.Incidents) != 1 ||
		s.Incidents[0].Causes[0].Summary != a.Incidents[0].Causes[0].Summary {
		t.Errorf("xz and bzip2 siblings give another analysis:\n%+v\n%+v\nsources %+v", a.Incidents, s.Incidents, s.Sources)
	}

	// Earlier days, truncated; and an lz4 archive.
	var old strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&old, "127.0.0.1 - - [22/Nov/2026:%02d:%02d:%02d +0100] \"GET /product.php?id=%08x HTTP/1.1\" 200 150 \"-\" \"curl/7.88.1\"\n", i/3600, i/60%60, i%60, uint32(i)*2654435761)
	}
	cut := map[string][]byte{
		"access.log.3.xz":  testarchive.XZ(t, []byte(old.String())),
		"access.log.4.bz2": testarchive.Bzip2(t, []byte(old.String())),
	}
	for name, z := range cut {
		os.WriteFile(filepath.Join(whole, name), z[:len(z)*3/4], 0o644)
	}
	lz4 := filepath.Join(whole, "access.log.5.lz4")
	os.WriteFile(lz4, []byte{0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x20, 0x00, 0x00, 0x80}, 0o644)
	os.WriteFile(filepath.Join(whole, "backup.tar.lz4"), []byte{0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x20, 0x00, 0x00, 0x80}, 0o644) // not named like a log: skipped
	res, errs := get(whole, exitRuntime)
	if strings.Contains(errs, "backup.tar.lz4") {
		t.Errorf("an archive not named like a log, met while walking, is reported:\n%s", errs)
	}
	if len(res.Incidents) != 1 || res.Incidents[0].RootCause != analyze.FPMWorkerExhaustion {
		t.Errorf("incidents %+v", res.Incidents)
	}
	if want := "cannot read " + lz4 + ": unsupported compression: lz4; decompress it (lz4 -d)"; !strings.Contains(errs, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errs)
	}
	for name, compression := range map[string]string{"access.log.3.xz": "xz", "access.log.4.bz2": "bzip2"} {
		p := filepath.Join(whole, name)
		if want := "cannot read " + p + ": the " + compression + " archive is truncated or corrupt after"; !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
		i := slices.IndexFunc(res.Sources, func(s analyze.Source) bool { return s.Path == p })
		if i < 0 || res.Sources[i].Records == 0 || res.Sources[i].Records >= 20000 || res.Sources[i].Error == "" {
			t.Errorf("truncated archive %s in sources %+v: want its records before the damage and the error", p, res.Sources)
		}
	}
}
