package clickhouse_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
)

// TestLoadHistoryMatchesTheOracle: history loaded in bulk (events only,
// in batches stored two at a time, then its figures worked out once, a day
// at a time) has the figures of the same stream stored as the ingester
// stores it: the live benchmark's larger sizes stand on it.
func TestLoadHistoryMatchesTheOracle(t *testing.T) {
	ctx := context.Background()
	db, st := openStore(t, migrated(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 53, Users: 40, Merchants: 6, Products: 15, Orders: 300, Clicks: 500,
		Withdrawals: 50, ProductUpdates: 40, DuplicateRate: 0.1, Now: now})
	if err := db.InsertRules(ctx, stream.Rules); err != nil {
		t.Fatal(err)
	}
	// Chunks of 37 events: about ten batches, so that two are stored at
	// once and an order's events fall in different batches.
	rest := stream.Events
	stored, _ := clickhousetest.LoadHistory(t, db, 0, len(rest), func(int) []rebate.Event {
		c := rest[:min(37, len(rest))]
		rest = rest[len(c):]
		return c
	})
	if stored != len(stream.Events) {
		t.Fatalf("stored %d events of %d", stored, len(stream.Events))
	}
	clickhousetest.CompareFigures(t, clickhousetest.StoreFigures{Store: st}, oracle.New(stream.Events, stream.Rules), now,
		rand.New(rand.NewPCG(53, 1)))
}
