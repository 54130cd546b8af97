package clickhouse

import (
	"context"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"

	"github.com/rebatehq/rebate"
)

// Rebuild recomputes derived tables (every table a materialized view writes
// to) from the tables their views read, the event log at the root, while
// ingestion goes on. For a table T written by view V:
//
//  1. T' is created like T, and a capture view with V's SELECT writes every
//     insert from now on into T' as well.
//  2. Inserts that began before the capture existed are waited for: their
//     views were fixed when they began, so they write T only, but their
//     rows are in the log by the time they end.
//  3. T' is filled by running V's SELECT over the log; where V reads a Null
//     table fed by other views (events → order_changes_mv → order_changes →
//     orders_by_user_mv), the chain is copied with temporary objects that
//     write into T', so the rows go through every step as inserts do.
//  4. EXCHANGE TABLES swaps T and T' atomically; V writes by name, so from
//     then on into the new table. The capture view goes (inserts in flight
//     wrote both tables), then the old table.
//
// Every event is in the fill (stored before 2 ended), or in the capture
// (inserted after 1), or both. Both is harmless because every table rebuilt
// is idempotent: a ReplacingMergeTree keeps one row per key, and an
// AggregatingMergeTree's states (argMax, uniqExact, max, ...) are the same
// however often a row is added. Rebuild refuses any other engine, and
// refreshes refreshable views instead (SYSTEM REFRESH VIEW).
type RebuildOptions struct {
	// Tables to rebuild; none: every derived table, then the refreshable
	// views after the tables they read.
	Tables []string
	// Since, if set, keeps each table's rows and adds what the events from
	// Since on make of them, instead of replacing the table: for a log whose
	// older events expired (the TTL), or to catch up a recent window fast.
	Since time.Time
	// Progress, if set, gets a line about once a second during long steps.
	Progress func(line string)
	// BeforeExchange, if set, runs after a new table is filled and before
	// it is swapped in: tests insert there, where an insert is sure to fall
	// between fill and swap.
	BeforeExchange func(table string)

	// beforeCapture, a tests' hook (export_test.go), runs before the
	// capture views are created.
	beforeCapture func()
}

// Rebuilt is what Rebuild did to one table.
type Rebuilt struct {
	Table     string
	Refreshed bool // a refreshable view's table: refreshed, not rebuilt
	// Recomputed: a table the ingester computes, worked out again in place
	// (every row written whole with a newer version), not swapped.
	Recomputed bool
	Rows       uint64 // rows of the new table, before merges fold repeats
	Took       time.Duration
}

// fillSettings are the settings of the statements that fill a new table:
// a fill spans every month of the log (one insert may touch any number of
// partitions), and repeats fold in the engine, so blocks need no hashes.
var fillSettings = ch.Settings{
	"throw_on_max_partitions_per_insert_block": 0,
	"insert_deduplicate":                       0,
	"max_execution_time":                       0,
}

// rebuildLock is the table that says a rebuild runs: two at once would
// drop each other's objects as leftovers. Backups leave it out.
const rebuildLock = "rebuild_running"

