package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate"
)

// Source is where an event came from, kept with it for audits.
type Source struct {
	Partition int32
	Offset    int64
}

// NoSource marks events that did not come from Kafka.
var NoSource = Source{Partition: -1, Offset: -1}

var eventColumns = []ch.ColumnNameAndType{
	{Name: "event_id", Type: "String"},
	{Name: "type", Type: "Enum8('click' = 1, 'order_paid' = 2, 'order_settled' = 3, 'order_cancelled' = 4, 'order_reversed' = 5, 'withdrawal_requested' = 6, 'withdrawal_completed' = 7, 'withdrawal_failed' = 8, 'product_updated' = 9)"},
	{Name: "ts", Type: "DateTime64(3, 'UTC')"},
	{Name: "user_id", Type: "UInt64"},
	{Name: "merchant_id", Type: "UInt64"},
	{Name: "product_id", Type: "UInt64"},
	{Name: "order_id", Type: "String"},
	{Name: "withdrawal_id", Type: "String"},
	{Name: "amount", Type: "Decimal(18, 2)"},
	{Name: "commission", Type: "Decimal(18, 2)"},
	{Name: "placed_at", Type: "DateTime64(3, 'UTC')"},
	{Name: "price", Type: "Decimal(18, 2)"},
	{Name: "stock", Type: "UInt32"},
	{Name: "commission_rate", Type: "Decimal(9, 4)"},
	{Name: "kafka_partition", Type: "Int32"},
	{Name: "kafka_offset", Type: "Int64"},
}

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

// InsertOptions tune one insert.
type InsertOptions struct {
	// DedupToken makes a retry of the same batch a no-op in the events table
	// and every view's table (insert_deduplication_token). Empty: none.
	DedupToken string
}

// InsertEvents writes events in one batch; sources, if not nil, holds the
// Kafka position of each event.
func (db *DB) InsertEvents(ctx context.Context, events []rebate.Event, sources []Source, opts InsertOptions) error {
	if len(events) == 0 {
		return nil
	}
	if sources != nil && len(sources) != len(events) {
		return fmt.Errorf("insert events: %d sources for %d events", len(sources), len(events))
	}
	qopts := []ch.QueryOption{ch.WithColumnNamesAndTypes(eventColumns)}
	if opts.DedupToken != "" {
		qopts = append(qopts, ch.WithSettings(ch.Settings{
			"insert_deduplication_token":                         opts.DedupToken,
			"deduplicate_blocks_in_dependent_materialized_views": 1,
		}))
	}
	batch, err := db.conn.PrepareBatch(ch.Context(ctx, qopts...), insertEvents)
	if err != nil {
		return fmt.Errorf("insert events: prepare: %w", err)
	}
	defer batch.Abort()
	for i, e := range events {
		src := NoSource
		if sources != nil {
			src = sources[i]
		}
		placed := e.PlacedAt
		if placed.IsZero() {
			placed = epoch
		}
		if err := batch.Append(e.ID, int8(e.Type), e.TS, e.UserID, e.MerchantID, e.ProductID, e.OrderID, e.WithdrawalID,
			moneyDecimal(e.Amount), moneyDecimal(e.Commission), placed, moneyDecimal(e.Price), e.Stock,
			rateDecimal(e.CommissionRate), src.Partition, src.Offset); err != nil {
			return fmt.Errorf("insert events: append %s: %w", e.ID, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d events: %w", len(events), err)
	}
	return nil
}

// InsertRules writes rules as given, without the "not in the past" check of
// PutRule: for loading history and for tests that replay it.
func (db *DB) InsertRules(ctx context.Context, rules []rebate.Rule) error {
	batch, err := db.conn.PrepareBatch(ctx, "INSERT INTO rebate_rules (merchant_id, effective_from, share, created_at)")
	if err != nil {
		return fmt.Errorf("insert rules: %w", err)
	}
	defer batch.Abort()
	// created_at orders rules with equal keys like the slice does.
	base := time.Now().UTC()
	for i, r := range rules {
		if err := batch.Append(r.MerchantID, r.EffectiveFrom, rateDecimal(r.Share), base.Add(time.Duration(i)*time.Millisecond)); err != nil {
			return fmt.Errorf("insert rules: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert rules: %w", err)
	}
	return nil
}
