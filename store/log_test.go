package store

import (
	"context"
	"log/slog"
	"testing"
)

// records is a slog.Handler that keeps what it is given, at every level.
type records struct{ got []slog.Record }

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.got = append(r.got, rec)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// TestBadgerLogsAtDebug: whatever Badger's level, its lines reach slog at
// Debug (its own debug lines below it), never where a user's warnings go.
func TestBadgerLogsAtDebug(t *testing.T) {
	h := &records{}
	l := slogLogger{slog.New(h)}
	l.Errorf("While running doCompact: %v\n", "Unable to fill tables")
	l.Warningf("a warning %d", 1)
	l.Infof("All %d tables opened", 0)
	l.Debugf("writeRequests called")
	want := []struct {
		level       slog.Level
		badgerLevel string
	}{{slog.LevelDebug, "error"}, {slog.LevelDebug, "warning"}, {slog.LevelDebug, "info"}, {LevelBadgerDebug, "debug"}}
	if len(h.got) != len(want) {
		t.Fatalf("%d records for 4 lines of Badger's", len(h.got))
	}
	for i, rec := range h.got {
		attrs := map[string]string{}
		rec.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
		if rec.Level != want[i].level || attrs["component"] != "badger" || attrs["badger_level"] != want[i].badgerLevel {
			t.Errorf("record %d %q: level %v, attrs %v; want %v, badger_level %s", i, rec.Message, rec.Level, attrs, want[i].level, want[i].badgerLevel)
		}
	}
	if h.got[0].Message != "While running doCompact: Unable to fill tables" {
		t.Errorf("message %q", h.got[0].Message)
	}
}
