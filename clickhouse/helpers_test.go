package clickhouse_test

import (
	"context"
	"testing"

	"github.com/rebatehq/rebate"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
)

func migrated(t testing.TB) clickhouse.Config { return clickhousetest.Migrated(t) }

func openStore(t testing.TB, cfg clickhouse.Config) (*clickhouse.DB, *clickhouse.Store) {
	return clickhousetest.OpenStore(t, cfg)
}

func insertEvents(t testing.TB, db *clickhouse.DB, events ...rebate.Event) {
	t.Helper()
	if err := db.InsertEvents(context.Background(), events, nil, ""); err != nil {
		t.Fatal(err)
	}
}
