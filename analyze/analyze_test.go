package analyze

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

var t0 = time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// fake is a Reader over slices: the access events make the rollups, as the
// ingest pipeline does.
type fake struct {
	events []*patterns.Event
	gaps   []timeline.Gap
}

func (f *fake) Seconds(from, to time.Time) ([]timeline.Second, error) {
	m := map[int64]map[string]map[int]int64{} // second → upstream ("" for all) → status → count
	for _, ev := range f.events {
		if ev.Access == nil || ev.Time.Before(from) || !ev.Time.Before(to) {
			continue
		}
		s := ev.Time.Unix()
		if m[s] == nil {
			m[s] = map[string]map[int]int64{"": {}}
		}
		m[s][""][ev.Access.Status]++
		if u := ev.Access.UpstreamAddr; u != "" {
			if m[s][u] == nil {
				m[s][u] = map[int]int64{}
			}
			m[s][u][ev.Access.Status]++
		}
	}
	counts := func(c map[int]int64) timeline.Counts {
		var out timeline.Counts
		for code, n := range c {
			out = append(out, timeline.StatusCount{Code: code, Count: n})
		}
		slices.SortFunc(out, func(a, b timeline.StatusCount) int { return a.Code - b.Code })
		return out
	}
	var out []timeline.Second
	for s, ups := range m {
		sec := timeline.Second{Time: time.Unix(s, 0).UTC(), Status: counts(ups[""])}
		for u, c := range ups {
			if u != "" {
				sec.Upstreams = append(sec.Upstreams, timeline.UpstreamCount{Addr: u, Status: counts(c)})
			}
		}
		out = append(out, sec)
	}
	slices.SortFunc(out, func(a, b timeline.Second) int { return a.Time.Compare(b.Time) })
	return out, nil
}

