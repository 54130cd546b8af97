package clickhouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/procstat"
)

// BenchmarkOps times the operator's work on the query benchmark's events
// (REBATE_BENCH_EVENTS, default 10 M): a full backup, an incremental one
// after 100,000 more events, a restore of it beside the database, a rebuild
// of every derived table, and each reconciliation. One pass of each; the
// figures are in docs/benchmarks.md.
//
//	go test -run '^$' -bench Ops -benchtime 1x -timeout 60m -v ./clickhouse/
func BenchmarkOps(b *testing.B) {
	benchData.once.Do(func() { benchData.err = loadBench(b) })
	if benchData.err != nil {
		b.Fatal(benchData.err)
	}
	b.Log(benchData.loadLog)
	ctx := context.Background()
	db, st := benchData.db, benchData.st
	loc := clickhouse.BackupLocation{Disk: clickhouse.DefaultBackupDisk}
	stamp := time.Now().UnixNano()
	full, inc := fmt.Sprintf("bench-full-%d", stamp), fmt.Sprintf("bench-inc-%d", stamp)
	var events uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM events").Scan(&events); err != nil {
		b.Fatal(err)
	}
	once := func(name string, f func(b *testing.B) (bytes uint64)) {
		b.Run(name, func(b *testing.B) {
			var size uint64
			start, cpu := time.Now(), procstat.Self() // the engine runs in this process
			for b.Loop() {
				size = f(b)
			}
			took := time.Since(start).Seconds() / float64(b.N)
			used := procstat.PerOp(procstat.Self()-cpu, b.N)
			b.ReportMetric(took, "s")
			b.ReportMetric(float64(events)/took/1e6, "M-events/s")
			b.ReportMetric(used.Seconds(), "cpu-s")
			b.ReportMetric(procstat.PerMillion(used, int(events)), "cpu-s/M-events")
			if size > 0 {
				b.ReportMetric(float64(size)/(1<<20), "MiB")
			}
		})
	}
	backupSize := func(b *testing.B, name string) uint64 {
		list, err := db.ListBackups(ctx, loc)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range list {
			if e.Name == name {
				return e.Bytes
			}
		}
		b.Fatalf("backup %s not listed", name)
		return 0
	}
	once("backup/full", func(b *testing.B) uint64 {
		if _, err := db.Backup(ctx, clickhouse.BackupOptions{Name: full, Location: loc}); err != nil {
			b.Fatal(err)
		}
		return backupSize(b, full)
	})
	gen := eventgen.NewTraffic(43, benchUsers, benchMerchants, benchProducts)
	clickhousetest.Insert(b, db, gen.Chunk(100_000, benchData.now.Add(-time.Hour), time.Hour))
	once("backup/incremental-after-100k", func(b *testing.B) uint64 {
		if _, err := db.Backup(ctx, clickhouse.BackupOptions{Name: inc, Location: loc, Base: full}); err != nil {
			b.Fatal(err)
		}
		return backupSize(b, inc)
	})
	as := db.Config().Database + "_restored"
	once("restore/incremental-beside", func(b *testing.B) uint64 {
		if _, err := db.Restore(ctx, clickhouse.RestoreOptions{Name: inc, Location: loc, As: as}); err != nil {
			b.Fatal(err)
		}
		return 0
	})
	if err := db.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+as); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{inc, full} {
		if err := db.DeleteBackup(ctx, loc, name); err != nil {
			b.Fatal(err)
		}
	}
	once("rebuild/all", func(b *testing.B) uint64 {
		done, err := db.Rebuild(ctx, clickhouse.RebuildOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range done {
			if r.Refreshed { // a refreshable view's table: refreshed, its rows not counted
				b.Logf("%s: refreshed in %s", r.Table, r.Took.Round(time.Millisecond))
				continue
			}
			b.Logf("%s: %d rows in %s", r.Table, r.Rows, r.Took.Round(time.Millisecond))
		}
		return 0
	})
	for _, check := range st.Checks() {
		once("reconcile/"+check, func(b *testing.B) uint64 {
			diffs, err := st.Reconcile(ctx, check, time.Time{})
			if err != nil {
				b.Fatal(err)
			}
			if len(diffs) > 0 {
				b.Errorf("%d differences, first %+v", len(diffs), diffs[0])
			}
			return 0
		})
	}
}