// Rebuild rebuilds opts.Tables (or every derived table) and says what it did.
func (db *DB) Rebuild(ctx context.Context, opts RebuildOptions) (done []Rebuilt, err error) {
	unlock, err := db.lockRebuild(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if uerr := unlock(); uerr != nil && err == nil {
			err = uerr
		}
	}()
	if err := db.dropLeftovers(ctx); err != nil {
		return nil, err
	}
	s, err := db.readSchema(ctx)
	if err != nil {
		return nil, err
	}
	sorted := s.sort()
	rebuildable := sorted.Rebuildable()
	tables := slices.Clone(opts.Tables)
	if len(tables) == 0 {
		tables = rebuildable
	}
	for _, t := range tables {
		if !slices.Contains(rebuildable, t) {
			return nil, rebate.Errorf(rebate.EINVALID, "table", "%s is not written by a materialized view nor computed by the ingester, so there is nothing to rebuild it from; tables a rebuild recomputes: %s",
				t, strings.Join(rebuildable, ", "))
		}
	}
	tables = sorted.withDependents(tables)
	if opts.Since.IsZero() {
		if err := db.checkHorizon(ctx, s); err != nil {
			return nil, err
		}
	}
	var out []Rebuilt
	recomputed := map[recomputation]bool{}
	for _, t := range tables {
		start := time.Now()
		r := Rebuilt{Table: t}
		switch rc := roles[t].recompute; {
		case s.refresher(t) != nil:
			r.Refreshed = true
			err = db.RefreshView(ctx, s.refresher(t).name)
		case rc != "":
			r.Recomputed = true
			if !recomputed[rc] {
				recomputed[rc] = true
				err = db.recompute(ctx, rc, opts.Progress)
			}
			if err == nil {
				err = db.conn.QueryRow(ctx, "SELECT count() FROM "+qualified(s.db, t)+" FINAL").Scan(&r.Rows)
				err = domainError("rebuild "+t+": count", err)
			}
		default:
			r.Rows, err = db.rebuildTable(ctx, s, t, opts)
		}
		if err != nil {
			return out, err
		}
		r.Took = time.Since(start)
		out = append(out, r)
	}
	return out, nil
}

// withDependents orders tables as a rebuild must do them (derived, then
// computed, then refreshed), adding the computed tables worked out from a
// table rebuilt, and the refreshable views' tables after any computed one:
// they read what the rebuild changed.
func (t Tables) withDependents(tables []string) []string {
	want := map[string]bool{}
	for _, n := range tables {
		want[n] = true
	}
	for _, c := range t.Computed {
		for _, from := range roles[c].from {
			if want[from] {
				want[c] = true
			}
		}
	}
	// The refreshable views read the computed tables, and one another
	// (leaderboards_mv copies leaderboards_long): any of them wanted, all
	// refresh, in the order Refreshed lists them.
	for _, c := range slices.Concat(t.Computed, t.Refreshed) {
		if want[c] {
			for _, r := range t.Refreshed {
				want[r] = true
			}
		}
	}
	var out []string
	for _, n := range t.Rebuildable() {
		if want[n] {
			out = append(out, n)
		}
	}
	return out
}

// recompute runs one recomputation of computed tables, in place: while the
// ingester goes on materializing, each row is written whole with a newer
// version, so whichever write is newest read the most facts.
func (db *DB) recompute(ctx context.Context, rc recomputation, progress func(string)) error {
	switch rc {
	case recomputePrices:
		t0, said := time.Now(), time.Now()
		return db.PriceAll(ctx, func(done, total int) {
			if progress != nil && (time.Since(said) >= time.Second || done == total) {
				said = time.Now()
				progress(fmt.Sprintf("rebuild: %s: %d of %d days of orders, %s", rc, done, total, time.Since(t0).Round(time.Second)))
			}
		})
	case recomputeClicks:
		return db.exec(ctx, "recompute_click_minutes", nil)
	}
	return fmt.Errorf("rebuild: no recomputation %q", rc)
}

// lockRebuild creates the lock table, or says who holds it.
func (db *DB) lockRebuild(ctx context.Context) (unlock func() error, err error) {
	host, _ := os.Hostname()
	owner := fmt.Sprintf("a rebuild since %s, by %s (pid %d)", time.Now().UTC().Format(time.RFC3339), host, os.Getpid())
	err = db.conn.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (since DateTime) ENGINE = Memory COMMENT %s",
		qualified(db.cfg.Database, rebuildLock), quoteString(owner)))
	if exceptionCode(err) == codeTableAlreadyExists {
		var held string
		_ = db.conn.QueryRow(ctx, "SELECT comment FROM system.tables WHERE database = currentDatabase() AND name = {n:String}",
			ch.Named("n", rebuildLock)).Scan(&held)
		return nil, rebate.Errorf(rebate.ECONFLICT, "", "%s runs already; if it died (its process is gone), drop the lock: DROP TABLE %s",
			held, qualified(db.cfg.Database, rebuildLock))
	}
	if err != nil {
		return nil, domainError("rebuild: take the lock", err)
	}
	return func() error {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		return domainError("rebuild: drop the lock", db.conn.Exec(cctx, "DROP TABLE IF EXISTS "+qualified(db.cfg.Database, rebuildLock)))
	}, nil
}