func (f *fake) Gaps(from, to time.Time) ([]timeline.Gap, error) {
	var out []timeline.Gap
	for _, g := range f.gaps {
		if !g.Time.Before(from) && g.Time.Before(to) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (f *fake) Events(from, to time.Time, fn func(*patterns.Event) error) error {
	evs := slices.Clone(f.events)
	slices.SortStableFunc(evs, func(a, b *patterns.Event) int { return a.Time.Compare(b.Time) })
	for _, ev := range evs {
		if !ev.Time.Before(from) && ev.Time.Before(to) {
			if err := fn(ev); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *fake) EventsOf(kind patterns.Kind, from, to time.Time, fn func(*patterns.Event) error) error {
	return f.Events(from, to, func(ev *patterns.Event) error {
		if ev.Kind != kind {
			return nil
		}
		return fn(ev)
	})
}

func (f *fake) access(sec, status int, uri string, n int) {
	for i := range n {
		f.events = append(f.events, &patterns.Event{
			Time: at(sec).Add(time.Duration(i) * time.Millisecond), Kind: patterns.KindNginxAccess,
			Path: "access.log", Offset: int64(len(f.events)), Text: fmt.Sprintf("GET %s %d", uri, status),
			Access: &patterns.Access{Method: "GET", URI: uri, Status: status, RemoteAddr: "10.0.0.1"},
		})
	}
}

const fpmSock = "fastcgi://unix:/run/php/php8.2-fpm.sock:"

func (f *fake) nginx(sec, n, errno int, msg, action, upstream string) {
	for i := range n {
		f.events = append(f.events, &patterns.Event{
			Time: at(sec), Kind: patterns.KindNginxError, Path: "error.log", Offset: int64(len(f.events)),
			Text:  fmt.Sprintf("[error] %s while %s, upstream: %q", msg, action, upstream),
			Error: &patterns.NginxError{Level: "error", Message: msg, Errno: errno, Action: action, Upstream: upstream, Connection: int64(i + 1), Server: "shop.example.com"},
		})
	}
}

func (f *fake) fpm(sec int, level, msg string) {
	child := 0
	fmt.Sscanf(msg, "child %d", &child) // as the parser reads "child N" after the pool
	f.events = append(f.events, &patterns.Event{
		Time: at(sec), Kind: patterns.KindFPMError, Path: "php-fpm.log", Offset: int64(len(f.events)),
		Text: level + ": [pool www] " + msg, FPM: &patterns.FPMError{Level: level, Pool: "www", Child: child, Message: msg},
	})
}

// healthy adds 5 requests a second of 200s over [from, to).
func (f *fake) healthy(from, to int) {
	for s := from; s < to; s++ {
		f.access(s, 200, "/index.php", 5)
	}
}

func analyzeFake(t *testing.T, f *fake) Result {
	t.Helper()
	res, err := Analyze(f, TimeRange{t0, at(3600)}, DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func onlyIncident(t *testing.T, res Result) Incident {
	t.Helper()
	if len(res.Incidents) != 1 {
		t.Fatalf("%d incidents, want 1: %+v", len(res.Incidents), res.Incidents)
	}
	return res.Incidents[0]
}

const (
	eagain      = "connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable)"
	timedOut    = "upstream timed out (110: Connection timed out)"
	refused     = "connect() to unix:/run/php/php8.2-fpm.sock failed (111: Connection refused)"
	reset       = "recv() failed (104: Connection reset by peer)"
	maxChildren = "server reached pm.max_children setting (4), consider raising it"
	readHeader  = "reading response header from upstream"
	connecting  = "connecting to upstream"
)

func TestHealthyLogHasNoIncident(t *testing.T) {
	f := &fake{}
	f.healthy(0, 120)
	f.fpm(30, "NOTICE", "child 123 started")
	res := analyzeFake(t, f)
	if len(res.Incidents) != 0 {
		t.Fatalf("incidents on a healthy log: %+v", res.Incidents)
	}
	if res.Totals.Requests != 600 || res.Totals.Status["200"] != 600 {
		t.Errorf("totals = %+v", res.Totals)
	}
}

func TestStrayGatewayErrorsAreNotAnIncident(t *testing.T) {
	f := &fake{}
	f.healthy(0, 300)
	f.access(10, 502, "/a", 1)
	f.access(100, 502, "/a", 2)
	f.access(200, 504, "/b", 1)
	if res := analyzeFake(t, f); len(res.Incidents) != 0 {
		t.Fatalf("stray 502s became incidents: %+v", res.Incidents)
	}
}

func TestWorkerExhaustionOverUnixSocket(t *testing.T) {
	f := &fake{}
	f.healthy(0, 120)
	f.fpm(49, "WARNING", maxChildren)
	for s := 50; s < 60; s++ {
		f.access(s, 502, "/slow.php?id=1", 8)
		f.access(s, 502, "/cart.php", 2)
		f.nginx(s, 10, 11, eagain, connecting, fpmSock)
	}
	inc := onlyIncident(t, analyzeFake(t, f))
	if inc.RootCause != FPMWorkerExhaustion || !reflect.DeepEqual(inc.Chain, []Kind{FPMWorkerExhaustion}) {
		t.Fatalf("root %s chain %v", inc.RootCause, inc.Chain)
	}
	if !inc.Start.Equal(at(50)) || !inc.End.Equal(at(60)) {
		t.Errorf("window %v–%v, want 13:00:50–13:01:00", inc.Start, inc.End)
	}
	if inc.Status["502"] != 100 || inc.Requests != 150 {
		t.Errorf("status %v of %d requests", inc.Status, inc.Requests)
	}
	if want := []PathCount{{"/slow.php", 80}, {"/cart.php", 20}}; !reflect.DeepEqual(inc.TopPaths, want) {
		t.Errorf("top paths %v, want %v", inc.TopPaths, want)
	}
	if want := []ValueCount{{fpmSock, 100}}; !reflect.DeepEqual(inc.TopUpstreams, want) {
		t.Errorf("top upstreams %v, want %v", inc.TopUpstreams, want)
	}
	if want := []ValueCount{{"10.0.0.1", 100}}; !reflect.DeepEqual(inc.TopClients, want) {
		t.Errorf("top clients %v, want %v", inc.TopClients, want)
	}
	if want := []ValueCount{{"shop.example.com", 100}}; !reflect.DeepEqual(inc.TopHosts, want) {
		t.Errorf("top hosts %v, want %v", inc.TopHosts, want)
	}
	c := inc.Causes[0]
	if c.Confidence < 0.9 {
		t.Errorf("confidence %.2f for a fully explained, corroborated exhaustion", c.Confidence)
	}
	sources := map[string]bool{}
	for _, e := range c.Evidence {
		sources[e.Source] = true
	}
	if !sources["nginx_error"] || !sources["fpm_error"] || len(c.Evidence) > DefaultConfig.Evidence {
		t.Errorf("evidence from %v (%d lines), want nginx_error and fpm_error", sources, len(c.Evidence))
	}
	for _, want := range []string{"100 of 100 gateway errors", "pm.max_children", "1s before the first gateway error"} {
		if !strings.Contains(c.Summary, want) {
			t.Errorf("summary %q lacks %q", c.Summary, want)
		}
	}
	if !strings.Contains(inc.Title, "502s on /slow.php") || len(c.Recommendations) == 0 {
		t.Errorf("title %q, %d recommendations", inc.Title, len(c.Recommendations))
	}
}

func TestWorkerExhaustionOverTCPChainsToTimeouts(t *testing.T) {
	f := &fake{}
	f.healthy(0, 200)
	f.fpm(100, "WARNING", maxChildren)
	for s := 160; s < 170; s++ { // 60 s fastcgi_read_timeout later
		f.access(s, 504, "/report.php", 3)
		f.nginx(s, 3, 110, timedOut, readHeader, "fastcgi://127.0.0.1:9000")
	}
	res, err := Analyze(f, TimeRange{t0, at(600)}, Config{MinErrors: 5, MergeGap: 30 * time.Second, Lookback: 90 * time.Second, Grace: 5 * time.Second, Evidence: 12})
	if err != nil {
		t.Fatal(err)
	}
	inc := onlyIncident(t, res)
	if !reflect.DeepEqual(inc.Chain, []Kind{FPMWorkerExhaustion, UpstreamTimeout}) {
		t.Fatalf("chain %v, causes %+v", inc.Chain, inc.Causes)
	}
	if len(inc.Causes) != 2 || inc.Causes[1].Kind != UpstreamTimeout {
		t.Errorf("causes %+v", inc.Causes)
	}
}

func TestPlainTimeoutWithoutFPMEvidence(t *testing.T) {
	f := &fake{}
	f.healthy(0, 120)
	for s := 30; s < 36; s++ {
		f.access(s, 504, "/api", 2)
		f.nginx(s, 2, 110, timedOut, readHeader, "http://10.0.0.5:8080/api")
	}
	inc := onlyIncident(t, analyzeFake(t, f))
	if inc.RootCause != UpstreamTimeout || inc.Causes[0].Confidence != 0.8 {
		t.Fatalf("root %s confidence %.2f", inc.RootCause, inc.Causes[0].Confidence)
	}
	if !strings.HasPrefix(inc.Title, "504s on /api") {
		t.Errorf("title %q", inc.Title)
	}
}

func TestFPMStopped(t *testing.T) {
	f := &fake{}
	f.healthy(0, 120)
	f.fpm(40, "NOTICE", "Terminating ...")
	f.fpm(40, "NOTICE", "exiting, bye-bye!")
	for s := 41; s < 50; s++ {
		f.access(s, 502, "/", 4)
		f.nginx(s, 4, 2, "connect() to unix:/run/php/php8.2-fpm.sock failed (2: No such file or directory)", connecting, fpmSock)
	}
	inc := onlyIncident(t, analyzeFake(t, f))
	if inc.RootCause != FPMDown || inc.Causes[0].Confidence < 0.9 || !strings.Contains(inc.Causes[0].Summary, "Terminating") {
		t.Fatalf("root %s: %+v", inc.RootCause, inc.Causes[0])
	}
}

func TestOneToOneCauses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		msg      string
		errno    int
		action   string
		upstream string
		fpm      string
		want     Kind
	}{
		{"refused TCP backend", "connect() failed (111: Connection refused)", 111, connecting, "http://127.0.0.1:8080/", "", BackendDown},
		{"no route", "connect() failed (113: No route to host)", 113, connecting, "http://10.0.0.9:80/", "", BackendDown},
		{"no live upstreams", "no live upstreams", 0, connecting, "http://backend/", "", BackendDown},
		{"permission", "connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied)", 13, connecting, fpmSock, "", SocketPermission},
		{"too big header", "upstream sent too big header", 0, readHeader, fpmSock, "", UpstreamHeaderTooBig},
		{"invalid header", `upstream sent invalid header: "\x00" `, 0, readHeader, "http://127.0.0.1:8080/", "", InvalidUpstreamResponse},
		{"FastCGI stdout", "upstream prematurely closed FastCGI stdout", 0, readHeader, fpmSock, "", InvalidUpstreamResponse},
		{"dns", "backend.internal could not be resolved (3: Host not found)", 0, "", "", "", DNSFailure},
		{"tls", "SSL_do_handshake() failed (SSL: error:0A000086)", 0, "SSL handshaking to upstream", "https://10.0.0.5:443/", "", UpstreamTLS},
		{"reset, terminated", reset, 104, readHeader, fpmSock, "child 77, script '/var/www/slow.php' (request: \"GET /slow.php\") execution timed out (5.001 sec), terminating", FPMRequestTerminated},
		{"reset, segfault", reset, 104, readHeader, fpmSock, "child 77 exited on signal 11 (SIGSEGV - core dumped) after 3.2 seconds from start", WorkerCrash},
		{"prematurely closed, no fpm log", "upstream prematurely closed connection", 0, readHeader, fpmSock, "", WorkerCrash},
		{"prematurely closed by a proxied backend", "upstream prematurely closed connection", 0, readHeader, "http://127.0.0.1:19300/legacy", "", InvalidUpstreamResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{}
			f.healthy(0, 60)
			if tc.fpm != "" {
				f.fpm(20, "WARNING", tc.fpm)
			}
			for s := 20; s < 26; s++ {
				f.access(s, 502, "/x", 1)
				f.nginx(s, 1, tc.errno, tc.msg, tc.action, tc.upstream)
			}
			inc := onlyIncident(t, analyzeFake(t, f))
			if inc.RootCause != tc.want {
				t.Fatalf("root %s, want %s; causes %+v", inc.RootCause, tc.want, inc.Causes)
			}
			if inc.Causes[0].Confidence < 0.5 || len(inc.Causes[0].Evidence) == 0 || len(inc.Causes[0].Recommendations) == 0 {
				t.Errorf("weak cause: %+v", inc.Causes[0])
			}
		})
	}
}

func TestBodyPhaseFailuresAreNotGatewayErrors(t *testing.T) {
	f := &fake{}
	f.healthy(0, 60)
	for s := 20; s < 26; s++ {
		f.access(s, 502, "/x", 1)
		f.nginx(s, 1, 110, timedOut, "reading upstream", fpmSock)
	}
	inc := onlyIncident(t, analyzeFake(t, f))
	if inc.RootCause != Unknown {
		t.Fatalf("a body-phase timeout explained a 502: %+v", inc.Causes)
	}
}

func TestUnexplainedSpikeIsUnknown(t *testing.T) {
	f := &fake{}
	f.healthy(0, 60)
	f.access(30, 502, "/x", 20)
	inc := onlyIncident(t, analyzeFake(t, f))
	if inc.RootCause != Unknown || inc.Causes[0].Confidence != 0 || !strings.Contains(inc.Causes[0].Summary, "20 gateway errors") {
		t.Fatalf("%+v", inc.Causes)
	}
}

// A summary writes its counts as the rest of the report does: 1,500, not 1500.
func TestSummaryCountsHaveSeparators(t *testing.T) {
	f := &fake{}
	f.healthy(0, 60)
	f.access(30, 502, "/x", 1500)
	inc := onlyIncident(t, analyzeFake(t, f))
	if inc.RootCause != Unknown || !strings.Contains(inc.Causes[0].Summary, "explains the 1,500 gateway errors") {
		t.Fatalf("%+v", inc.Causes)
	}
}

func TestTwoIncidentsAMinuteApart(t *testing.T) {
	f := &fake{}
	f.healthy(0, 300)
	f.fpm(99, "WARNING", maxChildren)
	for s := 100; s < 105; s++ {
		f.access(s, 502, "/slow.php", 5)
		f.nginx(s, 5, 11, eagain, connecting, fpmSock)
	}
	for s := 165; s < 170; s++ {
		f.access(s, 504, "/api", 5)
		f.nginx(s, 5, 110, timedOut, readHeader, "http://127.0.0.1:8080/api")
	}
	res := analyzeFake(t, f)
	if len(res.Incidents) != 2 {
		t.Fatalf("%d incidents", len(res.Incidents))
	}
	if res.Incidents[0].RootCause != FPMWorkerExhaustion || res.Incidents[1].RootCause != UpstreamTimeout {
		t.Errorf("roots %s, %s", res.Incidents[0].RootCause, res.Incidents[1].RootCause)
	}
}

func TestBurstsWithinMergeGapAreOneIncident(t *testing.T) {
	secs := []timeline.Second{
		{Time: at(0), Status: []timeline.StatusCount{{Code: 502, Count: 3}}},
		{Time: at(20), Status: []timeline.StatusCount{{Code: 502, Count: 3}}},
		{Time: at(100), Status: []timeline.StatusCount{{Code: 504, Count: 9}}},
	}
	got, _ := spikes(secs, DefaultConfig)
	want := []window{{at(0), at(21), 6}, {at(100), at(101), 9}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("spikes = %+v, want %+v", got, want)
	}
}

func TestStrayErrorsAreNoise(t *testing.T) {
	f := &fake{}
	f.healthy(0, 300)
	f.access(10, 502, "/a", 1)
	f.access(100, 504, "/b", 1)
	res := analyzeFake(t, f)
	if len(res.Incidents) != 0 || res.Noise.GatewayErrors != 2 || len(res.Noise.Bursts) != 2 {
		t.Fatalf("incidents %d, noise %+v", len(res.Incidents), res.Noise)
	}
	if b := res.Noise.Bursts[1]; !b.Start.Equal(at(100)) || b.Status["504"] != 1 {
		t.Errorf("second burst %+v", b)
	}
}

// TestChronicErrorsAreNoIncident: a site that always fails a little (2 of
// 100 requests a second) has no incident every second; a real spike on top
// of it still is one.
func TestChronicErrorsAreNoIncident(t *testing.T) {
	f := &fake{}
	for s := 0; s < 1800; s++ {
		f.access(s, 200, "/", 98)
		f.access(s, 502, "/flaky", 2)
	}
	res := analyzeFake(t, f)
	if len(res.Incidents) != 0 {
		t.Fatalf("chronic 2%% errors became %d incident(s): %+v", len(res.Incidents), res.Incidents[0].Start)
	}
	if res.Noise.GatewayErrors != 3600 {
		t.Errorf("noise %d, want all 3,600 errors", res.Noise.GatewayErrors)
	}
	for s := 1700; s < 1710; s++ {
		f.access(s, 502, "/checkout", 40)
	}
	res = analyzeFake(t, f)
	if len(res.Incidents) != 1 {
		t.Fatalf("%d incidents for a 40%% spike over a 2%% background", len(res.Incidents))
	}
}

// TestQuietSiteWhereEverythingFails: one request a second, all 504s.
func TestQuietSiteWhereEverythingFails(t *testing.T) {
	f := &fake{}
	for s := 0; s < 120; s++ {
		status := 200
		if s >= 60 && s < 70 {
			status = 504
		}
		f.access(s, status, "/", 1)
	}
	if res := analyzeFake(t, f); len(res.Incidents) != 1 || res.Incidents[0].Status["504"] != 10 {
		t.Fatalf("%+v", res.Incidents)
	}
}

func (f *fake) slow(end int, seconds float64, query, fingerprint string) {
	f.events = append(f.events, &patterns.Event{
		Time: at(end), Kind: patterns.KindMySQLSlow, Path: "mysql-slow.log", Offset: int64(len(f.events)), Text: "# Query_time: … " + query,
		Slow: &patterns.SlowQuery{QueryTime: seconds, Query: query, Fingerprint: fingerprint, QueryID: patterns.QueryID(fingerprint)},
	})
}

func (f *fake) syslog(sec int, ev patterns.Syslog) {
	f.events = append(f.events, &patterns.Event{Time: at(sec), Kind: patterns.KindSyslog, Path: "kern.log", Offset: int64(len(f.events)),
		Text: "kernel: " + ev.Event, Syslog: &ev})
}

func TestSlowQueriesExhaustTheWorkers(t *testing.T) {
	f := &fake{}
	f.healthy(0, 200)
	f.fpm(50, "WARNING", maxChildren)
	for s := 50; s < 60; s++ {
		f.access(s, 502, "/report.php", 5)
		f.nginx(s, 5, 11, eagain, connecting, fpmSock)
	}
	// The report query ran 20 s from 13:00:45 on, many times; logged when each ended, some after the spike.
	for i := range 12 {
		f.slow(65+i, 20, "SELECT SLEEP(20), id FROM orders WHERE id = 42", "select sleep(?), id from orders where id = ?")
	}
	f.slow(52, 1.5, "SELECT * FROM users WHERE id = 1", "select * from users where id = ?")
	f.slow(190, 2, "SELECT 1", "select ?") // ran after the spike: not evidence
	inc := onlyIncident(t, analyzeFake(t, f))
	if !reflect.DeepEqual(inc.Chain, []Kind{SlowQueries, FPMWorkerExhaustion}) || inc.RootCause != SlowQueries {
		t.Fatalf("chain %v, causes %+v", inc.Chain, inc.Causes)
	}
	var slow Cause
	for _, c := range inc.Causes {
		if c.Kind == SlowQueries {
			slow = c
		}
	}
	if slow.Confidence < 0.85 || !strings.Contains(slow.Summary, "13 slow queries in 2 class(es)") || !strings.Contains(slow.Summary, "sleep(?)") {
		t.Errorf("slow cause %+v", slow)
	}
	for _, ev := range slow.Evidence {
		if !strings.Contains(ev.Text, "SLEEP(20)") {
			t.Errorf("evidence of another class than the top one: %q", ev.Text)
		}
	}
	if !strings.HasPrefix(inc.Title, "502s on /report.php: slow database queries") {
		t.Errorf("title %q", inc.Title)
	}
	// The classes that ran during the window, not the one after it.
	want := []ClassCount{
		{QueryID: patterns.QueryID("select sleep(?), id from orders where id = ?"), Fingerprint: "select sleep(?), id from orders where id = ?", Count: 12, TotalTime: 240},
		{QueryID: patterns.QueryID("select * from users where id = ?"), Fingerprint: "select * from users where id = ?", Count: 1, TotalTime: 1.5},
	}
	if !reflect.DeepEqual(inc.SlowQueries, want) {
		t.Errorf("the incident's slow-query classes %+v, want %+v", inc.SlowQueries, want)
	}
}

func TestSlowQueriesWithoutSaturationAreWeak(t *testing.T) {
	f := &fake{}
	f.healthy(0, 120)
	for s := 50; s < 56; s++ {
		f.access(s, 504, "/api", 2)
		f.nginx(s, 2, 110, timedOut, readHeader, "http://10.0.0.5:8080/api")
	}
	f.slow(53, 2, "SELECT 1", "select ?")
	inc := onlyIncident(t, analyzeFake(t, f))
	if inc.RootCause != UpstreamTimeout {
		t.Fatalf("one short slow query became the root: %v %+v", inc.Chain, inc.Causes)
	}
}

func TestOOMKillOfAWorker(t *testing.T) {
	f := &fake{}
	f.healthy(0, 120)
	f.syslog(40, patterns.Syslog{Program: "kernel", Event: "oom_kill", VictimPID: 4242, Comm: "php-fpm8.2", AnonRSSKB: 512000, TotalVMKB: 812345})
	f.fpm(40, "WARNING", "child 4242 exited on signal 9 (SIGKILL) after 12.345678 seconds from start")
	for s := 40; s < 46; s++ {
		f.access(s, 502, "/x", 1)
		f.nginx(s, 1, 104, reset, readHeader, fpmSock)
	}
	inc := onlyIncident(t, analyzeFake(t, f))
	if !reflect.DeepEqual(inc.Chain, []Kind{OOMKill, WorkerCrash}) {
		t.Fatalf("chain %v, causes %+v", inc.Chain, inc.Causes)
	}
	for _, c := range inc.Causes {
		if c.Kind == OOMKill && (c.Confidence != 0.95 || !strings.Contains(c.Summary, "php-fpm8.2 (pid 4242, 500 MiB resident)")) {
			t.Errorf("oom cause %+v", c)
		}
	}
}

func TestDatabaseDownAndTooManyConnections(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  func(f *fake)
		want Kind
	}{
		{"restart and gone", func(f *fake) {
			f.events = append(f.events, &patterns.Event{Time: at(38), Kind: patterns.KindMySQLError, Path: "mysql-error.log",
				Text: "mysqld starting as process 77", MySQL: &patterns.MySQLError{Event: "start"}})
			f.fpm(40, "WARNING", `[pool www] child 12 said into stderr: "PHP message: PDOException: SQLSTATE[HY000] [2002] Connection refused"`)
		}, MySQLDown},
		{"too many connections", func(f *fake) {
			for s := 40; s < 46; s++ {
				f.fpm(s, "WARNING", `[pool www] child 12 said into stderr: "PHP message: SQLSTATE[HY000] [1040] Too many connections"`)
			}
		}, MySQLTooManyConnections},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{}
			f.healthy(0, 120)
			tc.add(f)
			for s := 40; s < 46; s++ {
				f.access(s, 502, "/x", 1)
			}
			inc := onlyIncident(t, analyzeFake(t, f))
			if inc.RootCause != tc.want {
				t.Fatalf("root %s, causes %+v", inc.RootCause, inc.Causes)
			}
		})
	}
}

