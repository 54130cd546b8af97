package clickhouse_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTablesOfTheSchema pins how the migrated schema's tables sort: what
// rebuild recomputes, what a backup leaves out, what a restore must bring
// back. The sort is read from the database, so a migration changes it with
// no edit in Go; this file shows the change for review (-update-tables).
func TestTablesOfTheSchema(t *testing.T) {
	db, _ := openStore(t, migrated(t))
	tables, err := db.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range []struct {
		role  string
		names []string
	}{
		{"log", []string{tables.Log}},
		{"inputs", tables.Inputs},
		{"derived", tables.Derived},
		{"computed", tables.Computed},
		{"refreshed", tables.Refreshed},
		{"pass-through", tables.PassThrough},
		{"records", tables.Records},
		{"transient", tables.Transient},
		{"rebuild --all", tables.Rebuildable()},
		{"stored", tables.Stored()},
	} {
		fmt.Fprintf(&b, "%-14s %s\n", r.role+":", strings.Join(r.names, " "))
	}
	golden := filepath.Join("testdata", "tables.golden")
	if *updateTables {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("the tables sort differently from %s (run with -update-tables if the schema changed on purpose):\ngot\n%swant\n%s", golden, b.String(), want)
	}
}
