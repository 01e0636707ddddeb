package analyze

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/logcause/logcause/patterns"
)

// evidenceSet holds the classified records around one spike.
type evidenceSet struct {
	sig     *[numSignals][]*patterns.Event
	gateway int64             // gateway errors in the spike
	start   time.Time         // the spike's first second
	end     time.Time         // the end of its last second
	access  []*patterns.Event // the spike's gateway errors from the access log, to link evidence to
	max     int               // evidence records per cause
}

func (e evidenceSet) n(s signal) int { return len(e.sig[s]) }

// split returns the records of s whose upstream is FastCGI, and the others.
func (e evidenceSet) split(s signal) (fcgi, other []*patterns.Event) {
	for _, ev := range e.sig[s] {
		if fastcgi(ev) {
			fcgi = append(fcgi, ev)
		} else {
			other = append(other, ev)
		}
	}
	return fcgi, other
}

// causes applies every rule to the set. There is always at least one cause:
// Unknown when no rule matched.
func (e evidenceSet) causes() []Cause {
	var out []Cause
	add := func(k Kind, explained int, corroborated bool, summary string, nginx, fpm []*patterns.Event) {
		out = append(out, Cause{
			Kind:            k,
			Confidence:      e.confidence(explained, corroborated),
			Summary:         summary,
			Evidence:        e.pick(fpm, nginx),
			Recommendations: recommendations[k],
		})
	}
	sig := e.sig
	timeouts := sig[sigTimeout]

	// PHP-FPM worker exhaustion: the pool hit max_children; new connections
	// overflow the unix socket's backlog (502, EAGAIN) or wait out nginx's
	// timeouts on TCP (504).
	if maxc, full := sig[sigMaxChildren], sig[sigBacklogFull]; len(maxc) > 0 || len(full) > 0 {
		nginx := full
		if len(maxc) > 0 {
			nginx = append(slices.Clone(full), timeouts...)
		}
		explained := e.explain(nginx)
		var parts []string
		if len(full) > 0 {
			parts = append(parts, e.matched(e.explain(full), "connect() … failed (11: Resource temporarily unavailable)", "the PHP-FPM socket's listen queue was full"))
		}
		if len(maxc) > 0 && len(timeouts) > 0 {
			parts = append(parts, e.matched(e.explain(timeouts), "upstream timed out", "requests waited for a free worker"))
		}
		if len(maxc) > 0 {
			parts = append(parts, e.stateChange(maxc[0], "php-fpm"))
		} else {
			parts = append(parts, "php-fpm's log shows no max_children warning in the window (is php-fpm.log included?)")
		}
		add(FPMWorkerExhaustion, explained, len(maxc) > 0 && len(nginx) > 0, strings.Join(parts, "; "), nginx, maxc)
	}

	if len(timeouts) > 0 {
		n := e.explain(timeouts)
		add(UpstreamTimeout, n, false, e.matched(n, "upstream timed out (110: …)", "the upstream did not answer in time"), timeouts, nil)
	}

	refusedFcgi, refusedOther := e.split(sigRefused)
	missingFcgi, missingOther := e.split(sigNoSocket)
	if down := append(refusedFcgi, missingFcgi...); len(down) > 0 || (e.n(sigFPMStop)+e.n(sigFPMBindFail) > 0 && e.gateway > 0) {
		fpm := append(slices.Clone(sig[sigFPMStop]), sig[sigFPMBindFail]...)
		fpm = append(fpm, sig[sigFPMStart]...)
		nDown := e.explain(down)
		parts := []string{e.matched(nDown, "connect() … failed (111: Connection refused / 2: No such file or directory)", "nothing listened on the PHP-FPM socket")}
		if len(sig[sigFPMStop]) > 0 {
			parts = append(parts, e.stateChange(sig[sigFPMStop][0], "php-fpm"))
		}
		add(FPMDown, nDown, len(down) > 0 && len(fpm) > 0, strings.Join(parts, "; "), down, fpm)
	}

	if unreachable := append(append(refusedOther, missingOther...), sig[sigUnreachable]...); len(unreachable) > 0 || e.n(sigNoLive) > 0 {
		nginx := append(slices.Clone(unreachable), sig[sigNoLive]...)
		summary := e.matched(e.explain(unreachable), "connect() … failed (refused / unreachable)", "the backend did not accept connections")
		if e.n(sigNoLive) > 0 {
			summary += fmt.Sprintf("; %d `no live upstreams` lines: nginx had marked every server of the upstream group down", e.n(sigNoLive))
		}
		add(BackendDown, e.explain(nginx), false, summary, nginx, nil)
	}

	// A reset by PHP-FPM is a worker that died; one by a proxied backend is
	// a backend that gave no valid answer.
	resets, proxiedResets := e.split(sigReset)
	if len(resets) > 0 || e.n(sigTerminated) > 0 {
		var crashed, terminated []*patterns.Event
		for _, ev := range sig[sigChildSignal] {
			if strings.Contains(ev.FPM.Message, "signal 15 ") {
				terminated = append(terminated, ev)
			} else if !strings.Contains(ev.FPM.Message, "signal 3 ") { // SIGQUIT is a graceful stop
				crashed = append(crashed, ev)
			}
		}
		nReset := e.explain(resets)
		resetText := "recv() failed (104: Connection reset by peer) / upstream prematurely closed connection"
		if term := sig[sigTerminated]; len(term) > 0 {
			summary := e.matched(nReset, resetText, "a worker was killed mid-request") + "; " +
				fmt.Sprintf("php-fpm terminated %d requests at request_terminate_timeout (first: %s)", len(term), clock(term[0].Time))
			add(FPMRequestTerminated, nReset, len(resets) > 0, summary, resets, append(slices.Clone(term), terminated...))
		}
		if len(crashed) > 0 || (len(resets) > 0 && e.n(sigTerminated) == 0) {
			summary := e.matched(nReset, resetText, "a worker died mid-request")
			if len(crashed) > 0 {
				summary += "; " + e.stateChange(crashed[0], "php-fpm")
			} else {
				summary += "; php-fpm's log names no dead child in the window (is php-fpm.log included?)"
			}
			add(WorkerCrash, nReset, len(crashed) > 0 && len(resets) > 0, summary, resets, crashed)
		}
	}

	// An invalid answer, or a proxied backend that closed the connection
	// without one.
	if invalid := append(slices.Clone(sig[sigInvalidResponse]), proxiedResets...); len(invalid) > 0 {
		stem, why := "upstream sent invalid …", "the upstream's answer was not valid HTTP/FastCGI"
		if len(proxiedResets) > 0 {
			stem, why = "upstream prematurely closed connection / upstream sent invalid …",
				"the proxied backend closed the connection or answered something that is not HTTP"
		}
		n := e.explain(invalid)
		add(InvalidUpstreamResponse, n, false, e.matched(n, stem, why), invalid, nil)
	}

	for _, r := range []struct {
		s    signal
		k    Kind
		stem string
		why  string
	}{
		{sigHeaderTooBig, UpstreamHeaderTooBig, "upstream sent too big header", "the response headers did not fit the buffer"},
		{sigPermission, SocketPermission, "connect() … failed (13: Permission denied)", "nginx's user may not open the socket"},
		{sigDNS, DNSFailure, "… could not be resolved", "the upstream name did not resolve"},
		{sigTLS, UpstreamTLS, "SSL … while SSL handshaking to upstream", "the TLS handshake failed"},
	} {
		if evs := sig[r.s]; len(evs) > 0 {
			n := e.explain(evs)
			add(r.k, n, false, e.matched(n, r.stem, r.why), evs, nil)
		}
	}

	out = append(out, e.databaseCauses()...)
	out = append(out, e.oomCauses()...)

	if len(out) == 0 {
		out = append(out, Cause{
			Kind:       Unknown,
			Confidence: 0,
			Summary: fmt.Sprintf("no nginx error-log or php-fpm record in the window explains the %d gateway errors; "+
				"analyze the nginx error log and php-fpm log of the same host and period together with the access log", e.gateway),
			Evidence:        []Evidence{},
			Recommendations: recommendations[Unknown],
		})
	}
	return out
}

