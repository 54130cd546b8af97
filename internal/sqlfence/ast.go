// Package sqlfence reads ClickHouse's own parse of a statement (EXPLAIN AST)
// and judges it: the embedded endpoint's fence (embedded/chlocal) and the
// API's ad-hoc and published SQL (clickhouse) share the reader and the lists
// of what reaches files, processes or the network. The engine's grammar
// decides what a statement is; nothing here parses SQL text.
package sqlfence

import (
	"errors"
	"strconv"
	"strings"
)

// The fences read the engine's own parse of a statement, the answer to
// EXPLAIN AST in TabSeparated: one row per node, indented one space per
// level, each "<id>[ (alias a)][ (children N)]", for example
//
//	SelectWithUnionQuery (children 1)
//	 ExpressionList (children 1)
//	  SelectQuery (children 2)
//	   ...
//	     TableExpression (children 1)
//	      Function file (alias f) (children 1)
//
// Names are printed as they are, so a quoted identifier holding a line
// break would split a row; the fences refuse those before they ask
// (CheckText here, the endpoint's scanner there), and ParseAST refuses any
// answer whose children counts do not add up.

// Node is one node of the parse tree.
type Node struct {
	ID       string // the row without indentation, alias and children count
	Children []*Node
}

// Kind is the node's type: "Function", "TableIdentifier", "Storage definition", ...
func (n *Node) Kind() string {
	for _, multi := range []string{"Storage definition", "Columns definition", "Dictionary definition"} {
		if strings.HasPrefix(n.ID, multi) {
			return multi
		}
	}
	k, _, _ := strings.Cut(n.ID, " ")
	return k
}

// Name is what follows the kind: a function's or an identifier's name.
func (n *Node) Name() string {
	_, rest, _ := strings.Cut(n.ID, " ")
	return strings.TrimSpace(rest)
}

// FuncName is a Function node's name: its first word.
func (n *Node) FuncName() string {
	name, _, _ := strings.Cut(n.Name(), " ")
	return name
}

// ErrAST is an answer that is not a tree.
var ErrAST = errors.New("the engine's parse tree could not be read")

// ParseAST reads EXPLAIN AST output into its root node.
func ParseAST(out string) (*Node, error) {
	rows := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(rows) == 0 || rows[0] == "" {
		return nil, ErrAST
	}
	p := &astParser{rows: rows}
	root, err := p.node(0)
	if err != nil {
		return nil, err
	}
	if p.i != len(rows) {
		return nil, ErrAST
	}
	return root, nil
}

type astParser struct {
	rows []string
	i    int
}

// node reads the node at row p.i, which must be indented depth spaces, and
// its children.
func (p *astParser) node(depth int) (*Node, error) {
	if p.i >= len(p.rows) || depth > 10_000 {
		return nil, ErrAST
	}
	row := UnescapeTSV(p.rows[p.i])
	p.i++
	indent := len(row) - len(strings.TrimLeft(row, " "))
	if indent != depth {
		return nil, ErrAST
	}
	id := row[indent:]
	n := 0
	if open := strings.LastIndex(id, " (children "); open >= 0 && strings.HasSuffix(id, ")") {
		v, err := strconv.Atoi(id[open+len(" (children ") : len(id)-1])
		if err != nil || v < 1 {
			return nil, ErrAST
		}
		n, id = v, id[:open]
	}
	if open := strings.LastIndex(id, " (alias "); open >= 0 && strings.HasSuffix(id, ")") {
		id = id[:open]
	}
	node := &Node{ID: strings.TrimRight(id, " ")}
	if node.ID == "" || n > len(p.rows)-p.i {
		return nil, ErrAST
	}
	node.Children = make([]*Node, 0, n)
	for range n {
		c, err := p.node(depth + 1)
		if err != nil {
			return nil, err
		}
		node.Children = append(node.Children, c)
	}
	return node, nil
}

// UnescapeTSV undoes TabSeparated's escaping of one field.
func UnescapeTSV(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case '0':
			b.WriteByte(0)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
