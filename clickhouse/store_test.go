package clickhouse_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/clickhousetest"
)

func TestPutRule(t *testing.T) {
	db, st := openStore(t, migrated(t))
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)

	past := rebate.Rule{MerchantID: 5, EffectiveFrom: now.Add(-time.Second), Share: 2000}
	if err := st.PutRule(ctx, past, now); rebate.ErrorCode(err) != rebate.ECONFLICT {
		t.Errorf("rule in the past: %v, want %s", err, rebate.ECONFLICT)
	}
	// The server refuses it too, whatever clock the caller trusts.
	if err := st.PutRule(ctx, past, now.Add(-time.Hour)); rebate.ErrorCode(err) != rebate.ECONFLICT {
		t.Errorf("rule in the past by the server's clock: %v, want %s", err, rebate.ECONFLICT)
	}
	if err := st.PutRule(ctx, rebate.Rule{MerchantID: 5, EffectiveFrom: now.Add(time.Hour), Share: 10001}, now); rebate.ErrorCode(err) != rebate.EINVALID {
		t.Errorf("share above 1: %v, want %s", err, rebate.EINVALID)
	}
	// Ahead by a minute: by the time the statement reaches the server (seconds
	// on a loaded machine), a rule due sooner is in the past and refused.
	from := now.Add(time.Minute)
	rule := rebate.Rule{MerchantID: 5, EffectiveFrom: from, Share: 2000}
	if err := st.PutRule(ctx, rule, now); err != nil {
		t.Fatal(err)
	}
	rules, err := st.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rules, rule) {
		t.Errorf("rules %v lack %v", rules, rule)
	}
	// Orders placed before the rule keep the default share; from it on, its own.
	order := func(id string, placed time.Time) rebate.Event {
		return rebate.Event{ID: id, Type: rebate.OrderPaid, TS: placed, OrderID: id, UserID: 9, MerchantID: 5,
			ProductID: 1, Amount: 10000, Commission: 1000, PlacedAt: placed}
	}
	events := []rebate.Event{order("before", from.Add(-time.Millisecond)), order("at", from), order("after", from.Add(time.Hour))}
	clickhousetest.Insert(t, db, events)
	got, _, err := st.Orders(ctx, 9, rebate.FirstPage, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]rebate.Money{"before": 500, "at": 200, "after": 200}
	if len(got) != 3 {
		t.Fatalf("orders %+v", got)
	}
	for _, o := range got {
		if o.Rebate != want[o.OrderID] {
			t.Errorf("order %s: rebate %s, want %s", o.OrderID, o.Rebate, want[o.OrderID])
		}
	}
}

