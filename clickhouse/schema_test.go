package clickhouse_test

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/rebatehq/rebate/clickhouse"
)

var updateTables = flag.Bool("update-tables", false, "rewrite docs/tables.md and testdata/tables.golden from the live schema")

// TestTablesDoc: docs/tables.md is the live schema of a migrated database,
// rendered; every table and every column of a table says what it means (a
// comment), and every Replacing table is read with FINAL. Regenerate with
// go test ./clickhouse -run TestTablesDoc -update-tables.
func TestTablesDoc(t *testing.T) {
	_, st := openStore(t, migrated(t))
	sc, err := st.Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Tables) < 10 {
		t.Fatalf("%d tables", len(sc.Tables))
	}
	for _, tb := range sc.Tables {
		if tb.Engine == "View" {
			// A plain view stores nothing and
			// writes nowhere; its migration says what it is.
			continue
		}
		if strings.Contains(tb.Engine, "View") {
			if tb.Target == "" {
				t.Errorf("view %s: no target table", tb.Name)
			}
			continue
		}
		if tb.Comment == "" {
			t.Errorf("table %s has no comment: add one in its migration (COMMENT '...' or ALTER TABLE ... MODIFY COMMENT)", tb.Name)
		}
		for _, c := range tb.Columns {
			if c.Comment == "" {
				t.Errorf("column %s.%s has no comment: add one in its migration (COMMENT COLUMN)", tb.Name, c.Name)
			}
		}
		if strings.Contains(tb.Engine, "Replacing") && tb.Read != "FINAL" {
			t.Errorf("%s (%s) read with %q", tb.Name, tb.Engine, tb.Read)
		}
	}
	// The database's name differs from test to test.
	sc.Database = "rebate"
	got := clickhouse.SchemaMarkdown(sc)
	const file = "../docs/tables.md"
	if *updateTables {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil || string(want) != got {
		t.Errorf("docs/tables.md differs from the live schema (%v): go test ./clickhouse -run TestTablesDoc -update-tables", err)
	}
}
