package clickhouse_test

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/procstat"
)

// BenchmarkSteadyBatch: what one batch of a steady stream costs the engine,
// as the ingester runs it: the insert, then its figures (pricing the orders
// it touched and writing their buckets again), and the fraud signals of
// every REBATE_BENCH_SIGNAL_BATCHES batches (default 4) together. REBATE_BENCH_BATCH events per
// batch (default 5,000: 20,000 events/s flushed every 250 ms), over a
// realistic mix of users, merchants and products, after REBATE_BENCH_BASE
// events of history (default none). Reported as CPU per batch for each step
// and CPU-seconds per million events; REBATE_BENCH_PROFILE=1 logs the CPU of
// each of Materialize's statements, REBATE_BENCH_PROFILE=reads also what
// each read (the engine's counters: parts, granules, rows, compressed
// bytes), what the merges did meanwhile, and the rows they rewrote by table;
// REBATE_BENCH_BLOCK_CACHE=alternate runs rounds of REBATE_BENCH_SIGNAL_BATCHES
// batches with Materialize's statements reading through the engine's block
// cache (not what the service does) and not, on, off, off, on, ...,
// after a first round counted in neither (the first batches after
// the load cost more), and reports each's Materialize CPU: a comparison the
// same minutes of a noisy machine weigh on alike;
// REBATE_BENCH_MERGES=stop stops the engine's merges for the batches.
//
//	go test -run '^$' -bench SteadyBatch -benchtime 100x ./clickhouse/
func BenchmarkSteadyBatch(b *testing.B) {
	db, st := clickhousetest.OpenStore(b, clickhousetest.Migrated(b))
	ctx := context.Background()
	n, base := 5000, 0
	if s := os.Getenv("REBATE_BENCH_BATCH"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
			b.Fatalf("REBATE_BENCH_BATCH=%q: want a positive integer", s)
		}
	}
	if s := os.Getenv("REBATE_BENCH_BASE"); s != "" {
		if _, err := fmt.Sscan(s, &base); err != nil || base < 0 {
			b.Fatalf("REBATE_BENCH_BASE=%q: want a count of events", s)
		}
	}
	now := time.Now()
	if base > 0 {
		// History first (30 days before the batches), so the cost of a
		// batch is measured against what is stored, not an empty database.
		b.Log(clickhousetest.LoadTraffic(b, db, st, base, now.Add(-time.Hour)))
	}
	traffic := eventgen.NewTraffic(3, clickhousetest.BenchUsers, clickhousetest.BenchMerchants, clickhousetest.BenchProducts)
	byStatement := map[string]time.Duration{}
	tag := ""                                // REBATE_BENCH_BLOCK_CACHE=alternate: the round's, after each statement's name
	readsOf := map[string]map[string]int64{} // REBATE_BENCH_PROFILE=reads: the counters' sums by statement
	profile := os.Getenv("REBATE_BENCH_PROFILE")
	if profile != "" && profile != "1" && profile != "reads" {
		b.Fatalf("REBATE_BENCH_PROFILE=%q: want 1 (each statement's CPU) or reads (and what each read)", profile)
	}
	if profile != "" {
		// Which statements the CPU goes to (the engine runs in this
		// process, so the process's CPU over a statement is its cost);
		// with "reads", what each read too, its counters read outside the
		// CPU it is charged.
		clickhouse.ObserveStatements(func(name string) func() {
			var ev0 map[string]int64
			if profile == "reads" {
				ev0 = engineCounters(b, db, readCounters)
			}
			c0 := procstat.Self()
			return func() {
				byStatement[name+tag] += procstat.Self() - c0
				if ev0 != nil {
					ev1 := engineCounters(b, db, readCounters)
					if readsOf[name] == nil {
						readsOf[name] = map[string]int64{}
					}
					for _, k := range readCounters {
						readsOf[name][k] += ev1[k] - ev0[k]
					}
				}
			}
		})
		b.Cleanup(func() { clickhouse.ObserveStatements(nil) })
	}
	switch m := os.Getenv("REBATE_BENCH_MERGES"); m {
	case "":
	case "stop":
		// The statements' own cost, without the merges the engine runs
		// beside them (parts pile up instead: a short run only).
		if err := db.Conn().Exec(ctx, "SYSTEM STOP MERGES"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Conn().Exec(context.Background(), "SYSTEM START MERGES") })
	default:
		b.Fatalf("REBATE_BENCH_MERGES=%q: want stop, or unset", m)
	}
	var whole0 map[string]int64
	whole := slices.Concat(readCounters, mergeCounters, cacheCounters)
	since := time.Now()
	if profile == "reads" {
		whole0 = engineCounters(b, db, whole)
	}
	// The ingester works the signals of the batches stored in a second
	// out together (--signal-interval): 4 batches at 250 ms flushes.
	every := 4
	if s := os.Getenv("REBATE_BENCH_SIGNAL_BATCHES"); s != "" {
		if _, err := fmt.Sscan(s, &every); err != nil || every < 1 {
			b.Fatalf("REBATE_BENCH_SIGNAL_BATCHES=%q: want a positive integer", s)
		}
	}
	alternate := os.Getenv("REBATE_BENCH_BLOCK_CACHE")
	if alternate != "" && alternate != "alternate" {
		b.Fatalf("REBATE_BENCH_BLOCK_CACHE=%q: want alternate, or unset", alternate)
	}
	defer clickhouse.UseBlockCache(false)
	var roundCPU [3]time.Duration // by round: the cache on, off; the first round
	var roundBatches [3]int
	b.Logf("%d events a batch; signals every %d batches", n, every)
	var insertCPU, materializeCPU time.Duration
	var owed rebate.Changes
	wall0 := time.Now()
	i := 0
	round := 0
	for b.Loop() {
		if alternate != "" {
			// Rounds on, off, off, on, ...: neither comes first more often.
			round = [...]int{0, 1, 1, 0}[(i/every-1+4)%4]
			if i < every {
				round = 2
			}
			clickhouse.UseBlockCache(round != 1)
			tag = [...]string{"/cache", "/no-cache", "/first"}[round]
		}
		ev := traffic.Chunk(n, now.Add(-time.Minute), time.Minute)
		c0 := procstat.Self()
		if err := db.InsertEvents(ctx, ev, nil, fmt.Sprintf("steady-%d", i)); err != nil {
			b.Fatal(err)
		}
		c1 := procstat.Self()
		var ch rebate.Changes
		ch.AddAll(ev)
		if err := db.MaterializeFigures(ctx, ch); err != nil {
			b.Fatal(err)
		}
		if owed.Merge(ch); (i+1)%every == 0 {
			if err := db.MaterializeSignals(ctx, owed); err != nil {
				b.Fatal(err)
			}
			owed = rebate.Changes{}
		}
		insertCPU += c1 - c0
		d := procstat.Self() - c1
		materializeCPU += d
		roundCPU[round] += d
		roundBatches[round]++
		i++
	}
	if !owed.Empty() {
		// The signals the last batches owe count too: the ingester works
		// them out within a second.
		c0 := procstat.Self()
		if err := db.MaterializeSignals(ctx, owed); err != nil {
			b.Fatal(err)
		}
		d := procstat.Self() - c0
		materializeCPU += d
		roundCPU[round] += d
	}
	if alternate != "" {
		for k, name := range []string{"cache", "no-cache"} {
			b.ReportMetric(float64(roundCPU[k].Microseconds())/1000/float64(max(roundBatches[k], 1)), "materialize-cpu-ms/batch-"+name)
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(i) }
	b.ReportMetric(per(insertCPU), "insert-cpu-ms/batch")
	b.ReportMetric(per(materializeCPU), "materialize-cpu-ms/batch")
	b.ReportMetric(float64(time.Since(wall0).Microseconds())/1000/float64(i), "wall-ms/batch")
	b.ReportMetric(procstat.PerMillion(insertCPU+materializeCPU, i*n), "cpu-s/M-events")
	// One line, dearest first: without -v a benchmark's log is cut after
	// ten lines.
	names := slices.SortedFunc(maps.Keys(byStatement), func(x, y string) int { return cmp.Compare(byStatement[y], byStatement[x]) })
	var line strings.Builder
	for _, name := range names {
		fmt.Fprintf(&line, " %s %.1f;", name, per(byStatement[name]))
	}
	if line.Len() > 0 {
		b.Log("CPU-ms per batch by statement:" + line.String())
	}
	if whole0 != nil {
		for _, name := range names {
			b.Logf("per batch, %s: %s", name, counterLine(readCounters, nil, readsOf[name], i))
		}
		b.Logf("per batch, the whole engine: %s", counterLine(whole, whole0, engineCounters(b, db, whole), i))
		b.Logf("rows merges wrote, by table, over the %d batches: %s", i, mergedRows(b, db, since))
		b.Logf("the block cache holds %d MiB", cacheBytes(b, db)>>20)
	}
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
		cpu0, wall0 := procstat.Self(), time.Now()
		if err := db.Materialize(ctx, c); err != nil {
			b.Fatal(err)
		}
		cpu[mode] += procstat.Self() - cpu0
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
