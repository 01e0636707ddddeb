package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFrom(t *testing.T) {
	clone := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "b2d566afc8e2db44d71b70272a777afcc290516c"},
		{Key: "vcs.time", Value: "2026-12-06T06:36:43Z"},
		{Key: "vcs.modified", Value: "false"},
	}}
	dirty := &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "b2d566afc8e2db44d71b70272a777afcc290516c"},
		{Key: "vcs.modified", Value: "true"},
	}}
	for _, c := range []struct {
		name                  string
		ldV, ldC, ldD         string
		bi                    *debug.BuildInfo
		version, commit, date string
		goVersion             string
	}{
		{"the linker's values win", "1.2.0", "abc123", "2026-12-01T10:00:00Z", clone,
			"1.2.0", "abc123", "2026-12-01T10:00:00Z", "go1.26.8"},
		{"go build in a clone: the VCS stamp", "", "", "", clone,
			"dev", "b2d566afc8e2db44d71b70272a777afcc290516c", "2026-12-06T06:36:43Z", "go1.26.8"},
		{"a modified work tree says so", "", "", "", dirty,
			"dev", "b2d566afc8e2db44d71b70272a777afcc290516c-dirty", "unknown", "go1.26.8"},
		{"go install of a tag", "", "", "", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.2.0"}},
			"v1.2.0", "unknown", "unknown", "go1.26.1"},
		{"go install @latest of an untagged commit: the pseudo-version's commit and time", "", "", "",
			&debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.0.0-20261206063643-b2d566afc8e2"}},
			"v0.0.0-20261206063643-b2d566afc8e2", "b2d566afc8e2", "2026-12-06T06:36:43Z", "go1.26.1"},
		{"a pseudo-version after a tag", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.1-0.20261206063643-b2d566afc8e2+incompatible"}},
			"v1.2.1-0.20261206063643-b2d566afc8e2+incompatible", "b2d566afc8e2", "2026-12-06T06:36:43Z", runtime.Version()},
		{"a prerelease tag is no pseudo-version", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0-rc.1"}},
			"v1.2.0-rc.1", "unknown", "unknown", runtime.Version()},
		{"a tag ending in twelve hex digits without a time is none either", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0-abcdef123456"}},
			"v1.0.0-abcdef123456", "unknown", "unknown", runtime.Version()},
		{"no record at all", "", "", "", nil, "dev", "unknown", "unknown", runtime.Version()},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := from(c.ldV, c.ldC, c.ldD, c.bi)
			want := Info{Version: c.version, Commit: c.commit, Date: c.date, GoVersion: c.goVersion, Platform: runtime.GOOS + "/" + runtime.GOARCH}
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestString(t *testing.T) {
	i := Info{Version: "1.2.0", Commit: "abc123", Date: "2026-12-01T10:00:00Z", GoVersion: "go1.26.8", Platform: "linux/arm64"}
	want := "logcause 1.2.0\ncommit  abc123\nbuilt   2026-12-01T10:00:00Z\ngo      go1.26.8 linux/arm64\n"
	if got := i.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if tm, ok := i.Time(); !ok || tm.Day() != 1 || tm.Hour() != 10 {
		t.Errorf("Time() = %v, %v", tm, ok)
	}
	if _, ok := (Info{Date: "unknown"}).Time(); ok {
		t.Error("an unknown date parsed")
	}
}

func TestGetReadsThisBinary(t *testing.T) {
	// A test binary has no linker values; its record says the Go that built it.
	got := Get()
	if got.GoVersion != runtime.Version() || !strings.Contains(got.String(), runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("Get() = %+v", got)
	}
}
