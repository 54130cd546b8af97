package clickhouse_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
)

// TestRebuildWhileIngesting rebuilds every derived table of a damaged
// database (each emptied after half the stream) while events keep arriving:
// in the background throughout, and once between each table's fill and its
// swap, the moment a rebuild without its capture view would lose them. The
// figures then equal the oracle's for the whole stream, and nothing of the
// rebuild is left behind.
func TestRebuildWhileIngesting(t *testing.T) {
	ctx := context.Background()
	db, st := openStore(t, migrated(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 31, Users: 40, Merchants: 6, Products: 15, Orders: 250, Clicks: 500,
		Withdrawals: 50, ProductUpdates: 40, DuplicateRate: 0.1, Now: now})
	if err := db.InsertRules(ctx, stream.Rules); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(31, 1))
	batches := eventgen.Split(rng, stream.Events, 40)
	half := len(batches) / 2
	for _, b := range batches[:half] {
		clickhousetest.Insert(t, db, b)
	}
	tables, err := db.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range slices.Concat(tables.Derived, tables.Computed) { // every derived and computed table damaged: emptied
		exec(t, db, "TRUNCATE TABLE "+table)
	}

	// The rest arrive one batch at a time, from two writers.
	var mu sync.Mutex
	rest := batches[half:]
	next := func() []rebate.Event {
		mu.Lock()
		defer mu.Unlock()
		if len(rest) == 0 {
			return nil
		}
		b := rest[0]
		rest = rest[1:]
		return b
	}
	insert := func(b []rebate.Event) { // as the ingester does: insert, then Materialize
		if err := db.InsertEvents(ctx, b, nil, ""); err != nil {
			t.Error(err)
			return
		}
		var c rebate.Changes
		c.AddAll(b)
		if err := db.Materialize(ctx, c); err != nil {
			t.Error(err)
		}
	}
	var swaps int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := next(); b != nil; b = next() {
			insert(b)
			time.Sleep(5 * time.Millisecond) // a pace, not a synchronisation
		}
	}()
	rebuilt, err := db.Rebuild(ctx, clickhouse.RebuildOptions{BeforeExchange: func(string) {
		swaps++
		if b := next(); b != nil {
			insert(b)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	<-done
	want := tables.Rebuildable() // testdata/tables.golden
	var got []string
	for _, r := range rebuilt {
		got = append(got, r.Table)
		if r.Refreshed != slices.Contains(tables.Refreshed, r.Table) || r.Recomputed != slices.Contains(tables.Computed, r.Table) {
			t.Errorf("%s: refreshed=%v recomputed=%v", r.Table, r.Refreshed, r.Recomputed)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rebuilt %v, want %v (tables views write first, then the computed ones, the refreshed views' last)", got, want)
	}
	if swaps != len(tables.Derived) || len(tables.Derived) == 0 {
		t.Errorf("%d swaps, want %d", swaps, len(tables.Derived))
	}
	clickhousetest.CompareFigures(t, clickhousetest.StoreFigures{Store: st}, oracle.New(stream.Events, stream.Rules), now, rng)
	var left uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE '%\\_\\_rebuild\\_%'").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d objects of the rebuild left behind (%v)", left, err)
	}
}

// TestRebuildRefusals: the log, a table no view writes, a view's Null
// table, the service's records and a table that does not exist are each
// answered clearly, naming what can be rebuilt.
func TestRebuildRefusals(t *testing.T) {
	ctx := context.Background()
	db, _ := openStore(t, migrated(t))
	tables, err := db.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	refused := slices.Concat([]string{tables.Log, "nope"}, tables.Inputs, tables.PassThrough, tables.Records)
	if len(refused) < 5 || len(tables.Derived) == 0 {
		t.Fatalf("the schema sorts as %+v", tables)
	}
	for _, table := range refused {
		_, err := db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: []string{table}})
		if rebate.ErrorCode(err) != rebate.EINVALID || !strings.Contains(err.Error(), tables.Derived[0]) {
			t.Errorf("rebuild %s: %v; want invalid, listing what can be rebuilt", table, err)
		}
	}
}

// TestRebuildRefreshesBothLeaderboards: a rebuild of leaderboards (the
// runbook's) refreshes leaderboards_long first, then leaderboards, which
// copies it: a new order then shows in the short and the long windows.
func TestRebuildRefreshesBothLeaderboards(t *testing.T) {
	ctx := context.Background()
	db, st := openStore(t, migrated(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	insertEvents(t, db, rebate.Event{ID: "lb-both", Type: rebate.OrderSettled, TS: now, OrderID: "lb-both", UserID: 4242,
		MerchantID: 1, ProductID: 1, Amount: 10000, Commission: 1000, PlacedAt: now.Add(-time.Minute)})
	rebuilt, err := db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: []string{"leaderboards"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rebuilt {
		if !r.Refreshed {
			t.Errorf("%s: rebuilt, not refreshed", r.Table)
		}
		got = append(got, r.Table)
	}
	if !slices.Equal(got, []string{"leaderboards_long", "leaderboards"}) {
		t.Fatalf("rebuild leaderboards did %v, want leaderboards_long refreshed, then leaderboards", got)
	}
	for _, w := range []rebate.Window{rebate.WindowHour, rebate.WindowAll} {
		lb, err := st.Leaderboard(ctx, w, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(lb.Entries) != 1 || lb.Entries[0].UserID != 4242 || lb.AsOf.Before(now) {
			t.Errorf("leaderboard %s after the rebuild: %+v", w, lb)
		}
	}
}

func exec(t *testing.T, db *clickhouse.DB, stmt string) {
	t.Helper()
	if err := db.Conn().Exec(context.Background(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// TestRebuildsDoNotOverlap: a second rebuild while one runs is refused,
// naming the first, since each would drop the other's objects as
// leftovers; once the first ends, the next runs.
func TestRebuildsDoNotOverlap(t *testing.T) {
	ctx := context.Background()
	db, _ := openStore(t, migrated(t))
	tables, err := db.Tables(ctx)
	if err != nil || len(tables.Derived) < 2 {
		t.Fatalf("the schema sorts as %+v (%v)", tables, err)
	}
	first, other := tables.Derived[0], tables.Derived[1]
	var second error
	_, err = db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: []string{first}, BeforeExchange: func(string) {
		_, second = db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: []string{other}})
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rebate.ErrorCode(second) != rebate.ECONFLICT || !strings.Contains(second.Error(), "a rebuild since") {
		t.Errorf("a rebuild during another: %v", second)
	}
	if _, err := db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: []string{other}}); err != nil {
		t.Errorf("a rebuild after another: %v", err)
	}
}

// TestBackupDuringRebuild: a backup taken while a rebuild runs leaves out
// its lock and the objects it made for itself (clickhouse.Tables.Transient):
// restored as another database, it has none of them, and a rebuild there
// runs.
func TestBackupDuringRebuild(t *testing.T) {
	ctx := context.Background()
	cfg := migrated(t)
	db, _ := openStore(t, cfg)
	tables, err := db.Tables(ctx)
	if err != nil || len(tables.Derived) == 0 {
		t.Fatalf("the schema sorts as %+v (%v)", tables, err)
	}
	loc := clickhouse.BackupLocation{Disk: clickhouse.DefaultBackupDisk}
	name := "mid-rebuild-" + cfg.Database
	var backupErr error
	var during []string
	_, err = db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: tables.Derived[:1], BeforeExchange: func(string) {
		mid, err := db.Tables(ctx)
		if err != nil {
			t.Error(err)
		}
		during = mid.Transient
		_, backupErr = db.Backup(ctx, clickhouse.BackupOptions{Name: name, Location: loc})
	}})
	if err != nil || backupErr != nil {
		t.Fatalf("rebuild: %v; backup during it: %v", err, backupErr)
	}
	if len(during) < 3 { // the lock, the new table, a capture view
		t.Errorf("transient during the rebuild: %v", during)
	}
	other := cfg.Database + "_mid_rebuild"
	t.Cleanup(func() { exec(t, db, "DROP DATABASE IF EXISTS "+other) })
	if _, err := db.Restore(ctx, clickhouse.RestoreOptions{Name: name, Location: loc, As: other}); err != nil {
		t.Fatal(err)
	}
	var left []string
	if err := db.Conn().QueryRow(ctx, "SELECT groupArray(name) FROM system.tables WHERE database = {db:String} AND (name = 'rebuild_running' OR name LIKE '%\\_\\_rebuild\\_%')",
		ch.Named("db", other)).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("the backup holds what the rebuild made for itself: %v", left)
	}
	ocfg := cfg
	ocfg.Database = other
	odb, err := clickhouse.Open(ctx, ocfg)
	if err != nil {
		t.Fatal(err)
	}
	defer odb.Close()
	if _, err := odb.Rebuild(ctx, clickhouse.RebuildOptions{Tables: tables.Derived[:1]}); err != nil {
		t.Errorf("a rebuild in the restored database: %v", err)
	}
}

// TestRebuildWaitsForInsertsInFlight: an insert that began before the
// capture views existed, and still runs after, writes through the views it
// began with, so it reaches the rebuilt table only if the fill waits for
// it. Here the capture views' CREATE takes over a second, as it can on a
// loaded machine, and the insert begins in that second. The rebuild used to
// wait only for inserts older than its clock reading less a second's margin:
// this one was neither captured nor waited for, and its batch's order
// events were lost from the rebuilt orders (a settled order priced as paid,
// found in CI).
func TestRebuildWaitsForInsertsInFlight(t *testing.T) {
	ctx := context.Background()
	db, st := openStore(t, migrated(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 37, Users: 30, Merchants: 4, Products: 10, Orders: 120, Clicks: 100,
		Withdrawals: 10, ProductUpdates: 10, Now: now})
	if err := db.InsertRules(ctx, stream.Rules); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(37, 1))
	var held, first []rebate.Event // every fourth event arrives last
	for i, e := range stream.Events {
		if i%4 == 3 {
			held = append(held, e)
		} else {
			first = append(first, e)
		}
	}
	for _, b := range eventgen.Split(rng, first, 200) {
		clickhousetest.Insert(t, db, b)
	}
	exec(t, db, "CREATE TABLE staged AS events ENGINE = Memory")
	if err := db.InsertEventsInto(ctx, "staged", held); err != nil {
		t.Fatal(err)
	}

	slow := make(chan error, 1)
	opts := clickhouse.WithRebuildHook(clickhouse.RebuildOptions{Tables: []string{"orders"}}, func() {
		time.Sleep(1100 * time.Millisecond) // the capture views' CREATE, slow: a cost, not a synchronisation
		go func() {                         // as the ingester does: insert (here slowly, about 2 s), then Materialize
			err := db.Conn().Exec(ctx, "INSERT INTO events SELECT * FROM staged WHERE sleep(3) = 0")
			if err == nil {
				var c rebate.Changes
				c.AddAll(held)
				err = db.Materialize(ctx, c)
			}
			slow <- err
		}()
		deadline := time.Now().Add(time.Minute)
		for {
			var n uint64
			if err := db.Conn().QueryRow(ctx, "SELECT count() FROM system.processes WHERE query_kind = 'Insert' AND query LIKE '%FROM staged%'").Scan(&n); err != nil {
				t.Error(err)
				return
			}
			if n > 0 || time.Now().After(deadline) {
				return
			}
			time.Sleep(10 * time.Millisecond) // a poll's pace
		}
	})
	if _, err := db.Rebuild(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	clickhousetest.CompareFigures(t, clickhousetest.StoreFigures{Store: st}, oracle.New(stream.Events, stream.Rules), now, rng)
}
