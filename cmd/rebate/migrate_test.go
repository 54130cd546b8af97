package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/migrations"
)

func TestMigrateCommand(t *testing.T) {
	ep := chlocaltest.Start(t)
	db := ep.Database(t)
	ups, _ := fs.Glob(migrations.FS, "*.up.sql")
	// The newest migration's number: numbers may leave gaps.
	latest, _ := strconv.Atoi(strings.SplitN(ups[len(ups)-1], "_", 2)[0])
	migrate := func(args ...string) string {
		t.Helper()
		var out strings.Builder
		args = append([]string{"migrate"}, append(args, "--clickhouse-addr", ep.Addr, "--clickhouse-database", db)...)
		if err := run(context.Background(), args, env(), &out, io.Discard); err != nil {
			t.Fatalf("rebate %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	if got, want := migrate("up", "--events-retention-days", "30", "--leaderboard-refresh", "7s", "--leaderboard-long-refresh", "45s"), fmt.Sprintf("schema version %d (clean)", latest); !strings.Contains(got, want) {
		t.Errorf("up: %q, want %q", got, want)
	}
	inDB := func(q string) string {
		t.Helper()
		return sql(t, ep.URL()+"?database="+db, q)
	}
	if got := inDB("SELECT engine_full LIKE '%toIntervalDay(30)%' FROM system.tables WHERE database = currentDatabase() AND name = 'events'"); got != "1\n" {
		t.Errorf("retention not applied: %q", got)
	}
	if got := inDB("SELECT create_table_query LIKE '%REFRESH EVERY 7 SECOND%' FROM system.tables WHERE database = currentDatabase() AND name = 'leaderboards_mv'"); got != "1\n" {
		t.Errorf("leaderboard refresh not applied: %q", got)
	}
	if got := inDB("SELECT create_table_query LIKE '%REFRESH EVERY 45 SECOND%' FROM system.tables WHERE database = currentDatabase() AND name = 'leaderboards_long_mv'"); got != "1\n" {
		t.Errorf("long leaderboards' refresh not applied: %q", got)
	}
	if got := migrate("version"); !strings.Contains(got, fmt.Sprintf("schema version %d", latest)) {
		t.Errorf("version: %q", got)
	}
	if got := migrate("down"); !strings.Contains(got, "schema version 0") {
		t.Errorf("down: %q", got)
	}
	err := run(context.Background(), []string{"migrate", "up", "--clickhouse-addr", "127.0.0.1:1", "--clickhouse-dial-timeout", "1s"}, env(), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("unreachable server: %v", err)
	}
	if err := run(context.Background(), []string{"migrate"}, env(), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "up|down|version") {
		t.Errorf("no action: %v", err)
	}
}
