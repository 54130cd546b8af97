package clickhouse_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/queries"
)

// TestWithAliasesShadowNoColumn: a WITH alias of a statement or a view
// that shares its name with a column of a table the SQL reads means the
// column inside that table's SELECT: the engine resolves a name to the
// table's column first. Migration 000137's first draft named user_days'
// newest event time as_of, and leaderboards_mv, which reads user_days under
// its WITH alias as_of (the refresh's now), silently moved its 7- and
// 30-day windows to each row's own time. No alias may be named like such a
// column; a canary first proves the check finds that one.
func TestWithAliasesShadowNoColumn(t *testing.T) {
	db, _ := openStore(t, migrated(t))
	columns := map[string]map[string]bool{} // by table
	for _, tc := range column(t, db, "SELECT concat(table, ' ', name) FROM system.columns WHERE database = currentDatabase()") {
		table, col, _ := strings.Cut(tc, " ")
		if columns[table] == nil {
			columns[table] = map[string]bool{}
		}
		columns[table][col] = true
	}
	shadowed := func(sql string) (out []string) {
		read := tablesRead(sql)
		for _, alias := range withAliases(sql) {
			for _, table := range read {
				if columns[table][alias] {
					out = append(out, alias+" (a column of "+table+")")
				}
			}
		}
		return out
	}
	const canary = "WITH now64(3, 'UTC') AS placed_at SELECT count() FROM user_days WHERE day < toDate(placed_at)"
	if got := shadowed(canary); len(got) != 0 {
		t.Fatalf("canary without a shadowed name: %v", got)
	}
	if got := shadowed(strings.Replace(canary, "placed_at", "busiest_at", 2)); len(got) != 1 {
		t.Fatalf("canary: WITH ... AS busiest_at over user_days found %v, want busiest_at", got)
	}
	qs, err := clickhouse.LoadQueries(queries.FS)
	if err != nil {
		t.Fatal(err)
	}
	aliases := 0
	for _, q := range qs.All() {
		aliases += len(withAliases(q.SQL))
		for _, s := range shadowed(q.SQL) {
			t.Errorf("queries/%s.sql: the WITH alias %s", q.Name, s)
		}
	}
	for name, sel := range viewSelects(t, db) {
		aliases += len(withAliases(sel))
		for _, s := range shadowed(sel) {
			t.Errorf("view %s: the WITH alias %s", name, s)
		}
	}
	if aliases < 20 {
		t.Errorf("only %d WITH aliases found: are they read right?", aliases)
	}
}

var (
	sqlComment = regexp.MustCompile(`--[^\n]*`)
	withWord   = regexp.MustCompile(`(?i)\bWITH\b`)
	cteItem    = regexp.MustCompile(`(?is)^\s*\w+\s+AS\s*\(`)
	aliasItem  = regexp.MustCompile(`(?is)\bAS\s+(\w+)\s*$`)
)

// withAliases are the names that the WITH clauses of sql give to
// expressions (not the names of common table expressions).
func withAliases(sql string) []string {
	sql = sqlComment.ReplaceAllString(sql, "")
	var out []string
	for _, at := range withWord.FindAllStringIndex(sql, -1) {
		// The clause runs to the SELECT outside every parenthesis.
		rest, depth, start := sql[at[1]:], 0, 0
		var items []string
	scan:
		for i := 0; i < len(rest); i++ {
			switch c := rest[i]; {
			case c == '\'':
				if j := strings.IndexByte(rest[i+1:], '\''); j >= 0 {
					i += j + 1
				}
			case c == '(':
				depth++
			case c == ')':
				depth--
				if depth < 0 {
					break scan
				}
			case c == ',' && depth == 0:
				items, start = append(items, rest[start:i]), i+1
			case depth == 0 && (i == 0 || !isWordByte(rest[i-1])) && len(rest) >= i+6 && strings.EqualFold(rest[i:i+6], "SELECT"):
				items = append(items, rest[start:i])
				break scan
			}
		}
		for _, item := range items {
			if cteItem.MatchString(item) {
				continue
			}
			if m := aliasItem.FindStringSubmatch(item); m != nil {
				out = append(out, m[1])
			}
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// readFrom matches a table read (after FROM or JOIN, with or without a
// database); its group is the table's name.
var readFrom = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+(?:\w+\.)?(\w+)`)

// tablesRead are the tables sql reads, each once.
func tablesRead(sql string) []string {
	var out []string
	for _, m := range readFrom.FindAllStringSubmatch(sql, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}