// chain returns the causal chain of root, root first: the deeper causes
// found among causes that explain it are put before it.
func (e evidenceSet) chain(root Kind, causes []Cause) []Kind {
	found := map[Kind]float64{}
	for _, c := range causes {
		found[c.Kind] = c.Confidence
	}
	chain := []Kind{root}
	if root == FPMWorkerExhaustion && e.n(sigTimeout) > 0 && e.n(sigMaxChildren) > 0 {
		chain = []Kind{FPMWorkerExhaustion, UpstreamTimeout}
	}
	deeper := func(k Kind) bool { return found[k] >= 0.5 }
	switch chain[0] {
	case FPMWorkerExhaustion, UpstreamTimeout:
		if deeper(SlowQueries) {
			chain = append([]Kind{SlowQueries}, chain...)
		}
	case WorkerCrash, FPMDown:
		if deeper(OOMKill) && e.oomVictim("php") {
			chain = append([]Kind{OOMKill}, chain...)
		}
	case MySQLDown:
		if deeper(OOMKill) && e.oomVictim("mysqld", "mariadbd") {
			chain = append([]Kind{OOMKill}, chain...)
		}
	}
	return chain
}

// requestKey names one request: who asked what, when.
type requestKey struct {
	client, request string
	second          int64
}

// explain counts the spike's gateway errors in the access log that one of
// the error-log lines names: the same connection number (when the access
// log carries $connection), or the same client and request line within a
// second. Each line explains one request. Without access lines to link to,
// or when no line names its request (lines cut at 2048 bytes), it counts
// the lines.
func (e evidenceSet) explain(lines []*patterns.Event) int {
	byConn := map[int64]int{}
	byReq := map[requestKey]int{}
	named := 0
	for _, l := range lines {
		if l.Error == nil {
			continue
		}
		if c := l.Error.Connection; c > 0 {
			byConn[c]++
		}
		if l.Error.Request != "" && l.Error.Client != "" {
			byReq[requestKey{l.Error.Client, l.Error.Request, l.Time.Unix()}]++
			named++
		}
	}
	if len(e.access) == 0 || named == 0 {
		return min(len(lines), int(e.gateway))
	}
	n := 0
	for _, ev := range e.access {
		a := ev.Access
		if c := a.Connection; c > 0 && byConn[c] > 0 {
			byConn[c]--
			n++
			continue
		}
		req := a.URI
		if a.Method != "" {
			req = a.Method + " " + a.URI + " " + a.Protocol
		}
		for _, d := range []int64{0, -1, 1} {
			k := requestKey{a.RemoteAddr, req, ev.Time.Unix() + d}
			if byReq[k] > 0 {
				byReq[k]--
				n++
				break
			}
		}
	}
	return n
}

