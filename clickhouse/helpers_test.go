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
	rows, err := db.Conn().Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
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
