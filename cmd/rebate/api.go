package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/settings"
	"github.com/rebatehq/rebate/kafka"
	"github.com/rebatehq/rebate/ops"
)

// apiCmd serves the API until stopped.
type apiCmd struct {
	common
	ClickHouse clickhouse.Config
	Kafka      kafka.Config
	Topics     kafka.Topics
	API        api.Config
	Reconcile  ops.ReconcileSchedule
}

func (c *apiCmd) register(f *settings.Flags) {
	c.common.register(f)
	c.ClickHouse.RegisterFlags(f)
	c.Kafka.RegisterFlags(f)
	c.Topics.RegisterFlags(f)
	c.API.RegisterFlags(f)
	c.Reconcile.RegisterFlags(f)
}

func (c *apiCmd) validate() error { return errors.Join(c.Topics.Validate(), c.API.Validate()) }

func (c *apiCmd) run(ctx context.Context, env *environment) error {
	log := c.logger(env.stderr)
	reg := newRegistry()
	ln, err := listen(c.API.Listen, "--api-listen, REBATE_API_LISTEN")
	if err != nil {
		return err
	}
	srv, stop, err := startAPI(ctx, apiParts{c.ClickHouse, c.Kafka, c.Topics, c.API, c.ShutdownTimeout, c.Reconcile}, log, reg, ln)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "API on http://%s (OpenAPI: /openapi.json; Prometheus metrics: http://%s/metrics; SQL console: /sql)\n", srv, srv)
	<-ctx.Done()
	return stop()
}

// listen claims addr, naming the setting when it is taken.
func listen(addr, setting string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (%s): %w", addr, setting, err)
	}
	return ln, nil
}

// apiParts is what the API is made of, in rebate api and rebate up.
type apiParts struct {
	ClickHouse      clickhouse.Config
	Kafka           kafka.Config
	Topics          kafka.Topics
	API             api.Config
	ShutdownTimeout time.Duration
	Reconcile       ops.ReconcileSchedule
}

// startAPI connects the API's dependencies and serves it; it fails at once
// on a taken port, an unreachable ClickHouse or a broken query file.
func startAPI(ctx context.Context, p apiParts, log *slog.Logger, reg *prometheus.Registry, ln net.Listener) (addr string, stop func() error, err error) {
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	db, err := clickhouse.Open(ctx, p.ClickHouse)
	if err != nil {
		return "", nil, err
	}
	st, err := clickhouse.NewStore(ctx, db)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	producer, err := kafka.NewProducer(p.Kafka, p.Topics.Events)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	acfg := p.API
	acfg.DeadLetters = kafka.NewDeadLetters(p.Kafka, p.Topics)
	srv, err := api.New(acfg, st, producer, log.With("component", "api"), reg, reg)
	if err != nil {
		producer.Close()
		db.Close()
		return "", nil, err
	}
	stopWatch, err := watch(db, st, p.Reconcile, log, reg)
	if err != nil {
		producer.Close()
		db.Close()
		return "", nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	// Balance streams never go idle: Shutdown ends them through the API, or
	// it would wait for them until its deadline.
	hs.RegisterOnShutdown(srv.Close)
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("API stopped serving", "err", err)
		}
	}()
	log.Info("API ready", "addr", ln.Addr().String(), "keys", len(p.API.Keys))
	return ln.Addr().String(), func() error {
		sctx, cancel := context.WithTimeout(context.Background(), p.ShutdownTimeout)
		defer cancel()
		err := hs.Shutdown(sctx)
		stopWatch()
		producer.Close()
		db.Close()
		return err
	}, nil
}

// watch runs what the API process keeps an eye on: the freshness of the
// refreshable views, and the reconciliation when it is scheduled. Each
// exports metrics; stop ends them.
func watch(db *clickhouse.DB, st *clickhouse.Store, rs ops.ReconcileSchedule, log *slog.Logger, reg prometheus.Registerer) (stop func(), err error) {
	views, err := ops.NewViewWatch(db, reg)
	if err != nil {
		return nil, err
	}
	var rec *ops.Reconciler
	if rs.Every > 0 {
		// Registered only when scheduled: an unscheduled reconciliation
		// would otherwise look like one that stopped succeeding.
		if rec, err = ops.NewReconciler(st, reg); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); views.Every(ctx, 15*time.Second, log.With("component", "views")) }()
	if rec != nil {
		wg.Add(1)
		go func() { defer wg.Done(); rec.Every(ctx, rs.Every, log.With("component", "reconcile")) }()
		log.Info("reconciliation scheduled", "every", rs.Every)
	}
	return func() { cancel(); wg.Wait() }, nil
}
