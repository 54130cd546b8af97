package clickhouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate/clickhouse"
)

// readCounters are the engine's counters (system.events) that say what a
// statement read: parts, granules and rows chosen by the index, and the
// compressed bytes it decompressed.
var readCounters = []string{"SelectedParts", "SelectedMarks", "SelectedRows", "ReadCompressedBytes"}

// mergeCounters say what the background merges did meanwhile.
var mergeCounters = []string{"Merge", "MergedRows", "MergedUncompressedBytes", "InsertedRows"}

// engineCounters reads the engine's cumulative counters named in names
// (only those: it runs twice around every statement profiled). They are the whole
// engine's: what a statement reads is the difference across it only while
// nothing else reads (a benchmark's own statements, one at a time), and
// merges running meanwhile add to them.
func engineCounters(tb testing.TB, db *clickhouse.DB, names []string) map[string]int64 {
	tb.Helper()
	rows, err := db.Conn().Query(context.Background(), "SELECT event, toInt64(value) FROM system.events WHERE event IN {names:Array(String)}",
		ch.Named("names", names))
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var e string
		var v int64
		if err := rows.Scan(&e, &v); err != nil {
			tb.Fatal(err)
		}
		out[e] = v
	}
	return out
}

// counterLine is the counters names of to - from, divided by n, as one line.
func counterLine(names []string, from, to map[string]int64, n int) string {
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, " %s %d", k, (to[k]-from[k])/int64(max(n, 1)))
	}
	return strings.TrimSpace(b.String())
}

// mergedRows is, by table, the rows of the parts merges made in the
// database since (active or since merged again): what the merges rewrote.
// A merge's part spans several insert blocks; an inserted part spans one
// (its level is not a sign: this engine numbers a new part level 1).
func mergedRows(tb testing.TB, db *clickhouse.DB, since time.Time) string {
	tb.Helper()
	rows, err := db.Conn().Query(context.Background(), `SELECT table, sum(rows) AS merged FROM system.parts
		WHERE database = currentDatabase() AND max_block_number > min_block_number AND modification_time >= {since:DateTime}
		GROUP BY table ORDER BY merged DESC`, ch.Named("since", since.UTC().Format(time.DateTime)))
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var table string
		var n uint64
		if err := rows.Scan(&table, &n); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&b, " %s %d;", table, n)
	}
	return strings.TrimSpace(b.String())
}
