//go:build deb

package packaging_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The machine TestBootedPackage boots: Debian 12 as debootstrap makes it
// (minbase: the Essential packages and apt) with systemd as its init,
// dbus, and adduser (priority important: on every Debian machine).
const (
	bootSuite    = "bookworm"
	bootMirror   = "http://deb.debian.org/debian"
	bootPackages = "systemd,systemd-sysv,dbus,adduser"
	// Where the machine's root is kept between runs (a debootstrap takes
	// a minute). A run never writes into it: --volatile=overlay.
	rootfsCache = "/var/cache/logcause-test"
)

// TestBootedPackage proves the package where systemd runs: a Debian 12
// root booted by systemd-nspawn, systemd its PID 1, with nginx's and
// PHP-FPM's logs that only group adm may read. There `apt install
// ./logcause_*.deb` must leave the unit active, `logcause watch` running
// as the user logcause and reading the lines the servers write next; an
// upgrade must restart it (a new process, a new invocation) and it goes
// on where it stopped; a remove stops it and keeps the store; a purge
// deletes the store.
func TestBootedPackage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the booted-package test boots a container: run it as root (.ci/run does)")
	}
	for _, tool := range []string{"systemd-nspawn", "debootstrap", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("cannot boot a Debian machine: %v; apt-get install systemd-container debootstrap (.ci/run does)", err)
		}
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	arch := strings.TrimSpace(run(t, "", "dpkg", "--print-architecture"))
	v1 := strings.TrimSpace(run(t, repo, "packaging/version.sh"))
	v2 := v1 + ".1" // a rebuild to upgrade to
	for _, v := range []string{v1, v2} {
		run(t, repo, "make", "deb", "VERSION="+v, "ARCHES="+arch)
	}
	deb := func(v string) string { return "./logcause_" + v + "_" + arch + ".deb" }

	m := bootMachine(t, debianRoot(t, arch), filepath.Join(repo, "dist"))

	// The package arrives before the servers (a fresh machine): none of
	// the config's sources exists yet, and watch runs anyway, waiting for
	// them.
	t.Logf("apt install %s", deb(v1))
	t.Log(m.runIn(t, "/mnt/dist", "apt", "install", "-y", deb(v1)))
	first := m.running(t)

	// The servers' logs, group adm's as on Debian, created empty after the
	// package (nginx and PHP-FPM installed next): watch follows them once
	// they appear.
	logs := map[string]string{ // path in the machine: the capture's file
		"/var/log/nginx/access.log": "access.log",
		"/var/log/nginx/error.log":  "error.log",
		"/var/log/php8.2-fpm.log":   "php-fpm.log",
	}
	m.run(t, "install", "-d", "-o", "root", "-g", "adm", "-m", "0750", "/var/log/nginx")
	for path := range logs {
		m.run(t, "install", "-o", "root", "-g", "adm", "-m", "0640", "/dev/null", path)
	}
	for path := range logs {
		if out, err := m.command("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "cat", path).CombinedOutput(); err == nil {
			t.Fatalf("nobody reads %s: the test would prove nothing about adm\n%s", path, out)
		}
	}

	// The servers write: watch reads every line, as the user logcause.
	units := m.watchUnit(t)
	want := map[string]int{}
	total := 0
	for path, name := range logs {
		m.appendTo(t, path, readFile(t, filepath.Join("..", "testdata", "scenarios", "fpm-stopped", name)))
		want[path] = captured[name]
		total += captured[name]
	}
	units.awaitRecords(t, total)
	units.stop()
	if n := strings.TrimSpace(m.output("systemctl", "show", "--value", "--property=NRestarts", "logcause")); n != "0" {
		t.Errorf("the unit was restarted %s times: watch exited while it waited for its logs", n)
	}
	m.readAll(t, want)
	t.Logf("systemctl status logcause:\n%s", m.output("systemctl", "status", "--no-pager", "--lines=0", "logcause"))

	t.Logf("upgrade: apt install %s", deb(v2))
	m.runIn(t, "/mnt/dist", "apt", "install", "-y", deb(v2))
	second := m.running(t)
	if second["InvocationID"] == first["InvocationID"] || second["MainPID"] == first["MainPID"] {
		t.Errorf("the upgrade did not restart the daemon: before %v, after %v", first, second)
	}
	if out := m.run(t, "logcause", "version"); !strings.HasPrefix(out, "logcause "+v2+"\n") {
		t.Errorf("after the upgrade, logcause version says\n%s", out)
	}
	// The new daemon goes on in the kept store where the old one stopped.
	units = m.watchUnit(t)
	access := readFile(t, filepath.Join("..", "testdata", "scenarios", "fpm-stopped", "access.log"))
	m.appendTo(t, "/var/log/nginx/access.log", strings.Join(strings.SplitAfter(access, "\n")[:50], ""))
	units.awaitRecords(t, 50)
	units.stop()
	m.readAll(t, map[string]int{"/var/log/nginx/access.log": 50, "/var/log/nginx/error.log": 0, "/var/log/php8.2-fpm.log": 0})

	t.Log("apt remove logcause: stopped, the store kept")
	m.run(t, "apt", "remove", "-y", "logcause")
	if state := strings.TrimSpace(m.output("systemctl", "is-active", "logcause")); state != "inactive" {
		t.Errorf("after apt remove, the unit is %q, want inactive", state)
	}
	if st := strings.TrimSpace(m.output("dpkg-query", "--show", "--showformat=${Status}", "logcause")); st != "deinstall ok config-files" {
		t.Errorf("after apt remove, status %q", st)
	}
	m.run(t, "test", "-f", stateDir+"/MANIFEST")
	m.run(t, "test", "-f", conffile)

	t.Log("dpkg -P logcause: the store goes")
	m.run(t, "dpkg", "--purge", "logcause")
	for _, p := range []string{stateDir, conffile, filepath.Dir(conffile)} {
		if out, err := m.command("test", "-e", p).CombinedOutput(); err == nil {
			t.Errorf("after dpkg -P, %s is still there %s", p, out)
		}
	}
	for path := range logs {
		m.run(t, "test", "-f", path) // the logs are no business of the package
	}
}

