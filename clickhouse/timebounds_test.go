package clickhouse_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate/clickhouse"
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
	if got := mixedTimeComparisons(t, db, ctx, nil, "SELECT 1 FROM clicks WHERE ts < toStartOfMinute(now64(3, 'UTC'))"); len(got.mixed) != 1 {
		t.Fatalf("canary: a DateTime64 column against a DateTime bound: %d mixed comparisons found, want 1 (EXPLAIN QUERY TREE's format changed?)", len(got.mixed))
	}
	if got := mixedTimeComparisons(t, db, ctx, nil, "SELECT 1 FROM clicks WHERE ts < toDateTime64(toStartOfMinute(now64(3, 'UTC')), 3, 'UTC')"); len(got.mixed) != 0 || got.timed != 1 {
		t.Fatalf("canary: the bound cast to DateTime64: %v mixed, %d comparisons of times found; want none and 1", got.mixed, got.timed)
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
		params := ch.Parameters{}
		for _, p := range q.Params {
			params[p.Name] = clickhouse.SampleValue(p.Type)
		}
		got := mixedTimeComparisons(t, db, ctx, params, sel)
		for _, bad := range got.mixed {
			t.Errorf("queries/%s.sql compares %s", q.Name, bad)
		}
		checked, timed = checked+1, timed+got.timed
	}
	// The statements not read: an INSERT of values has no comparison.
	if want := []string{"put_signal_thresholds"}; !slices.Equal(skipped, want) {
		t.Errorf("statements not checked %v, want %v: read the new ones' SELECT", skipped, want)
	}
	rows, err := db.Conn().Query(ctx, "SELECT name, as_select FROM system.tables WHERE database = currentDatabase() AND engine IN ('MaterializedView', 'View') ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	views := map[string]string{}
	for rows.Next() {
		var name, sel string
		if err := rows.Scan(&name, &sel); err != nil {
			t.Fatal(err)
		}
		views[name] = sel
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if views[clickhouse.LeaderboardView] == "" {
		t.Fatalf("no SELECT of %s among the views %v", clickhouse.LeaderboardView, views)
	}
	for name, sel := range views {
		got := mixedTimeComparisons(t, db, ctx, nil, sel)
		for _, bad := range got.mixed {
			t.Errorf("view %s compares %s", name, bad)
		}
		checked, timed = checked+1, timed+got.timed
	}
	if timed < 20 {
		t.Errorf("only %d comparisons of times found in %d statements and views: is the query tree read right?", timed, checked)
	}
	t.Logf("%d statements and views checked, %d comparisons of times", checked, timed)
}

// insertSelect matches an INSERT ... (columns) SELECT or WITH.
var insertSelect = regexp.MustCompile(`(?m)^INSERT INTO [^(]*\([^)]*\)\n(SELECT|WITH)\b`)

var (
	treeNode = regexp.MustCompile(`^(\s*)(COLUMN|CONSTANT|FUNCTION|QUERY|UNION|LAMBDA|TABLE\w*|LIST|IDENTIFIER|ARRAY_JOIN|JOIN|INTERPOLATE|SORT|WINDOW)\b(.*)$`)
	fnName   = regexp.MustCompile(`function_name: (\w+)`)
	nodeType = regexp.MustCompile(`(?:result_type|constant_value_type): (.+?)(?:, source_id: \d+)?$`)
	compares = map[string]bool{"less": true, "lessOrEquals": true, "greater": true, "greaterOrEquals": true, "equals": true, "notEquals": true}
)

// timeComparisons is what mixedTimeComparisons found: the comparisons
// whose sides mix the types, and how many compare times at all.
type timeComparisons struct {
	mixed []string
	timed int
}

// timeKind is the class of a type for the rule: "DateTime64", "DateTime"
// (DateTime, Date, Date32), "integer", or "" for any other.
func timeKind(typ string) string {
	for _, w := range []string{"Nullable(", "LowCardinality("} {
		typ = strings.TrimPrefix(typ, w)
	}
	switch {
	case strings.HasPrefix(typ, "DateTime64"):
		return "DateTime64"
	case strings.HasPrefix(typ, "DateTime"), strings.HasPrefix(typ, "Date"):
		return "DateTime"
	case strings.HasPrefix(typ, "UInt"), strings.HasPrefix(typ, "Int"):
		return "integer"
	}
	return ""
}

// mixedTimeComparisons reads sel's query tree: the comparisons whose two
// sides are a DateTime64 and a DateTime, Date or integer, and the
// DateTime64 side holds a column (or the other way round: a DateTime or
// Date column against a DateTime64).
func mixedTimeComparisons(t *testing.T, db *clickhouse.DB, ctx context.Context, params ch.Parameters, sel string) timeComparisons {
	t.Helper()
	rows, err := db.Conn().Query(ch.Context(ctx, ch.WithParameters(params)), "EXPLAIN QUERY TREE "+sel)
	if err != nil {
		t.Fatalf("explain %s: %v", sel, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	type side struct {
		typ, what string
		column    bool // a column, or a function of one
	}
	var out timeComparisons
	for i, l := range lines {
		m := treeNode.FindStringSubmatch(l)
		if m == nil || m[2] != "FUNCTION" {
			continue
		}
		name := fnName.FindStringSubmatch(m[3])
		if name == nil || !compares[name[1]] {
			continue
		}
		// FUNCTION, ARGUMENTS (+2), LIST (+4), the arguments (+6), each
		// with its subtree below it.
		depth := len(m[1]) + 6
		var sides []side
		for _, a := range lines[i+1:] {
			if indent(a) <= len(m[1]) {
				break
			}
			am := treeNode.FindStringSubmatch(a)
			if am == nil {
				continue
			}
			if len(am[1]) == depth {
				var typ string
				if ty := nodeType.FindStringSubmatch(am[3]); ty != nil {
					typ = ty[1]
				}
				sides = append(sides, side{typ: typ, what: strings.TrimSpace(a), column: am[2] == "COLUMN"})
			} else if len(am[1]) > depth && am[2] == "COLUMN" && len(sides) > 0 {
				sides[len(sides)-1].column = true
			}
		}
		if len(sides) != 2 {
			t.Errorf("%s with %d arguments read from the query tree, want 2: %s", name[1], len(sides), strings.TrimSpace(l))
			continue
		}
		a, b := timeKind(sides[0].typ), timeKind(sides[1].typ)
		if a == "DateTime64" || b == "DateTime64" {
			out.timed++
		}
		mixed := false
		for _, p := range [][2]side{{sides[0], sides[1]}, {sides[1], sides[0]}} {
			x, y := timeKind(p[0].typ), timeKind(p[1].typ)
			if p[0].column && ((x == "DateTime64" && (y == "DateTime" || y == "integer")) || (x == "DateTime" && y == "DateTime64")) {
				mixed = true
			}
		}
		if mixed {
			out.mixed = append(out.mixed, fmt.Sprintf("%s(%s, %s)", name[1], sides[0].what, sides[1].what))
		}
	}
	return out
}