// RefreshView runs a refreshable view's refresh now and waits for it to
// end (a failed refresh is its error).
func (db *DB) RefreshView(ctx context.Context, view string) error {
	for _, stmt := range []string{"SYSTEM REFRESH VIEW ", "SYSTEM WAIT VIEW "} {
		if err := db.conn.Exec(ctx, stmt+qualified(db.cfg.Database, view)); err != nil {
			return domainError("refresh "+view, err)
		}
	}
	return nil
}

// RefreshAll refreshes every refreshable view now, one after the other,
// each after the views whose tables it reads (Tables.Refreshed's order, as
// a rebuild refreshes them: leaderboards_mv copies leaderboards_long), and
// waits for them.
func (db *DB) RefreshAll(ctx context.Context) error {
	s, err := db.readSchema(ctx)
	if err != nil {
		return err
	}
	for _, t := range s.sort().Refreshed {
		if err := db.RefreshView(ctx, s.refresher(t).name); err != nil {
			return err
		}
	}
	return nil
}

// rebuild is one table's rebuild in progress: what it created, to remove.
type rebuild struct {
	db      *DB
	s       *schema
	opts    RebuildOptions
	table   string
	next    string   // the new table, T__rebuild_new
	views   []string // temporary views, dropped first
	tables  []string // temporary tables
	counter int
}

func (db *DB) rebuildTable(ctx context.Context, s *schema, table string, opts RebuildOptions) (uint64, error) {
	if err := db.checkIdempotent(ctx, s, table); err != nil {
		return 0, err
	}
	if t := s.tables[table]; len(t.triggers) > 0 {
		return 0, rebate.Errorf(rebate.EINVALID, "table", "%s feeds the views %s, which a rebuild would not feed again; rebuild the tables they write instead",
			table, strings.Join(t.triggers, ", "))
	}
	r := &rebuild{db: db, s: s, opts: opts, table: table, next: table + rebuildInfix + "new"}
	rows, err := r.run(ctx)
	// Temporary objects go whatever happened; ctx may have ended already.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if cerr := r.cleanup(cctx); cerr != nil && err == nil {
		err = cerr
	}
	return rows, err
}

func (r *rebuild) run(ctx context.Context) (uint64, error) {
	db, name := r.db, r.s.db
	if err := r.exec(ctx, fmt.Sprintf("CREATE TABLE %s AS %s", qualified(name, r.next), qualified(name, r.table))); err != nil {
		return 0, err
	}
	r.tables = append(r.tables, r.next)
	feeders := r.s.feeders(r.table)
	if r.opts.beforeCapture != nil {
		r.opts.beforeCapture()
	}
	for _, v := range feeders {
		capture := v.name + rebuildInfix + "capture"
		stmt := fmt.Sprintf("CREATE MATERIALIZED VIEW %s TO %s AS %s", qualified(name, capture), qualified(name, r.next), v.sel)
		if err := r.exec(ctx, stmt); err != nil {
			return 0, err
		}
		r.views = append(r.views, capture)
	}
	if err := db.waitInserts(ctx); err != nil {
		return 0, err
	}
	if !r.opts.Since.IsZero() {
		if err := r.insert(ctx, fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", qualified(name, r.next), qualified(name, r.table)), "keep the rows"); err != nil {
			return 0, err
		}
	}
	for _, v := range feeders {
		if err := r.fill(ctx, r.next, v); err != nil {
			return 0, err
		}
	}
	if r.opts.BeforeExchange != nil {
		r.opts.BeforeExchange(r.table)
	}
	var rows uint64
	if err := db.conn.QueryRow(ctx, "SELECT count() FROM "+qualified(name, r.next)).Scan(&rows); err != nil {
		return 0, domainError("rebuild "+r.table+": count", err)
	}
	if err := r.exec(ctx, fmt.Sprintf("EXCHANGE TABLES %s AND %s", qualified(name, r.table), qualified(name, r.next))); err != nil {
		return 0, err
	}
	// The capture views now write the old table (named next since the
	// exchange); inserts that began before they go still write both.
	if err := r.dropViews(ctx); err != nil {
		return 0, err
	}
	return rows, db.waitInserts(ctx)
}

