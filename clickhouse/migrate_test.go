package clickhouse_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/migrations"
)

func migrationCount(t *testing.T) int {
	ups, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	downs, _ := fs.Glob(migrations.FS, "*.down.sql")
	if len(ups) == 0 || len(ups) != len(downs) {
		t.Fatalf("%d up and %d down migrations", len(ups), len(downs))
	}
	return len(ups)
}

// TestMigrationsStepByStep applies every migration one at a time to a fresh
// database, reverts them one at a time, and applies them again: each runs on
// the schema its predecessors leave, both ways.
func TestMigrationsStepByStep(t *testing.T) {
	ep := chlocaltest.Start(t)
	cfg := clickhouse.Config{Addr: ep.Addr, Database: ep.Database(t)}
	ctx := context.Background()
	m, err := clickhouse.NewMigrator(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n := migrationCount(t)
	for i := 1; i <= n; i++ {
		if err := m.Steps(1); err != nil {
			t.Fatalf("up to %d: %v", i, err)
		}
		if v, dirty, err := m.Version(); err != nil || int(v) != i || dirty {
			t.Fatalf("after up %d: version %d dirty %v err %v", i, v, dirty, err)
		}
	}
	for i := n - 1; i >= 0; i-- {
		if err := m.Steps(-1); err != nil {
			t.Fatalf("down to %d: %v", i, err)
		}
		if v, _, err := m.Version(); err != nil || int(v) != i {
			t.Fatalf("after down: version %d err %v, want %d", v, err, i)
		}
	}
	db, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var left uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name != 'schema_migrations'").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d tables left after reverting every migration", left)
	}
	if err := m.Up(); err != nil {
		t.Fatalf("up again: %v", err)
	}
	checkWorks(t, db)
}

// TestMigrateDownThenUp: after a full down and up the schema works and holds
// no trace of the data before.
func TestMigrateDownThenUp(t *testing.T) {
	cfg := migrated(t)
	ctx := context.Background()
	db, _ := openStore(t, cfg)
	checkWorks(t, db)
	m, err := clickhouse.NewMigrator(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Down(); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	checkWorks(t, db)
}

// checkWorks inserts an order and reads its balance through a new Store:
// every view and query must be in place for this to come out right.
func checkWorks(t *testing.T, db *clickhouse.DB) {
	t.Helper()
	ctx := context.Background()
	st, err := clickhouse.NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	user := uint64(now.UnixNano()%1_000_000 + 1)
	e := rebate.Event{ID: "works-" + now.String(), Type: rebate.OrderSettled, TS: now, OrderID: "o-" + now.String(),
		UserID: user, MerchantID: 1, ProductID: 1, Amount: 10000, Commission: 1000, PlacedAt: now}
	clickhousetest.Insert(t, db, []rebate.Event{e})
	b, err := st.Balance(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	if b.Confirmed != 500 || b.Orders.Settled != 1 {
		t.Fatalf("balance %+v, want 5.00 confirmed from 1 settled order", b)
	}
}

func TestRetention(t *testing.T) {
	cfg := migrated(t)
	ctx := context.Background()
	m, err := clickhouse.NewMigrator(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	db, _ := openStore(t, cfg)
	engine := func() string {
		var s string
		if err := db.Conn().QueryRow(ctx, "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		days int
		want string
	}{{30, "toIntervalDay(30)"}, {0, ""}, {400, "toIntervalDay(400)"}} {
		if err := m.SetRetention(ctx, tc.days); err != nil {
			t.Fatal(err)
		}
		got := engine()
		if tc.want == "" && strings.Contains(got, " TTL ") || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("retention %d days: engine %q", tc.days, got)
		}
	}
}
