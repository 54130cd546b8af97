package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
)

// TestRuleWrittenAroundTheService: pricing reads the rule timeline, not
// rebate_rules, so a rule written by hand (or by a binary older than the
// timeline) prices nothing until the timeline is built again; `rebate
// migrate up` builds it (docs/schema.md, Rules as a timeline).
func TestRuleWrittenAroundTheService(t *testing.T) {
	cfg := migrated(t)
	db, st := openStore(t, cfg)
	ctx := context.Background()
	placed := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
	if err := db.Conn().Exec(ctx, `INSERT INTO rebate_rules (merchant_id, effective_from, share)
		VALUES (6, toDateTime64('2020-01-01 00:00:00', 3, 'UTC'), 0.2)`); err != nil {
		t.Fatal(err)
	}
	clickhousetest.Insert(t, db, []rebate.Event{{ID: "e1", Type: rebate.OrderPaid, TS: placed, OrderID: "o1", UserID: 4,
		MerchantID: 6, ProductID: 1, Amount: 10000, Commission: 1000, PlacedAt: placed}})
	rebateOf := func() rebate.Money {
		t.Helper()
		got, _, err := st.Orders(ctx, 4, rebate.FirstPage, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("orders %+v, %v", got, err)
		}
		return got[0].Rebate
	}
	if got := rebateOf(); got != 500 {
		t.Fatalf("before the timeline is built again: rebate %s, want the default's 5.00", got)
	}
	m, err := clickhouse.NewMigrator(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.UpWith(ctx, clickhouse.SchemaConfig{LeaderboardRefresh: 2 * time.Second, LeaderboardLongRefresh: 30 * time.Second,
		ReferralWindowDays: clickhouse.DefaultReferralWindowDays}); err != nil {
		t.Fatal(err)
	}
	if err := db.Reprice(ctx, 6, placed, placed.Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := rebateOf(); got != 200 {
		t.Errorf("after migrate up built the timeline: rebate %s, want the hand-written rule's 2.00", got)
	}
}

// TestRuleBuildsKept: each build registers its own id once its rows are
// written, pricing's newest is the newest built, and builds before the two
// newest registered are deleted.
func TestRuleBuildsKept(t *testing.T) {
	db, _ := openStore(t, migrated(t))
	ctx := context.Background()
	for range 3 {
		if err := db.BuildRules(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var builds, registered uint64
	var newestBuilt, newestRegistered uint64
	if err := db.Conn().QueryRow(ctx, "SELECT uniqExact(build), max(build) FROM rule_timeline").Scan(&builds, &newestBuilt); err != nil {
		t.Fatal(err)
	}
	if err := db.Conn().QueryRow(ctx, "SELECT count(), max(build) FROM rule_builds").Scan(&registered, &newestRegistered); err != nil {
		t.Fatal(err)
	}
	if builds != 2 || registered != 2 {
		t.Errorf("after three builds: %d builds of rule_timeline and %d registered, want the 2 newest", builds, registered)
	}
	if newestBuilt != newestRegistered {
		t.Errorf("newest built %d, newest registered %d", newestBuilt, newestRegistered)
	}
}
