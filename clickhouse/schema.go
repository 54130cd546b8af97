package clickhouse

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/rebatehq/rebate"
)

// Schema reads the service's database as it is: every table and view, its
// columns and types, and what they mean from their comments (migrations
// write them). docs/tables.md is this, rendered by SchemaMarkdown; a test
// keeps the two equal.
func (s *Store) Schema(ctx context.Context) (rebate.Schema, error) {
	var out rebate.Schema
	byName := map[string]int{}
	feeds := map[string][]string{} // view: the tables whose inserts reach it
	err := s.each(ctx, "list_schema_tables", map[string]any{}, func(r driver.Rows) error {
		var t rebate.SchemaTable
		var create string
		var deps []string
		if err := r.Scan(&t.Name, &t.Engine, &t.Comment, &create, &deps); err != nil {
			return err
		}
		for _, d := range deps {
			feeds[d] = append(feeds[d], t.Name)
		}
		t.Read = readHint(t.Engine)
		if m := viewTargetRe.FindStringSubmatch(create); m != nil && strings.Contains(t.Engine, "View") {
			_, t.Target, _ = strings.Cut(m[1], ".")
			t.Target = strings.Trim(t.Target, "`")
		}
		t.Columns = []rebate.SchemaColumn{}
		byName[t.Name] = len(out.Tables)
		out.Tables = append(out.Tables, t)
		return nil
	})
	if err != nil {
		return out, err
	}
	err = s.each(ctx, "list_schema_columns", map[string]any{}, func(r driver.Rows) error {
		var table string
		var c rebate.SchemaColumn
		if err := r.Scan(&table, &c.Name, &c.Type, &c.Comment); err != nil {
			return err
		}
		if i, ok := byName[table]; ok {
			out.Tables[i].Columns = append(out.Tables[i].Columns, c)
		}
		return nil
	})
	for i, t := range out.Tables {
		out.Tables[i].Sources = feeds[t.Name]
	}
	_, out.Database, _ = s.catalog(ctx)
	return out, err
}

var viewTargetRe = regexp.MustCompile(`\sTO\s+([^\s(]+)`)

// readHint says how a table's rows count exactly, by its engine.
func readHint(engine string) string {
	switch {
	case strings.Contains(engine, "Replacing"), strings.Contains(engine, "Collapsing"):
		return "FINAL"
	case strings.Contains(engine, "Aggregating"):
		return "-Merge"
	case strings.Contains(engine, "Summing"):
		return "sum() GROUP BY the key"
	}
	return ""
}

// SchemaMarkdown renders docs/tables.md.
func SchemaMarkdown(sc rebate.Schema) string {
	var b strings.Builder
	b.WriteString("# Tables: the schema as it is\n\n")
	b.WriteString("Generated from the live schema of a migrated database (`go test ./clickhouse -run TestTablesDoc -update-tables`);\n")
	b.WriteString("a test fails when it differs. The meanings are the tables' and columns' comments, which the\n")
	b.WriteString("migrations write; `GET /v1/schema` serves the same. Why each engine keeps the figures exact:\n")
	b.WriteString("[schema.md](schema.md).\n\n")
	b.WriteString("**Reading exactly.** A *Replacing* table keeps one row per key only once its parts merge,\n")
	b.WriteString("which happens in the background: read it with `FINAL` (or count distinct keys). An\n")
	b.WriteString("*Aggregating* table holds aggregate states: read them with the function's `-Merge`\n")
	b.WriteString("combinator and `GROUP BY` its key. Others read as stored.\n\n")
	b.WriteString("| table | engine | read with | what it is |\n| --- | --- | --- | --- |\n")
	var views []rebate.SchemaTable
	for _, t := range sc.Tables {
		if strings.Contains(t.Engine, "View") {
			views = append(views, t)
			continue
		}
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", t.Name, t.Name, t.Engine, orDash(code(t.Read)), cell(t.Comment))
	}
	b.WriteString("\n## Views\n\nMaterialized views write every insert into their source to a table; they hold no rows\nof their own (read their table).\n\n")
	b.WriteString("| view | reads the inserts into | writes to | what it is |\n| --- | --- | --- | --- |\n")
	for _, v := range views {
		var src []string
		for _, s := range v.Sources {
			src = append(src, code(s))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, orDash(strings.Join(src, ", ")), orDash(code(v.Target)), orDash(cell(v.Comment)))
	}
	for _, t := range sc.Tables {
		if strings.Contains(t.Engine, "View") {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\nEngine %s", t.Name, t.Comment, t.Engine)
		if t.Read != "" {
			fmt.Fprintf(&b, "; read with `%s`", t.Read)
		}
		b.WriteString(".\n\n| column | type | meaning |\n| --- | --- | --- |\n")
		for _, c := range t.Columns {
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", c.Name, c.Type, cell(c.Comment))
		}
	}
	return b.String()
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// cell makes text safe in a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
