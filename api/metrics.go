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
	descAlertsSent = prometheus.NewDesc("logcause_alerts_sent_total",
		"Alerts delivered since the daemon started, by destination (webhook N (format), webhook \"name\", email).", []string{"destination"}, nil)
	descAlertsFailed = prometheus.NewDesc("logcause_alerts_failed_total",
		"Alerts given up: every attempt failed, or the receiver refused them.", nil, nil)
	descAlertsDropped = prometheus.NewDesc("logcause_alerts_dropped_total",
		"Alerts dropped from a full queue, or left unsent at a stop or a reload.", nil, nil)
	descAlertsFolded = prometheus.NewDesc("logcause_alerts_folded_total",
		"Incidents not announced: within the cooldown of an alert of the same root cause.", nil, nil)
)

// AlertCounts is what the metrics tell of the alerts (package alert's
// Stats).
type AlertCounts struct {
	SentTo                  map[string]int64 // by destination
	Failed, Dropped, Folded int64
}

// collector is the daemon's metrics, read at each scrape, and the
// alerts' when alerts is set.
type collector struct {
	d      Daemon
	alerts func() AlertCounts
}

func newCollector(d Daemon, alerts func() AlertCounts) *collector { return &collector{d, alerts} }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRecords, descUnparsed, descBehind, descCommits, descLastCommit, descOpen, descOpened, descGateway, descStoreBytes, descUp} {
		ch <- d
	}
	if c.alerts != nil {
		for _, d := range []*prometheus.Desc{descAlertsSent, descAlertsFailed, descAlertsDropped, descAlertsFolded} {
			ch <- d
		}
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
	if c.alerts == nil {
		return
	}
	a := c.alerts()
	for dest, n := range a.SentTo {
		ch <- prometheus.MustNewConstMetric(descAlertsSent, prometheus.CounterValue, float64(n), dest)
	}
	ch <- prometheus.MustNewConstMetric(descAlertsFailed, prometheus.CounterValue, float64(a.Failed))
	ch <- prometheus.MustNewConstMetric(descAlertsDropped, prometheus.CounterValue, float64(a.Dropped))
	ch <- prometheus.MustNewConstMetric(descAlertsFolded, prometheus.CounterValue, float64(a.Folded))
}

// statusLabel writes a status as nginx logs it: 009 for HTTP/0.9.
func statusLabel(s int) string { return fmt.Sprintf("%03d", s) }
