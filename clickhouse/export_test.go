package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate"
)

// InsertEventsAppend is the insert path before the Native encoder:
// clickhouse-go's PrepareBatch and one Append of Go values per row. The
// tests hold the Native path to store exactly what it stored, and the
// benchmarks measure one against the other.
func (db *DB) InsertEventsAppend(ctx context.Context, events []rebate.Event, sources []rebate.Source, dedupToken string) error {
	var cols []ch.ColumnNameAndType
	for _, c := range eventColumns {
		cols = append(cols, ch.ColumnNameAndType{Name: c.name, Type: c.typ})
	}
	settings := insertSettings(dedupToken)
	delete(settings, "parallel_view_processing") // as before
	batch, err := db.conn.PrepareBatch(ch.Context(ctx, ch.WithColumnNamesAndTypes(cols), ch.WithSettings(settings)), insertEventsSQL)
	if err != nil {
		return domainError("insert events: prepare", err)
	}
	defer batch.Abort()
	row := make([]any, len(cols))
	for i, e := range events {
		for j, f := range rebate.Fields {
			row[j] = appendValue(f.Value(&e))
		}
		src := sourceOf(sources, i)
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

// appendValue is a contract value as clickhouse-go appends it to its column.
func appendValue(v any) any {
	switch x := v.(type) {
	case rebate.EventType:
		return int8(x)
	case rebate.Money:
		return moneyDecimal(x)
	case rebate.Rate:
		return rateDecimal(x)
	case time.Time:
		if x.IsZero() { // a time the type does not carry
			return time.Unix(0, 0).UTC()
		}
		return x
	}
	return v
}

// EncodeEvents encodes the Native block InsertEvents sends and returns its size.
func EncodeEvents(events []rebate.Event, sources []rebate.Source) (int, error) {
	blk, err := encodeEvents(events, sources)
	if err != nil {
		return 0, err
	}
	defer blk.release()
	return blk.size(), nil
}

// ObserveStatements calls start(name) as each statement Materialize runs
// starts, and what it returns as it ends; nil stops. Not safe while
// statements run: benchmarks set it before they start.
func ObserveStatements(start func(name string) func()) { execObserver = start }

// UseBlockCache has the statements each and exec run (Materialize's among
// them) read through the engine's block cache, its limits lifted, or not
// (as the service does): a benchmark alternates. Not safe while
// statements run.
func UseBlockCache(on bool) {
	trySettings = nil
	if on {
		trySettings = ch.Settings{"use_uncompressed_cache": 1,
			"merge_tree_max_rows_to_use_cache": 100_000_000, "merge_tree_max_bytes_to_use_cache": 100_000_000_000}
	}
}

// SampleParams are the sample values Validate plans q with.
func (q *Query) SampleParams() ch.Parameters { return q.sampleParams() }

// RunSettings are the settings the service runs q with (its "-- settings:"
// line): a check that plans q must plan it with them too.
func (q *Query) RunSettings() ch.Settings { return q.settings(nil) }

// Money is a figure as the store reads it from a Decimal.
var Money = money

// ReadTimeComparisons reads EXPLAIN QUERY TREE's lines (DB.TimeComparisons).
var ReadTimeComparisons = readTimeComparisons

// WithRebuildHook sets a rebuild's tests' hook beforeCapture, run before
// its capture views are created.
func WithRebuildHook(o RebuildOptions, beforeCapture func()) RebuildOptions {
	o.beforeCapture = beforeCapture
	return o
}

// InsertEventsInto stores events in table (made AS events), not in events:
// a staging table for an insert a test runs itself.
func (db *DB) InsertEventsInto(ctx context.Context, table string, events []rebate.Event) error {
	block, err := encodeEvents(events, nil)
	if err != nil {
		return err
	}
	defer block.release()
	return db.conn.InsertFormat(ctx, "Native", insertEventsInto(table), block)
}