// confidence scores a cause: the share of the spike's gateway errors that
// have a matching error-log record, plus a bonus when a second log (PHP-FPM)
// confirms the state change nginx only shows the symptom of.
func (e evidenceSet) confidence(explained int, corroborated bool) float64 {
	share := 0.0
	if e.gateway > 0 {
		share = math.Min(1, float64(explained)/float64(e.gateway))
	}
	c := 0.2 + 0.6*share
	if corroborated {
		c += 0.15
	}
	return math.Round(math.Min(c, 0.95)*100) / 100
}

func (e evidenceSet) matched(n int, stem, why string) string {
	return fmt.Sprintf("%d of %d gateway errors in the window have a matching `%s` line in the nginx error log (%s)", n, e.gateway, stem, why)
}

func (e evidenceSet) stateChange(ev *patterns.Event, who string) string {
	msg := ev.Text
	switch {
	case ev.FPM != nil:
		msg = ev.FPM.Message
	case ev.Error != nil:
		msg = ev.Error.Message
	}
	d := e.start.Sub(ev.Time.Truncate(time.Second))
	rel := fmt.Sprintf("%s before the first gateway error", d)
	switch {
	case d == 0:
		rel = "in the same second as the first gateway error"
	case d < 0:
		rel = fmt.Sprintf("%s after the first gateway error", -d)
	}
	return fmt.Sprintf("%s logged `%s` at %s, %s", who, msg, clock(ev.Time), rel)
}

func clock(t time.Time) string { return t.UTC().Format("15:04:05") + " UTC" }

// pick chooses the evidence: the state changes (first list) first, then a
// sample of the symptoms spread over the spike (its first ones, some from
// the middle, its last one), at most e.max in all, in time order; within a
// second the state changes come first.
func (e evidenceSet) pick(state, symptoms []*patterns.Event) []Evidence {
	state = state[:min(len(state), e.max/3)]
	chosen := append([]*patterns.Event(nil), state...)
	chosen = append(chosen, spread(symptoms, min(e.max-len(state), maxSymptoms))...)
	out := make([]Evidence, 0, len(chosen))
	for _, ev := range chosen {
		out = append(out, Evidence{Source: ev.Kind.String(), Path: ev.Path, Offset: ev.Offset, Time: ev.Time, Text: ev.Text})
	}
	slices.SortStableFunc(out, func(a, b Evidence) int {
		return a.Time.Truncate(time.Second).Compare(b.Time.Truncate(time.Second))
	})
	return out
}

// maxSymptoms bounds the symptom lines of one cause: past a few, more of
// the same line prove nothing new.
const maxSymptoms = 6

// spread returns n records of evs: the first half of n from its start, the
// rest evenly spaced after them, ending with the last record.
func spread(evs []*patterns.Event, n int) []*patterns.Event {
	if len(evs) <= n {
		return evs
	}
	if n <= 0 {
		return nil
	}
	head := (n + 1) / 2
	out := append([]*patterns.Event(nil), evs[:head]...)
	rest, tail := n-head, evs[head:]
	for i := 1; i <= rest; i++ {
		out = append(out, tail[i*len(tail)/rest-1])
	}
	return out
}
