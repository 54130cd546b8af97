package clickhousetest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

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

// StreamNow is the now of a test stream of seed: the clock, or for an odd
// seed a moment in the last second of the minute before, so that every
// window starts in a minute's last second, the edge of the Time bounds
// defect (docs/schema.md), which the clock alone meets one run in sixty.
func StreamNow(seed uint64) time.Time {
	now := time.Now().UTC().Truncate(time.Millisecond)
	if seed%2 == 1 {
		now = now.Truncate(time.Minute).Add(-time.Second + time.Duration(1+seed%999)*time.Millisecond)
	}
	return now
}

// clash: a column of kind col compared with a value of kind val breaks
// the rule.
func clash(col, val string) bool {
	return (col == "DateTime64" && (val == "DateTime" || val == "integer")) || (col == "DateTime" && val == "DateTime64")
}

// Column runs q, whose rows are one string each, and returns them in order;
// ctx carries q's parameters, if it has any.
func Column(tb testing.TB, db *clickhouse.DB, ctx context.Context, q string) []string {
	tb.Helper()
	rows, err := db.Conn().Query(ctx, q)
	if err != nil {
		tb.Fatalf("%.200s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// MixedTimeComparisons reads sel's query tree: the comparisons whose two
// sides are a DateTime64 and a DateTime, Date or integer, and the
// DateTime64 side holds a column (or the other way round: a DateTime or
// Date column against a DateTime64).
// ctx carries sel's parameters, if it has any.
func MixedTimeComparisons(t testing.TB, db *clickhouse.DB, ctx context.Context, sel string) TimeComparisons {
	t.Helper()
	lines := Column(t, db, ctx, "EXPLAIN QUERY TREE "+sel)
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
		if (sides[0].column && clash(a, b)) || (sides[1].column && clash(b, a)) {
			out.Mixed = append(out.Mixed, fmt.Sprintf("%s(%s, %s)", name[1], sides[0].what, sides[1].what))
		}
	}
	return out
}
