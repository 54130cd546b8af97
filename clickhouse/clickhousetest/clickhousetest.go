// Package clickhousetest gives tests a migrated database on the embedded
// endpoint and checks every figure of a store against the oracle.
package clickhousetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/chlocal/chlocaltest"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/oracle"
)

// Migrated returns the config of a fresh, fully migrated database. Its
// leaderboards refresh hourly: dozens of test databases refreshing every
// 2 s would load the engine; tests refresh explicitly.
func Migrated(tb testing.TB) clickhouse.Config {
	tb.Helper()
	ep := chlocaltest.Start(tb)
	cfg := clickhouse.Config{Addr: ep.Addr, Database: ep.Database(tb)}
	ctx := context.Background()
	m, err := clickhouse.NewMigrator(ctx, cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer m.Close()
	if err := m.Up(); err != nil {
		tb.Fatal(err)
	}
	if err := m.SetLeaderboardRefresh(ctx, time.Hour); err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// OpenStore connects a Store to cfg's database, closed at cleanup.
func OpenStore(tb testing.TB, cfg clickhouse.Config) (*clickhouse.DB, *clickhouse.Store) {
	tb.Helper()
	ctx := context.Background()
	db, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	st, err := clickhouse.NewStore(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	return db, st
}

// CompareFigures checks that every figure the store reports equals the
// oracle's: balances and order pages of every user (and one never seen),
// every window's leaderboard and every user's rank in it (after refreshing),
// every merchant's stats, minutely series ending at now, and products.
func CompareFigures(t *testing.T, st *clickhouse.Store, want *oracle.Oracle, now time.Time, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	users := append(want.Users(), 999_999_999)
	pages := make([]uint32, len(users))
	for i := range pages {
		pages[i] = uint32(1 + rng.IntN(7))
	}
	Parallel(t, len(users), func(i int) error {
		u := users[i]
		got, err := st.Balance(ctx, u)
		if err != nil {
			return err
		}
		got.AsOf = time.Time{}
		if exp := want.Balance(u); got != exp {
			return fmt.Errorf("balance of user %d:\n got %+v\nwant %+v", u, got, exp)
		}
		orders, err := AllOrders(st, u, pages[i])
		if err != nil {
			return err
		}
		if exp := want.Orders(u); !sameOrders(orders, exp) {
			return fmt.Errorf("orders of user %d:\n got %+v\nwant %+v", u, orders, exp)
		}
		return nil
	})
	if err := st.RefreshLeaderboard(ctx); err != nil {
		t.Fatal(err)
	}
	windows := rebate.Windows()
	Parallel(t, len(windows), func(i int) error {
		w := windows[i]
		lb, err := st.Leaderboard(ctx, w, 1000)
		if err != nil {
			return err
		}
		if exp := want.Leaderboard(w, lb.AsOf); !sameEntries(lb.Entries, exp) {
			return fmt.Errorf("leaderboard %s as of %s:\n got %+v\nwant %+v", w, lb.AsOf, lb.Entries, exp)
		}
		for _, u := range users {
			r, err := st.Rank(ctx, u, w, 2)
			if err != nil {
				return err
			}
			if exp := want.Neighbours(u, w, r.AsOf, 2); !sameEntries(r.Entries, exp) {
				return fmt.Errorf("rank of user %d in %s:\n got %+v\nwant %+v", u, w, r.Entries, exp)
			}
		}
		for _, m := range append(want.Merchants(), 424242) {
			got, err := st.MerchantStats(ctx, m, w, now)
			if err != nil {
				return err
			}
			if exp := want.MerchantStats(m, w, now); got != exp {
				return fmt.Errorf("merchant %d over %s:\n got %+v\nwant %+v", m, w, got, exp)
			}
		}
		return nil
	})
	for _, minutes := range []uint16{1, 90, 1440} {
		got, err := st.Minutely(ctx, now, minutes)
		if err != nil {
			t.Fatal(err)
		}
		if exp := want.Minutely(now, int(minutes)); !reflect.DeepEqual(got, exp) {
			t.Errorf("minutely over %d minutes: %d rows vs %d; first difference %s", minutes, len(got), len(exp), firstDiff(got, exp))
		}
	}
	for _, p := range append(want.Products(), 777_777) {
		got, err := st.Product(ctx, p)
		exp, ok := want.Product(p)
		switch {
		case !ok && rebate.ErrorCode(err) != rebate.ENOTFOUND:
			t.Errorf("product %d was never updated: got %+v, %v; want not found", p, got, err)
		case ok && (err != nil || got != exp):
			t.Errorf("product %d:\n got %+v %v\nwant %+v", p, got, err, exp)
		}
	}
}

// Parallel runs check(0..n-1) on 4 goroutines, one per engine connection,
// and reports every error.
func Parallel(t *testing.T, n int, check func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := check(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// AllOrders pages through a user's orders with the cursor.
func AllOrders(st *clickhouse.Store, user uint64, page uint32) ([]rebate.Order, error) {
	var out []rebate.Order
	cur := clickhouse.FirstPage
	for {
		got, err := st.Orders(context.Background(), user, cur, page)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if uint32(len(got)) < page {
			return out, nil
		}
		last := got[len(got)-1]
		cur = clickhouse.OrderCursor{PlacedAt: last.PlacedAt, OrderID: last.OrderID}
	}
}

func sameOrders(a, b []rebate.Order) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func sameEntries(a, b []rebate.LeaderboardEntry) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func firstDiff(a, b []rebate.MinuteKPI) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d: got %+v want %+v", i, a[i], b[i])
		}
	}
	return "in length"
}
