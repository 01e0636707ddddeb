package analyze

import (
	"strings"

	"github.com/logcause/logcause/patterns"
)

// signal is what one error-log record says about the upstream path.
//
// The signals are one vocabulary that the rules (cause_*.go) share, each
// naming those it reads, and records are classified here, once each,
// rather than by the rules: most signals are read by several rules
// (sigTimeout by upstream_timeout, fpm_worker_exhaustion and slow_queries),
// one message can mean the signals of different rules (connect()'s errno),
// and the order of the tests crosses rules ("upstream sent too big header"
// before "upstream sent", "upstream prematurely closed FastCGI stdout"
// before "upstream prematurely closed connection").
type signal uint8

const (
	sigNone signal = iota
	// nginx error log
	sigTimeout         // upstream timed out before the response header → 504
	sigBacklogFull     // connect() failed (11: EAGAIN): unix-socket listen queue full → 502
	sigRefused         // connect() failed (111: ECONNREFUSED) → 502
	sigNoSocket        // connect() failed (2: ENOENT): socket file missing → 502
	sigPermission      // connect() failed (13: EACCES) → 502
	sigUnreachable     // connect() failed (113/101/112) → 502
	sigReset           // recv() failed (104) / upstream prematurely closed, before the header → 502
	sigHeaderTooBig    // upstream sent too big header → 502
	sigInvalidResponse // upstream sent invalid … / FastCGI protocol errors → 502
	sigNoLive          // no live upstreams → 502 (a consequence)
	sigDNS             // could not be resolved / no resolver defined → 502
	sigTLS             // TLS handshake to the upstream failed → 502
	// PHP-FPM log
	sigMaxChildren // server reached (pm.)max_children
	sigTerminated  // execution timed out (…), terminating
	sigChildSignal // child exited on signal N
	sigFPMStop     // Terminating / Finishing / exiting, bye-bye
	sigFPMReload   // Reloading in progress / reloading: execvp(…): a graceful reload (SIGUSR2)
	sigFPMStart    // ready to handle connections / fpm is running
	sigFPMBindFail // unable to bind listening socket
	sigTooSlow     // a request ran past request_slowlog_timeout: executing too slow (…), logging
	sigTrace       // a PHP-FPM slow-log entry: where a slow request was waiting
	// database and kernel
	sigSlowQuery    // a slow-log entry
	sigMySQLRestart // the server (re)started: error log start/crash, or a slow-log header mid-file
	sigMySQLGone    // PHP could not reach the database: [2002] / [2006]
	sigTooManyConns // PHP was refused by the database: [1040] Too many connections
	sigOOMKill      // the kernel's OOM killer killed a process
	numSignals
)

// gatewayStatus is the status nginx answers for a request that met the
// signal: 504 for timeouts, 502 for the other upstream failures, 0 when the
// record is not a failed request (FPM records, body-phase failures).
func (s signal) gatewayStatus() int {
	switch {
	case s == sigTimeout:
		return 504
	case s > sigTimeout && s <= sigTLS:
		return 502
	}
	return 0
}

// CauseEvidence reports whether a cause rule reads ev: what it says of
// the upstream path (a failed connect, a timeout, pm.max_children, the
// database gone or refusing, a restart, an OOM kill, a slow-log entry) is
// one of the signals the rules share. An access line is none: the rules
// read its status, and the seconds' counts make the spikes.
func CauseEvidence(ev *patterns.Event) bool { return classify(ev) != sigNone }

// classify returns the signal of one record.
func classify(ev *patterns.Event) signal {
	switch {
	case ev.Error != nil:
		if s := classifyPHPDatabase(ev.Error.Message); s != sigNone {
			return s
		}
		return classifyNginx(ev.Error)
	case ev.FPM != nil:
		if s := classifyPHPDatabase(ev.FPM.Message); s != sigNone {
			return s
		}
		return classifyFPM(ev.FPM)
	case ev.FPMSlow != nil:
		return sigTrace
	case ev.Slow != nil:
		if ev.Slow.Restart {
			return sigMySQLRestart
		}
		return sigSlowQuery
	case ev.MySQL != nil:
		switch ev.MySQL.Event {
		case "start", "crash":
			return sigMySQLRestart
		}
	case ev.Syslog != nil:
		if ev.Syslog.Event == "oom_kill" && ev.Syslog.TotalVMKB > 0 { // old kernels log two lines per kill: count the one with sizes
			return sigOOMKill
		}
	}
	return sigNone
}

// lastClass is classify remembering the last nginx error line's signal:
// an outage's error lines come by the hundred thousand with a few
// messages, and comparing a line's message and action with the last's
// costs less than the searches that classify it (the PHP database errors'
// in every message). Its key is a copy: the lines may be lent.
type lastClass struct {
	key   []byte // the last line's message, then its action
	split int    // where the action starts in key
	errno int
	sig   signal
	valid bool
}

