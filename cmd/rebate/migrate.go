package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/settings"
)

// migrateCmd applies, reverts or reports the schema in migrations/.
type migrateCmd struct {
	common
	ClickHouse clickhouse.Config
	Schema     clickhouse.SchemaConfig
	Rebuild    bool
}

func (c *migrateCmd) register(f *settings.Flags) {
	c.common.register(f)
	c.ClickHouse.RegisterFlags(f)
	c.Schema.RegisterFlags(f)
	f.Bool(&c.Rebuild, "rebuild", "REBATE_MIGRATE_REBUILD", false,
		"up: rebuild the tables the new migrations say need it (a new or changed view), instead of printing the command")
}

func (c *migrateCmd) run(ctx context.Context, env *environment) error {
	m, err := clickhouse.NewMigrator(ctx, c.ClickHouse, c.logger(env.stderr))
	if err != nil {
		return err
	}
	defer m.Close()
	before, _, err := m.Version()
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
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
	if _, err := fmt.Fprintf(env.stdout, "schema version %d (%s) in %s/%s\n", v, state, c.ClickHouse.Addr, c.ClickHouse.Database); err != nil {
		return err
	}
	if env.action != "up" || v <= before {
		return nil
	}
	tables, err := clickhouse.Rebuilds(before, v)
	if err != nil || len(tables) == 0 {
		return err
	}
	if !c.Rebuild {
		fmt.Fprintf(env.stdout, "migrations %d..%d changed views, whose tables hold only what arrived since: run\n  rebate rebuild --table %s\n(or migrate up --rebuild next time)\n",
			before+1, v, strings.Join(tables, ","))
		return nil
	}
	db, err := clickhouse.Open(ctx, c.ClickHouse)
	if err != nil {
		return err
	}
	defer db.Close()
	return rebuild(ctx, db, clickhouse.RebuildOptions{Tables: tables}, env)
}
