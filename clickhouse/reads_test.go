package clickhouse_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/queries"
)

// TestReadsFindTheirDays: what reads order_prices, click_minutes or
// merchant_minutes for a time window (the leaderboards' refresh, the
// minutely series, merchant stats, referral totals), or for a user's orders
// (balance, order list, and Materialize's buckets), or orders by key (a
// batch's pricing and no-click signals) reads the granules of the days it
// asks about, not the whole table: the engine's own estimate of the
// marks each reads, over 60 days of orders and minutes from 300 merchants,
// merged. Sorted by merchant first, a granule held a merchant's rows of
// every day (of a month, for the minutes), and a window read them all, a
// cost that grew with the history.
func TestReadsFindTheirDays(t *testing.T) {
	db, _ := clickhousetest.OpenStore(t, clickhousetest.Migrated(t))
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	const days, orders = 60, 120_000
	step := int64(days*24*time.Hour/time.Millisecond) / orders
	at0 := "toDateTime64('" + now.Format("2006-01-02 15:04:05.000") + "', 3, 'UTC')"
	at := at0 + " - toIntervalMillisecond(number * " + strconv.FormatInt(step, 10) + ")"
	for _, q := range []string{
		`INSERT INTO order_prices (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts, tier, rebate,
			inviter_id, referral, version)
		 SELECT toString(number), 1 + number % 5000, 1 + number % 300, 1, 1 + number % 3, 100, 10, ` + at + `, ` + at + `, 0, 1,
			if(number % 7 = 0, 9, 0), if(number % 7 = 0, 0.5, 0), 1
		 FROM numbers(` + strconv.Itoa(orders) + `)`,
		// User 9999, the busiest, has 30,000 orders over the 60 days.
		`INSERT INTO order_prices (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts, tier, rebate,
			inviter_id, referral, version)
		 SELECT concat('h', toString(number)), 9999, 1 + number % 300, 1, 1, 100, 10, ` + strings.ReplaceAll(at, "number * ", "number * 4 * ") + `, ` + at0 + `, 0, 1, 0, 0, 1
		 FROM numbers(` + strconv.Itoa(orders/4) + `)`,
		"INSERT INTO user_orders (user_id, order_id, merchant_id, placed_at) SELECT user_id, order_id, merchant_id, placed_at FROM order_prices",
		`INSERT INTO orders (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts)
		 SELECT order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts FROM order_prices`,
		// User 9 invited users 7, 14 and 21 (whose orders name 9 as inviter
		// when the order number is a multiple of 7).
		"INSERT INTO invitations (inviter_id, user_id, joined_at, first) SELECT 9, 7 * (number + 1), " + at0 + " - toIntervalDay(90), 1 FROM numbers(3)",
		// Every minute of the 60 days, five merchants a minute.
		`INSERT INTO click_minutes (merchant_id, minute, clicks, as_of, version)
		 SELECT 1 + (number * 37 + intDiv(number, 5)) % 300, toStartOfMinute(` + at0 + `) - toIntervalMinute(intDiv(number, 5)), 3, ` + at0 + `, 1
		 FROM numbers(` + strconv.Itoa(days*1440*5) + `)`,
		`INSERT INTO merchant_minutes (merchant_id, minute, orders, gmv, commission, rebate, as_of, version)
		 SELECT merchant_id, minute, 1, 100, 10, 1, as_of, version FROM click_minutes`,
		"OPTIMIZE TABLE order_prices FINAL",
		"OPTIMIZE TABLE user_orders FINAL",
		"OPTIMIZE TABLE orders FINAL",
		"OPTIMIZE TABLE user_prices FINAL",
		"OPTIMIZE TABLE click_minutes FINAL",
		"OPTIMIZE TABLE merchant_minutes FINAL",
	} {
		if err := db.Conn().Exec(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	qs, err := clickhouse.LoadQueries(queries.FS)
	if err != nil {
		t.Fatal(err)
	}
	// A statement is planned with the settings it runs with (get_balance's
	// guard needs its own); a view's SELECT or a statement's SELECT part,
	// with none.
	settings := map[string]ch.Settings{}
	named := func(name string) string {
		q, ok := qs.Get(name)
		if !ok {
			t.Fatalf("no query %s", name)
		}
		settings[q.SQL] = q.RunSettings()
		return q.SQL
	}
	views := viewSelects(t, db)
	// The keys of the last hour's orders, a merchant each, as Materialize
	// binds them (keyArray): what a batch of steady traffic prices.
	lastHour := column(t, db, `SELECT concat('[', arrayStringConcat(groupArray(format('(\'{}\',{},\'{}\',\'{}\')',
		toString(toDate(placed_at)), toString(merchant_id), toString(placed_at), order_id)), ','), ']')
		FROM (SELECT * FROM orders WHERE placed_at > `+at0+` - INTERVAL 1 HOUR AND order_id NOT LIKE 'h%' ORDER BY order_id LIMIT 1 BY merchant_id)`)[0]
	ts := func(d time.Duration) string { return now.Add(d).Format("2006-01-02 15:04:05.000") }
	minute := now.Add(-time.Hour).Truncate(time.Minute).Format(time.DateTime)
	for _, c := range []struct {
		name  string
		table string
		sql   string
		p     ch.Parameters
		most  float64 // of the table's marks
		upTo  uint64  // marks, when not 0 (instead of most; table "*": of every table read)
	}{
		// The last day; today, the first partial days of 7 and 30 days, and after now.
		{"leaderboards' refresh", "order_prices", views[clickhouse.LeaderboardView], nil, 0.12, 0},
		{"long leaderboards' refresh", "order_prices", views[clickhouse.LeaderboardLongView], nil, 0.12, 0},
		{"list_minutely_kpis", "order_prices", named("list_minutely_kpis"), ch.Parameters{"now": ts(0), "minutes": "60"}, 0.03, 0},
		{"get_merchant_stats 24h", "order_prices", named("get_merchant_stats"), ch.Parameters{"merchant_id": "1", "since": ts(-24 * time.Hour), "now": ts(0)}, 0.03, 0},
		{"get_referral_totals 24h", "order_prices", named("get_referral_totals"), ch.Parameters{"since": ts(-24 * time.Hour)}, 0.05, 0},
		// A user's orders, in every table read: one range of user_prices
		// for the list, of user_days for the balance. (Found through
		// user_orders in order_prices, sorted by day, they took a granule or
		// two per day the user ordered on.)
		{"get_balance", "*", named("get_balance"), ch.Parameters{"user_id": "7"}, 0, 3},
		{"list_user_orders", "*", named("list_user_orders"), ch.Parameters{"user_id": "7", "before_placed_at": ts(time.Hour),
			"before_order_id": "", "limit": "20"}, 0, 3},
		{"list_user_referrals", "*", named("list_user_referrals"), ch.Parameters{"user_id": "9", "after_user_id": "0", "limit": "20"}, 0, 3},
		{"materialize_merchant_minutes", "order_prices", selectOf(t, named("materialize_merchant_minutes")),
			ch.Parameters{"buckets": "[('" + minute[:10] + "',1,'" + minute + "'),('" + minute[:10] + "',2,'" + minute + "')]", "version": "1"}, 0.03, 0},
		// The busiest user's day: its keys in user_orders, then those in
		// order_prices, not all the user's orders.
		{"materialize_user_days busiest", "*", selectOf(t, named("materialize_user_days")),
			ch.Parameters{"users": "[9999]", "buckets": "[(9999,'" + now.Format(time.DateOnly) + "')]", "version": "1"}, 0, 4},
		{"materialize_user_days", "*", selectOf(t, named("materialize_user_days")),
			ch.Parameters{"users": "[7]", "buckets": "[(7,'" + now.Format(time.DateOnly) + "')]", "version": "1"}, 0, 3},
		// A batch's orders by key, placed in the last hour at many merchants:
		// a few granules of the last day. (Sorted by merchant first, a
		// granule for every merchant or two: 29% and 57% of the table here,
		// each granule holding more of its merchants' history as it grew.)
		{"materialize_order_prices last hour", "orders", selectOf(t, named("materialize_order_prices")),
			ch.Parameters{"keys": lastHour, "users": "[1]", "merchants": "[0]", "version": "1"}, 0.05, 0},
		{"materialize_no_click_signals last hour", "orders", selectOf(t, named("materialize_no_click_signals")),
			ch.Parameters{"keys": lastHour, "version": "1"}, 0.05, 0},
		{"list_minutely_kpis 60", "click_minutes", named("list_minutely_kpis"), ch.Parameters{"now": ts(0), "minutes": "60"}, 0.1, 0},
		{"list_minutely_kpis 60", "merchant_minutes", named("list_minutely_kpis"), ch.Parameters{"now": ts(0), "minutes": "60"}, 0.1, 0},
		{"list_minutely_kpis 1440", "click_minutes", named("list_minutely_kpis"), ch.Parameters{"now": ts(0), "minutes": "1440"}, 0.1, 0},
		{"get_merchant_stats 24h", "click_minutes", named("get_merchant_stats"), ch.Parameters{"merchant_id": "1", "since": ts(-24 * time.Hour), "now": ts(0)}, 0.1, 0},
		// All time: a range of each of the 60 days (sorted by merchant, one
		// range a month; a time window read the whole month).
		{"get_merchant_stats all", "click_minutes", named("get_merchant_stats"), ch.Parameters{"merchant_id": "1", "since": "1970-01-01 00:00:00.000", "now": ts(0)}, 0.25, 0},
		{"get_merchant_stats 24h", "merchant_minutes", named("get_merchant_stats"), ch.Parameters{"merchant_id": "1", "since": ts(-24 * time.Hour), "now": ts(0)}, 0.1, 0},
	} {
		got := marks(t, db, c.table, c.sql, c.p, settings[c.sql])
		if c.upTo > 0 {
			t.Logf("%s: %d marks of %s", c.name, got, c.table)
			if got > c.upTo {
				t.Errorf("%s reads %d marks of %s: want at most %d", c.name, got, c.table, c.upTo)
			}
			continue
		}
		total := marks(t, db, c.table, "SELECT * FROM "+c.table+" FINAL", nil, nil)
		t.Logf("%s: %d of %s's %d marks", c.name, got, c.table, total)
		if float64(got) > c.most*float64(total) {
			t.Errorf("%s reads %d of %s's %d marks: want at most %.0f%%", c.name, got, c.table, total, c.most*100)
		}
	}
}

// marks is the engine's estimate of the marks of table sql reads (of
// every table it reads: "*").
func marks(t *testing.T, db *clickhouse.DB, table, sql string, p ch.Parameters, s ch.Settings) uint64 {
	t.Helper()
	rows, err := db.Conn().Query(ch.Context(context.Background(), ch.WithParameters(p), ch.WithSettings(s)), "EXPLAIN ESTIMATE "+sql)
	if err != nil {
		t.Fatalf("EXPLAIN ESTIMATE %.80s: %v", sql, err)
	}
	defer rows.Close()
	var n uint64
	for rows.Next() {
		var database, tbl string
		var parts, rowCount, m uint64
		if err := rows.Scan(&database, &tbl, &parts, &rowCount, &m); err != nil {
			t.Fatal(err)
		}
		if tbl == table || table == "*" {
			n += m
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// selectOf is the SELECT of an INSERT ... SELECT statement (its WITH
// included): EXPLAIN ESTIMATE takes a SELECT.
func selectOf(t *testing.T, sql string) string {
	t.Helper()
	i := strings.Index(sql, "INSERT INTO")
	j := strings.Index(sql[max(i, 0):], ")\n")
	if i < 0 || j < 0 {
		t.Fatalf("not an INSERT ... SELECT: %.80s", sql)
	}
	return sql[i+j+2:]
}
