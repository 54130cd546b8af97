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

// column runs q, whose rows are one string each, and returns them in order.
func column(t testing.TB, db *clickhouse.DB, q string) []string {
	t.Helper()
	return clickhousetest.Column(t, db, context.Background(), q)
}

// viewSelects are the SELECTs of the database's views, by name, as the
// engine renders them (system.tables.as_select).
func viewSelects(t testing.TB, db *clickhouse.DB) map[string]string {
	t.Helper()
	rows, err := db.Conn().Query(context.Background(),
		"SELECT name, as_select FROM system.tables WHERE database = currentDatabase() AND engine IN ('MaterializedView', 'View')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, sel string
		if err := rows.Scan(&name, &sel); err != nil {
			t.Fatal(err)
		}
		out[name] = sel
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// insertEvents stores events as the ingester does: inserted, then
// materialized, so the figures include them.
func insertEvents(t testing.TB, db *clickhouse.DB, events ...rebate.Event) {
	t.Helper()
	clickhousetest.Insert(t, db, events)
}
