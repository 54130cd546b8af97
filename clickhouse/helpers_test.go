package clickhouse_test

import (
	"testing"

	"github.com/rebatehq/rebate"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
)

func migrated(t testing.TB) clickhouse.Config { return clickhousetest.Migrated(t) }

func openStore(t testing.TB, cfg clickhouse.Config) (*clickhouse.DB, *clickhouse.Store) {
	return clickhousetest.OpenStore(t, cfg)
}

// insertEvents stores events as the ingester does: inserted, then
// materialized, so the figures include them.
func insertEvents(t testing.TB, db *clickhouse.DB, events ...rebate.Event) {
	t.Helper()
	clickhousetest.Insert(t, db, events)
}
