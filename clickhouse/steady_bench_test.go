package clickhouse_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

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
