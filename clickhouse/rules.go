package clickhouse

import (
	"context"
	"fmt"
	"strconv"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// BuildRules works out a new build of rule_timeline from the rules stored
// and registers it, so that pricing reads it: after every rule written,
// before the orders it may change are priced again (docs/schema.md, Rules
// as a timeline). The build's id is read from the server's clock before the
// build begins, so a build reads every rule written before its id; of two
// builds at once, the newer id read at least what the older did. Builds
// before the two newest registered are deleted after.
func (db *DB) BuildRules(ctx context.Context) error {
	build, err := db.clock(ctx)
	if err != nil {
		return fmt.Errorf("the rule timeline's build: %w", err)
	}
	p := ch.Parameters{"build": build}
	if err := db.exec(ctx, "materialize_rule_timeline", p); err != nil {
		return err
	}
	if err := db.exec(ctx, "materialize_rule_build", p); err != nil {
		return err
	}
	var kept uint64
	if err := db.each(ctx, "get_rule_builds_kept", nil, func(rows driver.Rows) error { return rows.Scan(&kept) }); err != nil || kept == 0 {
		return err
	}
	for _, name := range []string{"delete_rule_timeline", "delete_rule_builds"} {
		if err := db.exec(ctx, name, ch.Parameters{"before": strconv.FormatUint(kept, 10)}); err != nil {
			return err
		}
	}
	return nil
}
