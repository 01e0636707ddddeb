package analyze

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// incomplete lists what is missing from rules, unknown (the fallback)
// among them, for the vocabulary kinds: a kind without exactly one rule, a
// rule of a kind outside it, a rule without describe, advice, match, or
// (exactly one of) quote and a noConfig reason, a rule that reads no
// signal, a deeper cause without a rule, and a signal no rule reads.
func incomplete(rules []rule, kinds []Kind) []string {
	var out []string
	for _, k := range kinds {
		if n := len(slices.DeleteFunc(slices.Clone(rules), func(r rule) bool { return r.kind != k })); n != 1 {
			out = append(out, fmt.Sprintf("%s has %d rules, want 1", k, n))
		}
	}
	read := map[signal]bool{}
	for _, r := range rules {
		missing := func(what string) { out = append(out, fmt.Sprintf("the rule of %s has no %s", r.kind, what)) }
		if !slices.Contains(kinds, r.kind) {
			out = append(out, fmt.Sprintf("the rule of %s is of no kind of Kinds", r.kind))
		}
		if r.describe == "" {
			missing("describe")
		}
		if len(r.advice) == 0 || slices.Contains(r.advice, "") {
			missing("advice")
		}
		if r.match == nil {
			missing("match")
		}
		if (r.quote == nil) == (r.noConfig == "") {
			missing("quote, or noConfig reason why it has none (but not both)")
		}
		if len(r.reads) == 0 && r.kind != Unknown {
			missing("signal it reads")
		}
		for _, deeper := range r.deeper {
			if d := deeper.kind; !slices.ContainsFunc(rules, func(r rule) bool { return r.kind == d }) {
				out = append(out, fmt.Sprintf("the rule of %s has deeper cause %s, which has no rule", r.kind, d))
			}
		}
		for _, s := range r.reads {
			read[s] = true
		}
	}
	for s := sigNone + 1; s < numSignals; s++ {
		if !read[s] {
			out = append(out, fmt.Sprintf("no rule reads signal %d", s))
		}
	}
	return out
}

func TestEveryKindHasACompleteRule(t *testing.T) {
	all := append(slices.Clone(rules), unknown)
	for _, p := range incomplete(all, Kinds) {
		t.Error(p)
	}
	for _, k := range Kinds {
		if ruleOf(k).kind != k {
			t.Errorf("ruleOf(%s) is the rule of %s", k, ruleOf(k).kind)
		}
	}
}

// The check finds each kind of gap.
func TestIncompleteRulesAreFound(t *testing.T) {
	all := append(slices.Clone(rules), unknown)
	blank := func(i int, f func(r *rule)) []rule {
		rs := slices.Clone(all)
		f(&rs[i])
		return rs
	}
	timeout := slices.IndexFunc(all, func(r rule) bool { return r.kind == UpstreamTimeout })
	tls := slices.IndexFunc(all, func(r rule) bool { return r.kind == UpstreamTLS })
	for _, tc := range []struct {
		rules []rule
		kinds []Kind
		want  string
	}{
		{blank(timeout, func(r *rule) { r.describe = "" }), Kinds, "upstream_timeout has no describe"},
		{blank(timeout, func(r *rule) { r.advice = nil }), Kinds, "upstream_timeout has no advice"},
		{blank(timeout, func(r *rule) { r.match = nil }), Kinds, "upstream_timeout has no match"},
		{blank(timeout, func(r *rule) { r.quote = nil }), Kinds, "upstream_timeout has no quote"},
		{blank(tls, func(r *rule) { r.noConfig = "" }), Kinds, "upstream_tls has no quote"},
		{blank(timeout, func(r *rule) { r.noConfig = "none" }), Kinds, "upstream_timeout has no quote"},
		{blank(timeout, func(r *rule) { r.reads = nil }), Kinds, "upstream_timeout has no signal"},
		{blank(timeout, func(r *rule) { r.deeper = []deeperCause{{kind: "disk_full"}} }), Kinds, "deeper cause disk_full, which has no rule"},
		{all[1:], Kinds, string(all[0].kind) + " has 0 rules"},
		{append(slices.Clone(all), unknown), Kinds, "unknown has 2 rules"},
		{all, slices.DeleteFunc(slices.Clone(Kinds), func(k Kind) bool { return k == DNSFailure }), "dns_failure is of no kind of Kinds"},
		{blank(tls, func(r *rule) { r.reads = nil }), Kinds, fmt.Sprintf("no rule reads signal %d", sigTLS)},
	} {
		got := strings.Join(incomplete(tc.rules, tc.kinds), "\n")
		if !strings.Contains(got, tc.want) {
			t.Errorf("want %q among:\n%s", tc.want, got)
		}
	}
}
