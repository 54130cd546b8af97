package clickhouse_test

import (
	"context"
	"testing"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/clickhousetest"
)

// TestEventsTableMatchesContract: the migrated events table has a column
// for every field of the contract (rebate.Fields), named and typed as the
// contract says, in the same order: the decoder, the encoder and the insert
// are driven by that table, so the schema must agree with it.
func TestEventsTableMatchesContract(t *testing.T) {
	db, _ := clickhousetest.OpenStore(t, clickhousetest.Migrated(t))
	rows, err := db.Conn().Query(context.Background(),
		"SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events' ORDER BY position")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][2]string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		got = append(got, [2]string{name, typ})
	}
	if len(got) < len(rebate.Fields) {
		t.Fatalf("events has %d columns, the contract %d fields", len(got), len(rebate.Fields))
	}
	for i, f := range rebate.Fields {
		if got[i] != [2]string{f.Name, f.Column} {
			t.Errorf("column %d of events is %s %s; the contract says %s %s", i+1, got[i][0], got[i][1], f.Name, f.Column)
		}
	}
}
