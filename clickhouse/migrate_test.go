package clickhouse_test

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/migrations"
)

// migrationVersions are the migrations' numbers in order. They may leave
// gaps (numbers kept for another branch's migrations), so a step is the
// next number, not the next integer.
func migrationVersions(t *testing.T) []int {
	ups, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	downs, _ := fs.Glob(migrations.FS, "*.down.sql")
	if len(ups) == 0 || len(ups) != len(downs) {
		t.Fatalf("%d up and %d down migrations", len(ups), len(downs))
	}
	var out []int
	for _, f := range ups {
		v, err := strconv.Atoi(strings.SplitN(f, "_", 2)[0])
		if err != nil {
			t.Fatalf("%s: no number", f)
		}
		out = append(out, v)
	}
	return out
}

// freshMigrator is a migrator of a new, empty database of its own.
func freshMigrator(t *testing.T) (clickhouse.Config, *clickhouse.Migrator) {
	t.Helper()
	ep := chlocaltest.Start(t)
	cfg := clickhouse.Config{Addr: ep.Addr, Database: ep.Database(t)}
	m, err := clickhouse.NewMigrator(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return cfg, m
}

// migrateTo migrates a fresh database up to from and returns a connection
// to it, and to: a step up or down to a version (of a series of migrations
// under test).
func migrateTo(t *testing.T, from int) (db *clickhouse.DB, to func(version int)) {
	t.Helper()
	cfg, m := freshMigrator(t)
	versions := migrationVersions(t)
	at := slices.Index(versions, from)
	if at < 0 {
		t.Fatalf("no migration %d in %v", from, versions)
	}
	if err := m.Steps(at + 1); err != nil {
		t.Fatal(err)
	}
	db, err := clickhouse.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, func(version int) {
		t.Helper()
		next := slices.Index(versions, version)
		if next < 0 {
			t.Fatalf("no migration %d in %v", version, versions)
		}
		if err := m.Steps(next - at); err != nil {
			t.Fatalf("migrate from %d to %d: %v", versions[at], version, err)
		}
		at = next
	}
}

// TestMigrationsStepByStep applies every migration one at a time to a fresh
// database, reverts them one at a time, and applies them again: each runs on
// the schema its predecessors leave, both ways.
func TestMigrationsStepByStep(t *testing.T) {
	cfg, m := freshMigrator(t)
	ctx := context.Background()
	versions := migrationVersions(t)
	for _, want := range versions {
		if err := m.Steps(1); err != nil {
			t.Fatalf("up to %d: %v", want, err)
		}
		if v, dirty, err := m.Version(); err != nil || int(v) != want || dirty {
			t.Fatalf("after up %d: version %d dirty %v err %v", want, v, dirty, err)
		}
	}
	for i := len(versions) - 2; i >= -1; i-- {
		want := 0
		if i >= 0 {
			want = versions[i]
		}
		if err := m.Steps(-1); err != nil {
			t.Fatalf("down to %d: %v", want, err)
		}
		if v, _, err := m.Version(); err != nil || int(v) != want {
			t.Fatalf("after down: version %d err %v, want %d", v, err, want)
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

// TestReferralWindowReprices: the first `migrate up` prices orders stored
// before order_prices existed (here: inserted without Materialize), and a
// new referral window prices every order again, so an inviter's earnings
// follow it both ways.
func TestReferralWindowReprices(t *testing.T) {
	cfg := migrated(t)
	ctx := context.Background()
	db, st := openStore(t, cfg)
	joined := time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Millisecond)
	events := []rebate.Event{
		{ID: "join", Type: rebate.UserJoined, TS: joined, UserID: 2, InviterID: 1},
		{ID: "early", Type: rebate.OrderSettled, TS: joined.Add(time.Hour), OrderID: "early", UserID: 2, MerchantID: 1,
			ProductID: 1, Amount: 10000, Commission: 1000, PlacedAt: joined.Add(time.Hour)},
		{ID: "late", Type: rebate.OrderSettled, TS: joined.Add(10 * 24 * time.Hour), OrderID: "late", UserID: 2, MerchantID: 1,
			ProductID: 1, Amount: 10000, Commission: 2000, PlacedAt: joined.Add(10 * 24 * time.Hour)},
	}
	if err := db.InsertEvents(ctx, events, nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := db.InsertRules(ctx, []rebate.Rule{{MerchantID: 1, EffectiveFrom: joined.Add(-time.Hour), Share: 5000, ReferralShare: 1000}}); err != nil {
		t.Fatal(err)
	}
	m, err := clickhouse.NewMigrator(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	referral := func() rebate.Money {
		t.Helper()
		b, err := st.Balance(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		return b.Referral.Confirmed
	}
	for _, tc := range []struct {
		days int
		want rebate.Money
	}{{365, 300}, {5, 100}, {365, 300}} {
		if err := m.SetReferralWindow(ctx, tc.days); err != nil {
			t.Fatal(err)
		}
		if got := referral(); got != tc.want {
			t.Errorf("window of %d days: the inviter's confirmed referral earnings are %s, want %s", tc.days, got, tc.want)
		}
	}
}

// TestMigrationsSayWhatToRebuild: a view sees only the rows inserted after
// it exists, so from 000089 on every migration that makes a materialized
// view says which tables need a rebuild ("-- rebuild: t1, t2", or
// "-- rebuild: none (why)"); rebate migrate up prints or runs it.
func TestMigrationsSayWhatToRebuild(t *testing.T) {
	files, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f < "000089" {
			// Applied before the rule: they backfill in migrations of their
			// own (000027, 000038, 000041), or their views feed on event
			// types that came with them (000029-000033).
			continue
		}
		b, _ := fs.ReadFile(migrations.FS, f)
		sql := strings.ToUpper(string(b))
		if strings.Contains(sql, "MATERIALIZED VIEW") && !strings.Contains(sql, " REFRESH ") && !strings.Contains(string(b), "-- rebuild:") {
			t.Errorf("%s makes a materialized view but has no -- rebuild: line", f)
		}
	}
	if got, err := clickhouse.Rebuilds(0, 1000); err != nil || len(got) != 0 {
		t.Errorf("rebuilds of the migrations so far: %v %v, want none", got, err)
	}
	fsys := fstest.MapFS{
		"000030_a.up.sql":   {Data: []byte("-- rebuild: orders_by_user, orders_by_time\nCREATE MATERIALIZED VIEW x TO orders_by_user AS SELECT 1")},
		"000031_b.up.sql":   {Data: []byte("-- rebuild: none (a new table, backfilled by 000032)\nCREATE TABLE y (a UInt8) ENGINE = Null")},
		"000032_c.up.sql":   {Data: []byte("-- rebuild: products,orders_by_user\nSELECT 1")},
		"000032_c.down.sql": {Data: []byte("-- rebuild: never read\nSELECT 1")},
	}
	for _, tc := range []struct {
		from, to uint
		want     string
	}{{29, 32, "orders_by_user orders_by_time products"}, {30, 31, ""}, {31, 32, "products orders_by_user"}, {0, 29, ""}} {
		got, err := clickhouse.RebuildsIn(fsys, tc.from, tc.to)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("rebuilds after %d up to %d: %v %v, want %q", tc.from, tc.to, got, err, tc.want)
		}
	}
}

// TestUserDaysRekeyKeepsFigures: migrations 000105–000109 work user_days out
// again keyed by user, with the signals' columns, from the priced orders
// already stored, and their downs bring back the table keyed by day with the
// same figures: an upgrade and a rollback lose no day.
func TestUserDaysRekeyKeepsFigures(t *testing.T) {
	db, to := migrateTo(t, 104)
	ctx := context.Background()
	// User 7: an hour from 23:30 that fills up after midnight, across a
	// month's end; one order void, one settled.
	if err := db.Conn().Exec(ctx, `INSERT INTO order_prices (order_id, user_id, merchant_id, product_id, state, amount, commission,
		placed_at, ts, tier, rebate, inviter_id, referral, version) VALUES
		('a', 7, 1, 1, 1, 100, 10, '2026-03-31 23:30:00.000', '2026-03-31 23:30:00.000', 0, 1.00, 0, 0, 1),
		('b', 7, 1, 1, 3, 100, 10, '2026-04-01 00:10:00.000', '2026-04-01 00:10:00.000', 0, 0.50, 0, 0, 1),
		('c', 7, 2, 1, 2, 100, 10, '2026-04-01 00:20:00.000', '2026-04-01 00:20:00.000', 0, 2.50, 0, 0, 1)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Conn().Exec(ctx, "INSERT INTO user_days (day, user_id, rebate, orders, version) "+
		"SELECT toDate(placed_at), user_id, sumIf(rebate, state IN (1, 2)), countIf(state IN (1, 2)), 1 FROM order_prices GROUP BY 1, 2"); err != nil {
		t.Fatal(err)
	}
	rows := func(q string) string { t.Helper(); return strings.Join(column(t, db, q), "; ") }
	const old = "SELECT concat(toString(day), ' ', toString(user_id), ' ', toString(rebate), ' ', toString(orders)) FROM user_days FINAL ORDER BY day"
	want := rows(old)
	to(109)
	got := rows("SELECT concat(toString(day), ' ', toString(rebate), ' ', toString(orders), ' ', toString(placed), ' ', toString(voided), ' ', " +
		"toString(busiest), ' ', toString(busiest_at)) FROM user_days FINAL WHERE user_id = 7 ORDER BY day")
	if w := "2026-03-31 1 1 1 0 3 2026-03-31 23:30:00.000; 2026-04-01 2.5 1 2 1 2 2026-04-01 00:10:00.000"; got != w {
		t.Fatalf("user_days keyed by user:\n got %s\nwant %s", got, w)
	}
	to(104)
	if got := rows(old); got != want || want == "" {
		t.Fatalf("user_days keyed by day after the rollback:\n got %s\nwant %s", got, want)
	}
}

// TestBalanceDaysFilled: migration 000137 gives user_days the balance's
// figures and 000138 works them out from the priced orders already stored,
// so a balance (read from the days since) is the same after the upgrade as
// the orders make it. Between the two, a day without them (as an ingester
// older than 000137 would store one) makes the balance an error, never a
// balance of zeros. Rolled back and upgraded again, the figures are the same.
func TestBalanceDaysFilled(t *testing.T) {
	db, to := migrateTo(t, 136)
	ctx := context.Background()
	// User 7, invited by 9: paid, void and settled orders over two days (c
	// priced twice: the newer version wins); 9's own settled order.
	exec := func(q string) {
		t.Helper()
		if err := db.Conn().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO order_prices (order_id, user_id, merchant_id, product_id, state, amount, commission,
		placed_at, ts, tier, rebate, inviter_id, referral, version) VALUES
		('a', 7, 1, 1, 1, 100, 10, '2026-03-31 23:30:00.000', '2026-03-31 23:30:00.000', 0, 1.00, 9, 0.20, 1),
		('b', 7, 1, 1, 3, 100, 10, '2026-04-01 00:10:00.000', '2026-04-01 00:15:00.000', 0, 0.50, 9, 0.10, 1),
		('c', 7, 2, 1, 1, 100, 10, '2026-04-01 00:20:00.000', '2026-04-01 00:20:00.000', 0, 2.00, 9, 0.25, 1),
		('c', 7, 2, 1, 2, 100, 10, '2026-04-01 00:20:00.000', '2026-04-02 08:00:00.000', 0, 2.50, 9, 0.30, 2),
		('d', 9, 1, 1, 2, 100, 10, '2026-04-01 10:00:00.000', '2026-04-01 11:00:00.000', 0, 3.00, 0, 0, 1)`)
	exec("INSERT INTO invitations (inviter_id, user_id, joined_at, first) VALUES (9, 7, '2026-03-01 00:00:00.000', 1)")
	// The days as Materialize stored them before 000137.
	exec("INSERT INTO user_days (day, user_id, rebate, orders, placed, voided, version) " +
		"SELECT toDate(placed_at), user_id, sumIf(rebate, state IN (1, 2)), countIf(state IN (1, 2)), count(), countIf(state = 3), 1 " +
		"FROM order_prices FINAL GROUP BY 1, 2")
	to(137)
	st, err := clickhouse.NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Balance(ctx, 7); rebate.ErrorCode(err) != rebate.EMISCONFIG || !strings.Contains(err.Error(), "rebuild --table user_days") {
		t.Fatalf("a balance over days stored without its figures: %v, want a misconfigured error naming the rebuild", err)
	}
	balances := func() string {
		t.Helper()
		var out []string
		for _, u := range []uint64{7, 9} {
			b, err := st.Balance(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d: pending %s confirmed %s available %s orders %d/%d/%d referral %s/%s/%s as of %s", u,
				b.Pending, b.Confirmed, b.Available, b.Orders.Paid, b.Orders.Settled, b.Orders.Void,
				b.Referral.Pending, b.Referral.Confirmed, b.Referral.Void, b.AsOf.UTC().Format(time.DateTime)))
		}
		return strings.Join(out, "; ")
	}
	const want = "7: pending 1.00 confirmed 2.50 available 2.50 orders 1/1/1 referral 0.00/0.00/0.00 as of 2026-04-02 08:00:00; " +
		"9: pending 0.00 confirmed 3.00 available 3.30 orders 0/1/0 referral 0.20/0.30/0.10 as of 2026-04-02 08:00:00"
	to(138)
	if got := balances(); got != want {
		t.Fatalf("balances after 000138:\n got %s\nwant %s", got, want)
	}
	to(136)
	to(138)
	if got := balances(); got != want {
		t.Fatalf("balances after a rollback and an upgrade:\n got %s\nwant %s", got, want)
	}
}

// TestSortedByDayKeepsRows: migrations 000111–000128 sort order_prices,
// click_minutes and merchant_minutes by day first and keep every row as it
// stood, its version too (a newer row must still win after them), a row
// written between a table's copy and its swap included, both ways; rolled
// back, the tables are sorted by merchant again with the same rows.
func TestSortedByDayKeepsRows(t *testing.T) {
	db, to := migrateTo(t, 110)
	ctx := context.Background()
	const prices = `INSERT INTO order_prices (order_id, user_id, merchant_id, product_id, state, amount, commission,
		placed_at, ts, tier, rebate, inviter_id, referral, version) VALUES `
	exec := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if err := db.Conn().Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Order a priced twice (the newer version wins), b once; the same for
	// the minutes of merchant 1 and 2.
	exec(prices+"('a', 7, 1, 1, 1, 100, 10, '2026-03-31 23:30:00.000', '2026-03-31 23:30:00.000', 0, 1.00, 0, 0, 1)",
		prices+"('a', 7, 1, 1, 2, 100, 10, '2026-03-31 23:30:00.000', '2026-04-02 10:00:00.000', 1, 1.25, 9, 0.10, 2)",
		prices+"('b', 8, 2, 3, 3, 50, 5, '2026-04-01 00:20:00.000', '2026-04-01 00:20:00.000', 0, 2.50, 0, 0, 1)",
		"INSERT INTO click_minutes VALUES (1, '2026-03-31 23:30:00', 4, '2026-03-31 23:30:10.000', 1), (1, '2026-03-31 23:30:00', 5, '2026-03-31 23:30:20.000', 2), (2, '2026-04-01 00:20:00', 1, '2026-04-01 00:20:00.000', 1)",
		"INSERT INTO merchant_minutes VALUES (1, '2026-03-31 23:30:00', 1, 100, 10, 1.00, '2026-03-31 23:30:00.000', 1), (1, '2026-03-31 23:30:00', 1, 100, 10, 1.25, '2026-04-02 10:00:00.000', 2), (2, '2026-04-01 00:20:00', 0, 0, 0, 0, '2026-04-01 00:20:00.000', 1)")
	tables := []string{"order_prices", "click_minutes", "merchant_minutes"}
	rows := func() string {
		t.Helper()
		var out []string
		for _, tb := range tables {
			out = append(out, column(t, db, "SELECT toString(tuple(*)) FROM "+tb+" FINAL ORDER BY tuple(*)")...)
		}
		return strings.Join(out, "; ")
	}
	// same checks that the tables hold want, sorted by sortedBy.
	same := func(when, want, sortedBy string) {
		t.Helper()
		if got := rows(); got != want {
			t.Fatalf("%s:\n got %s\nwant %s", when, got, want)
		}
		got := strings.Join(column(t, db, "SELECT concat(name, ': ', sorting_key) FROM system.tables WHERE database = currentDatabase() AND "+
			"name IN ('order_prices', 'click_minutes', 'merchant_minutes') ORDER BY name"), "; ")
		if got != sortedBy {
			t.Fatalf("%s, sorted by %q, want %q", when, got, sortedBy)
		}
	}
	has := func(rows string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(rows, w) {
				t.Fatalf("no %s in %s", w, rows)
			}
		}
	}
	// Written to the old tables after their copy, before their swap.
	to(112)
	exec(prices + "('b', 8, 2, 3, 3, 50, 5, '2026-04-01 00:20:00.000', '2026-04-01 00:20:00.000', 0, 2.75, 0, 0, 3)")
	to(120)
	exec("INSERT INTO click_minutes VALUES (2, '2026-04-01 00:20:00', 2, '2026-04-01 00:20:30.000', 3)")
	want := rows()
	has(want, "('a',7,1,1,2,", "('b',8,2,3,3,50,5,'2026-04-01 00:20:00.000','2026-04-01 00:20:00.000',0,2.75,0,0,3)", "(2,'2026-04-01 00:20:00',2,")
	to(128)
	same("sorted by day", want, "click_minutes: toDate(minute), merchant_id, minute; merchant_minutes: toDate(minute), merchant_id, minute; "+
		"order_prices: toDate(placed_at), merchant_id, placed_at, order_id")
	// Newer rows still replace copied ones; and, on the way down, rows
	// written to the tables sorted by day after the old ones were filled
	// again, before they are swapped back.
	exec("INSERT INTO merchant_minutes VALUES (2, '2026-04-01 00:20:00', 1, 50, 5, 0.5, '2026-04-01 00:21:00.000', 4)")
	to(124)
	exec(prices+"('a', 7, 1, 1, 3, 100, 10, '2026-03-31 23:30:00.000', '2026-04-03 10:00:00.000', 1, 1.25, 9, 0.10, 5)",
		"INSERT INTO click_minutes VALUES (1, '2026-03-31 23:30:00', 6, '2026-03-31 23:30:40.000', 5)")
	want = rows()
	has(want, "(2,'2026-04-01 00:20:00',1,50,5,0.5,'2026-04-01 00:21:00.000',4)", "('a',7,1,1,3,", "(1,'2026-03-31 23:30:00',6,")
	to(110)
	same("after the rollback", want, "click_minutes: merchant_id, minute; merchant_minutes: merchant_id, minute; "+
		"order_prices: merchant_id, placed_at, order_id")
}

// TestRestoredIsMigrated holds the test kit's databases, copies of one
// migrated template (clickhousetest.Migrated), to a database migrated
// afresh: the same tables and views, defined alike, the MergeTree tables
// holding the same rows, at the same migration; and the copy's
// leaderboards refresh. A copy that drifted would let every other test pass
// on a schema the service never runs.
func TestRestoredIsMigrated(t *testing.T) {
	fresh, copied := clickhousetest.Migrate(t), clickhousetest.Migrated(t)
	db, _ := openStore(t, fresh)
	// The check that the copy's refreshable view works: engine 26.5 loads
	// a restored view's UNION ALL unnormalised, and only DB.Restore's
	// setting its query again makes it refresh. The fresh one is refreshed
	// too, so both leaderboards hold a refresh's rows.
	for _, cfg := range []clickhouse.Config{copied, fresh} {
		_, st := openStore(t, cfg)
		if err := st.RefreshLeaderboard(context.Background()); err != nil {
			t.Fatalf("the leaderboards of %s do not refresh: %v", cfg.Database, err)
		}
	}
	// A refresh's own table (.tmp.inner_id.…) is the engine's, not the
	// schema's. Columns the clock sets are left out of the rows compared, and
	// schema_migrations is compared by where it stands: its history differs
	// whenever the migrator retried a statement.
	clocked := map[string]string{"leaderboards": "as_of", "leaderboards_long": "as_of", "rule_timeline": "build", "rule_builds": "build"}
	versions := migrationVersions(t)
	newest := strconv.Itoa(versions[len(versions)-1])
	objects := func(database string) map[string]string {
		out := map[string]string{}
		for _, line := range column(t, db, "SELECT name || '\\t' || create_table_query FROM system.tables WHERE database = '"+database+"' AND NOT startsWith(name, '.tmp.')") {
			name, create, _ := strings.Cut(line, "\t")
			out[name] = strings.ReplaceAll(create, database, "DB")
		}
		for _, name := range column(t, db, "SELECT name FROM system.tables WHERE database = '"+database+"' AND engine LIKE '%MergeTree' AND name != 'schema_migrations' AND NOT startsWith(name, '.tmp.')") {
			rows := "SELECT * FROM " + database + "." + name
			if c, ok := clocked[name]; ok {
				rows = "SELECT * EXCEPT (" + c + ") FROM " + database + "." + name
			}
			out[name+" rows"] = column(t, db, "SELECT toString(count()) || ' rows, hash ' || toString(sum(cityHash64(toString(tuple(*))))) FROM ("+rows+")")[0]
		}
		out["migration"] = column(t, db, "SELECT toString(version) || if(dirty, ' dirty', '') FROM "+database+".schema_migrations ORDER BY sequence DESC LIMIT 1")[0]
		return out
	}
	want, got := objects(fresh.Database), objects(copied.Database)
	if want["migration"] != newest {
		t.Fatalf("the fresh database stands at migration %q, want %s", want["migration"], newest)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s in the copy:\n%s\nmigrated afresh:\n%s", name, got[name], w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("the copy holds %s; a database migrated afresh does not", name)
		}
	}
	t.Logf("%d definitions and tables' rows alike", len(want))
}

// TestLeaderboardsSplitKeepsEveryBoard: migrations 000140–000146 move the
// long windows (7d, 30d, all) to a view of their own, refreshed apart, which
// leaderboards_mv copies into leaderboards. At every step, up and down,
// every window's board is in leaderboards, as a refresh left it: no read
// finds it missing or empty while the migrations run or are rolled back.
func TestLeaderboardsSplitKeepsEveryBoard(t *testing.T) {
	db, to := migrateTo(t, 139)
	ctx := context.Background()
	placed := time.Now().UTC().Add(-10 * time.Minute).Format("2006-01-02 15:04:05.000")
	exec(t, db, `INSERT INTO order_prices (order_id, user_id, merchant_id, product_id, state, amount, commission,
		placed_at, ts, tier, rebate, inviter_id, referral, version) VALUES
		('split', 7, 1, 1, 2, 100, 10, '`+placed+`', '`+placed+`', 0, 3.00, 0, 0, 1)`)
	exec(t, db, "INSERT INTO user_totals (user_id, rebate, orders, version) VALUES (7, 3.00, 1, 1)")
	if err := db.RefreshView(ctx, clickhouse.LeaderboardView); err != nil {
		t.Fatal(err)
	}
	boards := func() string {
		t.Helper()
		return strings.Join(column(t, db, "SELECT toString(tuple(period, rank, user_id, rebate)) FROM leaderboards ORDER BY period, rank"), " ")
	}
	want := boards()
	if strings.Count(want, ",7,3") != 5 {
		t.Fatalf("before the split the boards are %s, want user 7 in each window", want)
	}
	versions := migrationVersions(t)
	last := versions[len(versions)-1]
	for v := 140; v <= last; v++ {
		to(v)
		if got := boards(); got != want {
			t.Fatalf("after migration %d the boards are\n%s\nwant\n%s", v, got, want)
		}
	}
	if err := db.RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := boards(); got != want {
		t.Fatalf("refreshed by the two views, the boards are\n%s\nwant\n%s", got, want)
	}
	long := column(t, db, "SELECT DISTINCT toString(period) FROM leaderboards_long ORDER BY 1")
	if strings.Join(long, " ") != "30d 7d all" {
		t.Errorf("leaderboards_long holds %v, want the long windows only", long)
	}
	for v := last - 1; v >= 139; v-- {
		to(v)
		if got := boards(); got != want {
			t.Fatalf("rolled back to %d, the boards are\n%s\nwant\n%s", v, got, want)
		}
	}
	if err := db.RefreshView(ctx, clickhouse.LeaderboardView); err != nil {
		t.Fatal(err)
	}
	if got := boards(); got != want {
		t.Fatalf("rolled back and refreshed, the boards are\n%s\nwant\n%s", got, want)
	}
}

// TestOrdersSortedByDayKeepsRows: migrations 000147–000152 sort orders by
// day first and keep every order at its highest state, one stored between
// the copy and the swap included; orders_mv writes to the table sorted by
// day after the swap (it writes by name); rolled back, orders is sorted by
// merchant again with the same rows, one stored on the way down included.
func TestOrdersSortedByDayKeepsRows(t *testing.T) {
	db, to := migrateTo(t, 146)
	ctx := context.Background()
	const orders = "INSERT INTO orders (order_id, user_id, merchant_id, product_id, state, amount, commission, placed_at, ts) VALUES "
	rows := func() string {
		t.Helper()
		return strings.Join(column(t, db, "SELECT toString(tuple(*)) FROM orders FINAL ORDER BY order_id"), "; ")
	}
	same := func(when, want, sortedBy string) {
		t.Helper()
		if got := rows(); got != want {
			t.Fatalf("%s:\n got %s\nwant %s", when, got, want)
		}
		if got := column(t, db, "SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = 'orders'"); len(got) != 1 || got[0] != sortedBy {
			t.Fatalf("%s, orders sorted by %q, want %q", when, got, sortedBy)
		}
	}
	// Order a settled (its higher state wins) across midnight from b.
	exec(t, db, orders+"('a', 7, 1, 1, 1, 100, 10, '2026-03-31 23:30:00.000', '2026-03-31 23:30:00.000')")
	exec(t, db, orders+"('a', 7, 1, 1, 2, 100, 10, '2026-03-31 23:30:00.000', '2026-04-02 10:00:00.000')")
	exec(t, db, orders+"('b', 8, 2, 3, 1, 50, 5, '2026-04-01 00:20:00.000', '2026-04-01 00:20:00.000')")
	// b cancelled after the copy, before the swap.
	to(148)
	exec(t, db, orders+"('b', 8, 2, 3, 3, 50, 5, '2026-04-01 00:20:00.000', '2026-04-03 09:00:00.000')")
	want := rows()
	if !strings.Contains(want, "('a',7,1,1,2,") || !strings.Contains(want, "('b',8,2,3,3,") {
		t.Fatalf("before the swap: %s", want)
	}
	to(152)
	same("sorted by day", want, "toDate(placed_at), merchant_id, placed_at, order_id")
	// An order event stored now reaches the table sorted by day.
	placed := time.Date(2026, 4, 5, 12, 0, 0, 0, time.UTC)
	if err := db.InsertEvents(ctx, []rebate.Event{{ID: "e-c", Type: rebate.OrderPaid, TS: placed, OrderID: "c", UserID: 9,
		MerchantID: 3, ProductID: 4, Amount: 2000, Commission: 200, PlacedAt: placed}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	want = rows()
	if !strings.Contains(want, "('c',9,3,4,1,20,2,'2026-04-05 12:00:00.000',") {
		t.Fatalf("after the swap, the order event stored is not in orders: %s", want)
	}
	// On the way down, a state stored in the table sorted by day after the
	// old one was filled again, before they swap back.
	to(150)
	exec(t, db, orders+"('c', 9, 3, 4, 2, 20, 2, '2026-04-05 12:00:00.000', '2026-04-06 12:00:00.000')")
	want = rows()
	if !strings.Contains(want, "('c',9,3,4,2,") {
		t.Fatalf("on the way down: %s", want)
	}
	to(146)
	same("after the rollback", want, "merchant_id, placed_at, order_id")
}
