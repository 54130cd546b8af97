package clickhouse_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
)

// TestRebuildWhileIngesting rebuilds every derived table of a damaged
// database (rows deleted from a state table) while events keep arriving:
// in the background throughout, and once between each table's fill and its
// swap, the moment a rebuild without its capture view would lose them. The
// figures then equal the oracle's for the whole stream, and nothing of the
// rebuild is left behind.
func TestRebuildWhileIngesting(t *testing.T) {
	ctx := context.Background()
	db, st := openStore(t, migrated(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 31, Users: 40, Merchants: 6, Products: 15, Orders: 250, Clicks: 500,
		Withdrawals: 50, ProductUpdates: 40, DuplicateRate: 0.1, Now: now})
	if err := db.InsertRules(ctx, stream.Rules); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(31, 1))
	batches := eventgen.Split(rng, stream.Events, 40)
	half := len(batches) / 2
	for _, b := range batches[:half] {
		if err := db.InsertEvents(ctx, b, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	exec(t, db, "ALTER TABLE orders_by_user DELETE WHERE user_id % 3 = 0 SETTINGS mutations_sync = 2")
	exec(t, db, "ALTER TABLE products DELETE WHERE product_id % 2 = 0 SETTINGS mutations_sync = 2")

	// The rest arrive one batch at a time, from two writers.
	var mu sync.Mutex
	rest := batches[half:]
	next := func() []rebate.Event {
		mu.Lock()
		defer mu.Unlock()
		if len(rest) == 0 {
			return nil
		}
		b := rest[0]
		rest = rest[1:]
		return b
	}
	insert := func(b []rebate.Event) {
		if err := db.InsertEvents(ctx, b, nil, ""); err != nil {
			t.Error(err)
		}
	}
	var swaps int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := next(); b != nil; b = next() {
			insert(b)
			time.Sleep(5 * time.Millisecond) // a pace, not a synchronisation
		}
	}()
	rebuilt, err := db.Rebuild(ctx, clickhouse.RebuildOptions{BeforeExchange: func(string) {
		swaps++
		if b := next(); b != nil {
			insert(b)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-done
	want := []string{"clicks", "clicks_minutely", "order_identity", "orders_by_merchant", "orders_by_time", "orders_by_user",
		"products", "withdrawal_identity", "withdrawals", "leaderboard"}
	var got []string
	for _, r := range rebuilt {
		got = append(got, r.Table)
		if r.Refreshed != (r.Table == "leaderboard") {
			t.Errorf("%s: refreshed=%v", r.Table, r.Refreshed)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rebuilt %v, want %v (tables first, the refreshed leaderboard last)", got, want)
	}
	if swaps != len(want)-1 {
		t.Errorf("%d swaps, want %d", swaps, len(want)-1)
	}
	clickhousetest.CompareFigures(t, clickhousetest.StoreFigures{Store: st}, oracle.New(stream.Events, stream.Rules), now, rng)
	var left uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE '%\\_\\_rebuild\\_%'").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d objects of the rebuild left behind (%v)", left, err)
	}
}

// TestRebuildRefusals: a table no view writes, a view's Null table, and
// --since for a table fed from events are each answered clearly.
func TestRebuildRefusals(t *testing.T) {
	ctx := context.Background()
	db, _ := openStore(t, migrated(t))
	for _, table := range []string{"rebate_rules", "order_changes", "events", "nope"} {
		_, err := db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: []string{table}})
		if rebate.ErrorCode(err) != rebate.EINVALID || !strings.Contains(err.Error(), "orders_by_user") {
			t.Errorf("rebuild %s: %v; want invalid, listing what can be rebuilt", table, err)
		}
	}
}

func exec(t *testing.T, db *clickhouse.DB, stmt string) {
	t.Helper()
	if err := db.Conn().Exec(context.Background(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// TestRebuildsDoNotOverlap: a second rebuild while one runs is refused,
// naming the first, since each would drop the other's objects as
// leftovers; once the first ends, the next runs.
func TestRebuildsDoNotOverlap(t *testing.T) {
	ctx := context.Background()
	db, _ := openStore(t, migrated(t))
	var second error
	_, err := db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: []string{"withdrawals"}, BeforeExchange: func(string) {
		_, second = db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: []string{"products"}})
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rebate.ErrorCode(second) != rebate.ECONFLICT || !strings.Contains(second.Error(), "a rebuild since") {
		t.Errorf("a rebuild during another: %v", second)
	}
	if _, err := db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: []string{"products"}}); err != nil {
		t.Errorf("a rebuild after another: %v", err)
	}
}
