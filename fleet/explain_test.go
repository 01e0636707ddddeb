package fleet_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
)

// loaded is a host's store holding a captured scenario, read by a batch
// load.
func loaded(t *testing.T, host, scenario string) *store.Store {
	t.Helper()
	st := openStore(t, host)
	var paths []string
	for _, name := range []string{"access.log", "error.log", "php-fpm.log"} {
		p := filepath.Join("../testdata/scenarios", scenario, name)
		if fi, err := os.Stat(p); err == nil && fi.Size() > 0 { // healthy's error.log is empty
			paths = append(paths, p)
		}
	}
	res, err := pipeline.Load(context.Background(), paths, st.NewWriter(), pipeline.Options{Zone: paris, Limits: ingest.DefaultLimits})
	if err != nil || len(res.Problems) > 0 {
		t.Fatal(err, res.Problems)
	}
	return st
}

// fleetOf publishes each host's store through a Pump to one stream, merges
// it, and returns the fleet's incidents as last told.
func fleetOf(t *testing.T, hosts map[string]*store.Store) []fleet.Incident {
	t.Helper()
	ms := newMemStream()
	for host, st := range hosts {
		r := runPumpOf(t, host, st, ms)
		if err := r.await(t); err != nil {
			t.Fatal(err)
		}
		r.stop()
	}
	fst := consume(t, ms)
	first, last, _, err := fst.Range()
	if err != nil {
		t.Fatal(err)
	}
	incs, err := fleet.Explain(fst, first, last.Add(time.Second), analyze.DefaultConfig, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	return incs
}

func hostsOf(inc fleet.Incident) []string {
	var hs []string
	for _, n := range inc.Nodes {
		hs = append(hs, n.Host)
	}
	slices.Sort(hs)
	return hs
}

// TestOneNodesProblemStaysItsOwn: PHP-FPM stopped on web1 (a real
// capture), web2 healthy (another capture, at another time): one
// incident, web1's alone, not shared.
func TestOneNodesProblemStaysItsOwn(t *testing.T) {
	incs := fleetOf(t, map[string]*store.Store{"web1": loaded(t, "web1", "fpm-stopped"), "web2": loaded(t, "web2", "healthy")})
	if len(incs) != 1 {
		t.Fatalf("%d incidents, want 1: %+v", len(incs), incs)
	}
	inc := incs[0]
	if inc.RootCause != analyze.FPMDown || inc.Shared || !slices.Equal(hostsOf(inc), []string{"web1"}) || inc.Nodes[0].Share != 1 {
		t.Errorf("%s shared=%t on %+v; want fpm_down, web1's alone", inc.RootCause, inc.Shared, inc.Nodes)
	}
	var b strings.Builder
	if err := fleet.WriteText(&b, "opened", inc); err != nil || !strings.Contains(b.String(), "fpm_down, on one node: web1 100%") {
		t.Errorf("the text says %q (%v)", b.String(), err)
	}
}

// TestALocalCauseOnTwoNodesIsNotShared: PHP-FPM stopped on both nodes at
// once (each its own PHP-FPM): one incident on both, and no shared cause.
func TestALocalCauseOnTwoNodesIsNotShared(t *testing.T) {
	incs := fleetOf(t, map[string]*store.Store{"web1": loaded(t, "web1", "fpm-stopped"), "web2": loaded(t, "web2", "fpm-stopped")})
	if len(incs) != 1 {
		t.Fatalf("%d incidents, want 1: %+v", len(incs), incs)
	}
	inc := incs[0]
	if inc.RootCause != analyze.FPMDown || inc.Shared || !slices.Equal(hostsOf(inc), []string{"web1", "web2"}) {
		t.Errorf("%s shared=%t on %+v; want fpm_down on both, not shared", inc.RootCause, inc.Shared, inc.Nodes)
	}
}

// TestHostileMessages: a message that cannot be read is skipped (the ones
// after it are merged), and a host name with control characters (a
// subject's token is what a publisher chose) is printed without them.
func TestHostileMessages(t *testing.T) {
	ms := newMemStream()
	ms.msgs = append(ms.msgs,
		fleet.Delivery{Subject: fleet.Subject("shop", "web1", fleet.KindSeconds), Seq: 1, Data: []byte("not zstd")},
		fleet.Delivery{Subject: "logcause.too.few", Seq: 2, Data: []byte("{}")})
	st := openStore(t, "web\x1b[31m1")
	commit(t, st, t0, 200, 3)
	r := runPumpOf(t, "web1", st, ms)
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	r.stop()
	if got := secondsOf(t, consume(t, ms)); got["2026-12-06T04:22:07Z 200"] != 3 {
		t.Errorf("after the messages that cannot be read, the fleet counts %v", got)
	}
	var b strings.Builder
	inc := fleet.Incident{Incident: analyze.Incident{RootCause: "fpm_down\x07"}, Nodes: []fleet.NodeShare{{Host: "web\x1b[31m1", GatewayErrors: 3, Share: 1}}}
	if err := fleet.WriteText(&b, "opened", inc); err != nil || strings.ContainsAny(b.String(), "\x1b\x07") || !strings.Contains(b.String(), "fpm_down, on one node: web[31m1 100% (3)") {
		t.Errorf("the text says %q (%v)", b.String(), err)
	}
}

// TestFleetServesWatchsAPI: the Consumer is an api.Daemon: the API's
// report is the analysis of the hosts merged, its status the fleet's
// store and the incidents it opened.
func TestFleetServesWatchsAPI(t *testing.T) {
	ms, _ := twoStoppedFPMs(t)
	fst := openStore(t, "fleet")
	c, stop := consumeAll(t, ms, fst, 512)
	defer stop()
	get := serveAPI(t, c)
	var res analyze.Result
	get("/api/v1/report?since=2026-11-24&until=2026-11-25", &res)
	if len(res.Incidents) != 1 || res.Incidents[0].RootCause != analyze.FPMDown {
		t.Fatalf("the API's report: %+v", res.Incidents)
	}
	if hosts := evidenceHosts(res.Incidents[0]); !hosts["web1"] || !hosts["web2"] {
		t.Errorf("the report's evidence names the hosts %v, want web1 and web2", hosts)
	}
	var st struct {
		Running bool             `json:"running"`
		Store   string           `json:"store"`
		Opened  map[string]int64 `json:"opened"`
	}
	get("/api/v1/status", &st)
	if !st.Running || st.Store != fst.Dir() || st.Opened["fpm_down"] != 1 {
		t.Errorf("the API's status: %+v", st)
	}
}

// serveAPI serves d's API on loopback until the test ends, and returns
// how to get one of its paths into v.
func serveAPI(t *testing.T, d api.Daemon) (get func(path string, v any)) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := api.Serve(ln, d, api.Options{Now: func() time.Time { return t0 }})
	t.Cleanup(func() { srv.Close() })
	return func(path string, v any) {
		t.Helper()
		serveGet(t, "http://"+ln.Addr().String()+path, func(r io.Reader) error { return json.NewDecoder(r).Decode(v) })
	}
}

// evidenceHosts are the hosts an incident's evidence names (its lines'
// paths are host:path).
func evidenceHosts(inc analyze.Incident) map[string]bool {
	hosts := map[string]bool{}
	for _, c := range inc.Causes {
		for _, e := range c.Evidence {
			host, _, _ := strings.Cut(e.Path, ":")
			hosts[host] = true
		}
	}
	return hosts
}