// fill writes into dst what view v makes of everything its source holds,
// following v's source up through Null tables to the tables with data.
func (r *rebuild) fill(ctx context.Context, dst string, v *matView) error {
	name := r.s.db
	src := r.s.tables[v.source]
	if src == nil {
		return fmt.Errorf("rebuild %s: view %s has no source table", r.table, v.name)
	}
	if up := r.s.feeders(src.name); src.engine == "Null" && len(up) > 0 {
		r.counter++
		tmpSrc := fmt.Sprintf("%s%ssrc%d", src.name, rebuildInfix, r.counter)
		tmpView := fmt.Sprintf("%s%sfill%d", v.name, rebuildInfix, r.counter)
		sel, err := replaceTable(v.sel, name, src.name, tmpSrc)
		if err != nil {
			return err
		}
		if err := r.exec(ctx, fmt.Sprintf("CREATE TABLE %s AS %s", qualified(name, tmpSrc), qualified(name, src.name))); err != nil {
			return err
		}
		r.tables = append(r.tables, tmpSrc)
		if err := r.exec(ctx, fmt.Sprintf("CREATE MATERIALIZED VIEW %s TO %s AS %s", qualified(name, tmpView), qualified(name, dst), sel)); err != nil {
			return err
		}
		r.views = append(r.views, tmpView)
		for _, u := range up {
			if err := r.fill(ctx, tmpSrc, u); err != nil {
				return err
			}
		}
		return nil
	}
	if !r.opts.Since.IsZero() && src.name != EventLog {
		return rebate.Errorf(rebate.EINVALID, "since", "%s is computed from %s, not from events: --since applies to the event log only", r.table, src.name)
	}
	// A view writes its columns to the target by name; an INSERT SELECT
	// goes by position, so the columns are named on both sides.
	cols, err := r.db.columns(ctx, v.name)
	if err != nil {
		return err
	}
	var list []string
	for _, c := range cols {
		list = append(list, quoteIdent(c))
	}
	names := strings.Join(list, ", ")
	stmt := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM (%s)", qualified(name, dst), names, names, v.sel)
	return r.insert(ctx, stmt, "fill from "+src.name)
}

// insert runs a long INSERT, reporting its progress.
func (r *rebuild) insert(ctx context.Context, stmt, what string) error {
	settings := r.db.writeSettings(nil) // a rebuild runs while the service serves
	for k, v := range fillSettings {
		settings[k] = v
	}
	if !r.opts.Since.IsZero() {
		// Every read of the log in the statement, joins included, sees the
		// events from Since on only.
		settings["additional_table_filters"] = fmt.Sprintf("{%s: %s}",
			quoteString(qualified(r.s.db, EventLog)), quoteString("ts >= "+quoteString(r.opts.Since.UTC().Format("2006-01-02 15:04:05.000"))))
	}
	id := uuid.NewString()
	stop := r.db.watchQuery(ctx, id, func(read, total uint64) string {
		return fmt.Sprintf("rebuild %s: %s: %s", r.table, what, progressOf(read, total))
	}, r.opts.Progress)
	defer stop()
	if err := r.db.conn.Exec(ch.Context(ctx, ch.WithSettings(settings), ch.WithQueryID(id)), stmt); err != nil {
		return domainError(fmt.Sprintf("rebuild %s: %s", r.table, what), err)
	}
	return nil
}

