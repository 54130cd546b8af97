package api

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/internal/prom"
)

type metrics struct {
	requests *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	accepted prometheus.Counter
	rejected prometheus.Counter
	// authFailures: unknown_key (a key no one has), throttled (refused
	// before comparing, the address having failed too often).
	authFailures *prometheus.CounterVec
	// Balance streams: open now, users polled for them, balances sent, and
	// polls by result (ok, error).
	streams      prometheus.Gauge
	watched      prometheus.Gauge
	streamEvents prometheus.Counter
	polls        *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rebate_api_requests_total",
			Help: "API requests by route, method and status."}, []string{"route", "method", "status"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rebate_api_request_seconds",
			Help: "API request latency by route and method.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"route", "method"}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{Name: "rebate_api_events_accepted_total",
			Help: "Events POST /v1/events validated and produced to Kafka."}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "rebate_api_events_rejected_total",
			Help: "Events POST /v1/events refused for breaking the contract."}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rebate_api_auth_failures_total",
			Help: "Requests refused for their API key: unknown_key, or throttled after too many failures from the address."}, []string{"result"}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rebate_api_balance_streams_open",
			Help: "Balance streams (GET /v1/users/{id}/balance/stream) open now."}),
		watched: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rebate_api_balance_streams_watched_users",
			Help: "Users whose balance is polled for open streams: one poller each, however many streams watch them."}),
		streamEvents: prometheus.NewCounter(prometheus.CounterOpts{Name: "rebate_api_balance_stream_events_total",
			Help: "Balance events sent on balance streams."}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rebate_api_balance_stream_polls_total",
			Help: "Balance reads of the stream pollers, by result: ok or error."}, []string{"result"}),
	}
	if err := prom.Register(reg, m.requests, m.seconds, m.accepted, m.rejected, m.authFailures,
		m.streams, m.watched, m.streamEvents, m.polls); err != nil {
		return nil, err
	}
	return m, nil
}

// measure counts and times requests by the route's template, so a label
// never holds an id.
func (s *Server) measure(route string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // writes the status, so it can be counted
			}
			method := c.Request().Method
			s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(c.Response().Status)).Inc()
			s.metrics.seconds.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
			return nil
		}
	}
}
