package loggen

import (
	"errors"
	"io"
	"strconv"
	"time"
)

// Outage is a day of Access traffic with incidents of gateway errors: the
// failed requests in the access log, the nginx error log line nginx writes
// for each of them, and the php-fpm log lines that explain them (see
// /work/shared/docs/log-catalog.md §1.3, §3.2 and §10 for the lines; the
// captures in testdata/scenarios for real ones).
type Outage struct {
	Access
	Errors    int64 // gateway errors of the incidents in all (0: none)
	Incidents int   // incidents to spread them over (default 4), each a cause of Causes in turn
}

// Causes are the incidents' causes, in the order Outage uses them, named
// as logcause's analyze.Kind names them.
var Causes = []string{"fpm_worker_exhaustion", "upstream_timeout", "fpm_request_terminated", "fpm_down"}

// Incident is one outage of an Outage log.
type Incident struct {
	Cause    string    // one of Causes
	Start    time.Time // the first failed request's second
	Duration time.Duration
	Errors   int64
}

// Plan returns the incidents the log holds: evenly over the day (the nth
// of k starts at (n+½)/k of it), 10, 15, 20, … minutes long, the errors
// shared equally.
func (o Outage) Plan() []Incident {
	o.Access = o.defaults()
	if o.Errors <= 0 {
		return nil
	}
	k := o.Incidents
	if k <= 0 {
		k = 4
	}
	var out []Incident
	for n := range k {
		e := o.Errors / int64(k)
		if n == 0 {
			e += o.Errors % int64(k)
		}
		out = append(out, Incident{
			Cause:    Causes[n%len(Causes)],
			Start:    o.Start.Add(time.Duration(2*n+1) * 12 * time.Hour / time.Duration(k)),
			Duration: time.Duration(10+5*n) * time.Minute,
			Errors:   e,
		})
	}
	return out
}

// meanIncidentLine is the mean length of an incident's access line.
const meanIncidentLine = 215

// Write writes the access log, the nginx error log and the php-fpm log.
func (o Outage) Write(access, errlog, fpm io.Writer) (Stats, error) {
	return o.write(access, errlog, fpm)
}

const (
	socket   = "/run/php/php8.2-fpm.sock"
	docroot  = "/var/www/shop"
	upstream = "fastcgi://unix:" + socket + ":"
)

// outageWriter holds the state of one Outage.Write.
type outageWriter struct {
	*traffic
	acc, errl, fpm *counter
	st             stamps
	req            request
	line           []byte
	conn           int64 // nginx's connection serial ($connection, *CID)
	child          int   // php-fpm children's pids
	stats          Stats
}

func (o Outage) write(access, errlog, fpm io.Writer) (Stats, error) {
	o.Access = o.defaults()
	plan := o.Plan()
	w := &outageWriter{
		traffic: newTraffic(o.Seed, o.Clients),
		acc:     newCounter(access), errl: newCounter(errlog), fpm: newCounter(fpm),
		st:    stamps{start: o.Start},
		conn:  1000,
		child: 20000,
	}
	per := max(1, (o.Bytes-o.Errors*meanIncidentLine)/meanAccessLine) // base lines in the day
	sec := int64(-1)
	for i := int64(0); w.acc.bytes < o.Bytes; i++ {
		at := i * 86400 / per
		for ; sec < at; sec++ {
			w.second(sec+1, plan)
		}
		w.base()
	}
	if len(plan) > 0 { // what the base traffic did not reach
		last := plan[len(plan)-1]
		end := int64(last.Start.Sub(o.Start)/time.Second) + int64(last.Duration/time.Second)
		for ; sec < end; sec++ {
			w.second(sec+1, plan)
		}
	}
	w.stats.Bytes, w.stats.Lines = w.acc.bytes, w.acc.lines
	w.stats.Records = w.errl.lines + w.fpm.lines
	return w.stats, errors.Join(w.acc.w.Flush(), w.errl.w.Flush(), w.fpm.w.Flush())
}

// base writes one request of the day's traffic, and its error log line
// if nginx writes one.
func (w *outageWriter) base() {
	w.draw(&w.req)
	client := w.client()
	w.conn += 1 + int64(w.rng.IntN(3))
	w.line = appendAccess(w.line[:0], client, w.st.access, &w.req)
	w.acc.line(w.line)
	if w.req.status == 502 || w.req.status == 504 {
		w.stats.GatewayErrors++
	}
	if w.req.status == 404 && w.req.uri[1] != 'w' && w.req.uri[1] != 'p' { // static files nginx looked for (PHP scripts are FPM's 404s)
		w.line = w.errorLine(w.line[:0], "error", client, "open() \""+docroot+string(w.req.uri)+"\" failed (2: No such file or directory)", false)
		w.errl.line(w.line)
	}
	if w.req.php && w.rng.IntN(2000) == 0 { // pm.max_requests recycles a child now and then
		w.fpmLine("NOTICE: [pool www] child " + strconv.Itoa(w.nextChild()) + " exited with code 0 after " + w.seconds(3000) + " seconds from start")
		w.fpmLine("NOTICE: [pool www] child " + strconv.Itoa(w.nextChild()) + " started")
	}
}

func (w *outageWriter) nextChild() int {
	w.child += 1 + w.rng.IntN(7)
	return w.child
}

