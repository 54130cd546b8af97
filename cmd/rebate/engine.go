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
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rebatehq/rebate/embedded/chdb"
	"github.com/rebatehq/rebate/embedded/chlocal"
)

// engine is the embedded ClickHouse endpoint running in this process.
type engine struct {
	srv  *chlocal.Server
	http *http.Server
	addr string
	errc chan error
	log  *slog.Logger
}

// startEngine serves the engine on ln, or listens on cfg.Listen when ln is
// nil; it listens first, so a taken port fails before the engine loads.
func startEngine(cfg chlocal.Config, env *environment, log *slog.Logger, reg *prometheus.Registry, ln net.Listener) (*engine, error) {
	if ln == nil {
		var err error
		if ln, err = listen(cfg.Listen, "--listen, REBATE_CHLOCAL_LISTEN"); err != nil {
			return nil, fmt.Errorf("embedded ClickHouse: %w", err)
		}
	}
	libPath, err := chdb.Find(env.getenv)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("embedded ClickHouse: %w", err)
	}
	lib, err := chdb.Load(libPath)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("embedded ClickHouse: %w", err)
	}
	t0 := time.Now()
	cfg.Logger, cfg.Registerer = log.With("component", "chlocal"), reg
	srv, err := chlocal.Open(lib, cfg)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("embedded ClickHouse: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", srv)
	if reg != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
	e := &engine{
		srv:  srv,
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute},
		addr: ln.Addr().String(),
		errc: make(chan error, 1),
		log:  log,
	}
	go func() { e.errc <- e.http.Serve(ln) }()
	info := srv.Info()
	log.Info("embedded ClickHouse ready", "addr", e.addr, "path", cfg.Path, "version", info.Version,
		"conns", cfg.Conns, "users", len(cfg.Users), "library", libPath, "startup", time.Since(t0).Round(time.Millisecond))
	if len(cfg.Users) == 0 {
		log.Warn("no users for the embedded ClickHouse (--users, REBATE_CHLOCAL_USERS): every program on this machine " +
			"can read and write it; it serves on loopback only")
	}
	return e, nil
}

// stop finishes running statements, then closes the engine; data is on disk.
func (e *engine) stop(ctx context.Context) error {
	err := e.http.Shutdown(ctx)
	if cerr := e.srv.Close(ctx); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

// failed reports the HTTP server stopping on its own.
func (e *engine) failed() <-chan error { return e.errc }
