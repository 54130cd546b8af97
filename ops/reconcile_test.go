package ops_test

import (
	"context"
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
	if got := strings.Join(r.Checks(), " "); got != "balances leaderboards merchant_stats minutely orders products" {
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

	// One order, deleted from the table that serves time windows.
	var order string
	var user uint64
	if err := s.db.Conn().QueryRow(ctx, "SELECT order_id, user_id FROM orders_by_time FINAL WHERE state != 3 ORDER BY order_id LIMIT 1").Scan(&order, &user); err != nil {
		t.Fatal(err)
	}
	exec(t, s.db, "ALTER TABLE orders_by_time DELETE WHERE order_id = '"+order+"' SETTINGS mutations_sync = 2")
	diffs := run()
	checks := map[string]bool{}
	for _, d := range diffs {
		checks[d.Check] = true
		if d.Check == "orders" && (d.Figure != "orders_by_time" || d.UserID != user || d.Detail != "order "+order || d.Found != "" || d.Expected == "") {
			t.Errorf("order difference %+v", d)
		}
	}
	if !checks["orders"] || !checks["minutely"] || checks["balances"] || checks["merchant_stats"] {
		t.Errorf("a row gone from orders_by_time reported by %v, want orders and minutely only: %+v", checks, diffs)
	}
	if d := drift(); d != float64(len(diffs)) || d == 0 {
		t.Errorf("drift %v for %d differences", d, len(diffs))
	}
	last := gauge(t, reg, "rebate_reconcile_last_success_timestamp", nil)
	if time.Since(time.Unix(int64(last), 0)) > time.Minute {
		t.Errorf("last success at %v", last)
	}

	if _, err := s.db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: []string{"orders_by_time"}}); err != nil {
		t.Fatal(err)
	}
	if diffs := run(); len(diffs) != 0 || drift() != 0 {
		t.Errorf("after the rebuild: %+v", diffs)
	}
}

// TestViewWatch: the leaderboard's refreshable view is seen, refreshed
// recently and not failing.
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
	age := gauge(t, reg, "rebate_view_refresh_age_seconds", map[string]string{"view": "leaderboard_mv"})
	if age < 0 || age > 60 || gauge(t, reg, "rebate_view_refresh_failing", map[string]string{"view": "leaderboard_mv"}) != 0 {
		t.Errorf("leaderboard_mv refreshed %v s ago", age)
	}
}
