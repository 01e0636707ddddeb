package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/logcause/logcause/analyze"
)

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		s           string
		width, hang int
		want        []string
	}{
		{"short", 10, 0, []string{"short"}},
		{"one two three four", 9, 0, []string{"one two", "three", "four"}},
		{"  Why:   one two three", 18, 9, []string{"  Why:   one two", "         three"}},
		// Spaces inside a line stay as written; at a break they go.
		{"a  b    c", 6, 0, []string{"a  b", "c"}},
		// A word too long for a line is cut after a '/', else where the line ends.
		{"see unix:/run/php/fpm.sock now", 14, 2, []string{"see", "  unix:/run/", "  php/fpm.sock", "  now"}},
		{"abcdefghijklmnopqrstuvwxyz", 10, 2, []string{"abcdefghij", "  klmnopqr", "  stuvwxyz"}},
		// Wide characters take two columns each.
		{"日本語のログ行です", 8, 0, []string{"日本語の", "ログ行で", "す"}},
	} {
		if got := wrap(tc.s, tc.width, tc.hang); !slices.Equal(got, tc.want) {
			t.Errorf("wrap(%q, %d, %d) = %q, want %q", tc.s, tc.width, tc.hang, got, tc.want)
		}
	}
}

// columnsOf is how many terminal columns a line of the report takes,
// counted without the report's own width function: the test's text is
// ASCII, box drawing, "…", "→", "⏎" and Han (two columns each).
func columnsOf(line string) int {
	n := 0
	for _, r := range line {
		n++
		if unicode.Is(unicode.Han, r) {
			n++
		}
	}
	return n
}

// hostile is sample with text that does not wrap easily: a word longer
// than any line, a path, wide characters.
func hostile() analyze.Result {
	res := sample()
	inc := &res.Incidents[0]
	inc.Causes[0].Evidence = append(inc.Causes[0].Evidence,
		analyze.Evidence{Source: "nginx_error", Path: "/var/log/nginx/" + strings.Repeat("very-long-directory-name/", 8) + "error.log", Offset: 1 << 40, Time: t0,
			Text: "GET /" + strings.Repeat("A", 300) + " " + strings.Repeat("日本語", 40)},
	)
	inc.Causes[0].Summary += " " + strings.Repeat("x", 250)
	inc.TopPaths = append(inc.TopPaths, analyze.PathCount{Path: "/" + strings.Repeat("p", 200), Count: 1})
	res.Sources[0].TZ = strings.Repeat("zone ", 40)
	return res
}

// TestTextFitsTheWidth: at every width, no line of the report is wider
// than the terminal (60 at least), and a report with more to say than
// fits takes the whole width: the width given is the one laid out.
func TestTextFitsTheWidth(t *testing.T) {
	for _, width := range []int{0, 20, 60, 61, 72, 80, 99, 100, 101, 120, 133, 160, 200} {
		for name, res := range map[string]analyze.Result{"sample": sample(), "hostile": hostile()} {
			t.Run(fmt.Sprint(name, width), func(t *testing.T) {
				var b bytes.Buffer
				if err := Text(&b, res, width); err != nil {
					t.Fatal(err)
				}
				fit := max(width, 60)
				widest := 0
				for l := range strings.Lines(b.String()) {
					n := columnsOf(strings.TrimSuffix(l, "\n"))
					widest = max(widest, n)
					if n > fit {
						t.Errorf("%d columns, wider than %d: %s", n, fit, l)
					}
				}
				if widest != fit && name == "hostile" {
					t.Errorf("widest line %d columns, want %d: the report does not use the width", widest, fit)
				}
				// Wrapping loses no text: the evidence lines and the
				// summary are all there, spaces aside.
				squashed := squash(b.String())
				for _, e := range res.Incidents[0].Causes[0].Evidence {
					if !strings.Contains(squashed, squash(shorten(clean(e.Text), maxLineText))) {
						t.Errorf("evidence line lost in wrapping: %.80s…", e.Text)
					}
					if at := fmt.Sprint("@ byte ", e.Offset, "\n"); !strings.Contains(b.String(), at) {
						t.Errorf("%q cut or missing", at)
					}
				}
				if !strings.Contains(squashed, squash(clean(res.Incidents[0].Causes[0].Summary))) {
					t.Error("summary lost in wrapping")
				}
			})
		}
	}
}

func squash(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// TestEvidenceSaysWhereInBytes: the evidence says its byte offset as one,
// never as "file:N", which reads as a line number.
func TestEvidenceSaysWhereInBytes(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, sample(), DefaultWidth); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/var/log/php8.2-fpm.log @ byte 512\n", "/var/log/nginx/error.log @ byte 0\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report does not say %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "fpm.log:512") {
		t.Error("a byte offset shown as file:N")
	}
}

// FuzzWrap: whatever the text (cleaned, as every text the report wraps),
// wrapping ends, every line fits, and no text is lost.
func FuzzWrap(f *testing.F) {
	f.Add("  Why:         a b  c/d/e "+strings.Repeat("x", 90), 60, 15)
	f.Add("日本語 "+strings.Repeat("語", 50), 61, 4)
	f.Fuzz(func(t *testing.T, s string, width, hang int) {
		s = clean(s)
		width = 60 + int(uint(width)%200)
		hang = int(uint(hang) % 40)
		lines := wrap(s, width, hang)
		for _, l := range lines {
			if textWidth(l) > width {
				t.Fatalf("line of %d columns, width %d: %q", textWidth(l), width, l)
			}
		}
		if got := squash(strings.Join(lines, " ")); got != squash(s) {
			t.Fatalf("text changed: %q → %q", s, got)
		}
	})
}