// seconds returns a duration in seconds as php-fpm prints it (%ld.%06d),
// below limit.
func (w *outageWriter) seconds(limit int) string {
	us := w.rng.Int64N(int64(limit) * 1e6)
	frac := strconv.FormatInt(us%1e6+1e6, 10)[1:]
	return strconv.FormatInt(us/1e6, 10) + "." + frac
}

func (w *outageWriter) fpmLine(msg string) {
	w.line = append(w.line[:0], '[')
	w.line = append(w.line, w.st.fpm...)
	w.line = append(w.line, "] "...)
	w.line = append(w.line, msg...)
	w.line = append(w.line, '\n')
	w.fpm.line(w.line)
}

// errorLine appends an nginx error log line about the current request.
func (w *outageWriter) errorLine(b []byte, level string, client int, msg string, up bool) []byte {
	b = append(b, w.st.nginxErr...)
	b = append(b, " ["...)
	b = append(b, level...)
	b = append(b, "] "...)
	pid := 812 + w.conn%2
	b = strconv.AppendInt(b, pid, 10)
	b = append(b, '#')
	b = strconv.AppendInt(b, pid, 10)
	b = append(b, ": *"...)
	b = strconv.AppendInt(b, w.conn, 10)
	b = append(b, ' ')
	b = append(b, msg...)
	b = append(b, ", client: "...)
	b = appendAddr(b, client)
	b = append(b, ", server: "+site+", request: \""...)
	b = append(b, w.req.method...)
	b = append(b, ' ')
	b = append(b, w.req.uri...)
	b = append(b, ' ')
	b = append(b, w.req.proto...)
	b = append(b, '"')
	if up {
		b = append(b, ", upstream: \""+upstream+"\""...)
	}
	b = append(b, ", host: \""+site+"\""...)
	if w.req.referer[0] != '-' {
		b = append(b, ", referrer: \""...)
		b = append(b, w.req.referer...)
		b = append(b, '"')
	}
	return append(b, '\n')
}

// second moves the logs to second sec of the day and writes the
// incidents' lines of that second, before its base traffic.
func (w *outageWriter) second(sec int64, plan []Incident) {
	w.st.at(sec)
	for _, inc := range plan {
		from := int64(inc.Start.Sub(w.st.start) / time.Second)
		d := int64(inc.Duration / time.Second)
		j := sec - from
		if j < 0 || j >= d {
			if j == d && inc.Cause == "fpm_down" { // php-fpm back
				w.fpmLine("NOTICE: fpm is running, pid " + strconv.Itoa(w.nextChild()))
				w.fpmLine("NOTICE: ready to handle connections")
				w.fpmLine("NOTICE: systemd monitor interval set to 10000ms")
			}
			continue
		}
		if j == 0 {
			switch inc.Cause {
			case "fpm_worker_exhaustion":
				w.fpmLine("WARNING: [pool www] server reached pm.max_children setting (50), consider raising it")
			case "fpm_down":
				w.fpmLine("NOTICE: Finishing ...")
				w.fpmLine("NOTICE: exiting, bye-bye!")
			}
		}
		n := ((j+1)*inc.Errors+d-1)/d - (j*inc.Errors+d-1)/d // the first second has one
		for range n {
			w.failed(inc.Cause)
		}
	}
}

// failed writes one failed request of an incident: its access line, the
// nginx error line, and php-fpm's lines where php-fpm writes some.
func (w *outageWriter) failed(cause string) {
	for w.draw(&w.req); !w.req.php; w.draw(&w.req) {
	}
	client := w.client()
	w.conn += 1 + int64(w.rng.IntN(3))
	level, msg := "error", ""
	w.req.status, w.req.size = 502, 157
	switch cause {
	case "fpm_worker_exhaustion":
		msg = "connect() to unix:" + socket + " failed (11: Resource temporarily unavailable) while connecting to upstream"
	case "upstream_timeout":
		w.req.status, w.req.size = 504, 167
		msg = "upstream timed out (110: Connection timed out) while reading response header from upstream"
	case "fpm_request_terminated":
		msg = "recv() failed (104: Connection reset by peer) while reading response header from upstream"
		script := w.req.uri
		for i, c := range script {
			if c == '?' {
				script = script[:i]
				break
			}
		}
		pid := strconv.Itoa(w.nextChild())
		w.fpmLine("WARNING: [pool www] child " + pid + ", script '" + docroot + string(script) + "' (request: \"" + w.req.method + " " + string(w.req.uri) + "\") execution timed out (30." + strconv.Itoa(100000+w.rng.IntN(900000)) + " sec), terminating")
		w.fpmLine("WARNING: [pool www] child " + pid + " exited on signal 15 (SIGTERM) after " + w.seconds(3000) + " seconds from start")
		w.fpmLine("NOTICE: [pool www] child " + strconv.Itoa(w.nextChild()) + " started")
	case "fpm_down":
		level = "crit"
		msg = "connect() to unix:" + socket + " failed (2: No such file or directory) while connecting to upstream"
	}
	w.line = appendAccess(w.line[:0], client, w.st.access, &w.req)
	w.acc.line(w.line)
	w.stats.GatewayErrors++
	w.line = w.errorLine(w.line[:0], level, client, msg, true)
	w.errl.line(w.line)
}
