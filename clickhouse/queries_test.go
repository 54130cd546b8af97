package clickhouse_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/queries"
)

func TestQueryFiles(t *testing.T) {
	qs, err := clickhouse.LoadQueries(queries.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs.All()) == 0 {
		t.Fatal("no queries")
	}
	for _, q := range qs.All() {
		verb, _, _ := strings.Cut(q.Name, "_")
		switch verb {
		case "get", "list":
			if !q.ReadOnly {
				t.Errorf("%s: a read must be a SELECT", q.Name)
			}
		case "put", "materialize", "recompute", "delete":
			if q.ReadOnly {
				t.Errorf("%s: a %s must write", q.Name, verb)
			}
		case "reconcile":
			// rebate reconcile's: a SELECT of the differences, for the
			// service alone, in the shape Store.Reconcile scans.
			if !q.ReadOnly || !q.Internal {
				t.Errorf("%s: a reconciliation must be a SELECT marked -- for: service", q.Name)
			}
		default:
			t.Errorf("%s: unknown verb %q", q.Name, verb)
		}
		if q.Description == "" {
			t.Errorf("%s: no description", q.Name)
		}
	}
	bal, _ := qs.Get("get_balance")
	if len(bal.Params) != 1 || bal.Params[0].Name != "user_id" || bal.Params[0].Type != "UInt64" {
		t.Errorf("get_balance params: %+v", bal.Params)
	}
	if bal.Settings["max_threads"] != "1" || strings.Contains(bal.Description, "settings:") {
		t.Errorf("get_balance settings %v, description %q", bal.Settings, bal.Description)
	}
	// Every query plans against the migrated schema.
	cfg := migrated(t)
	db, _ := openStore(t, cfg)
	if err := qs.Validate(context.Background(), db.Conn()); err != nil {
		t.Fatal(err)
	}
}

func TestQueryFileErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		files fstest.MapFS
		want  string
	}{
		"bad name":          {fstest.MapFS{"Balance.sql": {Data: []byte("-- x\nSELECT 1")}}, "verb_noun"},
		"no statement":      {fstest.MapFS{"get_x.sql": {Data: []byte("-- only a comment\n")}}, "no statement"},
		"no description":    {fstest.MapFS{"get_x.sql": {Data: []byte("SELECT 1")}}, "leading comment"},
		"conflicting types": {fstest.MapFS{"get_x.sql": {Data: []byte("-- x\nSELECT {a:UInt8}, {a:String}")}}, "declared as both"},
		"bad settings line": {fstest.MapFS{"get_x.sql": {Data: []byte("-- x\n-- settings: max_threads\nSELECT 1")}}, "not name = value"},
	} {
		_, err := clickhouse.LoadQueries(tc.files)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
	// A query naming a column the schema lacks fails validation, by file name.
	qs, err := clickhouse.LoadQueries(fstest.MapFS{"get_x.sql": {Data: []byte("-- x\nSELECT no_such_column FROM user_orders WHERE user_id = {u:UInt64}")}})
	if err != nil {
		t.Fatal(err)
	}
	db, _ := openStore(t, migrated(t))
	if err := qs.Validate(context.Background(), db.Conn()); err == nil || !strings.Contains(err.Error(), "get_x.sql") {
		t.Errorf("validate: %v", err)
	}
	if err := qs.Require("get_x", "get_missing"); err == nil || !strings.Contains(err.Error(), "get_missing.sql") {
		t.Errorf("require: %v", err)
	}
}
