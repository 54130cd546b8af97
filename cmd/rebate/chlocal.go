package main

import (
	"context"
	"fmt"
)

// runCHLocal serves the embedded engine alone, for tools and for a look
// inside: curl, clickhouse-go, BI clients.
func runCHLocal(ctx context.Context, cfg *Config, env *environment) error {
	log := cfg.logger(env.stderr)
	reg := newRegistry()
	eng, err := startEngine(cfg, env, log, reg, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "ClickHouse HTTP interface on http://%s (data in %s)\n  try: curl 'http://%s/?query=SELECT+version()'\n",
		eng.addr, cfg.EnginePath, eng.addr)
	select {
	case <-ctx.Done():
		log.Info("stopping: finishing running statements")
	case err := <-eng.failed():
		return fmt.Errorf("embedded ClickHouse: serve: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := eng.stop(sctx); err != nil {
		return fmt.Errorf("stop embedded ClickHouse: %w", err)
	}
	log.Info("stopped")
	return nil
}