func (r *rebuild) exec(ctx context.Context, stmt string) error {
	if err := r.db.conn.Exec(ctx, stmt); err != nil {
		return domainError("rebuild "+r.table, err)
	}
	return nil
}

func (r *rebuild) dropViews(ctx context.Context) error {
	for len(r.views) > 0 {
		v := r.views[len(r.views)-1]
		if err := r.exec(ctx, "DROP VIEW IF EXISTS "+qualified(r.s.db, v)); err != nil {
			return err
		}
		r.views = r.views[:len(r.views)-1]
	}
	return nil
}

// cleanup drops what the rebuild made: views first, so that nothing writes
// to a table as it goes. After a successful exchange, next is the old table.
func (r *rebuild) cleanup(ctx context.Context) error {
	if err := r.dropViews(ctx); err != nil {
		return err
	}
	for _, t := range r.tables {
		if err := r.exec(ctx, "DROP TABLE IF EXISTS "+qualified(r.s.db, t)); err != nil {
			return err
		}
	}
	r.tables = nil
	return nil
}

// dropLeftovers removes what a rebuild that never finished (a killed
// process) left behind: views first, then tables.
func (db *DB) dropLeftovers(ctx context.Context) error {
	s, err := db.readSchema(ctx)
	if err != nil {
		return err
	}
	var views, tables []string
	for _, name := range s.sort().Transient {
		switch t := s.tables[name]; {
		case t == nil, name == rebuildLock: // the lock is this rebuild's
		case t.engine == "MaterializedView":
			views = append(views, name)
		default:
			tables = append(tables, name)
		}
	}
	for _, v := range append(views, tables...) {
		if err := db.conn.Exec(ctx, "DROP TABLE IF EXISTS "+qualified(s.db, v)); err != nil {
			return domainError("drop "+v+", left over from a rebuild", err)
		}
	}
	return nil
}

// waitInserts waits until every INSERT running now has ended: one that
// began before a capture view existed writes through the views fixed when
// it began, so its rows reach the new table only through the fill, which
// must therefore start after it ends. Each insert is named by its query id,
// read after the views changed: it is listed from before its views are
// fixed until after its rows are committed, so no clock (the client's or
// the server's) and no margin decide what is waited for. (A margin did: an
// insert that began more than a second after the rebuild read its clock,
// and before a slow CREATE of the capture view returned, was neither
// captured nor waited for, and its rows were lost.) The inserts are the
// server's this connection reaches (on the cluster: docs/operations.md).
// Bounded: one insert taking 10 minutes is a fault to report, not to wait
// out.
func (db *DB) waitInserts(ctx context.Context) error {
	running, err := db.runningInserts(ctx)
	if err != nil || len(running) == 0 {
		return err
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		now, err := db.runningInserts(ctx)
		if err != nil {
			return err
		}
		maps.DeleteFunc(running, func(id string, _ bool) bool { return !now[id] })
		if len(running) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return rebate.Errorf(rebate.EUNAVAIL, "", "%d inserts still running after 10 minutes; rebuild again once they end", len(running))
		}
	}
}

// runningInserts are the query ids of the inserts running now. Compared in
// Go, not bound into SQL: a client chooses its query ids.
func (db *DB) runningInserts(ctx context.Context) (map[string]bool, error) {
	rows, err := db.conn.Query(ctx, "SELECT query_id FROM system.processes WHERE query_kind = 'Insert'")
	if err != nil {
		return nil, domainError("wait for inserts in flight", err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, domainError("wait for inserts in flight", err)
		}
		ids[id] = true
	}
	return ids, domainError("wait for inserts in flight", rows.Err())
}

