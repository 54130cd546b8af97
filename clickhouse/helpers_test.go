package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebatehq/rebate/chlocal/chlocaltest"
	"github.com/rebatehq/rebate/clickhouse"
)

// migrated returns a config for a fresh, fully migrated database.
func migrated(t testing.TB) clickhouse.Config {
	t.Helper()
	ep := chlocaltest.Start(t)
	cfg := clickhouse.Config{Addr: ep.Addr, Database: ep.Database(t)}
	m, err := clickhouse.NewMigrator(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	// Dozens of test databases refreshing every 2 s would load the engine;
	// tests refresh explicitly (Store.RefreshLeaderboard).
	if err := m.SetLeaderboardRefresh(context.Background(), time.Hour); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// openStore connects a Store to cfg's database.
func openStore(t testing.TB, cfg clickhouse.Config) (*clickhouse.DB, *clickhouse.Store) {
	t.Helper()
	ctx := context.Background()
	db, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := clickhouse.NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return db, st
}
