package clickhousetest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rebatehq/rebate/clickhouse"
)

// The rule of docs/schema.md, Time bounds, read from the engine's typed
// query tree (EXPLAIN QUERY TREE): clickhouse TestTimeBoundsKeepTheirType
// holds the service's statements and views to it, the dashboards' tests
// their panels' SQL.

var (
	treeNode = regexp.MustCompile(`^(\s*)(COLUMN|CONSTANT|FUNCTION|QUERY|UNION|LAMBDA|TABLE\w*|LIST|IDENTIFIER|ARRAY_JOIN|JOIN|INTERPOLATE|SORT|WINDOW)\b(.*)$`)
	fnName   = regexp.MustCompile(`function_name: (\w+)`)
	nodeType = regexp.MustCompile(`(?:result_type|constant_value_type): (.+?)(?:, source_id: \d+)?$`)
	compares = map[string]bool{"less": true, "lessOrEquals": true, "greater": true, "greaterOrEquals": true, "equals": true, "notEquals": true}
)

// TimeComparisons is what MixedTimeComparisons found: the comparisons
// whose sides mix the types, and how many compare times at all.
type TimeComparisons struct {
	Mixed []string // each as the query tree shows its two sides
	Timed int      // comparisons with a DateTime64 side
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

// MixedTimeComparisons reads sel's query tree: the comparisons whose two
// sides are a DateTime64 and a DateTime, Date or integer, and the
// DateTime64 side holds a column (or the other way round: a DateTime or
// Date column against a DateTime64).
// ctx carries sel's parameters, if it has any.
func MixedTimeComparisons(t testing.TB, db *clickhouse.DB, ctx context.Context, sel string) TimeComparisons {
	t.Helper()
	rows, err := db.Conn().Query(ctx, "EXPLAIN QUERY TREE "+sel)
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
	var out TimeComparisons
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
			out.Timed++
		}
		mixed := false
		for _, p := range [][2]side{{sides[0], sides[1]}, {sides[1], sides[0]}} {
			x, y := timeKind(p[0].typ), timeKind(p[1].typ)
			if p[0].column && ((x == "DateTime64" && (y == "DateTime" || y == "integer")) || (x == "DateTime" && y == "DateTime64")) {
				mixed = true
			}
		}
		if mixed {
			out.Mixed = append(out.Mixed, fmt.Sprintf("%s(%s, %s)", name[1], sides[0].what, sides[1].what))
		}
	}
	return out
}
