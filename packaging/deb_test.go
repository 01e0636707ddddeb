//go:build deb

package packaging_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The paths the package installs, the unit's and the maintainer
// scripts' (nfpm.yaml, deb/).
const (
	binary   = "/usr/bin/logcause"
	unit     = "/lib/systemd/system/logcause.service"
	conffile = "/etc/logcause/config.yaml"
	stateDir = "/var/lib/logcause"
	enabled  = "/etc/systemd/system/multi-user.target.wants/logcause.service"
	masked   = "/etc/systemd/system/logcause.service"
)

// hangGuard fails a wait that would otherwise hang the CI run; it paces
// nothing: each wait ends on an event (a notification of the daemon).
const hangGuard = 3 * time.Minute

// The logs watch reads: a real capture (nginx + php-fpm, fpm-stopped).
var captured = map[string]int{"access.log": 300, "error.log": 89, "php-fpm.log": 10} // records in each

// TestInstalledPackage builds the packages (make release), installs the
// one of this machine's architecture with apt, checks the files, the
// user, the unit, the man pages and the completions, runs watch as the
// user the unit runs it as on logs that only group adm may read, then
// upgrades to a newer build with an edited conffile (the new binary goes
// on in the kept store), removes and purges.
func TestInstalledPackage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the installed-package test installs a Debian package: run it as root (.ci/run does)")
	}
	if st := pkgStatus(); st != "" {
		t.Fatalf("logcause is installed here already (%s): dpkg -P logcause first", st)
	}
	if _, err := user.Lookup("logcause"); err == nil {
		t.Fatal("a user logcause exists already: the test proves that the package creates it; `deluser --system logcause` first")
	}
	for _, p := range []string{stateDir, filepath.Dir(conffile)} {
		if _, err := os.Lstat(p); err == nil {
			t.Fatalf("%s exists already: the test proves that the package makes it and a purge removes it; remove it first", p)
		}
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	arch := strings.TrimSpace(run(t, "", "dpkg", "--print-architecture"))
	v1 := strings.TrimSpace(run(t, repo, "packaging/version.sh"))
	v2 := v1 + ".1" // a rebuild to upgrade to
	run(t, "", "dpkg", "--compare-versions", v2, "gt", v1)

	t.Logf("make release VERSION=%s, then the %s package of %s", v1, arch, v2)
	run(t, repo, "make", "release", "VERSION="+v1)
	dist := filepath.Join(repo, "dist")
	run(t, dist, "sha256sum", "--check", "--strict", "SHA256SUMS")
	checkTarball(t, dist, v1, arch)
	for _, a := range []string{"amd64", "arm64"} {
		t.Log(run(t, dist, "lintian", "--fail-on", "error", "--tag-display-limit", "0", "logcause_"+v1+"_"+a+".deb"))
	}
	run(t, repo, "make", "deb", "VERSION="+v2, "ARCHES="+arch)
	deb1 := filepath.Join(dist, "logcause_"+v1+"_"+arch+".deb")
	deb2 := filepath.Join(dist, "logcause_"+v2+"_"+arch+".deb")

	t.Cleanup(func() {
		if pkgStatus() != "" {
			_, _ = exec.Command("dpkg", "--purge", "logcause").CombinedOutput()
		}
		if _, err := user.Lookup("logcause"); err == nil {
			if out, err := exec.Command("deluser", "--system", "logcause").CombinedOutput(); err != nil {
				t.Errorf("cannot delete the user logcause: %v\n%s", err, out)
			}
			_, _ = exec.Command("delgroup", "--system", "logcause").CombinedOutput()
		}
	})

	t.Log("apt-get install ./logcause_*.deb")
	run(t, "", "apt-get", "install", "-y", "--no-install-recommends", deb1)
	checkInstalled(t, v1)

	logs, edited := watchTheCapture(t)

	t.Logf("upgrade to %s with the conffile edited", v2)
	run(t, "", "dpkg", "--install", deb2) // stdin is not a terminal: a conffile prompt fails the install
	if got := readFile(t, conffile); got != edited {
		t.Errorf("the upgrade replaced the edited conffile:\n%s", got)
	}
	if out := run(t, "", binary, "version"); !strings.HasPrefix(out, "logcause "+v2+"\n") {
		t.Errorf("after the upgrade, logcause version says\n%s", out)
	}
	mustExist(t, filepath.Join(stateDir, "MANIFEST"), enabled)

	// The new binary goes on in the kept store where the old one stopped:
	// only what was written since is read.
	access := readFile(t, filepath.Join(logs, "access.log"))
	more := strings.Join(strings.SplitAfter(access, "\n")[:50], "")
	f, err := os.OpenFile(filepath.Join(logs, "access.log"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(more); err != nil {
		t.Fatal(err)
	}
	f.Close()
	w := startWatch(t)
	w.await(t, logs, map[string]int{"access.log": 50, "error.log": 0, "php-fpm.log": 0})
	w.stop(t)

	t.Log("dpkg -r: the store and the conffile stay")
	run(t, "", "dpkg", "--remove", "logcause")
	if st := pkgStatus(); st != "deinstall ok config-files" {
		t.Errorf("after dpkg -r, status %q", st)
	}
	mustBeGone(t, binary, unit, "/usr/share/man/man1/logcause.1.gz")
	mustExist(t, filepath.Join(stateDir, "MANIFEST"), conffile)
	if got := readFile(t, conffile); got != edited {
		t.Errorf("dpkg -r changed the conffile")
	}

	t.Log("dpkg -P: the store, the config and the unit's links go")
	run(t, "", "dpkg", "--purge", "logcause")
	if st := pkgStatus(); st != "" {
		t.Errorf("after dpkg -P, status %q", st)
	}
	mustBeGone(t, stateDir, conffile, filepath.Dir(conffile), enabled, masked)
	mustExist(t, logs) // the logs are no business of the package
}

// checkInstalled checks what apt installed: the files, the user and the
// store, the unit, the version, the man pages, the completions.
func checkInstalled(t *testing.T, version string) {
	t.Helper()
	mustExist(t, binary, unit, conffile, "/usr/share/doc/logcause/copyright", "/usr/share/doc/logcause/changelog.gz",
		"/usr/share/man/man1/logcause.1.gz", "/usr/share/man/man1/logcause-watch.1.gz", "/usr/share/man/man1/logcause-config-example.1.gz",
		"/usr/share/bash-completion/completions/logcause", "/usr/share/zsh/vendor-completions/_logcause",
		"/usr/share/fish/vendor_completions.d/logcause.fish")
	if fi, err := os.Stat(binary); err == nil && fi.Mode().Perm() != 0o755 {
		t.Errorf("%s: mode %v, want 0755", binary, fi.Mode())
	}
	if cf := run(t, "", "dpkg-query", "--show", "--showformat=${Conffiles}", "logcause"); !strings.Contains(cf, conffile+" ") {
		t.Errorf("%s is no conffile: %q", conffile, cf)
	}
	if example := run(t, "", binary, "config", "example"); readFile(t, conffile) != example {
		t.Errorf("%s is not `logcause config example`", conffile)
	}
	run(t, "", binary, "config", "check", conffile)

	// The system user, in group adm, owns the store.
	u, err := user.Lookup("logcause")
	if err != nil {
		t.Fatalf("no user logcause: %v", err)
	}
	if groups := strings.Fields(run(t, "", "id", "-nG", "logcause")); !slices.Contains(groups, "adm") || !slices.Contains(groups, "logcause") {
		t.Errorf("logcause is in the groups %v, want adm and logcause", groups)
	}
	if pw := run(t, "", "getent", "passwd", "logcause"); !strings.HasSuffix(strings.TrimSpace(pw), ":"+stateDir+":/usr/sbin/nologin") {
		t.Errorf("passwd entry %q: want home %s, shell nologin", pw, stateDir)
	}
	fi, err := os.Stat(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); fmt.Sprint(st.Uid) != u.Uid || fi.Mode().Perm() != 0o750 || !fi.IsDir() {
		t.Errorf("%s: uid %d mode %v, want %s and 0750", stateDir, st.Uid, fi.Mode(), u.Uid)
	}

	// Enabled for the boot (no systemd runs here: nothing is started).
	if target, err := os.Readlink(enabled); err != nil || target != unit {
		t.Errorf("the unit is not enabled: %s -> %q (%v)", enabled, target, err)
	}
	run(t, "", "systemd-analyze", "verify", unit)

	out := run(t, "", binary, "version")
	head := run(t, "..", "git", "rev-parse", "HEAD")
	if lines := strings.Split(out, "\n"); lines[0] != "logcause "+version || !strings.HasPrefix(lines[1], "commit  "+strings.TrimSpace(head)) ||
		!strings.HasPrefix(lines[3], "go      "+runtime.Version()) {
		t.Errorf("logcause version says\n%s\nwant %s, commit %s", out, version, head)
	}

	if where := strings.TrimSpace(run(t, "", "man", "-w", "logcause")); where != "/usr/share/man/man1/logcause.1.gz" {
		t.Errorf("man -w logcause: %q", where)
	}
	if page := run(t, "", "man", "-P", "cat", "logcause-watch"); !strings.Contains(page, "logcause watch [flags] [PATH...]") || !strings.Contains(page, "--from-start") {
		t.Errorf("man logcause-watch:\n%s", page)
	}

	// Completions: bash loads them; the binary answers them.
	if c := run(t, "", "bash", "-c", ". /usr/share/bash-completion/completions/logcause && complete -p logcause"); !strings.Contains(c, "logcause") {
		t.Errorf("bash: %q", c)
	}
	if c := run(t, "", binary, "__complete", "con"); !strings.HasPrefix(c, "config\t") {
		t.Errorf("logcause __complete con: %q", c)
	}
	if z := readFile(t, "/usr/share/zsh/vendor-completions/_logcause"); !strings.HasPrefix(z, "#compdef logcause") {
		t.Errorf("zsh completion starts %q", z[:min(len(z), 40)])
	}
}

// watchTheCapture points the conffile at a copy of a real capture that
// only group adm may read, runs the unit's ExecStart as the unit's user
// (--from-start: the capture is written already), waits until it read
// every record, and stops it. It returns the logs' directory and the
// edited conffile.
func watchTheCapture(t *testing.T) (logs, edited string) {
	t.Helper()
	work, err := os.MkdirTemp("", "logcause-deb-test") // t.TempDir's parent is closed to the daemon's user
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	if err := os.Chmod(work, 0o755); err != nil {
		t.Fatal(err)
	}
	logs = filepath.Join(work, "logs")
	if err := os.Mkdir(logs, 0o750); err != nil {
		t.Fatal(err)
	}
	run(t, "", "chgrp", "adm", logs)
	for name := range captured {
		p := filepath.Join(logs, name)
		data, err := os.ReadFile(filepath.Join("..", "testdata", "scenarios", "fpm-stopped", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o640); err != nil {
			t.Fatal(err)
		}
		run(t, "", "chgrp", "adm", p)
	}
	// Readable by adm only: another system user may not.
	if out, err := exec.Command("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat", filepath.Join(logs, "error.log")).CombinedOutput(); err == nil {
		t.Fatalf("nobody reads the logs: the test would prove nothing about adm\n%.200s", out)
	}

	// The edit: these logs, and the API on a socket of this test's own
	// (no port shared with the machine's other services).
	sock := filepath.Join(work, "api")
	if err := os.Mkdir(sock, 0o700); err != nil {
		t.Fatal(err)
	}
	run(t, "", "chown", "logcause:logcause", sock)
	edited = replaceOnce(t, readFile(t, conffile), `(?m)^sources:\n(  - path: .*\n)+`, "sources:\n  - path: "+logs+"\n")
	edited = replaceOnce(t, edited, `(?m)^listen: .*$`, "listen: unix:"+filepath.Join(sock, "api.sock"))
	if err := os.WriteFile(conffile, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "", binary, "config", "check", conffile)

	w := startWatch(t, "--from-start")
	w.await(t, logs, captured)
	t.Logf("watch read the capture:\n%s", run(t, "", binary, "status", "--config", conffile))
	w.stop(t)
	mustExist(t, filepath.Join(stateDir, "MANIFEST"))
	return logs, edited
}

// watchRun is `logcause watch` started as the unit starts it.
type watchRun struct {
	cmd     *exec.Cmd
	out     bytes.Buffer // its stdout and stderr; read once it exited
	exited  chan error
	notify  notifySocket
	stopped bool
}

// startWatch runs the unit's ExecStart= line, with args after it, as
// the unit's user and groups, told where to notify as systemd would.
func startWatch(t *testing.T, args ...string) *watchRun {
	t.Helper()
	m := regexp.MustCompile(`(?m)^ExecStart=(.*)$`).FindStringSubmatch(readFile(t, unit))
	if m == nil {
		t.Fatalf("%s has no ExecStart=", unit)
	}
	w := &watchRun{exited: make(chan error, 1), notify: listenNotify(t)}
	line := append(strings.Fields(m[1]), args...)
	w.cmd = exec.Command("setpriv", append([]string{"--reuid=logcause", "--regid=logcause", "--init-groups", "--"}, line...)...)
	w.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+w.notify.name, "WATCHDOG_USEC=1000000")
	w.cmd.Stdout, w.cmd.Stderr = &w.out, &w.out
	t.Logf("as logcause: %s", strings.Join(line, " "))
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.exited <- w.cmd.Wait() }()
	t.Cleanup(func() {
		if !w.stopped {
			_ = w.cmd.Process.Kill()
			<-w.exited
		}
	})
	return w
}

// await returns once the daemon's status (`logcause status`, as its
// user) shows the records of want read from each file under logs since
// it started, every one parsed, none left behind. It looks at each
// notification (READY=1, then the watchdog's pings every 0.5 s): a turn
// of the daemon's committing loop.
func (w *watchRun) await(t *testing.T, logs string, want map[string]int) {
	t.Helper()
	hung := time.After(hangGuard)
	files := make(map[string]int, len(want))
	for name, n := range want {
		files[filepath.Join(logs, name)] = n
	}
	var status string
	for {
		select {
		case <-w.notify.msgs:
		case err := <-w.exited:
			w.stopped = true
			t.Fatalf("watch exited: %v\n%s", err, w.out.String())
		case <-hung:
			_ = w.cmd.Process.Kill()
			<-w.exited
			w.stopped = true
			t.Fatalf("watch did not read %v; status:\n%s\nits log:\n%s", want, status, w.out.String())
		}
		out, err := exec.Command("setpriv", "--reuid=logcause", "--regid=logcause", "--init-groups", "--",
			binary, "status", "--config", conffile, "--format", "json").Output()
		status = string(out)
		if err == nil && readAll(t, status, files) {
			return
		}
	}
}

// stop stops the daemon as systemd does (SIGTERM): it must exit 0.
func (w *watchRun) stop(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	w.stopped = true
	if err := <-w.exited; err != nil {
		t.Fatalf("watch stopped with %v\n%s", err, w.out.String())
	}
	if !strings.Contains(w.out.String(), "msg=stopped") {
		t.Errorf("watch's log does not say it stopped:\n%s", w.out.String())
	}
}

// readAll says whether the daemon's JSON status shows want's records
// (by path) read from each file, every one parsed, the files read to
// their end. A file followed that want does not name fails the test.
func readAll(t *testing.T, status string, want map[string]int) bool {
	var st struct {
		Files []struct {
			Path              string
			Records, Unparsed int
			Behind            int64
		}
	}
	if err := json.Unmarshal([]byte(status), &st); err != nil {
		return false
	}
	done := 0
	for _, f := range st.Files {
		n, ok := want[f.Path]
		if !ok {
			t.Fatalf("watch follows %s, not a file of the capture", f.Path)
		}
		if f.Records > n {
			t.Fatalf("watch read %d records of %s since it started, more than the %d written: a line read twice", f.Records, f.Path, n)
		}
		if f.Records == n && f.Unparsed == 0 && f.Behind == 0 {
			done++
		}
	}
	return done == len(want)
}

type notifySocket struct {
	name string
	msgs chan string
}

// listenNotify listens as systemd does for the daemon's notifications,
// on an abstract socket (no file the daemon's user must be allowed to
// write).
func listenNotify(t *testing.T) notifySocket {
	t.Helper()
	name := fmt.Sprintf("@logcause-deb-test-%d-%d", os.Getpid(), time.Now().UnixNano()) // one per start
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "\x00" + name[1:], Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	s := notifySocket{name: name, msgs: make(chan string, 1)}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return // closed
			}
			select {
			case s.msgs <- string(buf[:n]):
			default: // nobody waits: the next look sees as much
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); wg.Wait() })
	return s
}

