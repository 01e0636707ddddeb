//go:build realserver

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// These tests need root (mount, another user): they run with the
// real-server suite. Run: go test -tags realserver -count=1 ./cmd/logcause

// TestFullDiskGivesAClearError puts the store on a real 1 MiB filesystem:
// logcause must stop with a clear message, not die of SIGBUS inside Badger.
func TestFullDiskGivesAClearError(t *testing.T) {
	requireRoot(t)
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	logs := t.TempDir()
	writeLogs(t, logs)
	code, _, errs := runCmd(t, "analyze", "--store", filepath.Join(mnt, "store"), logs)
	if code != exitRuntime || !strings.Contains(errs, "not enough free disk space") || !strings.Contains(errs, "free some space") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

// TestUnreadableFileAsUnprivilegedUser runs logcause as nobody on a log it
// may not read.
func TestUnreadableFileAsUnprivilegedUser(t *testing.T) {
	requireRoot(t)
	dir, err := os.MkdirTemp("", "logcause-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "logcause")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v: %s", err, out)
	}
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	writeLogs(t, logs)
	secret := filepath.Join(logs, "error.log")
	os.Chmod(secret, 0o600)
	for _, f := range []string{"access.log", "php-fpm.log"} {
		os.Chmod(filepath.Join(logs, f), 0o644)
	}

	cmd := exec.Command(bin, "analyze", "--format", "json", logs)
	cmd.Dir = dir
	cmd.Env = []string{"TMPDIR=" + dir, "HOME=" + dir, "PATH=/usr/bin:/bin"}
	os.Chmod(dir, 0o777) // the temporary store is made here
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitRuntime {
		t.Fatalf("err %v, stderr %s", err, stderr.String())
	}
	for _, want := range []string{"cannot open " + secret, "permission denied", "adm group"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, stderr.String())
		}
	}
	// The other files are still read and reported.
	if !strings.Contains(stdout.String(), `"format": "nginx_access"`) {
		t.Errorf("the readable files were not reported: %s", stdout.String())
	}
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal(fmt.Sprintf("this test must run as root (uid %d)", os.Geteuid()))
	}
}
