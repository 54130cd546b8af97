package chlocal

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/internal/prom"
)

type metrics struct {
	statements  *prometheus.CounterVec
	seconds     *prometheus.HistogramVec
	insertBytes prometheus.Counter
	inFlight    prometheus.Gauge
	refused     *prometheus.CounterVec
	connWait    *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		statements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebate_chlocal_statements_total",
			Help: "Statements run by the embedded ClickHouse endpoint, by kind and result.",
		}, []string{"kind", "result"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rebate_chlocal_statement_seconds",
			Help:    "Time from request to answer in the embedded ClickHouse endpoint.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"kind"}),
		insertBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rebate_chlocal_insert_bytes_total",
			Help: "INSERT data received by the embedded ClickHouse endpoint, after decompression.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rebate_chlocal_statements_in_flight",
			Help: "Statements running or waiting for an engine connection.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rebate_chlocal_refused_total",
			Help: "Requests the embedded ClickHouse endpoint refused: origin (a browser on another site), auth (credentials), fence (a statement reaching beyond the database).",
		}, []string{"reason"}),
		connWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rebate_chlocal_connection_wait_seconds",
			Help: "Time the endpoint waited for one of the engine's connections (REBATE_CHLOCAL_CONNS per pool), 0 when one was free, " +
				"by pool (default; readonly, of the readonly users) and by what it was for (select, insert, other; check: the fence's parse " +
				"of a statement whose text it has not seen). Long waits mean more statements at once than connections.",
			Buckets: []float64{.0001, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"pool", "kind"}),
	}
	if err := prom.Register(reg, m.statements, m.seconds, m.insertBytes, m.inFlight, m.refused, m.connWait); err != nil {
		return nil, err
	}
	return m, nil
}

// waitedIn observes how long the pool named pool waited for an engine
// connection.
func (m *metrics) waitedIn(pool string) func(kind string, d time.Duration) {
	return func(kind string, d time.Duration) { m.connWait.WithLabelValues(pool, kind).Observe(d.Seconds()) }
}

func (k stmtKind) String() string {
	switch k {
	case kindOutput:
		return "select"
	case kindInsert:
		return "insert"
	case kindSession:
		return "session"
	}
	return "other"
}
