package clickhouse_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/queries"
)

// TestTimeBoundsKeepTheirType is the rule of docs/schema.md, Time bounds,
// checked on every statement the service runs and every view's SELECT: no
// comparison puts a DateTime64 column (or a function of one) against a
// DateTime, Date or integer value, nor a DateTime or Date column against a
// DateTime64 value. The engine's index analysis rounds such a bound to whole
// seconds and skips parts it must read. It reads the engine's own typed
// query tree (EXPLAIN QUERY TREE), so an alias, a WITH or a constant folded
// from functions cannot hide a bound's type; a canary first proves that the
// reading finds a mixed comparison and passes a cast one.
func TestTimeBoundsKeepTheirType(t *testing.T) {
	ctx := context.Background()
	db, _ := openStore(t, migrated(t))
	if got := clickhousetest.MixedTimeComparisons(t, db, ctx, "SELECT 1 FROM clicks WHERE ts < toStartOfMinute(now64(3, 'UTC'))"); len(got.Mixed) != 1 {
		t.Fatalf("canary: a DateTime64 column against a DateTime bound: %d mixed comparisons found, want 1 (EXPLAIN QUERY TREE's format changed?)", len(got.Mixed))
	}
	if got := clickhousetest.MixedTimeComparisons(t, db, ctx, "SELECT 1 FROM clicks WHERE ts < toDateTime64(toStartOfMinute(now64(3, 'UTC')), 3, 'UTC')"); len(got.Mixed) != 0 || got.Timed != 1 {
		t.Fatalf("canary: the bound cast to DateTime64: %v mixed, %d comparisons of times found; want none and 1", got.Mixed, got.Timed)
	}
	qs, err := clickhouse.LoadQueries(queries.FS)
	if err != nil {
		t.Fatal(err)
	}
	checked, timed := 0, 0
	var skipped []string
	for _, q := range qs.All() {
		sel := q.SQL
		if !q.ReadOnly {
			if !insertSelect.MatchString(q.SQL) {
				skipped = append(skipped, q.Name)
				continue
			}
			sel = selectOf(t, q.SQL)
		}
		got := clickhousetest.MixedTimeComparisons(t, db, ch.Context(ctx, ch.WithParameters(q.SampleParams()), ch.WithSettings(q.RunSettings())), sel)
		for _, bad := range got.Mixed {
			t.Errorf("queries/%s.sql compares %s", q.Name, bad)
		}
		checked, timed = checked+1, timed+got.Timed
	}
	// The statements not read: an INSERT of values, and the DELETEs of old
	// rule builds by id, have no comparison of times.
	if want := []string{"delete_rule_builds", "delete_rule_timeline", "put_signal_thresholds"}; !slices.Equal(skipped, want) {
		t.Errorf("statements not checked %v, want %v: read the new ones' SELECT", skipped, want)
	}
	views := viewSelects(t, db)
	if views[clickhouse.LeaderboardView] == "" {
		t.Fatalf("no SELECT of %s among the views %v", clickhouse.LeaderboardView, views)
	}
	for name, sel := range views {
		got := clickhousetest.MixedTimeComparisons(t, db, ctx, sel)
		for _, bad := range got.Mixed {
			t.Errorf("view %s compares %s", name, bad)
		}
		checked, timed = checked+1, timed+got.Timed
	}
	if timed < 20 {
		t.Errorf("only %d comparisons of times found in %d statements and views: is the query tree read right?", timed, checked)
	}
	t.Logf("%d statements and views checked, %d comparisons of times", checked, timed)
}

// insertSelect matches an INSERT ... (columns) SELECT or WITH.
var insertSelect = regexp.MustCompile(`(?m)^INSERT INTO [^(]*\([^)]*\)\n(SELECT|WITH)\b`)

// FuzzReadTimeComparisons: the query tree of any SQL an analyst publishes
// is read without a panic, and a comparison is counted at most once.
func FuzzReadTimeComparisons(f *testing.F) {
	f.Add("QUERY id: 0\n  WHERE\n    FUNCTION id: 1, function_name: less, function_type: ordinary, result_type: UInt8\n      ARGUMENTS\n        LIST id: 2, nodes: 2\n          COLUMN id: 3, column_name: ts, result_type: DateTime64(3, 'UTC'), source_id: 4\n          CONSTANT id: 5, constant_value: UInt64_1, constant_value_type: DateTime('UTC')")
	f.Add("FUNCTION id: 1, function_name: equals\n      ARGUMENTS\n        LIST\n")
	f.Fuzz(func(t *testing.T, tree string) {
		lines := strings.Split(tree, "\n")
		got := clickhouse.ReadTimeComparisons(lines)
		if n := len(got.Mixed) + len(got.Unread); n > len(lines) || got.Timed > len(lines) {
			t.Fatalf("%d lines read as %+v", len(lines), got)
		}
	})
}