// TestEvidenceIsLinkedToTheFailedRequests: a 502 counts as explained only
// when an error line names the same request (same client and request line
// within a second, or the same connection number).
func TestEvidenceIsLinkedToTheFailedRequests(t *testing.T) {
	f := &fake{}
	f.healthy(0, 60)
	for s := 20; s < 30; s++ {
		for i := range 2 {
			uri := fmt.Sprintf("/p?%d", s*10+i)
			f.events = append(f.events, &patterns.Event{Time: at(s), Kind: patterns.KindNginxAccess, Path: "access.log", Offset: int64(len(f.events)),
				Access: &patterns.Access{RemoteAddr: "10.0.0.9", Method: "GET", URI: uri, Protocol: "HTTP/1.1", Status: 502, Connection: int64(1000 + s*10 + i)}})
			if i == 0 { // only every other 502 has its error line: by request line for even seconds, by connection number for odd ones
				e := &patterns.NginxError{Level: "error", Message: eagain, Errno: 11, Action: connecting, Upstream: fpmSock, Client: "10.0.0.9"}
				if s%2 == 0 {
					e.Request = "GET " + uri + " HTTP/1.1"
				} else {
					e.Connection, e.Request = int64(1000+s*10+i), "GET /elsewhere HTTP/1.1"
				}
				f.events = append(f.events, &patterns.Event{Time: at(s), Kind: patterns.KindNginxError, Path: "error.log", Offset: int64(len(f.events)), Error: e})
			}
		}
		// An error line for a request that did not fail in the access log.
		f.events = append(f.events, &patterns.Event{Time: at(s), Kind: patterns.KindNginxError, Path: "error.log", Offset: int64(len(f.events)),
			Error: &patterns.NginxError{Level: "error", Message: eagain, Errno: 11, Action: connecting, Upstream: fpmSock, Client: "10.0.0.1", Request: "GET /other HTTP/1.1"}})
	}
	inc := onlyIncident(t, analyzeFake(t, f))
	if c := inc.Causes[0]; !strings.HasPrefix(c.Summary, "10 of 20 gateway errors") {
		t.Errorf("summary %q: want 10 of 20 linked (20 error lines, half of them for other requests)", c.Summary)
	}
}