// columns are a table's (or a view's) column names in order.
func (db *DB) columns(ctx context.Context, table string) ([]string, error) {
	rows, err := db.conn.Query(ctx, "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position",
		ch.Named("t", table))
	if err != nil {
		return nil, domainError("read columns of "+table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, domainError("read columns of "+table, err)
		}
		out = append(out, c)
	}
	return out, domainError("read columns of "+table, rows.Err())
}

// idempotentStates are the aggregate functions whose state is the same
// however often a row is added to it: an AggregatingMergeTree of these
// alone can take a row twice.
var idempotentStates = []string{"argMax", "argMin", "max", "min", "uniqExact", "uniq", "uniqCombined", "uniqCombined64",
	"uniqHLL12", "uniqTheta", "groupUniqArray", "groupBitOr", "groupBitAnd", "any"}

var aggFuncRe = regexp.MustCompile(`^(?:Simple)?AggregateFunction\(\s*([A-Za-z0-9_]+)`)

// checkIdempotent refuses a table a row added twice would change: the
// rebuild writes some rows twice (fill and capture), on purpose.
func (db *DB) checkIdempotent(ctx context.Context, s *schema, table string) error {
	engine := s.tables[table].engine
	switch {
	case strings.HasSuffix(engine, "ReplacingMergeTree"):
		return nil
	case strings.HasSuffix(engine, "AggregatingMergeTree"):
		rows, err := db.conn.Query(ctx, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String}", ch.Named("t", table))
		if err != nil {
			return domainError("read columns of "+table, err)
		}
		defer rows.Close()
		for rows.Next() {
			var col, typ string
			if err := rows.Scan(&col, &typ); err != nil {
				return domainError("read columns of "+table, err)
			}
			if m := aggFuncRe.FindStringSubmatch(typ); m != nil && !slices.Contains(idempotentStates, m[1]) {
				return rebate.Errorf(rebate.EINVALID, "table", "%s.%s is a %s state, which counts a row added twice twice: a rebuild, which adds some rows twice, would not be exact",
					table, col, m[1])
			}
		}
		return domainError("read columns of "+table, rows.Err())
	}
	return rebate.Errorf(rebate.EINVALID, "table", "%s is a %s: a rebuild adds some rows twice and only ReplacingMergeTree and AggregatingMergeTree (of argMax, uniqExact, max, ...) fold them",
		table, engine)
}

var ttlDaysRe = regexp.MustCompile(`TTL .*toIntervalDay\((\d+)\)`)

// checkHorizon refuses a full rebuild when the log's TTL has begun to
// expire events: the derived tables remember what the log forgot.
func (db *DB) checkHorizon(ctx context.Context, s *schema) error {
	ev := s.tables[EventLog]
	if ev == nil {
		return nil
	}
	m := ttlDaysRe.FindStringSubmatch(ev.engineFull)
	if m == nil {
		return nil
	}
	days, _ := strconv.Atoi(m[1])
	var oldest time.Time
	var n uint64
	if err := db.conn.QueryRow(ctx, "SELECT min(ts), count() FROM "+qualified(s.db, EventLog)).Scan(&oldest, &n); err != nil {
		return domainError("read the oldest event", err)
	}
	horizon := time.Now().Add(-time.Duration(days) * 24 * time.Hour)
	if n > 0 && oldest.Before(horizon.Add(24*time.Hour)) {
		return rebate.Errorf(rebate.EINVALID, "since",
			"events keep %d days (TTL) and the oldest left is from %s: older ones have expired, and a full rebuild would forget what they made; "+
				"rebuild with --since %s (keeps the rows, re-derives the events since), or keep events forever (--events-retention-days 0) from the start",
			days, oldest.UTC().Format(time.DateOnly), oldest.UTC().Add(24*time.Hour).Format(time.DateOnly))
	}
	return nil
}

func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
