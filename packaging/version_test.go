//go:build deb

package packaging_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionFollowsTheHistory runs version.sh in a repository of its
// own through a history of tags, and checks each version and that dpkg
// orders them as the history goes.
func TestVersionFollowsTheHistory(t *testing.T) {
	repo := t.TempDir()
	script, err := os.ReadFile("version.sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(repo, "packaging"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "packaging", "version.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.test", "GIT_COMMITTER_DATE=2026-12-06T06:36:43+01:00", "GIT_AUTHOR_DATE=2026-12-06T06:36:43+01:00")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	version := func() string {
		t.Helper()
		out, err := exec.Command(filepath.Join(repo, "packaging", "version.sh")).CombinedOutput()
		if err != nil {
			t.Fatalf("version.sh: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	commit := func() string {
		git("commit", "-q", "--allow-empty", "-m", "c")
		return git("rev-parse", "--short=7", "HEAD")
	}
	git("init", "-q")
	git("add", "packaging/version.sh")

	var got, want []string
	step := func(w string) { got, want = append(got, version()), append(want, w) }

	h := commit()
	step("0.0.0~git20261206053643." + h) // the commit's time in UTC
	if err := os.WriteFile(filepath.Join(repo, "packaging", "version.sh"), append(script, '\n'), 0o755); err != nil {
		t.Fatal(err)
	}
	step("0.0.0~git20261206053643." + h + "+dirty")
	git("checkout", "-q", "packaging/version.sh")
	commit()
	git("tag", "v1.3.0-rc.1")
	step("1.3.0~rc.1")
	commit()
	git("tag", "v1.3.0")
	step("1.3.0")
	commit()
	h = commit()
	step("1.3.0+git2.g" + h)
	git("tag", "not-a-version") // only v<digit> tags count
	step("1.3.0+git2.g" + h)
	commit()
	git("tag", "v1.3.1")
	step("1.3.1")

	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d: version %q, want %q", i, got[i], want[i])
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			continue
		}
		if out, err := exec.Command("dpkg", "--compare-versions", got[i], "gt", got[i-1]).CombinedOutput(); err != nil {
			t.Errorf("dpkg does not order %s after %s: %v %s", got[i], got[i-1], err, out)
		}
	}
}
