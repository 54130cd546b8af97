package clickhouse_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/queries"
)

// TestTimeBoundsKeepTheirType is the rule of docs/schema.md, Time bounds,
// checked on every statement the service runs and every view's SELECT: no
// comparison puts a DateTime64 column against a DateTime or Date value (or
// a DateTime or Date column against a DateTime64 value). The engine's
// index analysis rounds such a bound to whole seconds and skips parts it
// must read. It reads the engine's own typed query tree (EXPLAIN QUERY
// TREE), so an alias, a WITH or a constant folded from functions cannot
// hide a bound's type.
func TestTimeBoundsKeepTheirType(t *testing.T) {
	ctx := context.Background()
	db, _ := openStore(t, migrated(t))
	qs, err := clickhouse.LoadQueries(queries.FS)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, q := range qs.All() {
		sel := q.SQL
		if !q.ReadOnly {
			if !insertSelect.MatchString(q.SQL) {
				continue // an INSERT of values: no comparison
			}
			sel = selectOf(t, q.SQL)
		}
		params := ch.Parameters{}
		for _, p := range q.Params {
			params[p.Name] = clickhouse.SampleValue(p.Type)
		}
		for _, bad := range mixedTimeComparisons(t, db, ctx, params, sel) {
			t.Errorf("queries/%s.sql compares %s", q.Name, bad)
		}
		checked++
	}
	rows, err := db.Conn().Query(ctx, "SELECT name, as_select FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name")
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
		for _, bad := range mixedTimeComparisons(t, db, ctx, nil, sel) {
			t.Errorf("view %s compares %s", name, bad)
		}
		checked++
	}
	t.Logf("%d statements and views checked", checked)
}

// insertSelect matches an INSERT ... (columns) SELECT or WITH.
var insertSelect = regexp.MustCompile(`(?m)^INSERT INTO [^(]*\([^)]*\)\n(SELECT|WITH)\b`)

var (
	treeNode = regexp.MustCompile(`^(\s*)(COLUMN|CONSTANT|FUNCTION|QUERY|UNION|LAMBDA|TABLE\w*|LIST|IDENTIFIER|ARRAY_JOIN|JOIN|INTERPOLATE|SORT|WINDOW)\b(.*)$`)
	fnName   = regexp.MustCompile(`function_name: (\w+)`)
	nodeType = regexp.MustCompile(`(?:result_type|constant_value_type): (.+?)(?:, source_id: \d+)?$`)
	compares = map[string]bool{"less": true, "lessOrEquals": true, "greater": true, "greaterOrEquals": true, "equals": true, "notEquals": true}
)

// mixedTimeComparisons lists the comparisons of sel's query tree whose two
// sides are a DateTime64 and a DateTime or Date, one of them a column.
func mixedTimeComparisons(t *testing.T, db *clickhouse.DB, ctx context.Context, params ch.Parameters, sel string) []string {
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
	type arg struct{ kind, typ, what string }
	var out []string
	for i, l := range lines {
		m := treeNode.FindStringSubmatch(l)
		if m == nil || m[2] != "FUNCTION" {
			continue
		}
		name := fnName.FindStringSubmatch(m[3])
		if name == nil || !compares[name[1]] {
			continue
		}
		// FUNCTION, ARGUMENTS (+2), LIST (+4), the arguments (+6).
		depth := len(m[1]) + 6
		var args []arg
		for _, a := range lines[i+1:] {
			am := treeNode.FindStringSubmatch(a)
			indent := len(a) - len(strings.TrimLeft(a, " "))
			if indent <= len(m[1]) {
				break
			}
			if am == nil || len(am[1]) != depth {
				continue
			}
			ty := nodeType.FindStringSubmatch(am[3])
			if ty == nil {
				args = append(args, arg{am[2], "", strings.TrimSpace(a)})
				continue
			}
			args = append(args, arg{am[2], ty[1], strings.TrimSpace(a)})
		}
		if len(args) != 2 {
			continue
		}
		kind := func(typ string) string {
			switch {
			case strings.HasPrefix(typ, "DateTime64"), strings.HasPrefix(typ, "Nullable(DateTime64"):
				return "DateTime64"
			case strings.HasPrefix(typ, "DateTime"), strings.HasPrefix(typ, "Date"), strings.HasPrefix(typ, "Nullable(DateTime"), strings.HasPrefix(typ, "Nullable(Date"):
				return "DateTime"
			}
			return ""
		}
		a, b := kind(args[0].typ), kind(args[1].typ)
		if a == "" || b == "" || a == b || (args[0].kind != "COLUMN" && args[1].kind != "COLUMN") {
			continue
		}
		out = append(out, fmt.Sprintf("%s(%s, %s)", name[1], args[0].what, args[1].what))
	}
	return out
}
