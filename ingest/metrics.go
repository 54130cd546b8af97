package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/internal/prom"
)

type metrics struct {
	conflicts       *prometheus.CounterVec // by the field that disagrees
	warmed          prometheus.Counter
	consumed        prometheus.Counter
	inserted        prometheus.Counter
	deadLetters     *prometheus.CounterVec // by field ("" for the record as a whole, clickhouse for poison rows)
	deadLettersCut  prometheus.Counter
	batchRows       prometheus.Histogram
	batchBytes      prometheus.Histogram
	insertSecs      prometheus.Histogram
	materializeSecs prometheus.Histogram
	signalsSecs     prometheus.Histogram
	insertTimeouts  prometheus.Counter
	flushes         *prometheus.CounterVec // by reason: rows, bytes, interval, revoke, shutdown
	retries         *prometheus.CounterVec // by class
	fatal           prometheus.Counter
	lag             *prometheus.GaugeVec // by topic and partition
	paused          prometheus.Gauge
	buffered        prometheus.Gauge
	rest            prometheus.Gauge
	freshness       prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns = "rebate_ingest_"
	m := &metrics{
		consumed: prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "records_consumed_total",
			Help: "Kafka records read from the events topic."}),
		inserted: prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "events_inserted_total",
			Help: "Valid events ClickHouse accepted (replays included)."}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "conflicts_total",
			Help: "Events kept out by the rules of identity (a differing copy of an event_id, an order or withdrawal event disagreeing with its first), by the field that disagrees; each is also a dead letter."}, []string{"field"}),
		warmed: prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "warmup_records_total",
			Help: "Records read again below a partition's commit, after an assignment, to fill the window copies are compared with; never stored again."}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "dead_letters_total",
			Help: "Records sent to the dead-letter topic, by the field that broke the contract."}, []string{"field"}),
		deadLettersCut: prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "dead_letters_truncated_total",
			Help: "Dead letters whose value was cut to fit the dead-letter topic's size limit."}),
		batchRows: prometheus.NewHistogram(prometheus.HistogramOpts{Name: ns + "batch_rows",
			Help: "Events per inserted batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 10)}),
		batchBytes: prometheus.NewHistogram(prometheus.HistogramOpts{Name: ns + "batch_bytes",
			Help: "Record bytes per flushed batch.", Buckets: prometheus.ExponentialBuckets(256, 4, 10)}),
		insertSecs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: ns + "insert_seconds",
			Help: "Time to insert one batch into ClickHouse.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}),
		materializeSecs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: ns + "materialize_seconds",
			Help: "Time to work out again the prices and buckets one stored batch changed.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}),
		signalsSecs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: ns + "signals_seconds",
			Help:    "Time to work out again the fraud signals of the batches stored since the last time (at most once per --signal-interval).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}),
		insertTimeouts: prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "insert_timeouts_total",
			Help: "Inserts that got no answer within the insert timeout (retried with the same token)."}),
		flushes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "flushes_total",
			Help: "Flushed batches, by what triggered them."}, []string{"reason"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "retries_total",
			Help: "Failed flush attempts that will be retried, by error class."}, []string{"class"}),
		fatal: prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "fatal_errors_total",
			Help: "Errors that stopped the ingester without committing."}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: ns + "consumer_lag",
			Help: "Records of the partition the group has not committed (high watermark minus committed offset), from the broker; " +
				"every member reports every partition: take max by (topic, partition)."}, []string{"topic", "partition"}),
		paused: prometheus.NewGauge(prometheus.GaugeOpts{Name: ns + "paused",
			Help: "1 while fetching is paused because flushing fails."}),
		buffered: prometheus.NewGauge(prometheus.GaugeOpts{Name: ns + "buffered_bytes",
			Help: "Record bytes held in the current batch."}),
		rest: prometheus.NewGauge(prometheus.GaugeOpts{Name: ns + "flush_rest_seconds",
			Help: "How long the next batch waits for the flusher's rest after its last flush, as applied (--flush-busy, cut at --max-flush-interval after the last seal); 0 at --flush-busy 1."}),
		freshness: prometheus.NewHistogram(prometheus.HistogramOpts{Name: ns + "freshness_seconds",
			Help: "From a record's Kafka timestamp to ClickHouse accepting it.", Buckets: freshnessBuckets}),
	}
	if err := prom.Register(reg, m.consumed, m.inserted, m.conflicts, m.warmed, m.deadLetters, m.deadLettersCut, m.batchRows, m.batchBytes,
		m.insertSecs, m.materializeSecs, m.signalsSecs, m.insertTimeouts, m.flushes, m.retries, m.fatal, m.lag, m.paused, m.buffered, m.rest, m.freshness); err != nil {
		return nil, err
	}
	return m, nil
}

// freshnessBuckets bound the freshness histogram's buckets: about a quarter
// to a half apart from 10 ms to 2 minutes, with an edge at the 500 ms the
// service aims for, so that the share of batches within it is a bucket's
// count, not an interpolation. (Doubling buckets, 0.32 / 0.64 / 1.28 s, put
// a p99 anywhere in a bucket twice its lower edge.)
var freshnessBuckets = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75,
	1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 20, 30, 60, 120}
