package sqlfence

import (
	"strings"
	"testing"
)

// tree builds an EXPLAIN AST answer from rows written with two spaces per
// level, as the engine prints them with one.
func tree(rows ...string) string {
	var b strings.Builder
	for _, r := range rows {
		trimmed := strings.TrimLeft(r, " ")
		b.WriteString(strings.Repeat(" ", (len(r)-len(trimmed))/2) + trimmed + "\n")
	}
	return b.String()
}

// selectFrom is the engine's tree of SELECT * FROM <table expression>.
func selectFrom(table ...string) string {
	rows := []string{"SelectWithUnionQuery (children 1)", "  ExpressionList (children 1)", "    SelectQuery (children 2)",
		"      ExpressionList (children 1)", "        Asterisk", "      TablesInSelectQuery (children 1)",
		"        TablesInSelectQueryElement (children 1)", "          TableExpression (children 1)"}
	for _, t := range table {
		rows = append(rows, "            "+t)
	}
	return tree(rows...)
}

// TestScopeCheck judges trees the engine printed (EXPLAIN AST of each text);
// the clickhouse package's tests send the same statements to the engine.
func TestScopeCheck(t *testing.T) {
	sc := &Scope{Database: "rebate", Databases: Set("rebate", "default", "other"),
		TableFunctions: Set("file", "url", "numbers", "remote", "merge", "view", "s3")}
	one := tree("SelectWithUnionQuery (children 1)", "  ExpressionList (children 1)", "    SelectQuery (children 1)",
		"      ExpressionList (children 1)", "        Literal UInt64_1")
	explainOf := func(sel string, opts bool) string {
		head := "Explain EXPLAIN (children 1)\n"
		if opts {
			head = "Explain EXPLAIN (children 2)\n Set\n"
		}
		var b strings.Builder
		b.WriteString(head)
		for _, r := range strings.Split(strings.TrimSuffix(sel, "\n"), "\n") {
			b.WriteString(" " + r + "\n")
		}
		return b.String()
	}
	for _, c := range []struct {
		text, tree string
		allow      Allow
		refused    string // part of the reason; "" when allowed
	}{
		{"SELECT 1", one, SelectOnly, ""},
		{"SELECT * FROM events", selectFrom("TableIdentifier events"), SelectOnly, ""},
		{"SELECT * FROM rebate.events", selectFrom("TableIdentifier rebate.events"), SelectOnly, ""},
		{"SELECT * FROM numbers(3)", selectFrom("Function numbers (children 1)", "  ExpressionList (children 1)", "    Literal UInt64_3"), SelectOnly, ""},
		{"SELECT * FROM system.tables", selectFrom("TableIdentifier system.tables"), Reads, "database system"},
		{"SELECT * FROM other.t", selectFrom("TableIdentifier other.t"), Reads, "database other"},
		{"SELECT * FROM `a.b`", selectFrom("TableIdentifier a.b"), Reads, "database a"},
		{"SELECT * FROM file('x')", selectFrom("Function file (alias f) (children 1)", "  ExpressionList (children 1)", "    Literal \\'x\\'"), Reads, "function file"},
		{"SELECT * FROM pv(x = 1)", selectFrom("Function pv (children 1)", "  ExpressionList (children 1)", "    Literal UInt64_1"), Reads, "table function pv"},
		{"SELECT * FROM view(SELECT * FROM system.one)", selectFrom("Function view (children 1)", "  ExpressionList (children 1)",
			"    SelectWithUnionQuery (children 1)", "      ExpressionList (children 1)", "        SelectQuery (children 2)",
			"          ExpressionList (children 1)", "            Asterisk", "          TablesInSelectQuery (children 1)",
			"            TablesInSelectQueryElement (children 1)", "              TableExpression (children 1)",
			"                TableIdentifier system.one"), Reads, "database system"},
		{"SELECT a FROM t WHERE a IN system.one", tree("SelectWithUnionQuery (children 1)", "  ExpressionList (children 1)",
			"    SelectQuery (children 3)", "      ExpressionList (children 1)", "        Identifier a", "      TablesInSelectQuery (children 1)",
			"        TablesInSelectQueryElement (children 1)", "          TableExpression (children 1)", "            TableIdentifier t",
			"      Function in (children 1)", "        ExpressionList (children 2)", "          Identifier a", "          Identifier system.one"), Reads, "database system"},
		{"SELECT t.a FROM t", tree("SelectWithUnionQuery (children 1)", "  ExpressionList (children 1)", "    SelectQuery (children 2)",
			"      ExpressionList (children 1)", "        Identifier t.a", "      TablesInSelectQuery (children 1)",
			"        TablesInSelectQueryElement (children 1)", "          TableExpression (children 1)", "            TableIdentifier t"), Reads, ""},
		{"SELECT dictGet('d', 'a', 1)", tree("SelectWithUnionQuery (children 1)", "  ExpressionList (children 1)", "    SelectQuery (children 1)",
			"      ExpressionList (children 1)", "        Function dictGet (children 1)", "          ExpressionList (children 3)",
			"            Literal \\'d\\'", "            Literal \\'a\\'", "            Literal UInt64_1"), Reads, "function dictGet"},
		{"SELECT 1 SETTINGS readonly = 0", tree("SelectWithUnionQuery (children 1)", "  ExpressionList (children 1)", "    SelectQuery (children 2)",
			"      ExpressionList (children 1)", "        Literal UInt64_1", "      Set"), Reads, "SETTINGS"},
		{"SELECT 1 FORMAT JSON", tree("SelectWithUnionQuery (children 2)", "  ExpressionList (children 1)", "    SelectQuery (children 1)",
			"      ExpressionList (children 1)", "        Literal UInt64_1", "  Identifier JSON"), Reads, "FORMAT"},
		{"EXPLAIN SELECT 1", explainOf(one, false), Reads, ""},
		{"EXPLAIN PLAN actions = 1 SELECT 1", explainOf(one, true), Reads, ""},
		{"EXPLAIN SELECT 1", explainOf(one, false), SelectOnly, "only a SELECT"},
		{"EXPLAIN EXPLAIN SELECT 1", explainOf(explainOf(one, false), false), Reads, "of a SELECT only"},
		{"DESC events", tree("DescribeQuery (children 1)", "  TableExpression (children 1)", "    TableIdentifier events"), Reads, ""},
		{"DESCRIBE TABLE system.one", tree("DescribeQuery (children 1)", "  TableExpression (children 1)", "    TableIdentifier system.one"), Reads, "database system"},
		{"SHOW TABLES", "ShowTables\n", Reads, ""},
		{"show full tables like '%a%'", "ShowTables\n", Reads, ""},
		{"SHOW TABLES FROM rebate", tree("ShowTables (children 1)", "  Identifier rebate"), Reads, ""},
		{"SHOW TABLES FROM system", tree("ShowTables (children 1)", "  Identifier system"), Reads, "database system"},
		{"SHOW DATABASES", "ShowTables\n", Reads, "SHOW"},
		{"SHOW SETTINGS LIKE 'x'", "ShowTables\n", Reads, "SHOW"},
		{"SHOW PROCESSLIST", "ShowProcesslistQuery\n", Reads, "ShowProcesslist"},
		{"SHOW CREATE TABLE t", tree("ShowCreateTableQuery  t (children 1)", "  Identifier t"), Reads, ""},
		{"SHOW CREATE TABLE system.one", tree("ShowCreateTableQuery system one (children 2)", "  Identifier system", "  Identifier one"), Reads, "database system"},
		{"EXISTS TABLE rebate.t", tree("ExistsTableQuery rebate t (children 2)", "  Identifier rebate", "  Identifier t"), Reads, ""},
		{"INSERT INTO t SELECT 1", tree("InsertQuery   (children 2)", "  Identifier t", "  SelectWithUnionQuery (children 1)",
			"    ExpressionList (children 1)", "      SelectQuery (children 1)", "        ExpressionList (children 1)", "          Literal UInt64_1"), Reads, "Insert"},
		{"SYSTEM SHUTDOWN", "SYSTEM query\n", Reads, "SYSTEM"},
		{"DROP TABLE t", tree("DropQuery  t (children 1)", "  Identifier t"), Reads, "Drop"},
	} {
		tr, err := ParseAST(c.tree)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.text, err, c.tree)
		}
		r := sc.Check(tr, c.text, c.allow)
		switch {
		case c.refused == "" && r != nil:
			t.Errorf("%s: refused: %v", c.text, r)
		case c.refused != "" && r == nil:
			t.Errorf("%s: allowed, want refused (%s)", c.text, c.refused)
		case r != nil && !strings.Contains(r.Reason, c.refused):
			t.Errorf("%s: reason %q does not say %q", c.text, r.Reason, c.refused)
		}
	}
	if r := (&Scope{Database: "rebate"}).Check(&Node{ID: "SelectWithUnionQuery"}, "SELECT 1", Reads); r == nil {
		t.Error("a scope without a catalog allowed a statement")
	}
}

