package clickhousetest

import (
	"context"
	"testing"
	"time"

	"github.com/rebatehq/rebate/clickhouse"
)

// The rule of docs/schema.md, Time bounds, read from the engine's typed
// query tree (EXPLAIN QUERY TREE): clickhouse TestTimeBoundsKeepTheirType
// holds the service's statements and views to it, the dashboards' tests
// their panels' SQL.

// StreamNow is the now of a test stream of seed: the clock, or for an odd
// seed a moment in the last second of the minute before, so that every
// window starts in a minute's last second, the edge of the Time bounds
// defect (docs/schema.md), which the clock alone meets one run in sixty.
func StreamNow(seed uint64) time.Time {
	now := time.Now().UTC().Truncate(time.Millisecond)
	if seed%2 == 1 {
		now = now.Truncate(time.Minute).Add(-time.Second + time.Duration(1+seed%999)*time.Millisecond)
	}
	return now
}

// Column runs q, whose rows are one string each, and returns them in order;
// ctx carries q's parameters, if it has any.
func Column(tb testing.TB, db *clickhouse.DB, ctx context.Context, q string) []string {
	tb.Helper()
	rows, err := db.Conn().Query(ctx, q)
	if err != nil {
		tb.Fatalf("%.200s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// MixedTimeComparisons reads sel's query tree (clickhouse
// DB.TimeComparisons) and fails the test on a comparison it could not read:
// the service's own SQL must be judged whole. ctx carries sel's
// parameters, if it has any.
func MixedTimeComparisons(t testing.TB, db *clickhouse.DB, ctx context.Context, sel string) clickhouse.TimeComparisons {
	t.Helper()
	tc, err := db.TimeComparisons(ctx, sel)
	if err != nil {
		t.Fatalf("%.200s: %v", sel, err)
	}
	for _, u := range tc.Unread {
		t.Errorf("%s read from the query tree, want 2", u)
	}
	return tc
}
