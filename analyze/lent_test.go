package analyze

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/logcause/logcause/patterns"
)

// lending is a bareReader that lends the events bare accepts as the store
// does (store.Store.EventsBare): one Event, Access, NginxError and
// FPMError used again for every event, their strings bytes that are
// scribbled over once fn returns. What analysis kept of a lent event
// without copying it reads as '#'s, or as the next event's.
type lending struct {
	*fake
}

func (l lending) EventsBare(from, to time.Time, bare func(*patterns.Event) bool, fn func(*patterns.Event) error) error {
	var (
		ev     patterns.Event
		access patterns.Access
		nginx  patterns.NginxError
		fpm    patterns.FPMError
	)
	return l.fake.Events(from, to, func(src *patterns.Event) error {
		if !bare(src) || (src.Access == nil && src.Error == nil && src.FPM == nil) {
			return fn(src)
		}
		var lent [][]byte
		ev = patterns.Event{Time: src.Time, Kind: src.Kind, Path: src.Path, Offset: src.Offset}
		switch {
		case src.Access != nil:
			access = *src.Access
			ev.Access = &access
			lendStrings(reflect.ValueOf(&access).Elem(), &lent)
		case src.Error != nil:
			nginx = *src.Error
			ev.Error = &nginx
			lendStrings(reflect.ValueOf(&nginx).Elem(), &lent)
		default:
			fpm = *src.FPM
			ev.FPM = &fpm
			lendStrings(reflect.ValueOf(&fpm).Elem(), &lent)
		}
		err := fn(&ev)
		for _, b := range lent {
			for i := range b {
				b[i] = '#'
			}
		}
		return err
	})
}

// lendStrings makes every string of v (a struct, arrays of structs in it
// included) one whose bytes are in lent.
func lendStrings(v reflect.Value, lent *[][]byte) {
	switch v.Kind() {
	case reflect.String:
		if v.Len() > 0 {
			b := []byte(v.String())
			*lent = append(*lent, b)
			v.SetString(unsafe.String(unsafe.SliceData(b), len(b)))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				lendStrings(v.Field(i), lent)
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			lendStrings(v.Index(i), lent)
		}
	}
}

// TestLentEventsAreCopied: analysis of a reader that lends its events
// (bareReader) reports what it reports of one that hands out fresh ones:
// it copies every string it keeps of them.
func TestLentEventsAreCopied(t *testing.T) {
	f := outageOf(20)
	f.fpm(45, "WARNING", "[pool www] child 123 exited on signal 9 (SIGKILL) after 12.5 seconds from start")
	want, err := Analyze(f, TimeRange{t0, at(3600)}, DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Analyze(lending{f}, TimeRange{t0, at(3600)}, DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Incidents) == 0 {
		t.Fatal("no incident: the test reads nothing")
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("lent events: got\n%s\nwant\n%s", g, w)
	}
}