func TestCheckText(t *testing.T) {
	for text, refused := range map[string]bool{
		"SELECT 1":                                false,
		"SELECT 'a\nb', \"c\" FROM `t`":           false,
		"SELECT 1 AS `a\nTableIdentifier x`":      true,
		"SELECT 1 AS \"a\\\\b\"":                  true,
		"SELECT 'it''s', 'a\\'b' -- `x\n":         false,
		"SELECT /* `a\n /* nested */ b` */ 1":     false,
		"SELECT /* open":                          true,
		"SELECT 'open":                            true,
		"SELECT `open":                            true,
		"SELECT $$ `a\nb` $$":                     false,
		"SELECT $tag$ never closed":               true,
		"SELECT a$b$c FROM t":                     false,
		"# comment `a\nb`\nSELECT 1":              true, // the comment ends at the line break
		"SELECT \"tab\there\"":                    true,
		"SELECT 1 AS `ok name with spaces and ü`": false,
		"SELECT `a``b`, \"c\"\"d\"":               false,
	} {
		if r := CheckText(text); (r != nil) != refused {
			t.Errorf("%q: refused %v (%v), want %v", text, r != nil, r, refused)
		}
	}
}

// FuzzCheckText: the text check never panics, and nothing it lets through
// ends where a quoted name that follows would go unseen (inside a string,
// a quoted name, a block comment or a heredoc, which are refused when left
// open), so a forging name appended after it is refused.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"SELECT 1", "SELECT `a\nb`", "SELECT 'x' -- `\n`", "SELECT $a$ ` $a$", "/* /* */ `x` */", "SELECT \"a\"\"b\"", "SELECT $a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r := CheckText(text)
		if r != nil && r.Reason == "" {
			t.Fatal("a refusal without a reason")
		}
		if r == nil && CheckText(text+"\n`a\nTableIdentifier x`") == nil {
			t.Fatalf("a forging name after %q was allowed", text)
		}
	})
}
