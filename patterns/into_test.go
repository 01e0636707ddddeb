package patterns

import (
	"reflect"
	"testing"
	"time"
	"unsafe"
)

// parsedInto parses rec with p.ParseInto, its text rec's bytes themselves
// (unsafe.String), as a batch load does.
func parsedInto(p ParserInto, rec []byte, ev *Event, into *FieldSets) error {
	return p.ParseInto(rec, unsafe.String(unsafe.SliceData(rec), len(rec)), ev, into)
}

// TestParseIntoIsParse: ParseInto gives the event Parse gives, field for
// field — of every record of the nginx error and php-fpm tables and of
// the outage samples, those that fail too (with the same error, the event
// left as it was) —, its texts the record's bytes, and allocates nothing.
func TestParseIntoIsParse(t *testing.T) {
	loc := time.FixedZone("UTC+1", 3600)
	var errRecs, fpmRecs [][]byte
	for _, c := range nginxErrorCases {
		errRecs = append(errRecs, []byte(c.rec))
	}
	for _, c := range fpmCases {
		fpmRecs = append(fpmRecs, []byte(c.rec))
	}
	for _, l := range physicalLines(readCorpus(t, "testdata/outage-error.log")) {
		errRecs = append(errRecs, trimNewline(l))
	}
	for _, l := range physicalLines(readCorpus(t, "testdata/outage-php-fpm.log")) {
		fpmRecs = append(fpmRecs, trimNewline(l))
	}
	for _, tc := range []struct {
		kind Kind
		recs [][]byte
	}{{KindNginxError, errRecs}, {KindFPMError, fpmRecs}} {
		p, err := NewParser(tc.kind, loc)
		if err != nil {
			t.Fatal(err)
		}
		into, ok := p.(ParserInto)
		if !ok {
			t.Fatalf("the %s parser is no ParserInto", tc.kind)
		}
		parsed := 0
		for _, rec := range tc.recs {
			want := Event{Path: "p", Offset: 7}
			wantErr := p.Parse(rec, &want)
			buf := append([]byte(nil), rec...)
			got := Event{Path: "p", Offset: 7}
			var fields FieldSets
			gotErr := parsedInto(into, buf, &got, &fields)
			if (gotErr == nil) != (wantErr == nil) || (wantErr != nil && gotErr.Error() != wantErr.Error()) {
				t.Fatalf("%s %q: ParseInto: %v, Parse: %v", tc.kind, rec, gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s %q:\nParseInto %+v (%+v %+v)\nParse     %+v (%+v %+v)", tc.kind, rec, got, got.Error, got.FPM, want, want.Error, want.FPM)
			}
			if gotErr != nil {
				continue
			}
			parsed++
			if unsafe.StringData(got.Text) != unsafe.SliceData(buf) || (got.Error != nil && got.Error != &fields.Error) || (got.FPM != nil && got.FPM != &fields.FPM) {
				t.Fatalf("%s %q: the event is not in what it was given", tc.kind, rec)
			}
			if n := testing.AllocsPerRun(10, func() { _ = parsedInto(into, buf, &got, &fields) }); n != 0 {
				t.Fatalf("%s %q: ParseInto allocates %v times", tc.kind, rec, n)
			}
		}
		if parsed < 50 {
			t.Fatalf("%s: only %d records parsed", tc.kind, parsed)
		}
	}
}

func trimNewline(l []byte) []byte {
	if n := len(l); n > 0 && l[n-1] == '\n' {
		return l[:n-1]
	}
	return l
}

// TestAccessIntoIsAccessOf: AccessInto fills the caller's Access as
// AccessOf allocates one, over a text that is the line's bytes, for the
// combined lines of the shop log and a JSON line with escapes (copied),
// and allocates nothing for a line without.
func TestAccessIntoIsAccessOf(t *testing.T) {
	lines := physicalLines(readCorpus(t, lnavShopAccess))[:200]
	lines = append(lines, []byte(`{"time_local":"23/Nov/2026:10:00:00 +0100","remote_addr":"10.0.0.1","request":"GET /a\u0022b HTTP/1.1","status":"502","body_bytes_sent":"0","http_user_agent":"x\\y"}`))
	var a AccessLine
	var x Access
	escaped := 0
	for _, l := range lines {
		rec := trimNewline(l)
		if err := ParseAccess(rec, &a); err != nil {
			t.Fatalf("%q: %v", rec, err)
		}
		want := a.AccessOf(rec, string(rec))
		text := unsafe.String(unsafe.SliceData(rec), len(rec))
		x.Extra[0] = AccessVar{Name: "stale"} // overwritten
		a.AccessInto(rec, text, &x)
		if !reflect.DeepEqual(&x, want) {
			t.Fatalf("%q:\nAccessInto %+v\nAccessOf   %+v", rec, x, *want)
		}
		if a.JSONEscaped {
			escaped++
			continue
		}
		if off, ok := OffsetOf(text, x.URI); !ok || text[off:off+len(x.URI)] != x.URI {
			t.Fatalf("%q: the URI %q is not the text's", rec, x.URI)
		}
		if n := testing.AllocsPerRun(10, func() { a.AccessInto(rec, text, &x) }); n != 0 {
			t.Fatalf("%q: AccessInto allocates %v times", rec, n)
		}
	}
	if escaped != 1 {
		t.Fatalf("%d JSON lines with escapes, want 1", escaped)
	}
}
