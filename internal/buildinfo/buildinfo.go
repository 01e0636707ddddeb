// Package buildinfo answers where this binary came from: its version, the
// commit it was built from, when, and with which Go.
//
// A packaged build says it through the linker (make deb, make release):
//
//	-X github.com/logcause/logcause/internal/buildinfo.version=1.2.0
//	-X github.com/logcause/logcause/internal/buildinfo.commit=<full hash>
//	-X github.com/logcause/logcause/internal/buildinfo.date=<RFC 3339>
//
// Without them (go install …@v1.2.0, go build in a clone) Get reads what
// the Go toolchain recorded: the module's version, or the VCS stamp.
package buildinfo

import (
	"cmp"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Set by the linker only (-ldflags -X): written before main runs and
// never after, so constants for the program.
var version, commit, date string

// Info is where a binary came from. Unknown fields are "unknown"; a
// Version that is unknown is "dev".
type Info struct {
	Version   string // the Debian version of a package, the module version of go install, or "dev"
	Commit    string // the full commit hash, "-dirty" appended for a modified work tree
	Date      string // when it was built (the commit's time for a package: reproducible), RFC 3339
	GoVersion string // the toolchain, e.g. go1.26.8
	Platform  string // GOOS/GOARCH
}

// Get says where this binary came from.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return from(version, commit, date, bi)
}

// from fills an Info from the linker's values, falling back on the
// toolchain's record bi (nil: none).
func from(ldVersion, ldCommit, ldDate string, bi *debug.BuildInfo) Info {
	var modVersion, vcsCommit, vcsTime, goVersion string
	if bi != nil {
		goVersion = bi.GoVersion
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			modVersion = v
		}
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				vcsCommit = s.Value
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if vcsCommit != "" && modified {
			vcsCommit += "-dirty"
		}
		// go install …@v0.0.0-20261206063643-b2d566afc8e2 records no VCS
		// stamp, but the pseudo-version holds the commit and its time.
		if c, t, ok := pseudo(modVersion); ok {
			vcsCommit, vcsTime = cmp.Or(vcsCommit, c), cmp.Or(vcsTime, t)
		}
	}
	return Info{
		Version:   cmp.Or(ldVersion, modVersion, "dev"),
		Commit:    cmp.Or(ldCommit, vcsCommit, "unknown"),
		Date:      cmp.Or(ldDate, vcsTime, "unknown"),
		GoVersion: cmp.Or(goVersion, runtime.Version()),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
}

// pseudo reads the commit prefix and time of a Go pseudo-version
// (vX.Y.Z-[pre.]yyyymmddhhmmss-abcdef123456, +incompatible or not).
func pseudo(v string) (commit, when string, ok bool) {
	v, _, _ = strings.Cut(v, "+")
	i := strings.LastIndexByte(v, '-')
	if i < 0 || len(v)-i-1 != 12 {
		return "", "", false
	}
	commit, rest := v[i+1:], v[:i]
	if strings.Trim(commit, "0123456789abcdef") != "" || len(rest) < 15 {
		return "", "", false
	}
	if sep := rest[len(rest)-15]; sep != '-' && sep != '.' {
		return "", "", false
	}
	t, err := time.Parse("20060102150405", rest[len(rest)-14:])
	if err != nil {
		return "", "", false
	}
	return commit, t.UTC().Format(time.RFC3339), true
}

// Time is when the binary was built, if Date says it (ok false otherwise).
func (i Info) Time() (t time.Time, ok bool) {
	t, err := time.Parse(time.RFC3339, i.Date)
	return t, err == nil
}

// String is what `logcause version` prints: the version on the first
// line, then one line per field.
func (i Info) String() string {
	return fmt.Sprintf("logcause %s\ncommit  %s\nbuilt   %s\ngo      %s %s\n", i.Version, i.Commit, i.Date, i.GoVersion, i.Platform)
}
