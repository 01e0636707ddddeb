package patterns

import (
	"bytes"
	"strings"
	"testing"
)

// checkSameAsReference fails t when parseNginxError and the reference
// scanner (refParseNginxError) disagree on rec: error or any span.
func checkSameAsReference(t *testing.T, rec []byte) {
	t.Helper()
	var got, want nginxErrorSpans
	// Garbage in the structs: both must overwrite every field they report.
	got.action, want.action = span{1, 2}, span{1, 2}
	got.ctx[ctxHost], want.ctx[ctxHost] = span{3, 4}, span{3, 4}
	gotErr := parseNginxError(rec, tableLoc, &got)
	wantErr := refParseNginxError(rec, tableLoc, &want)
	if gotErr != wantErr {
		t.Fatalf("record %q: error %v, the reference says %v", rec, gotErr, wantErr)
	}
	if gotErr == nil && got != want {
		t.Fatalf("record %q:\n got  %+v\n want %+v (the reference)", rec, got, want)
	}
}

// differentialBases are the records the mutations start from: the table's,
// the outage sample's and a few built to have several ", client: ".
func differentialBases(t testing.TB) [][]byte {
	var bases [][]byte
	for _, tc := range nginxErrorCases {
		bases = append(bases, []byte(tc.rec))
	}
	bases = append(bases, physicalLines(readCorpus(t, "testdata/outage-error.log"))...)
	const head = `2026/11/23 14:03:19 [error] 1#1: *2 upstream timed out (110: Connection timed out) while reading response header from upstream`
	ctx := `, client: 10.0.0.1, server: shop.example.com, request: "GET /?q=, client: 6.6.6.6, server: evil HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "shop.example.com", referrer: "https://x/, client: 1.1.1.1, server: y"`
	bases = append(bases,
		[]byte(head+ctx),
		[]byte(head+strings.Repeat(", client: 1.2.3.4, server: a", 20)),
		[]byte(head+strings.Repeat(`, client: 1.2.3.4, server: a, request: "b`, 20)+`"`),
		[]byte(head+`, client: 1.2.3.4, server: a, request: "x", client: 5.6.7.8, server: b, host: "h"`),
		[]byte(head+`, client: 1.2.3.4, server: a, request: "x, client: 5.6.7.8, server: b", host: "h, client: 9.9.9.9, server: c"`),
	)
	return bases
}

// Fragments that steer the scanner: context keys, quotes, line breaks,
// actions, errnos, a carriage return.
var differentialFragments = []string{
	", client: 9.9.9.9, server: evil",
	", client: ",
	", server: ",
	`", host: "`,
	`, request: "`,
	`, referrer: "x"`,
	`"`,
	",",
	"\n",
	" while reading upstream",
	" while ",
	" while sending to client, client: 1.1.1.1",
	"(13: ",
	"\r",
	"\xff",
}

// TestParseNginxErrorMatchesReference compares the scanner with the
// reference on every prefix of every base record and on every base record
// with each fragment inserted at every position (at every 5th under the race
// detector or -short, which make the half million records take seconds).
func TestParseNginxErrorMatchesReference(t *testing.T) {
	step := 1
	if raceEnabled || testing.Short() {
		step = 5
	}
	n := 0
	for _, base := range differentialBases(t) {
		for cut := 0; cut <= len(base); cut++ {
			checkSameAsReference(t, base[:cut])
			n++
		}
		for _, frag := range differentialFragments {
			for at := 0; at <= len(base); at += step {
				rec := make([]byte, 0, len(base)+len(frag))
				rec = append(append(append(rec, base[:at]...), frag...), base[at:]...)
				checkSameAsReference(t, rec)
				n++
			}
		}
	}
	t.Logf("%d records compared", n)
}

// TestLastWhileMatchesForwardSearch checks the bounded backward search for
// " while " against the last occurrence found forward and tested by isAction,
// on actions around maxAction bytes long and on text that is not an action.
func TestLastWhileMatchesForwardSearch(t *testing.T) {
	for _, msg := range []string{
		"",
		" while ",
		"x while ",
		" while while x",
		"a while b while c",
		"a while b\" while c",
		"a while b (while c",
		"a while " + strings.Repeat("x", maxAction),
		"a while " + strings.Repeat("x", maxAction+1),
		"a while " + strings.Repeat("x", maxAction-1) + " while y",
		strings.Repeat(" while ", 40),
		"a while b" + strings.Repeat(" ", maxAction+10),
		"reading response header from upstream",
		"recv() failed (104: Connection reset by peer) while reading response header from upstream",
	} {
		b := []byte(msg)
		for lo := 0; lo <= len(b); lo++ {
			want := -1
			if w := refLastIndex(b[lo:], sepWhile); w >= 0 && isAction(b[lo+w+len(sepWhile):]) {
				want = lo + w
			}
			if got := lastWhile(b, lo, len(b)); got != want {
				t.Fatalf("lastWhile(%q, %d) = %d, the forward search says %d", msg, lo, got, want)
			}
		}
	}
}

// FuzzNginxErrorMatchesReference compares the scanner with the reference on
// any record.
func FuzzNginxErrorMatchesReference(f *testing.F) {
	for _, b := range differentialBases(f) {
		f.Add(b)
	}
	for _, frag := range differentialFragments {
		f.Add([]byte(nginxErrorCases[0].rec + frag))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		checkSameAsReference(t, rec)
		// The same record as the first line of a stamp, so that the header
		// parses and the fuzzer's bytes reach the context.
		checkSameAsReference(t, append([]byte("2026/11/23 14:03:19 [error] 1#1: *2 "), bytes.TrimPrefix(rec, []byte("2026/"))...))
	})
}

// TestIsActionByte checks the bit sets of isActionByte against the
// definition: letters, digits, space and "_-./".
func TestIsActionByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune(" _-./", rune(c))
		if got := isActionByte(byte(c)); got != want {
			t.Errorf("isActionByte(%q) = %v, want %v", byte(c), got, want)
		}
	}
}
