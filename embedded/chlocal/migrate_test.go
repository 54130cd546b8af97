package chlocal_test

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/golang-migrate/migrate/v4"
	chmigrate "github.com/golang-migrate/migrate/v4/database/clickhouse"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/rebatehq/rebate/internal/chlocaltest"
)

// TestGolangMigrate applies a multi-statement migration through the endpoint
// with golang-migrate's ClickHouse driver on clickhouse.OpenDB, then reverts it.
func TestGolangMigrate(t *testing.T) {
	ep := chlocaltest.Start(t)
	dbName := ep.Database(t)
	src, err := iofs.New(fstest.MapFS{
		"1_init.up.sql": {Data: []byte(`
CREATE TABLE orders (id UInt64, amount Decimal(18,2)) ENGINE = MergeTree ORDER BY id;
CREATE TABLE totals (n UInt64, amount Decimal(38,2)) ENGINE = SummingMergeTree ORDER BY tuple();
CREATE MATERIALIZED VIEW totals_mv TO totals AS SELECT count() AS n, sum(amount) AS amount FROM orders;
INSERT INTO orders VALUES (1, 10.50), (2, 0.25);
`)},
		"1_init.down.sql": {Data: []byte(`
DROP TABLE totals_mv;
DROP TABLE totals;
DROP TABLE orders;
`)},
		"2_more.up.sql":   {Data: []byte("ALTER TABLE orders ADD COLUMN note String DEFAULT '';")},
		"2_more.down.sql": {Data: []byte("ALTER TABLE orders DROP COLUMN note;")},
	}, ".")
	if err != nil {
		t.Fatal(err)
	}
	db := clickhouse.OpenDB(ep.Options(dbName))
	defer db.Close()
	driver, err := chmigrate.WithInstance(db, &chmigrate.Config{
		DatabaseName:          dbName,
		MultiStatementEnabled: true,
		MigrationsTableEngine: "MergeTree",
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "clickhouse", driver)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatalf("up: %v", err)
	}
	if v, dirty, err := m.Version(); err != nil || v != 2 || dirty {
		t.Fatalf("version %d dirty %v err %v, want 2 clean", v, dirty, err)
	}
	var n uint64
	var amount string
	if err := db.QueryRowContext(context.Background(), "SELECT sum(n), toString(sum(amount)) FROM totals").Scan(&n, &amount); err != nil {
		t.Fatal(err)
	}
	if n != 2 || amount != "10.75" {
		t.Errorf("view after migration: %d orders, %s; want 2, 10.75", n, amount)
	}
	if err := m.Down(); err != nil {
		t.Fatalf("down: %v", err)
	}
	if _, _, err := m.Version(); !errors.Is(err, migrate.ErrNilVersion) {
		t.Fatalf("version after down: %v, want none", err)
	}
	var tables uint64
	if err := db.QueryRow("SELECT count() FROM system.tables WHERE database = ? AND name != 'schema_migrations'", dbName).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("%d tables left after down", tables)
	}
	if err := m.Up(); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
