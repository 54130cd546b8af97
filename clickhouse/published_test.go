package clickhouse_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
)

func ptr(s string) *string { return &s }

// TestPublishedQueries: a query published through one store is listed and
// served by another over the same database, with its parameters checked
// against what was declared; new versions replace it, a delete ends it,
// and the history keeps every version. Built-in names are read-only, and a
// query that does not plan is refused when published.
func TestPublishedQueries(t *testing.T) {
	cfg := migrated(t)
	db, a := openStore(t, cfg)
	_, b := openStore(t, cfg) // another replica
	a.PublishedRefresh, b.PublishedRefresh = 0, 0
	ctx := context.Background()
	now := time.Now().UTC()
	insertEvents(t, db,
		rebate.Event{ID: "c1", Type: rebate.Click, TS: now, UserID: 1, MerchantID: 7, ProductID: 9},
		rebate.Event{ID: "c2", Type: rebate.Click, TS: now, UserID: 2, MerchantID: 7, ProductID: 9},
		rebate.Event{ID: "c3", Type: rebate.Click, TS: now, UserID: 3, MerchantID: 8, ProductID: 9})
	q := rebate.NamedQuery{Name: "clicks_by_merchant", Description: "Distinct clicks of a merchant",
		SQL: "SELECT merchant_id, count() AS clicks FROM clicks FINAL WHERE merchant_id = {merchant:UInt64} AND ts >= {since:DateTime64(3, 'UTC')} GROUP BY merchant_id",
		Params: []rebate.QueryParam{
			{Name: "merchant", Type: "UInt64", Min: ptr("1"), Max: ptr("100"), Description: "a merchant"},
			{Name: "since", Type: "DateTime64(3, 'UTC')", Default: ptr("2000-01-01T00:00:00Z")},
		}, CacheTTL: 30 * time.Second, Author: "bi"}
	got, err := a.Publish(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || !got.Published || got.CacheTTL != 30*time.Second || got.Author != "bi" || got.At.IsZero() {
		t.Errorf("published %+v", got)
	}
	// The other replica lists and runs it.
	list, err := b.NamedQueries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := list[len(list)-1]; last.Name != "clicks_by_merchant" || !last.Published || last.SQL == "" {
		t.Errorf("listed last: %+v", last)
	}
	res, err := b.RunNamed(ctx, "clicks_by_merchant", map[string]string{"merchant": "7"}, rebate.QueryLimits{Timeout: 5 * time.Second, MaxRows: 10})
	if err != nil || len(res.Rows) != 1 || res.Rows[0][1] != uint64(2) {
		t.Fatalf("run on the other replica: %+v %v", res, err)
	}
	for args, field := range map[string]string{"0": "merchant", "101": "merchant", "x": "merchant"} {
		if _, err := b.RunNamed(ctx, "clicks_by_merchant", map[string]string{"merchant": args}, rebate.QueryLimits{Timeout: time.Second, MaxRows: 1}); rebate.ErrorField(err) != field || rebate.ErrorCode(err) != rebate.EINVALID {
			t.Errorf("merchant=%s: %v", args, err)
		}
	}
	// Version 2 with allowed values; the other replica serves it at once.
	q.SQL = "SELECT merchant_id, count() AS clicks FROM clicks FINAL WHERE merchant_id = {merchant:UInt64} GROUP BY merchant_id"
	q.Params = []rebate.QueryParam{{Name: "merchant", Type: "UInt64", Allowed: []string{"7", "8"}}}
	if got, err = a.Publish(ctx, q); err != nil || got.Version != 2 {
		t.Fatalf("version 2: %+v %v", got, err)
	}
	if _, err := b.RunNamed(ctx, "clicks_by_merchant", map[string]string{"merchant": "9"}, rebate.QueryLimits{Timeout: time.Second, MaxRows: 1}); rebate.ErrorField(err) != "merchant" {
		t.Errorf("a value not allowed: %v", err)
	}
	if _, err := b.RunNamed(ctx, "clicks_by_merchant", map[string]string{"merchant": "8", "since": "2026-01-01"}, rebate.QueryLimits{Timeout: time.Second, MaxRows: 1}); rebate.ErrorField(err) != "since" {
		t.Errorf("a parameter version 2 dropped: %v", err)
	}
	if err := b.Unpublish(ctx, "clicks_by_merchant", "ops"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RunNamed(ctx, "clicks_by_merchant", map[string]string{"merchant": "7"}, rebate.QueryLimits{Timeout: time.Second, MaxRows: 1}); rebate.ErrorCode(err) != rebate.ENOTFOUND {
		t.Errorf("after delete: %v", err)
	}
	if err := a.Unpublish(ctx, "clicks_by_merchant", "ops"); rebate.ErrorCode(err) != rebate.ENOTFOUND {
		t.Errorf("delete again: %v", err)
	}
	vs, err := a.QueryVersions(ctx, "clicks_by_merchant")
	if err != nil || len(vs) != 3 || vs[0].Version != 1 || vs[1].Version != 2 || !vs[2].Deleted || vs[2].Author != "ops" || len(vs[0].Params) != 2 {
		t.Errorf("history: %+v %v", vs, err)
	}

	// Refused when published, each naming what is wrong.
	for _, c := range []struct {
		q    rebate.NamedQuery
		code string
		say  string
	}{
		{rebate.NamedQuery{Name: "get_balance", SQL: "SELECT 1"}, rebate.ECONFLICT, "built-in"},
		{rebate.NamedQuery{Name: "list_identities", SQL: "SELECT 1"}, rebate.ECONFLICT, "built-in"},
		{rebate.NamedQuery{Name: "Bad-Name", SQL: "SELECT 1"}, rebate.EINVALID, "name"},
		{rebate.NamedQuery{Name: "unknown_column", SQL: "SELECT no_such_column FROM clicks"}, rebate.EINVALID, "no_such_column"},
		{rebate.NamedQuery{Name: "unknown_table", SQL: "SELECT * FROM no_such_table"}, rebate.EINVALID, "no_such_table"},
		{rebate.NamedQuery{Name: "a_write", SQL: "INSERT INTO clicks SELECT * FROM clicks"}, rebate.EFORBIDDEN, "SELECT"},
		{rebate.NamedQuery{Name: "a_show", SQL: "SHOW TABLES"}, rebate.EFORBIDDEN, "SELECT"},
		{rebate.NamedQuery{Name: "other_db", SQL: "SELECT * FROM system.tables"}, rebate.EFORBIDDEN, "system"},
		{rebate.NamedQuery{Name: "a_file", SQL: "SELECT * FROM file('/etc/passwd')"}, rebate.EFORBIDDEN, "file"},
		{rebate.NamedQuery{Name: "settings", SQL: "SELECT 1 SETTINGS max_threads = 1"}, rebate.EFORBIDDEN, "SETTINGS"},
		{rebate.NamedQuery{Name: "undeclared", SQL: "SELECT {x:UInt8}"}, rebate.EINVALID, "not declared"},
		{rebate.NamedQuery{Name: "unused", SQL: "SELECT 1", Params: []rebate.QueryParam{{Name: "x", Type: "UInt8"}}}, rebate.EINVALID, "not a {x"},
		{rebate.NamedQuery{Name: "retyped", SQL: "SELECT {x:UInt8}", Params: []rebate.QueryParam{{Name: "x", Type: "UInt16"}}}, rebate.EINVALID, "declared UInt16"},
		{rebate.NamedQuery{Name: "unknown_type", SQL: "SELECT {x:Array(UInt8)}", Params: []rebate.QueryParam{{Name: "x", Type: "Array(UInt8)"}}}, rebate.EINVALID, "not supported"},
		{rebate.NamedQuery{Name: "bad_default", SQL: "SELECT {x:UInt8}", Params: []rebate.QueryParam{{Name: "x", Type: "UInt8", Default: ptr("300")}}}, rebate.EINVALID, "default"},
		{rebate.NamedQuery{Name: "bad_bounds", SQL: "SELECT {x:UInt8}", Params: []rebate.QueryParam{{Name: "x", Type: "UInt8", Min: ptr("5"), Max: ptr("1")}}}, rebate.EINVALID, "above max"},
		{rebate.NamedQuery{Name: "string_bounds", SQL: "SELECT {x:String}", Params: []rebate.QueryParam{{Name: "x", Type: "String", Min: ptr("a")}}}, rebate.EINVALID, "min and max"},
		{rebate.NamedQuery{Name: "default_not_allowed", SQL: "SELECT {x:UInt8}", Params: []rebate.QueryParam{{Name: "x", Type: "UInt8", Allowed: []string{"1"}, Default: ptr("2")}}}, rebate.EINVALID, "default"},
		{rebate.NamedQuery{Name: "long_ttl", SQL: "SELECT 1", CacheTTL: 2 * time.Hour}, rebate.EINVALID, "cache_ttl"},
		// An event time against a DateTime bound (docs/schema.md, Time
		// bounds), whether the function's, a placeholder's or a subquery's.
		{rebate.NamedQuery{Name: "mixed_bound", SQL: "SELECT count() FROM clicks WHERE ts < toStartOfDay(now('UTC'))"}, rebate.EINVALID, "toDateTime64(m, 3, 'UTC')"},
		{rebate.NamedQuery{Name: "mixed_param", SQL: "SELECT count() FROM orders WHERE placed_at >= {since:DateTime}", Params: []rebate.QueryParam{{Name: "since", Type: "DateTime"}}}, rebate.EINVALID, "greaterOrEquals"},
		{rebate.NamedQuery{Name: "mixed_sub", SQL: "SELECT count() FROM clicks WHERE ts >= (SELECT max(minute) FROM click_minutes)"}, rebate.EINVALID, "a bound of another type"},
	} {
		_, err := a.Publish(ctx, c.q)
		if rebate.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.say) {
			t.Errorf("%s: %v (code %q), want %s saying %q", c.q.Name, err, rebate.ErrorCode(err), c.code, c.say)
		}
	}
	// The same bounds cast to DateTime64 are published.
	for _, q := range []rebate.NamedQuery{
		{Name: "cast_bound", SQL: "SELECT count() FROM clicks WHERE ts < toDateTime64(toStartOfDay(now('UTC')), 3, 'UTC')"},
		{Name: "cast_param", SQL: "SELECT count() FROM orders WHERE placed_at >= {since:DateTime64(3)}", Params: []rebate.QueryParam{{Name: "since", Type: "DateTime64(3)"}}},
	} {
		if _, err := a.Publish(ctx, q); err != nil {
			t.Errorf("%s: %v", q.Name, err)
		}
	}
	if err := a.Unpublish(ctx, "get_balance", "ops"); rebate.ErrorCode(err) != rebate.ECONFLICT {
		t.Errorf("delete a built-in: %v", err)
	}
	if _, err := a.QueryVersions(ctx, "never_published"); rebate.ErrorCode(err) != rebate.ENOTFOUND {
		t.Errorf("history of nothing: %v", err)
	}
}

// TestPublishedRefresh: a replica reads the endpoints again once its copy
// is older than PublishedRefresh, not before.
func TestPublishedRefresh(t *testing.T) {
	cfg := migrated(t)
	_, a := openStore(t, cfg)
	_, b := openStore(t, cfg)
	ctx := context.Background()
	b.PublishedRefresh = time.Hour
	if _, err := b.NamedQueries(ctx); err != nil { // b's copy, empty
		t.Fatal(err)
	}
	if _, err := a.Publish(ctx, rebate.NamedQuery{Name: "one_row", SQL: "SELECT 1 AS one"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.NamedQuery(ctx, "one_row"); rebate.ErrorCode(err) != rebate.ENOTFOUND {
		t.Errorf("before b's copy is old: %v", err)
	}
	b.PublishedRefresh = 0
	if _, err := b.NamedQuery(ctx, "one_row"); err != nil {
		t.Errorf("after: %v", err)
	}
}

// TestNamedAnswersForBI: named queries give money with its type's scale
// (Decimal(38, 2) as "57975.80") and no placeholder rows: the leaderboard's
// marker row (rank 0) never shows, while the store's leaderboards still
// know how fresh they are, ranked users or not.
func TestNamedAnswersForBI(t *testing.T) {
	db, st := openStore(t, migrated(t))
	ctx := context.Background()
	now := time.Now().UTC()
	insertEvents(t, db, rebate.Event{ID: "e1", Type: rebate.OrderPaid, TS: now, OrderID: "o1", UserID: 1, MerchantID: 7, ProductID: 9,
		Amount: 1_000_00, Commission: 115_951_60, PlacedAt: now.Add(-time.Minute)})
	if err := st.RefreshLeaderboard(ctx); err != nil {
		t.Fatal(err)
	}
	lim := rebate.QueryLimits{Timeout: 5 * time.Second, MaxRows: 100}
	res, err := st.RunNamed(ctx, "get_leaderboard", map[string]string{"window": "24h", "limit": "10"}, lim)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0][0] != uint64(1) || res.Rows[0][2] != "57975.80" {
		t.Errorf("leaderboard rows %v (types %v)", res.Rows, res.Columns)
	}
	res, err = st.RunNamed(ctx, "get_user_rank", map[string]string{"window": "24h", "user_id": "2", "neighbors": "3"}, lim)
	if err != nil || len(res.Rows) != 0 {
		t.Errorf("an unranked user: %v %v", res.Rows, err)
	}
	res, err = st.RunNamed(ctx, "get_balance", map[string]string{"user_id": "1"}, lim)
	if err != nil || res.Rows[0][1] != "57975.80" || res.Rows[0][2] != "0.00" {
		t.Errorf("balance %v %v", res.Rows, err)
	}
	lb, err := st.Leaderboard(ctx, rebate.WindowHour, 10)
	if err != nil || len(lb.Entries) != 1 || lb.AsOf.IsZero() {
		t.Errorf("leaderboard %+v %v", lb, err)
	}
	// Each window is as of its own refresh: the long windows' view
	// refreshes apart from the short ones'.
	all, err := st.Leaderboard(ctx, rebate.WindowAll, 10)
	if err != nil || len(all.Entries) != 1 || all.AsOf.IsZero() {
		t.Errorf("leaderboard of all time %+v %v", all, err)
	}
	empty, err := st.Rank(ctx, 2, rebate.WindowAll, 3)
	if err != nil || len(empty.Entries) != 0 || !empty.AsOf.Equal(all.AsOf) {
		t.Errorf("rank of an unranked user: %+v %v (leaderboard as of %s)", empty, err, all.AsOf)
	}
}
