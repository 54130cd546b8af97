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
// named: the event log and the service's own records (records, below).
//
// A table that the ingester computes itself, rather than a view, sorts as
// an input here (restored, never rebuilt) until records names it with how
// to recompute it.
type Tables struct {
	// Log is the event log (EventLog), when the database has it.
	Log string
	// Inputs are written by the service other than through views (the
	// rules): backed up and restored, never rebuilt.
	Inputs []string
	// Derived are written by materialized views on every insert: rebuild
	// recomputes them from the log.
	Derived []string
	// Refreshed are written whole by refreshable views: rebuild refreshes
	// them, after Derived, which they read.
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

// records are the tables of the service's own bookkeeping, by role.
var records = map[string]bool{MigrationsTable: true, backupManifests: true}

// Rebuildable is what a full rebuild does, in order: the derived tables,
// then the refreshable views' tables, which read them.
func (t Tables) Rebuildable() []string { return slices.Concat(t.Derived, t.Refreshed) }

// Stored are the tables that hold the figures and what they come from: a
// restore must bring each back as it was.
func (t Tables) Stored() []string {
	var log []string
	if t.Log != "" {
		log = []string{t.Log}
	}
	return slices.Concat(log, t.Inputs, t.Derived, t.Refreshed)
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
		case records[name]:
			t.Records = append(t.Records, name)
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
	for _, l := range [][]string{t.Inputs, t.Derived, t.Refreshed, t.PassThrough, t.Records, t.Transient[1:]} {
		slices.Sort(l)
	}
	return t
}
