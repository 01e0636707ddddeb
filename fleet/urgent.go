package fleet

import (
	"strings"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/patterns"
)

// burstLines is how many gateway-error access lines among a quiet host's
// records held make them urgent: more than a lone one. The fleet's
// analysis opens an incident on a spike of analyze.DefaultConfig.MinErrors
// (5) gateway errors, of one host or of several together: a host with two
// or more may be most of one, and sends them at once; a lone one waits
// with the seconds held (QuietEvery), so an incident that needs it (five
// hosts with one each) opens QuietEvery late at most.
const burstLines = 2

// urgent reports whether a round's records (those of a quiet host not
// published yet) are what the fleet's incidents need now, and go at once
// with the seconds held, rather than wait for them (PumpConfig.QuietEvery):
// a burst of gateway errors (burstLines), or one record urgentRecord says
// is.
func urgent(recs []record) bool {
	gateway := 0
	for _, r := range recs {
		if a := r.ev.Access; a != nil {
			if analyze.IsGateway(a.Status) {
				if gateway++; gateway >= burstLines {
					return true
				}
			}
			continue
		}
		if urgentRecord(r.ev) {
			return true
		}
	}
	return false
}

// urgentRecord reports whether a record other than an access line goes
// at once: what a cause rule reads (analyze.CauseEvidence: an upstream's
// failed connect or timeout, pm.max_children, PHP-FPM stopped, reloaded
// or crashed, the database gone or refusing connections, MySQL restarted,
// an OOM kill), so that the fleet's incident of another host's burst is
// told with its cause at once, not updated a QuietEvery later; and what
// its server logs at its gravest levels (nginx and Apache crit, alert,
// emerg; PHP-FPM ALERT; MySQL ERROR; the kernel's and systemd's OOM
// lines) — but a client's failed TLS handshake, which nginx logs at crit
// ("SSL_do_handshake() failed … while SSL handshaking"): the internet's
// scanners write it all day. Slow-log entries are not urgent: they are
// written when the query or request ends, and the analysis waits for
// them (analyze's slowTail). The rest waits: the warnings and notices of
// a healthy day, an error line of a client (a file not found, a body too
// large), a 500 line, an HAProxy line (no rule reads those).
func urgentRecord(ev *patterns.Event) bool {
	switch {
	case ev.Slow != nil && !ev.Slow.Restart, ev.FPMSlow != nil:
		return false
	case analyze.CauseEvidence(ev):
		return true
	case ev.Error != nil:
		return grave(ev.Error.Level) && ev.Error.Action != "SSL handshaking"
	case ev.Apache != nil:
		return grave(ev.Apache.Level)
	case ev.FPM != nil:
		return strings.EqualFold(ev.FPM.Level, "ALERT")
	case ev.MySQL != nil:
		return strings.EqualFold(ev.MySQL.Level, "ERROR")
	case ev.Syslog != nil:
		return ev.Syslog.Event != ""
	}
	return false
}

// grave reports whether an nginx or Apache level is crit or graver.
func grave(level string) bool {
	switch strings.ToLower(level) {
	case "crit", "alert", "emerg":
		return true
	}
	return false
}
