package analyze

import (
	"slices"
	"strings"
)

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
	describe string // the incident's title when the kind is its root cause: "PHP-FPM ran out of workers (…)"
	// headline, when set, returns the title that says more than describe
	// about the records ("php-fpm was reloaded at …"), or "" for describe.
	headline func(e evidenceSet) string
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
	// deeper are the causes that, found beside this one, come before it
	// in the chain when this one is the root: the most confident of them
	// that is sure enough; none: nothing comes before it.
	deeper []deeperCause
	// leadsTo returns the kind this one caused that follows it in the
	// chain, or "" for none; nil: none. The chain goes on with the kind
	// that one leads to.
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
	dbUnresponsive,
	sessionLock,
	slowExternalCall,
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
// Recommendations that match sets are kept: the advice made to fit what
// the records show.
func (r rule) cause(e evidenceSet) *Cause {
	c := r.match(e.only(r.reads))
	if c != nil {
		c.Kind = r.kind
		if c.Recommendations == nil {
			c.Recommendations = r.advice
		}
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
	chain := []Kind{root}
	for next := r; next.leadsTo != nil && len(chain) <= len(rules); {
		k := next.leadsTo(e.only(next.reads))
		if k == "" || slices.Contains(chain, k) {
			break
		}
		chain = append(chain, k)
		next = ruleOf(k)
	}
	seen := e.only(r.reads)
	for _, c := range causes { // most confident first
		if c.Confidence < deeperConfidence {
			break
		}
		for _, d := range r.deeper {
			if c.Kind == d.kind && (d.when == nil || d.when(seen)) {
				return append([]Kind{d.kind}, chain...)
			}
		}
	}
	return chain
}
