package daemon

import (
	"slices"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
)

func TestReloadDiff(t *testing.T) {
	added, removed := diff([]string{"/var/log/nginx", "/var/log/mysql"}, []string{"/var/log/nginx", "/srv/*/logs"})
	if !slices.Equal(added, []string{"/srv/*/logs"}) || !slices.Equal(removed, []string{"/var/log/mysql"}) {
		t.Errorf("added %q, removed %q", added, removed)
	}
	if added, removed := diff([]string{"/a"}, []string{"/a"}); added != nil || removed != nil {
		t.Errorf("unchanged: added %q, removed %q", added, removed)
	}
}

// TestCovered: a followed log stays followed by a reload while a watched
// path still stands for it: the path itself, a directory above it, a glob
// that matches it or a directory above it.
func TestCovered(t *testing.T) {
	for _, tc := range []struct {
		path  string
		watch []string
		want  bool
	}{
		{"/var/log/nginx/access.log", []string{"/var/log/nginx"}, true},
		{"/var/log/nginx/shop/access.log", []string{"/var/log/nginx"}, true},
		{"/var/log/nginx/access.log", []string{"/var/log/nginx/access.log"}, true},
		{"/var/log/php8.2-fpm.log", []string{"/var/log/php*-fpm.log*"}, true},
		{"/srv/shop/logs/access.log", []string{"/srv/*/logs"}, true},
		{"/var/log/nginx-old/access.log", []string{"/var/log/nginx"}, false},
		{"/var/log/mysql/error.log", []string{"/var/log/nginx", "/var/log/php*-fpm.log*"}, false},
		{"/var/log/nginx/access.log", nil, false},
	} {
		if got := covered(tc.path, tc.watch); got != tc.want {
			t.Errorf("covered(%s, %q) = %v, want %v", tc.path, tc.watch, got, tc.want)
		}
	}
}

// TestOverrideChange: a log is followed again when the format or the
// zone its source gives changed, not when only the zone's value is a new
// one of the same name.
func TestOverrideChange(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	paris2, _ := time.LoadLocation("Europe/Paris")
	opts := func(format patterns.Kind, zone *time.Location) pipeline.Options {
		return pipeline.Options{Overrides: []pipeline.Override{{Pattern: "/var/log/nginx", Format: format, Zone: zone}}}
	}
	const path = "/var/log/nginx/access.log"
	for _, tc := range []struct {
		name     string
		old, new pipeline.Options
		same     bool
	}{
		{"the same zone read again", opts(patterns.KindNginxAccess, paris), opts(patterns.KindNginxAccess, paris2), true},
		{"another zone", opts(patterns.KindNginxAccess, paris), opts(patterns.KindNginxAccess, time.UTC), false},
		{"a format given", pipeline.Options{}, opts(patterns.KindNginxAccess, nil), false},
		{"a source of another path", pipeline.Options{}, pipeline.Options{Overrides: []pipeline.Override{{Pattern: "/var/log/mysql", Zone: paris}}}, true},
	} {
		if got := sameOverride(overrideOf(tc.old, path), overrideOf(tc.new, path)); got != tc.same {
			t.Errorf("%s: same %v, want %v", tc.name, got, tc.same)
		}
	}
}
