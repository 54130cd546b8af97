package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

	"github.com/rebatehq/rebate"
)

// eventColumns are the columns of events the service writes: the contract's
// fields (rebate.Fields), then where each event came from.
var eventColumns = func() []ch.ColumnNameAndType {
	var out []ch.ColumnNameAndType
	for _, f := range rebate.Fields {
		out = append(out, ch.ColumnNameAndType{Name: f.Name, Type: f.Column})
	}
	return append(out, ch.ColumnNameAndType{Name: "kafka_partition", Type: "Int32"},
		ch.ColumnNameAndType{Name: "kafka_offset", Type: "Int64"})
}()

var insertEvents = func() string {
	s := "INSERT INTO events ("
	for i, c := range eventColumns {
		if i > 0 {
			s += ", "
		}
		s += c.Name
	}
	return s + ")"
}()

var epoch = time.Unix(0, 0).UTC()

// InsertEvents writes events in one batch; sources, if not nil, holds the
// Kafka position of each event. A dedupToken makes a retry of the same batch
// a no-op in the events table and every view's table
// (insert_deduplication_token); "" sends none.
func (db *DB) InsertEvents(ctx context.Context, events []rebate.Event, sources []rebate.Source, dedupToken string) error {
	if len(events) == 0 {
		return nil
	}
	if sources != nil && len(sources) != len(events) {
		return fmt.Errorf("insert events: %d sources for %d events", len(sources), len(events))
	}
	// A backfill of history may span more months (partitions) than one
	// insert is allowed by default; refusing it would stall ingestion on a
	// valid batch that no retry can fix, so it only logs on the server.
	settings := ch.Settings{"throw_on_max_partitions_per_insert_block": 0}
	if dedupToken != "" {
		settings["insert_deduplication_token"] = dedupToken
		settings["deduplicate_blocks_in_dependent_materialized_views"] = 1
	}
	qopts := []ch.QueryOption{ch.WithColumnNamesAndTypes(eventColumns), ch.WithSettings(settings)}
	batch, err := db.conn.PrepareBatch(ch.Context(ctx, qopts...), insertEvents)
	if err != nil {
		return domainError("insert events: prepare", err)
	}
	defer batch.Abort()
	row := make([]any, len(eventColumns))
	for i, e := range events {
		src := rebate.NoSource
		if sources != nil {
			src = sources[i]
		}
		for j, f := range rebate.Fields {
			row[j] = columnValue(f.Value(&e))
		}
		row[len(rebate.Fields)], row[len(rebate.Fields)+1] = src.Partition, src.Offset
		if err := batch.Append(row...); err != nil {
			return domainError("insert events: append "+e.ID, err)
		}
	}
	if err := batch.Send(); err != nil {
		return domainError(fmt.Sprintf("insert %d events", len(events)), err)
	}
	return nil
}

// InsertRules writes rules as given, without the "not in the past" check of
// PutRule: for loading history and for tests that replay it.
func (db *DB) InsertRules(ctx context.Context, rules []rebate.Rule) error {
	batch, err := db.conn.PrepareBatch(ctx,
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
	return domainError("insert rules", batch.Send())
}

// columnValue is a contract value as clickhouse-go appends it to its column.
func columnValue(v any) any {
	switch x := v.(type) {
	case rebate.EventType:
		return int8(x)
	case rebate.Money:
		return moneyDecimal(x)
	case rebate.Rate:
		return rateDecimal(x)
	case time.Time:
		if x.IsZero() { // a time the type does not carry
			return epoch
		}
		return x
	}
	return v
}
