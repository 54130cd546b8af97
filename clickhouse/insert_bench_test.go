package clickhouse_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/procstat"
)

// BenchmarkEncodeEvents: the client's side of an insert of 100,000 events
// of eventgen.Traffic, without the server: the Native block alone.
//
//	go test -run '^$' -bench EncodeEvents -benchtime 20x -count 5 ./clickhouse/
func BenchmarkEncodeEvents(b *testing.B) {
	events := eventgen.NewTraffic(1, 100_000, 300, 50_000).Chunk(100_000, time.Now().Add(-time.Hour), time.Hour)
	sources := make([]rebate.Source, len(events))
	b.ReportAllocs()
	cpu := procstat.Self() // the encoding and the collector it calls for
	for b.Loop() {
		n, err := clickhouse.EncodeEvents(events, sources)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(n))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
	b.ReportMetric(procstat.PerMillion(procstat.Self()-cpu, b.N*len(events)), "cpu-s/M-events")
}

// BenchmarkInsertPath: one insert of REBATE_BENCH_BATCH events (default
// 5,000 and 100,000) into the migrated schema with every view, through the
// Native block (native) and through clickhouse-go's Append (append, the path
// before it). The engine runs in this process, so cpu-ms/insert is the
// client and the engine together (getrusage of the process).
//
//	go test -run '^$' -bench InsertPath -benchtime 40x -count 5 ./clickhouse/
func BenchmarkInsertPath(b *testing.B) {
	sizes := []int{5_000, 100_000}
	if s := os.Getenv("REBATE_BENCH_BATCH"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("REBATE_BENCH_BATCH=%q: want a positive integer", s)
		}
		sizes = []int{n}
	}
	for _, n := range sizes {
		for _, path := range []string{"native", "append"} {
			b.Run(fmt.Sprintf("rows=%d/%s", n, path), func(b *testing.B) {
				db, _ := clickhousetest.OpenStore(b, clickhousetest.Migrated(b))
				insert := db.InsertEvents
				if path == "append" {
					insert = db.InsertEventsAppend
				}
				traffic := eventgen.NewTraffic(3, 100_000, 300, 50_000)
				now := time.Now()
				ctx := context.Background()
				var cpu time.Duration
				i := 0
				for b.Loop() {
					ev := traffic.Chunk(n, now.Add(-time.Minute), time.Minute)
					c0 := procstat.Self()
					if err := insert(ctx, ev, nil, fmt.Sprint("tok-", i)); err != nil {
						b.Fatal(err)
					}
					cpu += procstat.Self() - c0
					i++
				}
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(i), "cpu-ms/insert")
				b.ReportMetric(procstat.PerMillion(cpu, i*n), "cpu-s/M-events")
			})
		}
	}
}