func checkTarball(t *testing.T, dist, version, arch string) {
	t.Helper()
	name := "logcause_" + version + "_linux_" + arch
	list := run(t, dist, "tar", "-tzf", name+".tar.gz")
	for _, f := range []string{"logcause", "logcause.service", "config.yaml", "README.md", "man/man1/logcause.1.gz", "man/man1/logcause-watch.1.gz",
		"completions/logcause.bash", "completions/_logcause", "completions/logcause.fish", "copyright"} {
		if !strings.Contains(list, name+"/"+f+"\n") {
			t.Errorf("%s.tar.gz has no %s:\n%s", name, f, list)
		}
	}
	dir := t.TempDir()
	run(t, dir, "tar", "-xzf", filepath.Join(dist, name+".tar.gz"))
	if out := run(t, "", filepath.Join(dir, name, "logcause"), "version"); !strings.HasPrefix(out, "logcause "+version+"\n") {
		t.Errorf("the tarball's logcause version:\n%s", out)
	}
}

// pkgStatus is dpkg's status of the package, "" when dpkg knows none.
func pkgStatus() string {
	out, err := exec.Command("dpkg-query", "--show", "--showformat=${Status}", "logcause").Output()
	if err != nil || strings.Contains(string(out), "not-installed") {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// run runs a command in dir ("": here) with no input and returns its
// output; it fails the test when the command fails.
func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C.UTF-8", "MANWIDTH=100")
	return output(t, cmd)
}

// output runs cmd with no input and returns its output; it fails the
// test when the command fails.
func output(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", strings.Join(cmd.Args, " "), err, out, stderr.String())
	}
	return string(out)
}

func replaceOnce(t *testing.T, s, pattern, with string) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	if n := len(re.FindAllStringIndex(s, -1)); n != 1 {
		t.Fatalf("%d matches of %s in the conffile, want 1", n, pattern)
	}
	return re.ReplaceAllLiteralString(s, with)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func mustExist(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("missing: %v", err)
		}
	}
}

func mustBeGone(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("still there: %s", p)
		}
	}
}
