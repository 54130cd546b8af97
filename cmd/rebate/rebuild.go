package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/settings"
)

// rebuildCmd recomputes derived tables from the event log while ingestion
// goes on (clickhouse.DB.Rebuild says how that stays exact).
type rebuildCmd struct {
	report
	ClickHouse clickhouse.Config
	Tables     []string
	All        bool
	Since      time.Time
}

func (c *rebuildCmd) register(f *settings.Flags) {
	c.report.register(f)
	c.ClickHouse.RegisterFlags(f)
	f.List(&c.Tables, "table", "REBATE_REBUILD_TABLE", nil, "the tables to rebuild, comma-separated (a refreshable view's table is refreshed; the tables the ingester computes from them are worked out again too)")
	f.Bool(&c.All, "all", "REBATE_REBUILD_ALL", false, "rebuild every table a materialized view writes, work out again the tables the ingester computes, then refresh the refreshable views")
	f.Since(&c.Since, "since", "REBATE_REBUILD_SINCE",
		"keep each table's rows and re-derive the events from then on (a date, an RFC 3339 time or a duration ago), instead of replacing the tables: for a log whose older events expired")
}

func (c *rebuildCmd) validate() error {
	if c.All == (len(c.Tables) > 0) {
		return errors.New("config: give --table T[,T...] or --all (REBATE_REBUILD_TABLE, REBATE_REBUILD_ALL), not both and not neither")
	}
	return nil
}

func (c *rebuildCmd) run(ctx context.Context, env *environment) error {
	db, err := clickhouse.Open(ctx, c.ClickHouse)
	if err != nil {
		return err
	}
	defer db.Close()
	return rebuild(ctx, db, clickhouse.RebuildOptions{Tables: c.Tables, Since: c.Since, Progress: c.progress(env)}, env)
}

// rebuild runs a rebuild and prints what it did (rebate rebuild, rebate
// migrate up --rebuild).
func rebuild(ctx context.Context, db *clickhouse.DB, opts clickhouse.RebuildOptions, env *environment) error {
	start := time.Now()
	done, err := db.Rebuild(ctx, opts)
	for _, r := range done {
		switch {
		case r.Refreshed:
			fmt.Fprintf(env.stdout, "%s: refreshed in %s\n", r.Table, r.Took.Round(time.Millisecond))
		case r.Recomputed:
			fmt.Fprintf(env.stdout, "%s: recomputed in place, %d rows, in %s\n", r.Table, r.Rows, r.Took.Round(time.Millisecond))
		default:
			fmt.Fprintf(env.stdout, "%s: rebuilt, %d rows, swapped in after %s\n", r.Table, r.Rows, r.Took.Round(time.Millisecond))
		}
	}
	if err != nil {
		return fmt.Errorf("rebuild stopped (%d tables done; the others are as they were): %w", len(done), err)
	}
	fmt.Fprintf(env.stdout, "rebuilt %d tables in %s\n", len(done), time.Since(start).Round(time.Millisecond))
	return nil
}
