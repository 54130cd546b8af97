package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

	"github.com/rebatehq/rebate"
)

// InsertEvents writes events in one batch; sources, if not nil, holds the
// Kafka position of each event. A dedupToken makes a retry of the same batch
// a no-op in the events table and every view's table
// (insert_deduplication_token); "" sends none.
//
// The batch goes as one Native block encoded here (native.go) through
// clickhouse-go's InsertFormat: its transport, authentication, compression
// and the settings of the context, without clickhouse-go building the
// block from a Go value per cell (measured 3.5x slower, and most of the
// ingester's CPU after JSON decoding; docs/benchmarks.md).
func (db *DB) InsertEvents(ctx context.Context, events []rebate.Event, sources []rebate.Source, dedupToken string) error {
	if len(events) == 0 {
		return nil
	}
	if sources != nil && len(sources) != len(events) {
		return fmt.Errorf("insert events: %d sources for %d events", len(sources), len(events))
	}
	block, err := encodeEvents(events, sources)
	if err != nil {
		return err
	}
	defer block.release()
	err = db.conn.InsertFormat(ch.Context(ctx, ch.WithSettings(db.writeSettings(insertSettings(dedupToken)))), "Native", insertEventsSQL, block)
	if err != nil {
		return domainError(fmt.Sprintf("insert %d events", len(events)), err)
	}
	return nil
}

// insertSettings are the settings of every insert of events.
func insertSettings(dedupToken string) ch.Settings {
	// A backfill of history may span more months (partitions) than one
	// insert is allowed by default; refusing it would stall ingestion on a
	// valid batch that no retry can fix, so it only logs on the server.
	s := ch.Settings{"throw_on_max_partitions_per_insert_block": 0,
		// The views' inserts run side by side: an insert into events and
		// its views takes about half the time for the same CPU, which is
		// time a record does not wait (measured: docs/benchmarks.md).
		"parallel_view_processing": 1,
	}
	if dedupToken != "" {
		s["insert_deduplication_token"] = dedupToken
		s["deduplicate_blocks_in_dependent_materialized_views"] = 1
	}
	return s
}

// InsertRules writes rules as given, without the "not in the past" check of
// PutRule: for loading history and for tests that replay it. The rule
// timeline is built again after, as PutRule does.
func (db *DB) InsertRules(ctx context.Context, rules []rebate.Rule) error {
	batch, err := db.conn.PrepareBatch(ch.Context(ctx, ch.WithSettings(db.writeSettings(nil))),
		"INSERT INTO rebate_rules (merchant_id, tier_key, effective_from, effective_to, share, cap, referral_share, created_at)")
	if err != nil {
		return domainError("insert rules", err)
	}
	defer batch.Abort()
	// created_at orders rules with equal keys like the slice does.
	base := time.Now().UTC()
	for i, r := range rules {
		args := ruleArgs(r)
		var capAmount *decimal.Decimal
		if r.HasCap {
			d := moneyDecimal(r.Cap)
			capAmount = &d
		}
		if err := batch.Append(r.MerchantID, uint8(args["tier_key"].(uint64)), r.EffectiveFrom, args["effective_to"],
			rateDecimal(r.Share), capAmount, rateDecimal(r.ReferralShare), base.Add(time.Duration(i)*time.Millisecond)); err != nil {
			return domainError("insert rules", err)
		}
	}
	if err := batch.Send(); err != nil {
		return domainError("insert rules", err)
	}
	return db.BuildRules(ctx)
}
