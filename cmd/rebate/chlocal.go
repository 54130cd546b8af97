package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/rebatehq/rebate/embedded/chlocal"
	"github.com/rebatehq/rebate/internal/settings"
)

// chlocalCmd serves the embedded engine alone, for tools and for a look
// inside: curl, clickhouse-go, BI clients.
type chlocalCmd struct {
	common
	Engine chlocal.Config
}

func (c *chlocalCmd) register(f *settings.Flags) {
	c.common.register(f)
	c.Engine.RegisterFlags(f)
	c.Engine.RegisterPathFlag(f)
	c.Engine.RegisterBackupFlag(f)
}

func (c *chlocalCmd) validate() error { return c.Engine.Validate() }

func (c *chlocalCmd) run(ctx context.Context, env *environment) error {
	log := c.logger(env.stderr)
	reg := newRegistry()
	if c.Engine.BackupDir == "" {
		c.Engine.BackupDir = filepath.Join(filepath.Dir(filepath.Clean(c.Engine.Path)), "backups")
	}
	eng, err := startEngine(c.Engine, env, log, reg, nil)
	if err != nil {
		return err
	}
	auth := ""
	if len(c.Engine.Users) > 0 {
		auth = "-u USER:PASSWORD " // from --users (REBATE_CHLOCAL_USERS)
	}
	fmt.Fprintf(env.stdout, "ClickHouse HTTP interface on http://%s (data in %s, backups in %s)\n  try: curl %s'http://%s/?query=SELECT+version()'\n",
		eng.addr, c.Engine.Path, c.Engine.BackupDir, auth, eng.addr)
	select {
	case <-ctx.Done():
		log.Info("stopping: finishing running statements")
	case err := <-eng.failed():
		return fmt.Errorf("embedded ClickHouse: serve: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := eng.stop(sctx); err != nil {
		return fmt.Errorf("stop embedded ClickHouse: %w", err)
	}
	log.Info("stopped")
	return nil
}
