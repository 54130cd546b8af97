package clickhouse_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
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
// figure of every query equals the oracle's, to the cent; and the fraud
// signals raised, with their evidence, are the oracle's exactly (the
// streams carry abuse and clean behaviour on either side of every edge,
// and clicks arriving after the orders they clear).
func TestFiguresMatchOracle(t *testing.T) {
	for seed := uint64(1); seed <= uint64(propertySeeds(t)); seed++ {
		// Each seed has a database of its own: two at a time keep both
		// cores busy while one waits on the engine.
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			checkSeed(t, seed)
		})
	}
}

func checkSeed(t *testing.T, seed uint64) {
	ctx := context.Background()
	cfg := migrated(t)
	db, st := openStore(t, cfg)
	now := clickhousetest.StreamNow(seed) // odd seeds: every window starts in a minute's last second
	stream := eventgen.Generate(eventgen.Config{
		Seed: seed, Users: 60, Merchants: 8, Products: 20, Orders: 700, Clicks: 1500,
		Withdrawals: 150, ProductUpdates: 120, DuplicateRate: 0.1, Now: now,
		Members: 45, TierChanges: 80, RichRules: true, Abuse: true,
	})
	if err := db.SetSignals(propertySignals); err != nil {
		t.Fatal(err)
	}
	// Rules go in first: in production a rule never takes effect before it
	// is stored, so no event can have been priced without it.
	if err := db.InsertRules(ctx, stream.Rules); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	batches := eventgen.Split(rng, stream.Events, 600)
	// Each batch is inserted and its figures worked out again, as the
	// ingester does: later batches reprice what earlier ones stored (a late
	// tier change, a void after settlement). The signals of one to several
	// batches are worked out together, their changes merged.
	clickhousetest.InsertBatches(t, db, batches, func(int) bool { return rng.IntN(3) == 0 })
	want := oracle.New(stream.Events, stream.Rules)
	t.Logf("%d events (%d distinct) in %d batches; %d users, %d merchants, %d products",
		len(stream.Events), distinct(stream.Events), len(batches), len(want.Users()), len(want.Merchants()), len(want.Products()))

	clickhousetest.CompareFigures(t, clickhousetest.StoreFigures{Store: st}, want, now, rng)
	signals := want.Signals(propertySignals.Thresholds())
	kinds := map[rebate.SignalKind]int{}
	for _, s := range signals {
		kinds[s.Kind]++
	}
	t.Logf("signals raised: %v", kinds)
	clickhousetest.CompareSignals(t, st, signals, rng)
}

// propertySignals are thresholds the generated abuse crosses and the rest
// of a stream mostly does not, so both sides of every signal are compared.
var propertySignals = clickhouse.SignalConfig{CancelShare: 5000, CancelMinOrders: 4, OrdersPerHour: 4, FarmInvitees: 4}

func distinct(events []rebate.Event) int {
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.ID] = true
	}
	return len(seen)
}
