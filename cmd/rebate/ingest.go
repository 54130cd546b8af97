package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/ingest"
)

// runIngest consumes the events topic into ClickHouse until stopped.
func runIngest(ctx context.Context, cfg *Config, env *environment) error {
	log := cfg.logger(env.stderr)
	reg := newRegistry()
	stopMetrics, err := serveMetrics(cfg.MetricsListen, reg)
	if err != nil {
		return err
	}
	defer stopMetrics()
	db, err := clickhouse.Open(ctx, cfg.ClickHouse)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg.Kafka.ClientID = "rebate-ingest"
	in, err := ingest.New(cfg.Ingest, cfg.Kafka, db, log.With("component", "ingest"), reg, ingest.Hooks{})
	if err != nil {
		return err
	}
	return in.Run(ctx)
}

// newRegistry holds a process's metrics, Go runtime and process ones included.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// serveMetrics serves /metrics on addr ("" serves nothing) until stopped.
func serveMetrics(addr string, reg *prometheus.Registry) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := listen(addr, "--metrics-listen, REBATE_METRICS_LISTEN")
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }() // ends with Shutdown
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
