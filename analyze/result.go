// Package analyze answers one question: why did the site throw gateway
// errors? It finds the spikes of 502/504 responses in the per-second request
// counts, gathers the error-log records around each spike, and ranks the
// candidate causes with their evidence, confidence, causal chain and fix.
//
// analyze does no I/O of its own: it reads through the small Reader
// interface, so every rule can be tested from slices of events.
package analyze

import "time"

// Version is the version of the JSON contract of Result.
const Version = 1

// Result is the outcome of one analysis. Its JSON form is a public contract
// (README, "JSON output"): fields are added, never renamed.
type Result struct {
	Version   int        `json:"version"`
	Range     TimeRange  `json:"range"`
	Sources   []Source   `json:"sources"`
	Totals    Totals     `json:"totals"`
	Incidents []Incident `json:"incidents"`
	Noise     Noise      `json:"noise"` // gateway errors that belong to no incident
	Gaps      []Gap      `json:"gaps"`  // where lines of the followed logs may be missing
	// The servers' configuration the findings quote; absent when none was
	// given, or when it is not that of the servers that wrote the logs.
	Config *ConfigUse `json:"config,omitempty"`
	// The slow-query digest of the whole range: the classes with the
	// longest total query time first, at most 20; SlowQueriesMore counts
	// the classes not listed.
	SlowQueries     []QueryClass `json:"slow_queries"`
	SlowQueriesMore int          `json:"slow_queries_more"`
	// The range's requests and gateway errors over time, bucketed (a
	// second, or longer for a long range): what a chart of it draws.
	Series Series `json:"series"`
}

// Gap is a place where lines of a followed log may be missing (the saved
// position was in no file any more, a file was truncated before its end
// was read): evidence from that log may be incomplete around it.
type Gap struct {
	Time   time.Time `json:"time"` // when it was noticed
	Path   string    `json:"path"`
	Offset int64     `json:"offset"` // where reading of the file stopped
	Reason string    `json:"reason"`
}

// Noise counts the gateway errors outside incidents: stray ones, and bursts
// too small, or too close to the usual rate, to be incidents.
type Noise struct {
	GatewayErrors int64        `json:"gateway_errors"`
	Bursts        []NoiseBurst `json:"bursts"` // the first few, in time order
}

// NoiseBurst is a run of seconds with gateway errors that is no incident.
type NoiseBurst struct {
	Start  time.Time        `json:"start"`
	End    time.Time        `json:"end"`
	Status map[string]int64 `json:"status"`
}

// TimeRange is a span of time, both ends in UTC.
type TimeRange struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Source is one log file that was read, or tried.
type Source struct {
	Path     string   `json:"path"`
	Format   string   `json:"format"`
	Records  int64    `json:"records"`
	Unparsed int64    `json:"unparsed"`
	TZ       string   `json:"tz"`                         // the zone used for stamps without one, or "from log" when stamps carry theirs
	Samples  []string `json:"unparsed_samples,omitempty"` // a few records that did not parse
	Error    string   `json:"error,omitempty"`            // why the file could not be read to its end, or at all
}

// Totals counts the requests of the whole range.
type Totals struct {
	Requests int64            `json:"requests"`
	Status   map[string]int64 `json:"status"`
}

// Incident is one spike of gateway errors and its explanation.
type Incident struct {
	Start     time.Time        `json:"start"`
	End       time.Time        `json:"end"`
	Title     string           `json:"title"`
	Requests  int64            `json:"requests"` // all requests in the window
	Status    map[string]int64 `json:"status"`   // 5xx responses in the window, by status
	RootCause Kind             `json:"root_cause"`
	Chain     []Kind           `json:"chain"` // root first, symptom last
	Causes    []Cause          `json:"causes"`
	TopPaths  []PathCount      `json:"top_paths"`
	// Who and what the failed requests involved: clients from the access
	// log, upstreams and hosts from the nginx error log.
	TopClients   []ValueCount `json:"top_clients"`
	TopUpstreams []ValueCount `json:"top_upstreams"`
	TopHosts     []ValueCount `json:"top_hosts"`
	// The top lists whose field had more distinct values than analysis
	// counts exactly (TopApprox.DistinctMoreThan, 10,000): their counts
	// are estimates. Absent when every list is exact.
	TopApprox []TopApprox `json:"top_approx,omitempty"`
	// How each upstream fared in the window, from the access log's
	// $upstream_addr; empty when the log format does not carry it.
	ByUpstream []UpstreamShare `json:"by_upstream"`
	// The slow-query classes whose entries may have run during the window
	// (within Query_time of its stamp, which is the query's start on
	// MariaDB and its end on MySQL), the longest total time first, at most
	// 5.
	SlowQueries []ClassCount `json:"slow_queries"`
}

// UpstreamShare is the requests one upstream answered in an incident's
// window, and how many of them were gateway errors.
type UpstreamShare struct {
	Upstream      string `json:"upstream"`
	Requests      int64  `json:"requests"`
	GatewayErrors int64  `json:"gateway_errors"`
}

// The names of the top lists, in TopApprox.List.
const (
	ListPaths     = "paths"
	ListClients   = "clients"
	ListUpstreams = "upstreams"
	ListHosts     = "hosts"
)

// TopApprox is what the counts of a top list that went past the exact
// count are worth. Each count it lists is at least the value's true count
// and at most Error more; it lists only the values that surely occurred
// more than Error times. Error is at most the list's gateway errors /
// 10,000, and a value that occurred more than twice Error is listed
// (within the first maxTop): one with a large share comes first.
type TopApprox struct {
	List             string `json:"list"`               // ListPaths, ListClients, ListUpstreams or ListHosts
	DistinctMoreThan int    `json:"distinct_more_than"` // the field had more distinct values than this
	Error            int64  `json:"error"`              // how much a count may exceed the truth
}

// Approx returns what the counts of the top list named list are worth
// when they are estimates; nil when they are exact.
func (inc Incident) Approx(list string) *TopApprox {
	for i := range inc.TopApprox {
		if inc.TopApprox[i].List == list {
			return &inc.TopApprox[i]
		}
	}
	return nil
}

// ValueCount is how many gateway errors involved one value.
type ValueCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Cause is one candidate explanation of an incident.
type Cause struct {
	Kind       Kind       `json:"kind"`
	Confidence float64    `json:"confidence"`
	Summary    string     `json:"summary"`
	Evidence   []Evidence `json:"evidence"`
	// The records of the cause that Evidence leaves out: it shows a few,
	// an outage has hundreds of thousands.
	EvidenceMore    int       `json:"evidence_more"`
	Settings        []Setting `json:"settings"` // the configuration values that shaped it, when known
	Recommendations []string  `json:"recommendations"`
}

// Evidence is one log record that supports a cause.
type Evidence struct {
	Source string    `json:"source"` // the log's format, e.g. nginx_error
	Path   string    `json:"path"`
	Offset int64     `json:"offset"`
	Time   time.Time `json:"time"`
	Text   string    `json:"text"`
}

// PathCount is how many gateway errors one request path received.
type PathCount struct {
	Path  string `json:"path"`
	Count int64  `json:"count"`
}
