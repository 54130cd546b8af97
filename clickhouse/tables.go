package clickhouse

import (
	"context"
	"slices"
	"strings"
)

// EventLog is the table every event is stored in: the root that rebuild
// recomputes the derived tables from, and that reconcile checks them
// against.
const EventLog = "events"

// backupManifests records each backup's moment (the consumer group's
// offsets) in the database, so that it travels inside the backup.
const backupManifests = "backup_manifests"

// Tables sorts the tables of a database by what the operator's commands do
// with them; rebuild, backup and the tests of both take their lists from
// here and nowhere else. The sort is read from the database itself
// (system.tables: each table's engine, the materialized views and the
// tables they write), so a migration that adds, replaces or drops tables
// changes it with no edit in Go. Only what the structure cannot tell is
// named: the event log, the service's own records and the tables the
// ingester works out itself after each insert (roles, below).
type Tables struct {
	// Log is the event log (EventLog), when the database has it.
	Log string
	// Inputs are written by the service other than through views (the
	// rules): backed up and restored, never rebuilt.
	Inputs []string
	// Derived are written by materialized views on every insert: rebuild
	// recomputes them from the log.
	Derived []string
	// Computed are worked out by the ingester after each insert
	// (Materialize) from Derived tables: rebuild works them out again, after
	// Derived and before Refreshed, by their recomputation (roles).
	Computed []string
	// Refreshed are written whole by refreshable views: rebuild refreshes
	// them, after Derived and Computed, which they read.
	Refreshed []string
	// PassThrough are Null tables that views chain through: they store
	// nothing.
	PassThrough []string
	// Records are the service's own bookkeeping (the applied migrations,
	// backup manifests): backed up, not figures.
	Records []string
	// Transient are never backed up: the rebuild lock, and what a rebuild
	// in progress (or one that died) made for itself.
	Transient []string
}

// role is what the structure of the schema cannot tell about a table.
type role struct {
	// record: the service's own bookkeeping, backed up, not a figure.
	record bool
	// recompute names how the table is worked out again whole when the
	// ingester computes it (Materialize): tables that share one are worked
	// out by the same run. from are the tables it is worked out from: a
	// rebuild of one of them works it out again after.
	recompute recomputation
	from      []string
}

// recomputation works out again, whole, the tables of one role; progress
// gets a line now and then.
type recomputation string

const (
	// recomputePrices prices every order again (PriceAll): order_prices
	// and the buckets of its orders.
	recomputePrices recomputation = "price every order"
	// recomputeClicks works out every click minute again from clicks.
	recomputeClicks recomputation = "count every click minute"
)

// pricedFrom are the tables an order's price is worked out from
// (queries/materialize_order_prices.sql).
var pricedFrom = []string{"orders", "user_orders", "user_tiers", "members", "invitations", "rebate_rules", "rule_timeline", "rule_builds", "service_settings"}

// roles names the tables by what the structure cannot tell: the service's
// records, and the tables the ingester computes (docs/schema.md, How
// figures are kept).
var roles = map[string]role{
	MigrationsTable:    {record: true},
	backupManifests:    {record: true},
	"order_prices":     {recompute: recomputePrices, from: pricedFrom},
	"user_prices":      {recompute: recomputePrices, from: pricedFrom}, // through user_prices_mv
	"merchant_minutes": {recompute: recomputePrices, from: pricedFrom},
	"user_days":        {recompute: recomputePrices, from: pricedFrom},
	"user_totals":      {recompute: recomputePrices, from: pricedFrom},
	"click_minutes":    {recompute: recomputeClicks, from: []string{"clicks"}},
}

// Rebuildable is what a full rebuild does, in order: the derived tables,
// the tables the ingester computes from them, then the refreshable views'
// tables, which read both.
func (t Tables) Rebuildable() []string { return slices.Concat(t.Derived, t.Computed, t.Refreshed) }

// Stored are the tables that hold the figures and what they come from: a
// restore must bring each back as it was.
func (t Tables) Stored() []string {
	var log []string
	if t.Log != "" {
		log = []string{t.Log}
	}
	return slices.Concat(log, t.Inputs, t.Derived, t.Computed, t.Refreshed)
}

// Tables reads and sorts the tables of the configured database.
func (db *DB) Tables(ctx context.Context) (Tables, error) {
	s, err := db.readSchema(ctx)
	if err != nil {
		return Tables{}, err
	}
	return s.sort(), nil
}

// sort is the one place that decides a table's role.
func (s *schema) sort() Tables {
	var t Tables
	t.Transient = []string{rebuildLock}                    // a rebuild may take it at any time
	fed, refreshed := map[string]bool{}, map[string]bool{} // by views on insert, by refreshable views
	for _, v := range s.views {
		if !strings.Contains(v.name, rebuildInfix) {
			fed[v.target] = true
			refreshed[v.target] = refreshed[v.target] || v.refresh
		}
	}
	for name, tb := range s.tables {
		switch {
		case name == rebuildLock:
		case strings.Contains(name, rebuildInfix):
			t.Transient = append(t.Transient, name)
		case tb.engine == "MaterializedView", tb.engine == "View":
			// Views are definitions: they travel with the database.
		case roles[name].record:
			t.Records = append(t.Records, name)
		case roles[name].recompute != "":
			t.Computed = append(t.Computed, name)
		case name == EventLog:
			t.Log = name
		case tb.engine == "Null":
			t.PassThrough = append(t.PassThrough, name)
		case refreshed[name]:
			t.Refreshed = append(t.Refreshed, name)
		case fed[name]:
			t.Derived = append(t.Derived, name)
		default:
			t.Inputs = append(t.Inputs, name)
		}
	}
	for _, l := range [][]string{t.Inputs, t.Derived, t.Computed, t.Refreshed, t.PassThrough, t.Records, t.Transient[1:]} {
		slices.Sort(l)
	}
	t.Refreshed = s.refreshOrder(t.Refreshed)
	return t
}

// refreshOrder lists a refreshed table after those its view reads:
// leaderboards_mv copies leaderboards_long, which must be refreshed first
// for a rebuild to bring the long windows up to date.
func (s *schema) refreshOrder(tables []string) []string {
	reads := func(a, b string) bool {
		v := s.refresher(a)
		return a != b && v != nil && tableRef(s.db, b).MatchString(v.sel)
	}
	left := slices.Clone(tables)
	out := make([]string, 0, len(tables))
	for len(left) > 0 {
		i := slices.IndexFunc(left, func(a string) bool {
			return !slices.ContainsFunc(left, func(b string) bool { return reads(a, b) })
		})
		if i < 0 {
			i = 0 // views reading one another: as listed
		}
		out = append(out, left[i])
		left = slices.Delete(left, i, i+1)
	}
	return out
}