// The access log's $upstream_addr tells which upstream failed: one of two
// backends refuses connections, the other serves.
func TestImpactByUpstream(t *testing.T) {
	f := &fake{}
	f.healthy(0, 60)
	for sec := 30; sec < 40; sec++ {
		f.access(sec, 502, "/api/stock/1", 3)
		f.access(sec, 200, "/api/stock/2", 2)
		f.nginx(sec, 3, 111, "connect() failed (111: Connection refused)", "connecting to upstream", "http://10.0.0.7:8080/api/stock/1")
	}
	for _, ev := range f.events {
		if a := ev.Access; a != nil && strings.HasPrefix(a.URI, "/api/") {
			a.UpstreamAddr = map[int]string{502: "10.0.0.7:8080", 200: "10.0.0.8:8080"}[a.Status]
		}
	}
	got := onlyIncident(t, analyzeFake(t, f)).ByUpstream
	want := []UpstreamShare{
		{Upstream: "10.0.0.7:8080", Requests: 30, GatewayErrors: 30},
		{Upstream: "10.0.0.8:8080", Requests: 20, GatewayErrors: 0},
	}
	if !slices.Equal(got, want) {
		t.Errorf("by upstream = %+v\nwant %+v", got, want)
	}
}

// The gaps of the followed logs in the range are reported; the others not.
func TestGapsInTheRangeAreReported(t *testing.T) {
	f := &fake{}
	f.healthy(0, 60)
	f.gaps = []timeline.Gap{
		{Time: at(-10), Path: "/var/log/nginx/error.log", Offset: 1, Reason: "before"},
		{Time: at(30), Path: "/var/log/nginx/error.log", Offset: 4096, Reason: "the saved position is in no file any more"},
	}
	res := analyzeFake(t, f)
	want := []Gap{{Time: at(30), Path: "/var/log/nginx/error.log", Offset: 4096, Reason: "the saved position is in no file any more"}}
	if !slices.Equal(res.Gaps, want) {
		t.Errorf("gaps = %+v, want %+v", res.Gaps, want)
	}
}

// nginx passes a non-HTTP answer on as HTTP/0.9 and logs status 009: a
// failed request all the same, explained by the error log's line.
func TestHTTP09AnswersAreGatewayErrors(t *testing.T) {
	f := &fake{}
	f.healthy(0, 60)
	for s := 20; s < 30; s++ {
		f.access(s, 9, "/legacy/order/1", 2)
		f.nginx(s, 2, 0, "upstream sent no valid HTTP/1.0 header", "reading response header from upstream", "http://127.0.0.1:19250/legacy/order/1")
	}
	inc := onlyIncident(t, analyzeFake(t, f))
	if inc.RootCause != InvalidUpstreamResponse || inc.Status["009"] != 20 {
		t.Errorf("root cause %s, status %v; want invalid_upstream_response and 20 × 009", inc.RootCause, inc.Status)
	}
	if want := "HTTP/0.9 answers (009) on /legacy/order/1: "; !strings.HasPrefix(inc.Title, want) {
		t.Errorf("title %q, want it to start with %q", inc.Title, want)
	}
}
