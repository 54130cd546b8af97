package clickhouse

import "context"

// BuildRules works out a new build of rule_timeline from the rules stored
// and registers it, so that pricing reads it: after every rule written,
// before the orders it may change are priced again. Two builds at once
// leave the newer registered last or first, and either read every rule
// written before the other began (queries/materialize_rule_build.sql).
func (db *DB) BuildRules(ctx context.Context) error {
	if err := db.exec(ctx, "materialize_rule_timeline", nil); err != nil {
		return err
	}
	return db.exec(ctx, "materialize_rule_build", nil)
}
