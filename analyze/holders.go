package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/logcause/logcause/internal/numfmt"
)

// holder is what a request traced by PHP-FPM's slow log was waiting on:
// the innermost frame of its stack, where PHP was when php-fpm looked.
type holder uint8

const (
	holdOwn       holder = iota // the script's own work: its code, sleep(), anything not below
	holdDBConnect               // opening a database connection: PDO->__construct(), mysqli_real_connect()
	holdDBQuery                 // a query: PDOStatement->execute(), PDO->query(), mysqli_query()
	holdSession                 // session_start(): PHP's session lock
	holdExternal                // an outbound call: curl_exec(), file_get_contents('http…'), a socket
	holdFileLock                // flock(): a lock on a file, held by another request or process
	numHolders
)

// holderFuncs names the functions whose frame, innermost, means the
// request waited on something outside PHP. php 8.2 logs a method by its
// name alone (`__construct`, `execute`); a class prefix, when a version
// writes one, is dropped before the lookup.
var holderFuncs = map[string]holder{
	// The innermost __construct is an internal constructor that blocks:
	// PDO's or mysqli's, which connect. (A user constructor is never
	// innermost: PHP is in the code it runs.)
	"__construct": holdDBConnect, "mysqli_connect": holdDBConnect, "mysqli_real_connect": holdDBConnect,
	"real_connect": holdDBConnect, "pg_connect": holdDBConnect, "pg_pconnect": holdDBConnect,

	"execute": holdDBQuery, "query": holdDBQuery, "exec": holdDBQuery, "prepare": holdDBQuery,
	"fetch": holdDBQuery, "fetchall": holdDBQuery, "fetchcolumn": holdDBQuery, "nextrowset": holdDBQuery,
	"begintransaction": holdDBQuery, "commit": holdDBQuery, "rollback": holdDBQuery,
	"mysqli_query": holdDBQuery, "mysqli_real_query": holdDBQuery, "mysqli_multi_query": holdDBQuery,
	"mysqli_stmt_execute": holdDBQuery, "mysqli_execute": holdDBQuery, "mysqli_execute_query": holdDBQuery,
	"mysqli_next_result": holdDBQuery, "mysqli_store_result": holdDBQuery, "mysqli_commit": holdDBQuery,
	"execute_query": holdDBQuery, "real_query": holdDBQuery, "multi_query": holdDBQuery,
	"pg_query": holdDBQuery, "pg_query_params": holdDBQuery, "pg_execute": holdDBQuery,

	"session_start": holdSession, "session_regenerate_id": holdSession,

	"curl_exec": holdExternal, "curl_multi_exec": holdExternal, "curl_multi_select": holdExternal,
	"file_get_contents": holdExternal, "fopen": holdExternal, "fsockopen": holdExternal, "pfsockopen": holdExternal,
	"stream_socket_client": holdExternal, "stream_select": holdExternal, "stream_get_contents": holdExternal,
	"fread": holdExternal, "fgets": holdExternal, "socket_connect": holdExternal, "socket_read": holdExternal,
	"socket_recv": holdExternal, "gethostbyname": holdExternal, "dns_get_record": holdExternal,
	"__dorequest": holdExternal, "__soapcall": holdExternal, "connect": holdExternal, "pconnect": holdExternal,
	"ldap_bind": holdExternal, "ldap_search": holdExternal,

	"flock": holdFileLock,
}

// holderOf returns what the traced request of ev waited on.
func holderOf(ev record) holder {
	if ev.FPMSlow == nil || len(ev.FPMSlow.Frames) == 0 {
		return holdOwn
	}
	f := strings.ToLower(ev.FPMSlow.Frames[0].Function)
	if i := strings.LastIndex(f, "->"); i >= 0 {
		f = f[i+2:]
	} else if i := strings.LastIndex(f, "::"); i >= 0 {
		f = f[i+2:]
	}
	return holderFuncs[f]
}

// traces returns what the PHP-FPM slow log's traces of a window say held
// the workers (traceAgg: their count, and per holder the traces, their
// count and the places they waited in); none when the rule does not read
// them.
func (e evidenceSet) traces() *traceAgg {
	if e.agg == nil || e.agg.traces == nil {
		return newTraceAgg()
	}
	return e.agg.traces
}

// dominant reports whether h held the most traced requests (ties go to
// the outside holders, in their order: a database before the script's
// own work), and at least a third of them.
func (t *traceAgg) dominant(h holder) bool {
	n := t.by[h].recs.n
	if n == 0 || 3*n < t.n {
		return false
	}
	for o := holdDBConnect; o < numHolders; o++ {
		if t.by[o].recs.n > n || (t.by[o].recs.n == n && o < h) {
			return false
		}
	}
	if h != holdOwn && t.by[holdOwn].recs.n > n {
		return false
	}
	return true
}

