package main

import (
	"context"
	"fmt"

	"github.com/rebatehq/rebate/clickhouse"
)

// runMigrate applies, reverts or reports the schema in migrations/.
func runMigrate(ctx context.Context, cfg *Config, env *environment) error {
	log := cfg.logger(env.stderr)
	m, err := clickhouse.NewMigrator(ctx, cfg.ClickHouse, log)
	if err != nil {
		return err
	}
	defer m.Close()
	switch env.action {
	case "up":
		if err := applySchema(ctx, m, cfg); err != nil {
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
	_, err = fmt.Fprintf(env.stdout, "schema version %d (%s) in %s/%s\n", v, state, cfg.ClickHouse.Addr, cfg.ClickHouse.Database)
	return err
}

// applySchema applies every migration, then the settings the schema takes
// from the configuration.
func applySchema(ctx context.Context, m *clickhouse.Migrator, cfg *Config) error {
	if err := m.Up(); err != nil {
		return err
	}
	if err := m.SetRetention(ctx, cfg.EventsRetentionDays); err != nil {
		return err
	}
	return m.SetLeaderboardRefresh(ctx, cfg.LeaderboardRefresh)
}
