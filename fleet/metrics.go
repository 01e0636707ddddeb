package fleet

import "github.com/prometheus/client_golang/prometheus"

// The publisher's metrics (README, "API and metrics").
var (
	descMessages = prometheus.NewDesc("logcause_fleet_published_messages_total",
		"Messages the fleet's stream stored (seconds, records, incidents) since the daemon started.", nil, nil)
	descBytes = prometheus.NewDesc("logcause_fleet_published_bytes_total",
		"Bytes of the messages published (bodies, subjects and IDs).", nil, nil)
	descFailures = prometheus.NewDesc("logcause_fleet_publish_failures_total",
		"Rounds of publishing that failed (NATS out of reach, no stream leader): the store keeps what they held.", nil, nil)
	descBacklog = prometheus.NewDesc("logcause_fleet_backlog_seconds",
		"How much of the store's history is not published yet (0 once a round succeeded).", nil, nil)
	descSkipped = prometheus.NewDesc("logcause_fleet_skipped_seconds_total",
		"Seconds of history never published: a backlog longer than its bound.", nil, nil)
	descSkippedRecords = prometheus.NewDesc("logcause_fleet_skipped_records_total",
		"Records never published: stamped further behind the store's last second than the backlog's bound.", nil, nil)
	descDropped = prometheus.NewDesc("logcause_fleet_dropped_incidents_total",
		"Incident events dropped from a full queue.", nil, nil)
)

// Collector is a Pump's metrics, read at each scrape.
func (p *Pump) Collector() prometheus.Collector { return pumpCollector{p} }

type pumpCollector struct{ p *Pump }

func (c pumpCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMessages, descBytes, descFailures, descBacklog, descSkipped, descSkippedRecords, descDropped} {
		ch <- d
	}
}

func (c pumpCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.p.Stats()
	ch <- prometheus.MustNewConstMetric(descMessages, prometheus.CounterValue, float64(s.Messages))
	ch <- prometheus.MustNewConstMetric(descBytes, prometheus.CounterValue, float64(s.Bytes))
	ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, float64(s.Failures))
	ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, s.Backlog.Seconds())
	ch <- prometheus.MustNewConstMetric(descSkipped, prometheus.CounterValue, float64(s.Skipped))
	ch <- prometheus.MustNewConstMetric(descSkippedRecords, prometheus.CounterValue, float64(s.SkippedRecords))
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(s.Dropped))
}
