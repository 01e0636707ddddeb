package analyze

import "strings"

// rule is everything analysis knows of one cause kind: which signals show
// it, how its cause is found and told, what fixes it, which configuration
// it quotes and where it stands in a causal chain. Each rule is declared in
// a file of its own, cause_<kind>.go, and listed in rules (but unknown, the
// fallback).
//
// Records are classified into signals once, in classify.go, because
// several rules read the same signals; a rule names those it reads, and
// match, quote and deeper.when see only them.
type rule struct {
	kind     Kind
	describe string   // the incident's title when the kind is its root cause: "PHP-FPM ran out of workers (…)"
	advice   []string // the fix, as the cause's recommendations
	reads    []signal // the signals the rule reads
	// match returns the rule's cause, without Kind and Recommendations
	// (filled in from the rule), or nil when the records do not show it.
	match func(e evidenceSet) *Cause
	// quote sets c.Settings to the configuration values that shaped the
	// cause (c as match returned it, with the advice as recommendations),
	// and returns what they say, appended to the summary, and
	// recommendations that name the values to change, which replace the
	// advice when there are any. It runs only with the configuration of
	// the servers that wrote the logs.
	quote func(e evidenceSet, c *Cause, cfg configured) (found, recs []string)
	// noConfig says why the kind quotes no configuration, when quote is nil.
	noConfig string
	// deeper is a cause that, found beside this one, comes before it in
	// the chain when this one is the root; zero: none.
	deeper deeperCause
	// leadsTo returns the kind this one caused that follows it in the
	// chain, or "" for none; nil: none.
	leadsTo func(e evidenceSet) Kind
}

// deeperCause is a cause that explains another one.
type deeperCause struct {
	kind Kind
	when func(e evidenceSet) bool // whether the records tie the two together; nil: always
}

// deeperConfidence is how sure a deeper cause must be to be put before the
// root in a chain.
const deeperConfidence = 0.5

// rules are the cause rules in the order their causes are listed before
// they are ranked by confidence: a tie keeps this order, and the reports
// depend on it.
var rules = []rule{
	fpmWorkerExhaustion,
	upstreamTimeout,
	fpmDown,
	backendDown,
	fpmRequestTerminated,
	workerCrash,
	invalidUpstreamResponse,
	upstreamHeaderTooBig,
	socketPermission,
	dnsFailure,
	upstreamTLS,
	slowQueries,
	mysqlDown,
	mysqlTooManyConnections,
	oomKill,
}

// ruleOf returns the rule of kind k.
func ruleOf(k Kind) rule {
	for _, r := range rules {
		if r.kind == k {
			return r
		}
	}
	return unknown
}

// causes applies every rule to the set. There is always at least one cause:
// unknown when no rule matched.
func (e evidenceSet) causes() []Cause {
	var out []Cause
	for _, r := range rules {
		if c := r.cause(e); c != nil {
			out = append(out, *c)
		}
	}
	if len(out) == 0 {
		out = append(out, *unknown.cause(e))
	}
	return out
}

// cause returns the rule's cause in the set, nil when there is none.
func (r rule) cause(e evidenceSet) *Cause {
	c := r.match(e.only(r.reads))
	if c != nil {
		c.Kind, c.Recommendations = r.kind, r.advice
	}
	return c
}

// quoteConfig adds to a cause the settings that shaped it, a sentence
// about them to its summary, and recommendations that name the values to
// change and where they are.
func (e evidenceSet) quoteConfig(c *Cause, cfg configured) {
	r := ruleOf(c.Kind)
	if r.quote == nil {
		return
	}
	found, recs := r.quote(e.only(r.reads), c, cfg)
	if len(found) > 0 {
		c.Summary += "; " + strings.Join(found, "; ")
	}
	if len(recs) > 0 {
		c.Recommendations = recs // the static advice, made concrete
	}
}

// chain returns the causal chain of root, root first: the deeper cause
// found among causes that explains it is put before it, and the kind it
// led to after it.
func (e evidenceSet) chain(root Kind, causes []Cause) []Kind {
	r := ruleOf(root)
	e = e.only(r.reads)
	chain := []Kind{root}
	if r.leadsTo != nil {
		if k := r.leadsTo(e); k != "" {
			chain = append(chain, k)
		}
	}
	d := r.deeper
	if d.kind == "" || (d.when != nil && !d.when(e)) {
		return chain
	}
	for _, c := range causes {
		if c.Kind == d.kind && c.Confidence >= deeperConfidence {
			return append([]Kind{d.kind}, chain...)
		}
	}
	return chain
}
