package clickhouse_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSteadyInsert: the cost of one insert of a steady stream's batch
// (REBATE_BENCH_BATCH events, default 5,000: 20,000 events/s flushed every
// 250 ms) into the migrated schema, in process CPU per insert. Views listed
// in REBATE_BENCH_DROP are dropped first, to see what each costs.
//
//	go test -run '^$' -bench SteadyInsert -benchtime 200x ./clickhouse/
func BenchmarkSteadyInsert(b *testing.B) {
	cfg := clickhousetest.Migrated(b)
	db, _ := clickhousetest.OpenStore(b, cfg)
	ctx := context.Background()
	for _, v := range strings.Fields(os.Getenv("REBATE_BENCH_DROP")) {
		if err := db.Conn().Exec(ctx, "DROP VIEW "+v); err != nil {
			b.Fatal(err)
		}
	}
	for _, set := range strings.Split(os.Getenv("REBATE_BENCH_TABLE_SETTINGS"), ";") {
		if set == "" {
			continue
		}
		rows, err := db.Conn().Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'")
		if err != nil {
			b.Fatal(err)
		}
		var names []string
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			names = append(names, n)
		}
		rows.Close()
		for _, t := range names {
			if err := db.Conn().Exec(ctx, "ALTER TABLE "+t+" MODIFY SETTING "+set); err != nil {
				b.Fatal(err)
			}
		}
	}
	n := 5000
	if s := os.Getenv("REBATE_BENCH_BATCH"); s != "" {
		fmt.Sscan(s, &n)
	}
	traffic := eventgen.NewTraffic(3, 100_000, 300, 50_000)
	now := time.Now()
	batches := make([][]any, 0)
	_ = batches
	cpu0, wall0 := cpuTime(), time.Now()
	i := 0
	for b.Loop() {
		ev := traffic.Chunk(n, now.Add(-time.Minute), time.Minute)
		if err := db.InsertEvents(ctx, ev, nil, fmt.Sprintf("tok-%d", i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(i), "cpu-ms/insert")
	b.ReportMetric(float64(time.Since(wall0).Microseconds())/1000/float64(i), "wall-ms/insert")
}

// BenchmarkMaterializeSignals: the cost of Materialize per steady batch
// (REBATE_BENCH_BATCH events, default 5,000) over a database already holding
// REBATE_BENCH_BASE events (default 1,000,000 over 30 days), with the fraud
// signals worked out and without (SignalConfig.Off), batches alternating
// between the two on the same database. Reported: process CPU and wall
// time of Materialize alone (the insert before it is not counted), for
// each.
//
//	go test -run '^$' -bench MaterializeSignals -benchtime 100x -timeout 60m ./clickhouse/
func BenchmarkMaterializeSignals(b *testing.B) {
	cfg := clickhousetest.Migrated(b)
	db, st := clickhousetest.OpenStore(b, cfg)
	ctx := context.Background()
	base, n := 1_000_000, 5000
	if s := os.Getenv("REBATE_BENCH_BASE"); s != "" {
		fmt.Sscan(s, &base)
	}
	if s := os.Getenv("REBATE_BENCH_BATCH"); s != "" {
		fmt.Sscan(s, &n)
	}
	now := time.Now().UTC()
	b.Log(clickhousetest.LoadTraffic(b, db, st, base, now.Add(-time.Hour)))
	traffic := eventgen.NewTraffic(5, clickhousetest.BenchUsers, clickhousetest.BenchMerchants, clickhousetest.BenchProducts)
	on := db.Signals()
	off := on
	off.Off = true
	var cpu, wall [2]time.Duration
	var runs [2]int
	i := 0
	for b.Loop() {
		ev := traffic.Chunk(n, now.Add(-time.Minute), time.Minute)
		if err := db.InsertEvents(ctx, ev, nil, fmt.Sprintf("sig-%d", i)); err != nil {
			b.Fatal(err)
		}
		var c rebate.Changes
		c.AddAll(ev)
		mode := i % 2 // 0: with signals, 1: without
		if err := db.SetSignals([]clickhouse.SignalConfig{on, off}[mode]); err != nil {
			b.Fatal(err)
		}
		cpu0, wall0 := cpuTime(), time.Now()
		if err := db.Materialize(ctx, c); err != nil {
			b.Fatal(err)
		}
		cpu[mode] += cpuTime() - cpu0
		wall[mode] += time.Since(wall0)
		runs[mode]++
		i++
	}
	for mode, name := range []string{"signals", "no-signals"} {
		if runs[mode] == 0 {
			continue
		}
		b.ReportMetric(float64(cpu[mode].Microseconds())/1000/float64(runs[mode]), "cpu-ms/materialize-"+name)
		b.ReportMetric(float64(wall[mode].Microseconds())/1000/float64(runs[mode]), "wall-ms/materialize-"+name)
	}
}