// debianRoot returns the root of a Debian 12 machine with systemd, made
// by debootstrap the first time and kept under rootfsCache (keyed by
// what debootstrap is asked for).
func debianRoot(t *testing.T, arch string) string {
	t.Helper()
	args := []string{"--variant=minbase", "--include=" + bootPackages, "--arch=" + arch, bootSuite}
	key := sha256.Sum256([]byte(strings.Join(append(args, bootMirror), " ")))
	dir := filepath.Join(rootfsCache, fmt.Sprintf("%s-%s-%x", bootSuite, arch, key[:6]))
	if _, err := os.Stat(dir); err == nil {
		t.Logf("the machine's root: %s (debootstrap %s, kept from a run before)", dir, strings.Join(args, " "))
		return dir
	}
	if err := os.MkdirAll(rootfsCache, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(rootfsCache, ".debootstrap-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Logf("debootstrap %s into %s (kept for the next runs)", strings.Join(args, " "), dir)
	run(t, "", "debootstrap", append(args, filepath.Join(tmp, "root"), bootMirror)...)
	// Whole or absent: a root made by another run at once is as good.
	if err := os.Rename(filepath.Join(tmp, "root"), dir); err != nil {
		if _, serr := os.Stat(dir); serr != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// machine is a Debian root booted by systemd-nspawn: systemd is its
// PID 1 (leader, as the host sees it); commands run in it by nsenter.
type machine struct {
	leader string
}

// bootMachine boots root with dist bound read-only at /mnt/dist, and
// returns once its systemd says the boot is over, every unit started.
// The test's end powers it off.
func bootMachine(t *testing.T, root, dist string) *machine {
	t.Helper()
	name := fmt.Sprintf("logcause-test-%d", os.Getpid())
	// nspawn tells its NOTIFY_SOCKET the leader's PID, then READY=1 once
	// the machine's systemd is (--notify-ready).
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "\x00" + name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	console, err := os.Create(filepath.Join(t.TempDir(), "console"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("systemd-nspawn", "--quiet", "--boot", "--directory="+root, "--machine="+name,
		"--volatile=overlay",           // what the machine writes goes to a tmpfs: root stays as debootstrap made it
		"--private-network",            // a loopback of its own: the API's 127.0.0.1:9841 is not the host's
		"--register=no", "--keep-unit", // no systemd on the host to register with or to ask for a scope
		"--notify-ready=yes", "--console=pipe",
		"--bind-ro="+dist+":/mnt/dist")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET=@"+name)
	cmd.Stdout, cmd.Stderr = console, console
	t.Logf("systemd-nspawn --boot --directory=%s --machine=%s --volatile=overlay --private-network", root, name)
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot boot: %v", err)
	}
	exited := make(chan struct{})
	var waited error
	go func() { waited = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// SIGTERM: nspawn asks the machine's systemd to power off.
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("cannot stop the machine: %v", err)
		}
		select {
		case <-exited:
			if waited != nil {
				t.Errorf("systemd-nspawn ended with %v:\n%s", waited, readFile(t, console.Name()))
			}
		case <-time.After(hangGuard):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("the machine did not power off:\n%s", readFile(t, console.Name()))
		}
		console.Close()
		// nspawn's directory for mounts into the machine, if it left it.
		_ = os.Remove(filepath.Join("/run/systemd/nspawn/propagate", name))
	})

	booted := make(chan struct{})
	go func() {
		select {
		case <-exited:
			conn.Close() // the Read below ends
		case <-booted:
		}
	}()
	m := &machine{}
	if err := conn.SetReadDeadline(time.Now().Add(hangGuard)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for ready := false; !ready; {
		n, err := conn.Read(buf)
		if err != nil {
			ended := "runs still"
			select {
			case <-exited:
				ended = fmt.Sprintf("ended: %v", waited)
			default:
			}
			t.Fatalf("the machine did not boot (%v; systemd-nspawn %s):\n%s", err, ended, readFile(t, console.Name()))
		}
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			if pid, ok := strings.CutPrefix(line, "X_NSPAWN_LEADER_PID="); ok {
				m.leader = pid
			}
			ready = ready || line == "READY=1"
		}
	}
	close(booted)
	conn.Close()
	if m.leader == "" {
		t.Fatal("systemd-nspawn said READY=1 but not the machine's leader PID")
	}
	// READY=1 is the machine's systemd's: is-system-running says whether
	// every unit started.
	if state := strings.TrimSpace(m.output("systemctl", "is-system-running", "--wait")); state != "running" {
		t.Fatalf("the machine booted %s:\n%s", state, m.output("systemctl", "--failed", "--no-pager"))
	}
	return m
}

// command is a command run in the machine: its namespaces, its root, its
// PID 1's credentials (root), an environment of its own.
func (m *machine) command(args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"--target=" + m.leader, "--all", "--"}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LC_ALL=C.UTF-8", "DEBIAN_FRONTEND=noninteractive"}
	return cmd
}

// run runs a command in the machine and returns its output; it fails the
// test when the command fails.
func (m *machine) run(t *testing.T, args ...string) string {
	t.Helper()
	return output(t, m.command(args...))
}

// runIn runs a command in the machine's directory dir (nsenter's --wd
// would open it on the host).
func (m *machine) runIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return m.run(t, append([]string{"env", "--chdir=" + dir}, args...)...)
}

// output is a command's output in the machine, whatever its exit status.
func (m *machine) output(args ...string) string {
	out, _ := m.command(args...).Output()
	return string(out)
}

// appendTo writes data at the end of the machine's file path, as a
// server writes its log.
func (m *machine) appendTo(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join("/proc", m.leader, "root", path), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// running checks that the unit is active, its main process `logcause
// watch` run as the user logcause (not root) with group adm, and returns
// the unit's properties of the check.
func (m *machine) running(t *testing.T) map[string]string {
	t.Helper()
	props := map[string]string{}
	for _, line := range strings.Split(m.run(t, "systemctl", "show", "--property=ActiveState,SubState,MainPID,InvocationID,StatusText", "logcause"), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			props[k] = v
		}
	}
	if props["ActiveState"] != "active" || props["SubState"] != "running" || props["MainPID"] == "0" {
		t.Fatalf("the unit is not running: %v\n%s", props, m.output("journalctl", "--no-pager", "--unit=logcause"))
	}
	pid := props["MainPID"]
	if cmdline := m.run(t, "cat", "/proc/"+pid+"/cmdline"); !strings.HasPrefix(cmdline, "/usr/bin/logcause\x00watch\x00") {
		t.Errorf("the unit's main process runs %q", cmdline)
	}
	uid := strings.TrimSpace(m.run(t, "id", "-u", "logcause"))
	adm := strings.Split(strings.TrimSpace(m.run(t, "getent", "group", "adm")), ":")[2]
	if uid == "0" {
		t.Fatal("the user logcause is root")
	}
	var uids, groups []string
	for _, line := range strings.Split(m.run(t, "cat", "/proc/"+pid+"/status"), "\n") {
		if v, ok := strings.CutPrefix(line, "Uid:"); ok {
			uids = strings.Fields(v)
		}
		if v, ok := strings.CutPrefix(line, "Groups:"); ok {
			groups = strings.Fields(v)
		}
	}
	// Real, effective, saved and file-system user: all logcause's.
	if len(uids) != 4 || slices.ContainsFunc(uids, func(id string) bool { return id != uid }) {
		t.Errorf("logcause watch runs as the users %v, want logcause (%s)", uids, uid)
	}
	if !slices.Contains(groups, adm) {
		t.Errorf("logcause watch is in the groups %v, not adm (%s)", groups, adm)
	}
	return props
}

// readAll checks the daemon's status (`logcause status`, as the user
// logcause) shows want's records (by path) read since it started.
func (m *machine) readAll(t *testing.T, want map[string]int) {
	t.Helper()
	status := m.run(t, "setpriv", "--reuid=logcause", "--regid=logcause", "--init-groups", "--",
		"logcause", "status", "--config", conffile, "--format", "json")
	if !readAll(t, status, want) {
		t.Errorf("watch did not read %v:\n%s", want, status)
	}
}

// unitWatch follows what systemd announces on the machine's bus when the
// unit's properties change: each STATUS= of the daemon (its records read
// since it started, told at each watchdog ping) among them.
type unitWatch struct {
	cmd   *exec.Cmd
	texts chan string // the StatusText announced
	done  chan struct{}
	wg    sync.WaitGroup
	last  string
}

// watchUnit starts `busctl monitor` in the machine and returns once it
// monitors the bus.
func (m *machine) watchUnit(t *testing.T) *unitWatch {
	t.Helper()
	// systemd sends its units' signals only while a client subscribed:
	// systemd-logind is that client on a Debian machine (checked: without
	// it the wait below would only end on the hang guard).
	if state := strings.TrimSpace(m.output("systemctl", "is-active", "systemd-logind")); state != "active" {
		t.Fatalf("systemd-logind is %s: systemd sends no signal of its units without a subscriber", state)
	}
	match := "type='signal',sender='org.freedesktop.systemd1',path='/org/freedesktop/systemd1/unit/logcause_2eservice'," +
		"interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'"
	// Not in the machine's PID namespace: nsenter execs busctl itself
	// (no fork), whose end is the kill below.
	w := &unitWatch{texts: make(chan string), done: make(chan struct{})}
	w.cmd = exec.Command("nsenter", "--target="+m.leader, "--mount", "--net", "--ipc", "--uts", "--",
		"busctl", "monitor", "--system", "--json=short", "--match", match)
	stdout, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := w.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.stop)
	monitoring := make(chan struct{})
	w.wg.Add(2)
	go func() {
		defer w.wg.Done()
		s := bufio.NewScanner(stderr)
		said := false
		for s.Scan() {
			if !said && s.Text() == "Monitoring bus message stream." {
				said = true
				close(monitoring)
			}
		}
	}()
	go func() {
		defer w.wg.Done()
		s := bufio.NewScanner(stdout)
		s.Buffer(make([]byte, 64<<10), 1<<20)
		for s.Scan() {
			var msg struct {
				Payload struct{ Data []json.RawMessage }
			}
			var props map[string]struct{ Data any }
			if json.Unmarshal(s.Bytes(), &msg) != nil || len(msg.Payload.Data) < 2 || json.Unmarshal(msg.Payload.Data[1], &props) != nil {
				continue
			}
			text, ok := props["StatusText"].Data.(string)
			if !ok {
				continue
			}
			select {
			case w.texts <- text:
			case <-w.done:
				return
			}
		}
	}()
	select {
	case <-monitoring:
	case <-time.After(hangGuard):
		t.Fatal("busctl monitor did not start monitoring the machine's bus")
	}
	return w
}

// awaitRecords returns once systemd was told the daemon read n records
// since it started.
func (w *unitWatch) awaitRecords(t *testing.T, n int) {
	t.Helper()
	suffix := ", " + strconv.Itoa(n) + " records read"
	hung := time.After(hangGuard)
	for !strings.HasSuffix(w.last, suffix) {
		select {
		case w.last = <-w.texts:
		case <-hung:
			t.Fatalf("the daemon did not tell systemd it read %d records; it told %q last", n, w.last)
		}
	}
}

// stop ends busctl (once).
func (w *unitWatch) stop() {
	select {
	case <-w.done:
		return
	default:
	}
	close(w.done)
	_ = w.cmd.Process.Kill()
	w.wg.Wait()
	_ = w.cmd.Wait()
}
