package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/kafka"
)

// runAPI serves the API until stopped.
func runAPI(ctx context.Context, cfg *Config, env *environment) error {
	log := cfg.logger(env.stderr)
	reg := newRegistry()
	ln, err := listen(cfg.API.Listen, "--api-listen, REBATE_API_LISTEN")
	if err != nil {
		return err
	}
	srv, stop, err := startAPI(ctx, cfg, log, reg, ln)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "API on http://%s (OpenAPI: /openapi.json)\n", srv)
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

// startAPI connects the API's dependencies and serves it; it fails at once
// on a taken port, an unreachable ClickHouse or a broken query file.
func startAPI(ctx context.Context, cfg *Config, log *slog.Logger, reg *prometheus.Registry, ln net.Listener) (addr string, stop func() error, err error) {
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	db, err := clickhouse.Open(ctx, cfg.ClickHouse)
	if err != nil {
		return "", nil, err
	}
	st, err := clickhouse.NewStore(ctx, db)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	producer, err := kafka.NewProducer(cfg.Kafka, cfg.Ingest.Topic)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	srv, err := api.New(cfg.API, st, producer, log.With("component", "api"), reg, reg)
	if err != nil {
		producer.Close()
		db.Close()
		return "", nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("API stopped serving", "err", err)
		}
	}()
	log.Info("API ready", "addr", ln.Addr().String(), "keys", len(cfg.API.Keys))
	return ln.Addr().String(), func() error {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		err := hs.Shutdown(sctx)
		producer.Close()
		db.Close()
		return err
	}, nil
}
