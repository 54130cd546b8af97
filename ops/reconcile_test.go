package ops_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/ops"
)

// TestReconcileFindsDamageUntilRebuilt: on an intact database every check
// agrees with the event log; with a row deleted from a state table the
// checks that read it report the figures it changes and the drift metric
// counts them; after a rebuild of that table, all agree again and the
// metric is back to zero. A difference gone by the recheck (an insert
// half-way through its views) is not reported.
func TestReconcileFindsDamageUntilRebuilt(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t, 47)
	s.insert(t, s.stream.Events)
	reg := prometheus.NewRegistry()
	r, err := ops.NewReconciler(s.st, reg)
	if err != nil {
		t.Fatal(err)
	}
	r.Recheck = 10 * time.Millisecond
	if err := s.st.RefreshLeaderboard(ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Checks(), " "); got != "balances leaderboards merchant_stats minutely orders products user_figures" {
		t.Errorf("checks %q", got)
	}
	run := func() []rebate.Difference {
		t.Helper()
		diffs, err := r.Run(ctx, nil, time.Time{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return diffs
	}
	drift := func() float64 {
		t.Helper()
		sum := 0.0
		for _, c := range r.Checks() {
			sum += gauge(t, reg, "rebate_reconcile_drift", map[string]string{"figure": c})
		}
		return sum
	}
	if diffs := run(); len(diffs) != 0 || drift() != 0 {
		t.Fatalf("an intact database differs from the log: %+v", diffs)
	}

	// One order gone from the facts (a table a view writes), another from
	// the priced orders (a table the ingester computes).
	var facts, priced string
	var user uint64
	if err := s.db.Conn().QueryRow(ctx, "SELECT order_id FROM orders FINAL WHERE state != 3 ORDER BY order_id LIMIT 1").Scan(&facts); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Conn().QueryRow(ctx, "SELECT order_id, user_id FROM order_prices FINAL WHERE state != 3 AND order_id != '"+facts+"' ORDER BY order_id LIMIT 1").Scan(&priced, &user); err != nil {
		t.Fatal(err)
	}
	// And a third from the priced orders sorted by user, which the order list reads.
	var byUser string
	if err := s.db.Conn().QueryRow(ctx, "SELECT order_id FROM user_prices FINAL WHERE state != 3 AND order_id NOT IN ('"+facts+"', '"+priced+"') ORDER BY order_id LIMIT 1").Scan(&byUser); err != nil {
		t.Fatal(err)
	}
	exec(t, s.db, "ALTER TABLE orders DELETE WHERE order_id = '"+facts+"' SETTINGS mutations_sync = 2")
	exec(t, s.db, "ALTER TABLE order_prices DELETE WHERE order_id = '"+priced+"' SETTINGS mutations_sync = 2")
	exec(t, s.db, "ALTER TABLE user_prices DELETE WHERE order_id = '"+byUser+"' SETTINGS mutations_sync = 2")
	// And a day's busiest hour, which the velocity signal reads, off by one;
	// the same day marked as stored without the balance's figures.
	var busyUser uint64
	var busyDay string
	if err := s.db.Conn().QueryRow(ctx, "SELECT user_id, toString(day) FROM user_days FINAL WHERE user_id != ? ORDER BY user_id, day LIMIT 1", user).
		Scan(&busyUser, &busyDay); err != nil {
		t.Fatal(err)
	}
	exec(t, s.db, fmt.Sprintf("ALTER TABLE user_days UPDATE busiest = busiest + 1, balanced = 0 WHERE user_id = %d AND day = '%s' SETTINGS mutations_sync = 2", busyUser, busyDay))
	diffs := run()
	checks := map[string]bool{}
	seen := map[string]bool{}
	busy, unbalanced := false, false
	for _, d := range diffs {
		checks[d.Check] = true
		busy = busy || d.Figure == "user_days signals" && d.UserID == busyUser && d.Detail == busyDay
		unbalanced = unbalanced || d.Check == "balances" && d.Figure == "days_unbalanced" && d.UserID == busyUser && d.Found == "1"
		if d.Check != "orders" {
			continue
		}
		seen[d.Figure+" "+d.Detail] = true
		if d.Found != "" || d.Expected == "" {
			t.Errorf("order difference %+v", d)
		}
		if d.Figure == "order_prices" && d.UserID != user {
			t.Errorf("order difference of user %d, want %d: %+v", d.UserID, user, d)
		}
	}
	if !seen["orders order "+facts] || !seen["order_prices order "+priced] || !seen["user_prices order "+byUser] || len(seen) != 3 {
		t.Errorf("orders reported %v, want %s missing from orders, %s from order_prices and %s from user_prices", seen, facts, priced, byUser)
	}
	if !busy {
		t.Errorf("a day's busiest hour off by one (user %d, %s) not reported: %+v", busyUser, busyDay, diffs)
	}
	if !unbalanced {
		t.Errorf("a day stored without the balance's figures (user %d, %s) not reported: %+v", busyUser, busyDay, diffs)
	}
	if !checks["orders"] || !checks["balances"] || !checks["minutely"] || !checks["user_figures"] || checks["products"] {
		t.Errorf("rows gone from orders and order_prices reported by %v: %+v", checks, diffs)
	}
	if d := drift(); d != float64(len(diffs)) || d == 0 {
		t.Errorf("drift %v for %d differences", d, len(diffs))
	}
	last := gauge(t, reg, "rebate_reconcile_last_success_timestamp", nil)
	if time.Since(time.Unix(int64(last), 0)) > time.Minute {
		t.Errorf("last success at %v", last)
	}

	// Rebuilding the facts works out again what the ingester computes from
	// them, and refreshes the leaderboards.
	done, err := s.db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: []string{"orders"}})
	if err != nil {
		t.Fatal(err)
	}
	var rebuilt []string
	for _, r := range done {
		rebuilt = append(rebuilt, r.Table)
	}
	if got := strings.Join(rebuilt, " "); got != "orders merchant_minutes order_prices user_days user_prices user_totals leaderboards_long leaderboards" {
		t.Errorf("rebuild of orders did %q", got)
	}
	if diffs := run(); len(diffs) != 0 || drift() != 0 {
		t.Errorf("after the rebuild: %+v", diffs)
	}
}

