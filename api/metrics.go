package api

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// The metrics, all read from one daemon.Status at scrape time: the daemon
// counts what it counts anyway, and a scrape costs it nothing more than a
// snapshot (names and meanings in the README, "API and metrics").
var (
	descRecords = prometheus.NewDesc("logcause_records_read_total",
		"Records (lines; a multi-line record counts once) read from a followed log and committed since the daemon started.", []string{"path", "format"}, nil)
	descUnparsed = prometheus.NewDesc("logcause_records_unparsed_total",
		"Of the records read, those that did not parse.", []string{"path", "format"}, nil)
	descBehind = prometheus.NewDesc("logcause_file_behind_bytes",
		"Bytes written to a followed log and not yet committed (the whole file when it is not the one being read).", []string{"path", "format"}, nil)
	descCommits = prometheus.NewDesc("logcause_commits_total",
		"Batches committed to the store since the daemon started.", nil, nil)
	descLastCommit = prometheus.NewDesc("logcause_last_commit_timestamp_seconds",
		"When the last batch was committed (Unix time; 0: none yet).", nil, nil)
	descOpen = prometheus.NewDesc("logcause_incidents_open",
		"Incidents open now (gateway errors not yet quiet for the resolve time).", nil, nil)
	descOpened = prometheus.NewDesc("logcause_incidents_opened_total",
		"Incidents opened since the daemon started, by the root cause they opened with.", []string{"cause"}, nil)
	descGateway = prometheus.NewDesc("logcause_gateway_errors_total",
		"Requests committed with a gateway error status (502, 504, 009), by status; rate() gives them per second.", []string{"status"}, nil)
	descStoreBytes = prometheus.NewDesc("logcause_store_bytes",
		"Size of the store on disk.", nil, nil)
	descUp = prometheus.NewDesc("logcause_daemon_up",
		"1 while the daemon follows the logs and its last commit succeeded (/healthz is 200), else 0.", nil, nil)
)

// collector is the daemon's metrics, read at each scrape.
type collector struct{ d Daemon }

func newCollector(d Daemon) *collector { return &collector{d} }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRecords, descUnparsed, descBehind, descCommits, descLastCommit, descOpen, descOpened, descGateway, descStoreBytes, descUp} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.d.Status()
	for _, f := range st.Files {
		ch <- prometheus.MustNewConstMetric(descRecords, prometheus.CounterValue, float64(f.Records), f.Path, f.Format)
		ch <- prometheus.MustNewConstMetric(descUnparsed, prometheus.CounterValue, float64(f.Unparsed), f.Path, f.Format)
		ch <- prometheus.MustNewConstMetric(descBehind, prometheus.GaugeValue, float64(f.Behind), f.Path, f.Format)
	}
	ch <- prometheus.MustNewConstMetric(descCommits, prometheus.CounterValue, float64(st.Commits))
	last := 0.0
	if !st.LastCommit.IsZero() {
		last = float64(st.LastCommit.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(descLastCommit, prometheus.GaugeValue, last)
	open := 0
	for _, inc := range st.Incidents {
		if inc.Open() {
			open++
		}
	}
	ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(open))
	for cause, n := range st.Opened {
		ch <- prometheus.MustNewConstMetric(descOpened, prometheus.CounterValue, float64(n), cause)
	}
	for status, n := range st.GatewayErrors {
		ch <- prometheus.MustNewConstMetric(descGateway, prometheus.CounterValue, float64(n), statusLabel(status))
	}
	ch <- prometheus.MustNewConstMetric(descStoreBytes, prometheus.GaugeValue, float64(st.StoreBytes))
	up := 0.0
	if healthy(st) {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up)
}

// statusLabel writes a status as nginx logs it: 009 for HTTP/0.9.
func statusLabel(s int) string { return fmt.Sprintf("%03d", s) }
