package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/logcause/logcause/analyze"
)

// A top list past the exact count shows its counts as estimates and says
// so in every format, its values as escaped as an exact list's; a list
// none of whose values stood out still says what it saw; the exact lists
// beside them are shown as before.
func TestApproximateTopLists(t *testing.T) {
	res := sample()
	inc := &res.Incidents[0]
	inc.TopPaths = []analyze.PathCount{{Path: "/<script>alert(1)</script>", Count: 5000}}
	inc.TopClients = []analyze.ValueCount{}
	inc.TopApprox = []analyze.TopApprox{
		{List: analyze.ListPaths, DistinctMoreThan: 10_000, Error: 141},
		{List: analyze.ListClients, DistinctMoreThan: 10_000, Error: 141},
	}
	for _, c := range []struct {
		format      string
		want, never []string
	}{
		{"text", []string{"≈5,000", "(more than 10,000 distinct paths: counts approximate, each up to 141 too high)",
			"Clients:     more than 10,000 distinct clients, none known to exceed 141: counts approximate",
			"Upstreams:   fastcgi://unix:/run/php/php8.2-fpm.sock: (100)\n"}, []string{"≈100"}},
		{"markdown", []string{`/&lt;script&gt;alert(1)&lt;/script&gt; (≈5,000); _more than 10,000 distinct paths: counts approximate, each up to 141 too high_`,
			"| Clients | _more than 10,000 distinct clients, none known to exceed 141: counts approximate_ |",
			"fastcgi://unix:/run/php/php8.2-fpm.sock: (100)"}, []string{"≈100"}}, // (the evidence quotes <script> fenced)
		{"html", []string{`<td>/&lt;script&gt;alert(1)&lt;/script&gt;</td><td class="n">≈5,000</td>`,
			`<td colspan="2" class="meta">more than 10,000 distinct clients, none known to exceed 141: counts approximate</td>`,
			`<td class="n">100</td>`}, []string{"<script>alert", "≈100"}},
	} {
		render, err := Renderer(c.format, DefaultWidth)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := render(&b, res); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s lacks %q:\n%s", c.format, w, b.String())
			}
		}
		for _, n := range c.never {
			if strings.Contains(b.String(), n) {
				t.Errorf("%s has %q", c.format, n)
			}
		}
	}
}
