package chlocal

import (
	"errors"
	"strconv"
	"strings"
)

// The fence reads the engine's own parse of a statement, the answer to
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
// break would split a row; the fence refuses those before it asks, and
// parseAST refuses any answer whose children counts do not add up.

// astNode is one node of the parse tree.
type astNode struct {
	id       string // the row without indentation, alias and children count
	children []*astNode
}

// kind is the node's type: "Function", "TableIdentifier", "Storage definition", ...
func (n *astNode) kind() string {
	for _, multi := range []string{"Storage definition", "Columns definition", "Dictionary definition"} {
		if strings.HasPrefix(n.id, multi) {
			return multi
		}
	}
	k, _, _ := strings.Cut(n.id, " ")
	return k
}

// name is what follows the kind: a function's or an identifier's name.
func (n *astNode) name() string {
	_, rest, _ := strings.Cut(n.id, " ")
	return strings.TrimSpace(rest)
}

// funcName is a Function node's name: its first word.
func (n *astNode) funcName() string {
	name, _, _ := strings.Cut(n.name(), " ")
	return name
}

var errAST = errors.New("the engine's parse tree could not be read")

// parseAST reads EXPLAIN AST output into its root node.
func parseAST(out string) (*astNode, error) {
	rows := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(rows) == 0 || rows[0] == "" {
		return nil, errAST
	}
	p := &astParser{rows: rows}
	root, err := p.node(0)
	if err != nil {
		return nil, err
	}
	if p.i != len(rows) {
		return nil, errAST
	}
	return root, nil
}

type astParser struct {
	rows []string
	i    int
}

// node reads the node at row p.i, which must be indented depth spaces, and
// its children.
func (p *astParser) node(depth int) (*astNode, error) {
	if p.i >= len(p.rows) || depth > 10_000 {
		return nil, errAST
	}
	row := unescapeTSV(p.rows[p.i])
	p.i++
	indent := len(row) - len(strings.TrimLeft(row, " "))
	if indent != depth {
		return nil, errAST
	}
	id := row[indent:]
	n := 0
	if open := strings.LastIndex(id, " (children "); open >= 0 && strings.HasSuffix(id, ")") {
		v, err := strconv.Atoi(id[open+len(" (children ") : len(id)-1])
		if err != nil || v < 1 {
			return nil, errAST
		}
		n, id = v, id[:open]
	}
	if open := strings.LastIndex(id, " (alias "); open >= 0 && strings.HasSuffix(id, ")") {
		id = id[:open]
	}
	node := &astNode{id: strings.TrimRight(id, " ")}
	if node.id == "" || n > len(p.rows)-p.i {
		return nil, errAST
	}
	node.children = make([]*astNode, 0, n)
	for range n {
		c, err := p.node(depth + 1)
		if err != nil {
			return nil, err
		}
		node.children = append(node.children, c)
	}
	return node, nil
}

// unescapeTSV undoes TabSeparated's escaping of one field.
func unescapeTSV(s string) string {
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
