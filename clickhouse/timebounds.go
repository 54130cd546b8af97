package clickhouse

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/rebatehq/rebate"
)

// The rule of docs/schema.md, Time bounds: an event time (DateTime64) is
// compared only with a DateTime64 bound. Engine 26.5's index analysis reads
// ts < m, m a DateTime, as ts <= m - 1 s and skips the parts whose rows lie
// in the last second before m: a silently short answer. It is read from the
// engine's typed query tree (EXPLAIN QUERY TREE): Publish refuses a query
// that breaks it, and the tests hold the service's statements, views and
// dashboards to it.

var (
	treeNode = regexp.MustCompile(`^(\s*)(COLUMN|CONSTANT|FUNCTION|QUERY|UNION|LAMBDA|TABLE\w*|LIST|IDENTIFIER|ARRAY_JOIN|JOIN|INTERPOLATE|SORT|WINDOW)\b(.*)$`)
	fnName   = regexp.MustCompile(`function_name: (\w+)`)
	nodeType = regexp.MustCompile(`(?:result_type|constant_value_type): (.+?)(?:, source_id: \d+)?$`)
	compares = map[string]bool{"less": true, "lessOrEquals": true, "greater": true, "greaterOrEquals": true, "equals": true, "notEquals": true}
)

// TimeComparisons is what a query's tree shows of its time comparisons.
type TimeComparisons struct {
	Mixed  []string // those whose sides mix the types, as the tree shows their two sides
	Timed  int      // comparisons with a DateTime64 side
	Unread []string // comparisons not read with two arguments (not judged)
}

// TimeComparisons reads the comparisons of sel's query tree; ctx carries
// sel's parameters, if it has any.
func (db *DB) TimeComparisons(ctx context.Context, sel string) (TimeComparisons, error) {
	lines, err := db.strings(ctx, "EXPLAIN QUERY TREE "+sel, "read the query tree")
	if err != nil {
		return TimeComparisons{}, err
	}
	return readTimeComparisons(lines), nil
}

// readTimeComparisons finds, in EXPLAIN QUERY TREE's lines, the comparisons
// whose two sides are a DateTime64 and a DateTime, Date or integer where the
// DateTime64 side holds a column (or the other way round: a DateTime or Date
// column against a DateTime64).
func readTimeComparisons(lines []string) TimeComparisons {
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
			out.Unread = append(out.Unread, fmt.Sprintf("%s with %d arguments: %s", name[1], len(sides), strings.TrimSpace(l)))
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

// clash: a column of kind col compared with a value of kind val breaks
// the rule.
func clash(col, val string) bool {
	return (col == "DateTime64" && (val == "DateTime" || val == "integer")) || (col == "DateTime" && val == "DateTime64")
}

// mixedTimesError refuses a query that breaks the rule, saying how to mend it.
func mixedTimesError(tc TimeComparisons) error {
	return rebate.Errorf(rebate.EINVALID, "sql",
		"compares a time with a bound of another type: %s. The engine's index analysis reads ts < m, with ts a DateTime64 column and m a DateTime, as ts <= m - 1 s and skips rows: cast the bound, toDateTime64(m, 3, 'UTC') (docs/api.md, Time bounds)",
		strings.Join(tc.Mixed, "; "))
}
