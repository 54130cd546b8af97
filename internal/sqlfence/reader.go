package sqlfence

import (
	"fmt"
	"regexp"
	"strings"
)

// The readers' fence: what an analyst's ad-hoc SQL and a published
// endpoint's SQL may be. The API checks a statement with it before sending
// it, against a ClickHouse server as against the embedded engine (whose own
// fence, embedded/chlocal, runs beneath); the engine then runs it with
// readonly=1 and the role's limits, so a write, or a setting changed by the
// statement, is refused a second time by ClickHouse itself.

// Refusal is why a statement is refused.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

func refuse(format string, args ...any) *Refusal {
	return &Refusal{Reason: fmt.Sprintf(format, args...)}
}

// Allow says which statements a reader may send.
type Allow uint8

const (
	// SelectOnly: SELECT, WITH, UNION, INTERSECT, EXCEPT (published endpoints).
	SelectOnly Allow = iota
	// Reads: also SHOW TABLES, SHOW CREATE TABLE, DESCRIBE, EXISTS and EXPLAIN
	// of a SELECT (the SQL console).
	Reads
)

// Scope is where a reader's statement may reach.
type Scope struct {
	// Database is the service's: the only database a name may name.
	Database string
	// Databases are the server's: a dotted name starting with another one
	// (system.one in `x IN system.one`) is refused.
	Databases map[string]bool
	// TableFunctions are the engine's, lower case (system.table_functions):
	// every one outside TableFunctionsAllowed is refused wherever it appears.
	TableFunctions map[string]bool
}

// alwaysOther are databases a reader never reaches, whether or not the
// server listed them: the server's own tables, and the SQL standard's views
// of every database.
var alwaysOther = Set("system", "information_schema", "INFORMATION_SCHEMA")

var showTablesRe = regexp.MustCompile(`(?i)^\s*SHOW\s+(FULL\s+)?TABLES\b`)

// Check judges the engine's parse tree of text (EXPLAIN AST of it). CheckText
// must have passed first: it keeps quoted names from forging the tree.
func (sc *Scope) Check(tree *Node, text string, allow Allow) *Refusal {
	if len(sc.TableFunctions) == 0 || sc.Database == "" {
		return refuse("the fence has no catalog of the engine's table functions")
	}
	kind := tree.Kind()
	if kind != "SelectWithUnionQuery" && allow != Reads {
		return refuse("only a SELECT (WITH, UNION, INTERSECT, EXCEPT) may be published; this one is %s", describe(tree))
	}
	switch kind {
	case "SelectWithUnionQuery":
		return sc.selectQuery(tree)
	case "Explain":
		// EXPLAIN [kind] [options] SELECT: the options are a Set of the
		// EXPLAIN itself (actions = 1, header = 1), not the query's settings.
		c := tree.Children
		if len(c) == 0 || c[len(c)-1].Kind() != "SelectWithUnionQuery" || len(c) > 2 || len(c) == 2 && c[0].Kind() != "Set" {
			return refuse("EXPLAIN is allowed of a SELECT only")
		}
		return sc.selectQuery(c[len(c)-1])
	case "DescribeQuery":
		return sc.walk(tree)
	case "ShowTables":
		// SHOW TABLES, SHOW DATABASES, SHOW CLUSTERS, SHOW SETTINGS ... all
		// print as ShowTables: the text tells them apart.
		if !showTablesRe.MatchString(text) {
			return refuse("of the SHOW statements only SHOW TABLES, SHOW CREATE TABLE are allowed")
		}
		return sc.names(tree.Children, true)
	case "ShowCreateTableQuery", "ExistsTableQuery":
		return sc.names(tree.Children, false)
	}
	return refuse("only SELECT (WITH, UNION), SHOW TABLES, SHOW CREATE TABLE, DESCRIBE, EXISTS and EXPLAIN of a SELECT "+
		"are allowed; this one is %s", describe(tree))
}

// describe names a statement by its tree's root, for messages: Insert,
// Alter, SYSTEM, ...
func describe(n *Node) string {
	k := n.Kind()
	switch {
	case strings.HasSuffix(k, "Query"):
		k = strings.TrimSuffix(k, "Query")
	case k == "SYSTEM":
		k = "SYSTEM"
	}
	return k
}

// selectQuery checks a whole SELECT: nothing may follow it (a FORMAT, INTO
// OUTFILE or SETTINGS clause prints as a further child of the root).
func (sc *Scope) selectQuery(n *Node) *Refusal {
	if len(n.Children) != 1 {
		return refuse("a FORMAT, INTO OUTFILE or SETTINGS clause after the query is refused: " +
			"the format is the request's, the limits are your role's")
	}
	return sc.walk(n)
}

// names checks the identifiers of SHOW TABLES [FROM db] (db: the one child)
// and of SHOW CREATE TABLE and EXISTS ([db,] table: the first of two).
func (sc *Scope) names(children []*Node, dbAlone bool) *Refusal {
	if len(children) == 2 || len(children) == 1 && dbAlone {
		if db := children[0].Name(); db != sc.Database {
			return refuse("the database %s: only %s is readable here", db, sc.Database)
		}
	}
	return sc.walk(&Node{ID: "names", Children: children})
}

func (sc *Scope) isDatabase(name string) bool { return sc.Databases[name] || alwaysOther[name] }

func (sc *Scope) walk(n *Node) *Refusal {
	switch n.Kind() {
	case "Set":
		return refuse("SETTINGS clauses are refused: the limits are your role's (docs/api.md)")
	case "Function":
		lower := strings.ToLower(n.FuncName())
		if ScalarDenied(lower) || sc.TableFunctions[lower] && !TableFunctionsAllowed[lower] {
			return refuse("the function %s reaches files, processes, the network or other databases "+
				"(table functions allowed: %s)", n.FuncName(), AllowedTableFunctions)
		}
	case "TableExpression":
		// In a table's place, a function the engine does not list as a table
		// function is a parameterized view; they are refused too, so that a
		// catalog that misses a table function cannot let it through.
		for _, c := range n.Children {
			if c.Kind() == "Function" && !TableFunctionsAllowed[strings.ToLower(c.FuncName())] {
				return refuse("the table function %s is refused (allowed: %s)", c.FuncName(), AllowedTableFunctions)
			}
		}
	case "TableIdentifier":
		if db, _, ok := strings.Cut(n.Name(), "."); ok && db != sc.Database {
			return refuse("the database %s: only %s is readable here (a table named with a dot reads as database.table)", db, sc.Database)
		}
	case "Identifier":
		if db, _, ok := strings.Cut(n.Name(), "."); ok && db != sc.Database && sc.isDatabase(db) {
			return refuse("the database %s: only %s is readable here", db, sc.Database)
		}
	case "Dictionary definition", "FunctionWithKeyValueArguments", "Storage definition", "Columns definition":
		return refuse("definitions are refused in a read")
	}
	for _, c := range n.Children {
		if r := sc.walk(c); r != nil {
			return r
		}
	}
	return nil
}
