package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/settings"
	"github.com/rebatehq/rebate/kafka"
)

// ingestCmd consumes the events topic into ClickHouse until stopped.
type ingestCmd struct {
	common
	ClickHouse    clickhouse.Config
	Kafka         kafka.Config
	Topics        kafka.Topics
	Ingest        ingest.Config
	Signals       clickhouse.SignalConfig
	MetricsListen string
	MemoryLimit   int
}

func (c *ingestCmd) register(f *settings.Flags) {
	c.common.register(f)
	c.ClickHouse.RegisterFlags(f)
	c.Kafka.RegisterFlags(f)
	c.Topics.RegisterFlags(f)
	c.Ingest.RegisterFlags(f)
	c.Signals.RegisterFlags(f)
	f.String(&c.MetricsListen, "metrics-listen", "REBATE_METRICS_LISTEN", "127.0.0.1:9464", "address of /metrics (empty: none)",
		settings.OptionalHostPort)
	f.Int(&c.MemoryLimit, "memory-limit", "REBATE_INGEST_MEMORY_LIMIT", 200<<20,
		"soft limit of the process's Go memory in bytes, as GOMEMLIMIT (which wins when set); 0: none", settings.Between(0, math.MaxInt))
}

func (c *ingestCmd) validate() error { return c.Topics.Validate() }

func (c *ingestCmd) run(ctx context.Context, env *environment) error {
	log := c.logger(env.stderr)
	if c.MemoryLimit > 0 && env.getenv("GOMEMLIMIT") == "" {
		// The heap's default goal is twice what is live, and what is live
		// in bulk is mostly two batches that are replaced every second or
		// so: the garbage of the last ones doubled the peak RSS. A soft
		// limit well above the live heap (~120 MB at the default
		// --batch-rows, measured) makes the collector run before that,
		// for little CPU (docs/benchmarks.md, issue 15). Set here, not in
		// package ingest: it is the whole process's, and rebate up shares
		// its process with the API. The previous limit is back when the
		// command returns: tests run it in their own process.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(c.MemoryLimit)))
	}
	reg := newRegistry()
	stopMetrics, err := serveMetrics(c.MetricsListen, reg)
	if err != nil {
		return err
	}
	defer stopMetrics()
	db, err := openWaiting(ctx, c.ClickHouse, c.Ingest.RetryMax, log)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting: nothing was consumed
		}
		return err
	}
	defer db.Close()
	if err := applySignals(ctx, db, c.Signals, log); err != nil {
		return err
	}
	kc := c.Kafka
	kc.ClientID = "rebate-ingest"
	icfg := c.Ingest
	icfg.Topics, icfg.ShutdownTimeout = c.Topics, c.ShutdownTimeout
	if icfg.InstanceID == "" {
		host, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("--instance-id (REBATE_INGEST_INSTANCE_ID) is empty and the host name unknown: %w", err)
		}
		icfg.InstanceID = ingest.InstanceIDFor("rebate-ingest-", host)
	}
	in, err := ingest.New(icfg, kc, db, log.With("component", "ingest"), reg, ingest.Hooks{})
	if err != nil {
		return err
	}
	return in.Run(ctx)
}

// openWaiting connects to ClickHouse, waiting for it as long as it takes: an
// ingester started before its database (a deploy, a reboot, compose
// starting both) waits rather than exits. Each failed attempt is logged;
// ctx ending (Ctrl-C) stops the wait. A refusal no wait fixes (a wrong
// password, a missing database) ends it at once.
func openWaiting(ctx context.Context, cfg clickhouse.Config, maxBackoff time.Duration, log *slog.Logger) (*clickhouse.DB, error) {
	backoff := min(100*time.Millisecond, maxBackoff)
	for attempt := 1; ; attempt++ {
		db, err := clickhouse.Open(ctx, cfg)
		if err == nil {
			if attempt > 1 {
				log.Info("ClickHouse answers", "addr", cfg.Addr, "attempts", attempt)
			}
			return db, nil
		}
		if rebate.ErrorCode(err) == rebate.EMISCONFIG || ctx.Err() != nil {
			return nil, err
		}
		log.Warn("ClickHouse unreachable; waiting for it", "addr", cfg.Addr, "attempt", attempt, "retry_in", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// applySignals sets the signals' thresholds, working every signal out
// again when they changed.
func applySignals(ctx context.Context, db *clickhouse.DB, sc clickhouse.SignalConfig, log *slog.Logger) error {
	t0 := time.Now()
	redone, err := db.ApplySignals(ctx, sc)
	if err != nil {
		return fmt.Errorf("fraud signals: %w", err)
	}
	if redone {
		log.Info("signal thresholds changed: every signal worked out again", "took", time.Since(t0).Round(time.Millisecond))
	}
	return nil
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