// of returns classify(ev).
func (c *lastClass) of(ev *patterns.Event) signal {
	e := ev.Error
	if e == nil {
		return classify(ev)
	}
	if c.valid && e.Errno == c.errno && len(e.Message) == c.split && len(e.Action) == len(c.key)-c.split &&
		string(c.key[:c.split]) == e.Message && string(c.key[c.split:]) == e.Action {
		return c.sig
	}
	c.sig = classify(ev) // of Message, Action and Errno alone (classifyPHPDatabase, classifyNginx)
	c.key = append(append(c.key[:0], e.Message...), e.Action...)
	c.split, c.errno, c.valid = len(e.Message), e.Errno, true
	return c.sig
}

// classifyPHPDatabase recognises the database errors PHP reports (in
// nginx's "FastCGI sent in stderr" and in FPM's "said into stderr"). Of a
// message without '[' (every error code it looks for has one: PHP-FPM's
// lines of an outage, hundreds of thousands, each classified anew) only
// the two phrases are looked for.
func classifyPHPDatabase(m string) signal {
	if strings.IndexByte(m, '[') < 0 {
		switch {
		case strings.Contains(m, "Too many connections"):
			return sigTooManyConns
		case strings.Contains(m, "MySQL server has gone away"):
			return sigMySQLGone
		}
		return sigNone
	}
	return phpDatabaseAny(m)
}

// phpDatabaseAny is classifyPHPDatabase looking for every error code and
// phrase, whatever the message.
func phpDatabaseAny(m string) signal {
	switch {
	case strings.Contains(m, "[1040]") || strings.Contains(m, "Too many connections"):
		return sigTooManyConns
	case strings.Contains(m, "SQLSTATE[HY000] [2002]") || strings.Contains(m, "MySQL server has gone away") ||
		strings.Contains(m, "SQLSTATE[HY000] [2006]"):
		return sigMySQLGone
	}
	return sigNone
}

// headerPhase reports whether the action is one before the response header
// reached the client: only failures there change the status to 502/504.
func headerPhase(action string) bool {
	switch action {
	case "connecting to upstream", "SSL handshaking to upstream",
		"sending request to upstream", "reading response header from upstream":
		return true
	}
	return false
}

func classifyNginx(e *patterns.NginxError) signal {
	m := e.Message
	switch {
	case strings.HasPrefix(m, "no live upstreams"):
		return sigNoLive
	case strings.Contains(m, "could not be resolved") || strings.HasPrefix(m, "no resolver defined"):
		return sigDNS
	}
	if !headerPhase(e.Action) {
		return sigNone
	}
	switch {
	case strings.HasPrefix(m, "upstream timed out"):
		return sigTimeout
	case strings.HasPrefix(m, "upstream sent too big header"):
		return sigHeaderTooBig
	case strings.HasPrefix(m, "upstream sent") || strings.HasPrefix(m, "upstream prematurely closed FastCGI stdout"):
		return sigInvalidResponse
	case strings.HasPrefix(m, "upstream prematurely closed connection"):
		return sigReset
	case e.Action == "SSL handshaking to upstream" || strings.Contains(m, "SSL"):
		return sigTLS
	case strings.HasPrefix(m, "connect()"):
		switch e.Errno {
		case 11:
			return sigBacklogFull
		case 111:
			return sigRefused
		case 2:
			return sigNoSocket
		case 13:
			return sigPermission
		case 101, 112, 113:
			return sigUnreachable
		case 104:
			return sigReset
		}
	case strings.HasPrefix(m, "recv() failed") || strings.HasPrefix(m, "readv() failed") ||
		strings.HasPrefix(m, "writev() failed") || strings.HasPrefix(m, "send() failed"):
		return sigReset
	}
	return sigNone
}

func classifyFPM(e *patterns.FPMError) signal {
	m := e.Message
	switch {
	case strings.HasPrefix(m, "server reached pm.max_children setting") ||
		strings.HasPrefix(m, "server reached max_children setting"):
		return sigMaxChildren
	case strings.Contains(m, "execution timed out"):
		return sigTerminated
	case strings.Contains(m, " exited on signal "):
		return sigChildSignal
	case strings.Contains(m, "executing too slow"):
		return sigTooSlow
	case strings.HasPrefix(m, "Reloading in progress") || strings.HasPrefix(m, "reloading: execvp"):
		return sigFPMReload
	case strings.HasPrefix(m, "Terminating") || strings.HasPrefix(m, "Finishing") ||
		strings.HasPrefix(m, "exiting, bye-bye"):
		return sigFPMStop
	case strings.HasPrefix(m, "ready to handle connections") || strings.HasPrefix(m, "fpm is running"):
		return sigFPMStart
	case strings.HasPrefix(m, "unable to bind listening socket"):
		return sigFPMBindFail
	}
	return sigNone
}

// fastcgi reports whether the record's upstream is a FastCGI one (PHP-FPM).
func fastcgi(ev record) bool {
	return ev.Error != nil && strings.HasPrefix(ev.Error.Upstream, "fastcgi://")
}