// TestViewWatch: the leaderboards' refreshable views (the short windows'
// and the long windows') are seen, refreshed recently and not failing.
func TestViewWatch(t *testing.T) {
	s := newScenario(t, 67)
	if err := s.st.RefreshLeaderboard(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	w, err := ops.NewViewWatch(s.db, reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Update(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, view := range clickhouse.LeaderboardViews {
		age := gauge(t, reg, "rebate_view_refresh_age_seconds", map[string]string{"view": view})
		if age < 0 || age > 60 || gauge(t, reg, "rebate_view_refresh_failing", map[string]string{"view": view}) != 0 {
			t.Errorf("%s refreshed %v s ago", view, age)
		}
	}
}

// TestReconcileLeaderboardsAsOfEachRefresh: the short and the long
// windows refresh apart, so their boards end at two moments. An order
// stored between them counts in the short windows only, and is not drift
// in the long ones. An order repriced after the long windows' refresh (a
// late tier change) would differ on every check until their next refresh,
// up to 30 s later: the reconciler refreshes the leaderboards before it
// compares, so that is not drift either.
func TestReconcileLeaderboardsAsOfEachRefresh(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t, 53)
	s.insert(t, s.stream.Events)
	const user, merchant = 90001, 901
	placed := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	if err := s.db.InsertRules(ctx, []rebate.Rule{
		{MerchantID: merchant, EffectiveFrom: placed.Add(-time.Hour), Share: 5000},
		{MerchantID: merchant, EffectiveFrom: placed.Add(-time.Hour), Share: 8000, HasTier: true, Tier: 2},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.RefreshView(ctx, clickhouse.LeaderboardLongView); err != nil {
		t.Fatal(err)
	}
	s.insert(t, []rebate.Event{{ID: "between", Type: rebate.OrderSettled, TS: placed, OrderID: "between", UserID: user,
		MerchantID: merchant, ProductID: 1, Amount: 10000, Commission: 1000, PlacedAt: placed}})
	if err := s.db.RefreshView(ctx, clickhouse.LeaderboardView); err != nil {
		t.Fatal(err)
	}
	if diffs, err := s.st.Reconcile(ctx, ops.LeaderboardsCheck, time.Time{}); err != nil || len(diffs) != 0 {
		t.Fatalf("an order stored between the long and the short windows' refreshes: %v %+v", err, diffs)
	}
	rank := func(w rebate.Window) rebate.Money {
		t.Helper()
		r, err := s.st.Rank(ctx, user, w, 0)
		if err != nil || len(r.Entries) != 1 {
			t.Fatalf("rank of %d in %s: %+v %v", user, w, r, err)
		}
		return r.Entries[0].Rebate
	}
	if err := s.st.RefreshLeaderboard(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rank(rebate.WindowAll); got != 500 {
		t.Fatalf("the order's rebate %s, want 5.00 at share 0.5", got)
	}
	// A tier change from before the order reprices it (share 0.8); the
	// boards still hold the old rebate.
	s.insert(t, []rebate.Event{{ID: "tier", Type: rebate.UserTierChanged, TS: placed.Add(-time.Second), UserID: user, Tier: 2}})
	if diffs, err := s.st.Reconcile(ctx, ops.LeaderboardsCheck, time.Time{}); err != nil || len(diffs) == 0 {
		t.Fatalf("the boards before a refresh agree with the repriced order: %v %+v", err, diffs)
	}
	r, err := ops.NewReconciler(s.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Recheck = 10 * time.Millisecond
	if diffs, err := r.Run(ctx, []string{ops.LeaderboardsCheck}, time.Time{}, nil); err != nil || len(diffs) != 0 {
		t.Fatalf("the reconciler reports a repriced order as drift: %v %+v", err, diffs)
	}
	if got := rank(rebate.WindowAll); got != 800 {
		t.Errorf("after the reconciliation the order's rebate is %s, want 8.00 (refreshed)", got)
	}
}
