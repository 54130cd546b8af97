package main

import (
	"context"
	"fmt"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/settings"
)

// migrateCmd applies, reverts or reports the schema in migrations/.
type migrateCmd struct {
	common
	ClickHouse clickhouse.Config
	Schema     clickhouse.SchemaConfig
}

func (c *migrateCmd) register(f *settings.Flags) {
	c.common.register(f)
	c.ClickHouse.RegisterFlags(f)
	c.Schema.RegisterFlags(f)
}

func (c *migrateCmd) run(ctx context.Context, env *environment) error {
	m, err := clickhouse.NewMigrator(ctx, c.ClickHouse, c.logger(env.stderr))
	if err != nil {
		return err
	}
	defer m.Close()
	switch env.action {
	case "up":
		if err := m.UpWith(ctx, c.Schema); err != nil {
			return err
		}
	case "down":
		if err := m.Down(); err != nil {
			return err
		}
	}
	v, dirty, err := m.Version()
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	state := "clean"
	if dirty {
		state = "dirty: a migration failed half-way; fix it, then force the version"
	}
	_, err = fmt.Fprintf(env.stdout, "schema version %d (%s) in %s/%s\n", v, state, c.ClickHouse.Addr, c.ClickHouse.Database)
	return err
}
