package clickhouse_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/eventgen"
	"github.com/rebatehq/rebate/oracle"
)

// propertySeeds is how many random streams TestFiguresMatchOracle checks;
// REBATE_PROPERTY_SEEDS raises it for a longer soak.
func propertySeeds(t *testing.T) int {
	n := 20
	if s := os.Getenv("REBATE_PROPERTY_SEEDS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("REBATE_PROPERTY_SEEDS=%q: want a positive integer", s)
		}
		n = v
	}
	return n
}

// TestFiguresMatchOracle is the schema's correctness proof: for random event
// streams with duplicates, shuffled delivery, voids after settlement,
// withdrawals and rule changes, inserted in random batch splits, every
// figure of every query equals the oracle's, to the cent.
func TestFiguresMatchOracle(t *testing.T) {
	for seed := uint64(1); seed <= uint64(propertySeeds(t)); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { checkSeed(t, seed) })
	}
}

func checkSeed(t *testing.T, seed uint64) {
	ctx := context.Background()
	cfg := migrated(t)
	db, st := openStore(t, cfg)
	now := time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{
		Seed: seed, Users: 60, Merchants: 8, Products: 20, Orders: 700, Clicks: 1500,
		Withdrawals: 150, ProductUpdates: 120, DuplicateRate: 0.1, Now: now,
	})
	// Rules go in first: in production a rule never takes effect before it
	// is stored, so no event can have been priced without it.
	if err := db.InsertRules(ctx, stream.Rules); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	batches := eventgen.Split(rng, stream.Events, 600)
	for i, b := range batches {
		if err := db.InsertEvents(ctx, b, nil, clickhouse.InsertOptions{}); err != nil {
			t.Fatalf("batch %d of %d: %v", i, len(batches), err)
		}
	}
	want := oracle.New(stream.Events, stream.Rules)
	t.Logf("%d events (%d distinct) in %d batches; %d users, %d merchants, %d products",
		len(stream.Events), distinct(stream.Events), len(batches), len(want.Users()), len(want.Merchants()), len(want.Products()))

	users := append(want.Users(), 999_999_999) // and one never seen
	pages := make([]uint32, len(users))
	for i := range pages {
		pages[i] = uint32(1 + rng.IntN(7))
	}
	parallel(t, len(users), func(i int) error {
		u := users[i]
		got, err := st.Balance(ctx, u)
		if err != nil {
			return err
		}
		got.AsOf = time.Time{}
		if exp := want.Balance(u); got != exp {
			return fmt.Errorf("balance of user %d:\n got %+v\nwant %+v", u, got, exp)
		}
		orders, err := allOrders(st, u, pages[i])
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
	parallel(t, len(windows), func(i int) error {
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

// parallel runs check(0..n-1) on 4 goroutines, one per engine connection,
// and reports every error.
func parallel(t *testing.T, n int, check func(i int) error) {
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

// allOrders pages through a user's orders with the cursor.
func allOrders(st *clickhouse.Store, user uint64, page uint32) ([]rebate.Order, error) {
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

func distinct(events []rebate.Event) int {
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.ID] = true
	}
	return len(seen)
}
