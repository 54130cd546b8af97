package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/eventgen"
)

// cacheCounters are the engine's counters of its cache of decompressed
// blocks: a block found in it, and one decompressed and put in.
var cacheCounters = []string{"UncompressedCacheHits", "UncompressedCacheMisses"}

// TestMaterializeBlockCache works out a stored batch's figures and
// signals again, twice: as the service does, no statement reads through
// the engine's cache of decompressed blocks (measured: at 30 M events it
// cost Materialize more, docs/benchmarks.md, The block cache); with the
// benchmark's UseBlockCache they do, and the second time the blocks the
// first read are served from it, so the benchmark that compares the two
// compares what it says. Not parallel: the counters are the whole engine's,
// and no other test runs beside a sequential one.
func TestMaterializeBlockCache(t *testing.T) {
	chlocaltest.Start(t).NeedCache(t)
	ctx := context.Background()
	db, _ := openStore(t, migrated(t))
	// No merge may replace the parts of the tables read by key between two
	// reads of the same blocks (not every table's: a rule's delete waits
	// for merges of its own).
	for _, table := range []string{"orders", "order_prices", "user_prices", "user_days", "user_clicks", "clicks"} {
		exec(t, db, "SYSTEM STOP MERGES "+table)
	}
	stream := eventgen.Generate(eventgen.Config{Seed: 57, Users: 30, Merchants: 4, Products: 10, Orders: 200, Clicks: 300,
		Withdrawals: 20, ProductUpdates: 20, DuplicateRate: 0.05, Now: time.Now().UTC().Truncate(time.Millisecond)})
	if err := db.InsertRules(ctx, stream.Rules); err != nil {
		t.Fatal(err)
	}
	insertEvents(t, db, stream.Events...) // stored and materialized once
	var c rebate.Changes
	c.AddAll(stream.Events)
	again := func() (hits, misses int64) {
		t.Helper()
		before := engineCounters(t, db, cacheCounters)
		if err := db.Materialize(ctx, c); err != nil {
			t.Fatal(err)
		}
		after := engineCounters(t, db, cacheCounters)
		return after["UncompressedCacheHits"] - before["UncompressedCacheHits"], after["UncompressedCacheMisses"] - before["UncompressedCacheMisses"]
	}
	if hits, _ := again(); hits != 0 {
		t.Errorf("the service's Materialize took %d blocks from the engine's block cache: its statements ask for it", hits)
	}
	clickhouse.UseBlockCache(true)
	defer clickhouse.UseBlockCache(false)
	again() // fills the cache
	hits, misses := again()
	t.Logf("Materialize again through the cache: %d blocks from it, %d decompressed", hits, misses)
	if hits == 0 {
		t.Fatalf("Materialize through the block cache, of a batch whose blocks it just read, took none from it (%d decompressed)", misses)
	}
}

// cacheBytes is the memory the engine's block cache holds.
func cacheBytes(tb testing.TB, db *clickhouse.DB) int64 {
	tb.Helper()
	var n int64
	if err := db.Conn().QueryRow(context.Background(), "SELECT toInt64(value) FROM system.metrics WHERE metric = 'UncompressedCacheBytes'").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