// share says how many of the traced requests waited on h, and where most
// of them did: "37 of 40 traced requests waited in `__construct()`
// (/var/www/lib/db.php:9)".
func (t *traceAgg) share(h holder, verb string) string {
	places := slices.Clone(t.by[h].places) // in the order they came: the most first, ties in that order
	slices.SortStableFunc(places, func(a, b place) int { return cmp.Compare(b.n, a.n) })
	s := fmt.Sprintf("%s of %s traced requests (PHP-FPM slow log) %s %s", numfmt.Int(t.by[h].recs.n), numfmt.Int(t.n), verb, places[0].where)
	if len(places) > 1 {
		s += fmt.Sprintf(" and %s other place(s)", numfmt.Int(len(places)-1))
	}
	return s
}

// saturated reports whether the PHP-FPM pool was full in the window: it
// said so, its socket's backlog overflowed, FastCGI requests timed out, or
// php-fpm killed requests at request_terminate_timeout.
func (e evidenceSet) saturated() bool {
	fcgiTimeouts, _ := e.split(sigTimeout)
	return e.n(sigMaxChildren)+e.n(sigBacklogFull)+fcgiTimeouts.n+e.n(sigTerminated) > 0
}

// holderConfidence scores a holder from the share of traced requests that
// waited on it, raised when the pool was full meanwhile.
func (e evidenceSet) holderConfidence(t *traceAgg, h holder) float64 {
	share := float64(t.by[h].recs.n) / float64(max(t.n, 1))
	c := 0.3 + 0.5*share
	if e.saturated() {
		c += 0.15
	}
	return round2(min(c, 0.95))
}

// holderCause is the cause of a holder kind: the traced requests that
// waited on h, when they are the most and the pool was full or requests
// timed out meanwhile, as its summary and evidence, with the php-fpm
// warnings that counted them.
func (e evidenceSet) holderCause(h holder, verb, meaning string) *Cause {
	t := e.traces()
	if !t.dominant(h) || !e.saturated() {
		return nil // slow requests that filled no pool made no gateway error
	}
	summary := t.share(h, verb) + ": " + meaning
	if n := e.n(sigTooSlow); n > 0 {
		summary += fmt.Sprintf("; php-fpm logged %s `executing too slow` warnings", numfmt.Int(n))
	}
	summary += "; meanwhile the PHP-FPM pool was full or requests timed out"
	return e.withEvidence(&Cause{Confidence: e.holderConfidence(t, h), Summary: summary}, t.by[h].recs, e.sig[sigMaxChildren])
}

// holderReads are the signals the holder rules read.
var holderReads = []signal{sigTrace, sigTooSlow, sigMaxChildren, sigBacklogFull, sigTimeout, sigTerminated}

// heldWorkers is the chain after a holder: the pool it filled, or the
// timeouts of the requests it held.
func heldWorkers(e evidenceSet) Kind {
	switch {
	case e.n(sigMaxChildren)+e.n(sigBacklogFull) > 0:
		return FPMWorkerExhaustion
	case e.n(sigTimeout) > 0:
		return UpstreamTimeout
	case e.n(sigTerminated) > 0:
		return FPMRequestTerminated
	}
	return ""
}

// holderKinds are the causes that say what held the PHP workers: a
// deeper cause of the pool's exhaustion, of the upstream's timeouts and of
// the requests php-fpm killed at request_terminate_timeout.
var holderKinds = []deeperCause{{kind: SlowQueries}, {kind: DBUnresponsive}, {kind: SessionLock}, {kind: SlowExternalCall}}

// missingTraces says what the slow log would have told, when the window
// has no trace: "" when it has.
func (e evidenceSet) missingTraces() string {
	switch {
	case e.n(sigTrace) > 0:
		return ""
	case e.n(sigTooSlow) > 0:
		return fmt.Sprintf("php-fpm logged %s `executing too slow` warnings, but its slow log is not among the logs read: give it to logcause to tell what held the workers", numfmt.Int(e.n(sigTooSlow)))
	}
	return "no PHP-FPM slow log traced a request in the window, so its traces cannot tell what held the workers (a database, a lock, an outbound call, or the load alone): enable it in the pool with `slowlog = /var/log/php8.2-fpm.slow.log` and `request_slowlog_timeout = 5s`"
}

// holderRule is the rule of a holder kind: the traced requests that
// waited on h, when they are the most, meaning what the summary says of
// them; its recommendations name the pool's request_terminate_timeout when
// nothing bounds a request.
func holderRule(kind Kind, describe string, advice []string, h holder, meaning string) rule {
	return rule{
		kind:     kind,
		describe: describe,
		advice:   advice,
		reads:    holderReads,
		match: func(e evidenceSet) *Cause {
			return e.holderCause(h, "waited in", meaning)
		},
		quote: func(e evidenceSet, c *Cause, cfg configured) (found, recs []string) {
			return quoteHeldPool(e, c, cfg, advice)
		},
		leadsTo: heldWorkers,
	}
}