// TestStringParamsRoundTrip: the server reads parameters in escaped form, so
// backslashes and tabs in a value must reach it escaped, cursors included.
func TestStringParamsRoundTrip(t *testing.T) {
	db, st := openStore(t, migrated(t))
	ctx := context.Background()
	placed := time.Now().UTC().Truncate(time.Millisecond)
	ids := []string{`a\b`, "a\tb", "it's", `z\\`, "a\\tb"}
	var events []rebate.Event
	for _, id := range ids {
		events = append(events, rebate.Event{ID: "e" + id, Type: rebate.OrderPaid, TS: placed, OrderID: id, UserID: 3,
			MerchantID: 1, ProductID: 1, Amount: 100, Commission: 10, PlacedAt: placed})
	}
	clickhousetest.Insert(t, db, events)
	var seen []string
	cur := rebate.FirstPage
	for range len(ids) + 1 {
		page, _, err := st.Orders(ctx, 3, cur, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		seen = append(seen, page[0].OrderID)
		cur = rebate.OrderCursor{PlacedAt: page[0].PlacedAt, OrderID: page[0].OrderID}
	}
	want := slices.Clone(ids)
	slices.Sort(want)
	slices.Reverse(want)
	if !slices.Equal(seen, want) {
		t.Errorf("paged order ids %q, want %q", seen, want)
	}
}

// TestHugeSumsAreErrorsNotWrapped: sums past what a Money holds (about
// 9.2e18 cents) are refused with ELIMIT. They once wrapped to negative
// figures answered with 200.
func TestHugeSumsAreErrorsNotWrapped(t *testing.T) {
	db, st := openStore(t, migrated(t))
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	// The whole commission back (a rule of share 1), so that half as many
	// orders reach the sums: each order is priced at ingest.
	if err := db.InsertRules(ctx, []rebate.Rule{{MerchantID: 3, EffectiveFrom: now.Add(-time.Hour), Share: rebate.RateOne}}); err != nil {
		t.Fatal(err)
	}
	var events []rebate.Event
	for i := range 100_000 { // 100,000 × 1e12 of rebate = 1e19 cents
		id := fmt.Sprintf("huge-%d", i)
		events = append(events, rebate.Event{ID: id, Type: rebate.OrderPaid, TS: now, OrderID: id, UserID: 7, MerchantID: 3,
			ProductID: 1, Amount: rebate.MaxMoney, Commission: rebate.MaxMoney, PlacedAt: now.Add(-time.Minute)})
	}
	clickhousetest.Insert(t, db, events)
	if err := st.RefreshLeaderboard(ctx); err != nil {
		t.Fatal(err)
	}
	checks := map[string]func() error{
		"balance":        func() error { _, err := st.Balance(ctx, 7); return err },
		"merchant stats": func() error { _, err := st.MerchantStats(ctx, 3, rebate.WindowDay, now); return err },
		"minutely":       func() error { _, err := st.Minutely(ctx, now, 5); return err },
		"leaderboard":    func() error { _, err := st.Leaderboard(ctx, rebate.WindowDay, 5); return err },
	}
	for name, check := range checks {
		if err := check(); rebate.ErrorCode(err) != rebate.ELIMIT {
			t.Errorf("%s over 1e19 cents: %v, want a %s error", name, err, rebate.ELIMIT)
		}
	}
}

// TestMaterializeSpanningManyMonths: a batch whose orders and clicks span
// 150 months is priced and bucketed whole (the bucket tables are partitioned
// by month; ClickHouse refuses an insert into more than 100 by default).
func TestMaterializeSpanningManyMonths(t *testing.T) {
	db, st := openStore(t, migrated(t))
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, time.UTC)
	var events []rebate.Event
	for m := range 150 {
		at := first.AddDate(0, -m, 0)
		id := fmt.Sprintf("m%d", m)
		events = append(events,
			rebate.Event{ID: "o" + id, Type: rebate.OrderSettled, TS: at, OrderID: id, UserID: 4, MerchantID: 1, ProductID: 1,
				Amount: 1000, Commission: 100, PlacedAt: at},
			rebate.Event{ID: "c" + id, Type: rebate.Click, TS: at, UserID: 4, MerchantID: 1, ProductID: 1})
	}
	clickhousetest.Insert(t, db, events)
	b, err := st.Balance(context.Background(), 4)
	if err != nil {
		t.Fatal(err)
	}
	if b.Orders.Settled != 150 || b.Confirmed != 150*50 {
		t.Errorf("balance %+v, want 150 settled orders confirming 75.00", b)
	}
}

// TestMinuteBucketsAtMidnight: an order in the last millisecond of a UTC day,
// its times given in another zone, is bucketed in that day's last minute,
// and its void is too: the buckets name their UTC day (merchant_minutes is
// sorted by it first), and a wrong day would match no order and leave the
// bucket stale, with no error.
func TestMinuteBucketsAtMidnight(t *testing.T) {
	db, st := openStore(t, migrated(t))
	ctx := context.Background()
	shanghai := time.FixedZone("UTC+8", 8*3600)
	placed := time.Date(2026, 3, 31, 23, 59, 59, 999_000_000, time.UTC).In(shanghai)
	order := rebate.Event{ID: "p", Type: rebate.OrderPaid, TS: placed, OrderID: "o", UserID: 4, MerchantID: 9, ProductID: 1,
		Amount: 1000, Commission: 100, PlacedAt: placed}
	clickhousetest.Insert(t, db, []rebate.Event{order})
	void := order
	void.ID, void.Type, void.TS = "v", rebate.OrderCancelled, placed.Add(time.Hour)
	stats := func() rebate.MerchantStats {
		t.Helper()
		s, err := st.MerchantStats(ctx, 9, rebate.WindowDay, placed.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := stats(); s.Orders != 1 || s.GMV != 1000 {
		t.Fatalf("merchant stats %+v, want the order placed at %s", s, placed.UTC())
	}
	clickhousetest.Insert(t, db, []rebate.Event{void})
	if s := stats(); s.Orders != 0 || s.GMV != 0 {
		t.Fatalf("merchant stats %+v after its void, want none", s)
	}
	if got := column(t, db, "SELECT concat(toString(minute), ' ', toString(orders)) FROM merchant_minutes FINAL WHERE merchant_id = 9"); len(got) != 1 ||
		got[0] != "2026-03-31 23:59:00 0" {
		t.Fatalf("merchant_minutes %v, want the void order's bucket 2026-03-31 23:59:00 with 0 orders", got)
	}
}
