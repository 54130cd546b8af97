package sqlfence

import (
	"strings"
	"testing"
)

// Real EXPLAIN AST answers (TabSeparated), as the engine wrote them.
var astSeeds = []string{
	"SelectWithUnionQuery (children 1)\n ExpressionList (children 1)\n  SelectQuery (children 2)\n   ExpressionList (children 1)\n" +
		"    Asterisk\n   TablesInSelectQuery (children 1)\n    TablesInSelectQueryElement (children 1)\n     TableExpression (children 1)\n" +
		"      Function file (alias f) (children 1)\n       ExpressionList (children 1)\n        Literal \\'/etc/passwd\\'\n",
	"InsertQuery   (children 2)\n Function url (children 1)\n  ExpressionList (children 1)\n   Literal \\'x\\'\n" +
		" SelectWithUnionQuery (children 1)\n  ExpressionList (children 1)\n   SelectQuery (children 1)\n    ExpressionList (children 1)\n     Literal UInt64_1\n",
	"CreateQuery t (children 3)\n Identifier t\n Columns definition (children 1)\n  ExpressionList (children 1)\n   ColumnDeclaration a (children 1)\n" +
		"    DataType UInt8\n Storage definition (children 3)\n  Function MergeTree\n  Identifier a\n  Set\n",
	"SYSTEM query (children 1)\n Identifier leaderboard_mv\n",
	"ShowTables\n",
	"BackupQuery (children 1)\n Function S3 (children 1)\n  ExpressionList (children 1)\n   Literal \\'http://x\\'\n",
}

func TestParseAST(t *testing.T) {
	tree, err := ParseAST(astSeeds[0])
	if err != nil {
		t.Fatal(err)
	}
	fn := tree.Children[0].Children[0].Children[1].Children[0].Children[0].Children[0]
	if fn.Kind() != "Function" || fn.FuncName() != "file" || fn.Children[0].Children[0].ID != "Literal '/etc/passwd'" {
		t.Errorf("function node %+v", fn)
	}
	storage, _ := ParseAST(astSeeds[2])
	if k := storage.Children[2].Kind(); k != "Storage definition" {
		t.Errorf("kind %q", k)
	}
	// A name holding a line break splits a row; the counts no longer add
	// up, so the tree is refused rather than misread.
	for _, bad := range []string{
		"",
		"\n",
		" Indented (children 1)\n  X\n",
		"A (children 2)\n B\n",
		"A (children 1)\n B\nC\n",
		"SelectWithUnionQuery (children 1)\n TableExpression (children 1)\n  TableIdentifier a\nb (children 3)\n",
		"A (children 1)\n   TooDeep\n",
		"A (children -1)\n",
		"A (children 99999999999999999999)\n",
	} {
		if _, err := ParseAST(bad); err == nil {
			t.Errorf("ParseAST(%q): no error", bad)
		}
	}
}

// FuzzParseAST: any answer either parses into a tree with one node per row,
// each at its row's indentation, or is refused; it never panics.
func FuzzParseAST(f *testing.F) {
	for _, s := range astSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		tree, err := ParseAST(out)
		if err != nil {
			return
		}
		rows := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		n := 0
		var walk func(a *Node, depth int)
		walk = func(a *Node, depth int) {
			row := UnescapeTSV(rows[n])
			if indent := len(row) - len(strings.TrimLeft(row, " ")); indent != depth {
				t.Fatalf("node %d (%q) at depth %d from a row indented %d", n, a.ID, depth, indent)
			}
			if a.ID == "" || !strings.HasPrefix(row[depth:], a.ID) {
				t.Fatalf("node %d id %q is not the start of row %q", n, a.ID, row)
			}
			n++
			for _, c := range a.Children {
				walk(c, depth+1)
			}
		}
		walk(tree, 0)
		if n != len(rows) {
			t.Fatalf("%d nodes from %d rows", n, len(rows))
		}
	})
}
