package clickhouse_test

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/benchchart"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/procstat"
)

// livePoint is what one size of the live benchmark measured.
type livePoint struct {
	events       int           // stored when the live phase ended
	ingested     int           // of which during the live phase
	rate         float64       // achieved events/s during the live phase
	freshP50     time.Duration // a batch's events, from made to priced (insert + Materialize)
	freshP99     time.Duration //
	refreshP50   time.Duration // the short windows' leaderboards' refresh, REFRESH + WAIT
	refreshMax   time.Duration //
	longP50      time.Duration // the long windows' (7d, 30d, all)
	longMax      time.Duration //
	appP99       time.Duration // balance, orders, rank, leaderboard, product
	analystP99   time.Duration // merchant stats 24h and all, minutely 60 and 1440
	reads        int           //
	byRead       string        // each read's p50 / p99 in ms: which one misses its goal
	cpuPerM      float64       // process CPU-s per million events ingested, reads and refresh included
	cores        float64       // process CPU-s per wall second during the live phase
	diskPerEvent float64       // bytes on disk of the database's active parts per event stored
	rssMB, hwmMB float64       // the process (the engine runs in it) at the phase's end, and its peak
	waits        connWaits     // the statements' waits for an engine connection during the live phase
}

// liveConfig is the live benchmark's knobs, from REBATE_BENCH_* variables.
type liveConfig struct {
	sizes []int
	live  time.Duration
	rate  int
	chart string
	// bulk: history loaded in bulk, then its figures worked out a day at a
	// time (clickhousetest.LoadHistory); else batch by batch as the
	// ingester stores it (StoreHistory).
	bulk bool
}

func liveConfigFromEnv(tb testing.TB) liveConfig {
	c := liveConfig{sizes: []int{1_000_000, 10_000_000, 30_000_000, 100_000_000}, live: 30 * time.Second, rate: 20_000,
		chart: os.Getenv("REBATE_BENCH_CHART"), bulk: clickhousetest.BulkHistory(tb, true)}
	if s := os.Getenv("REBATE_BENCH_SIZES"); s != "" {
		c.sizes = nil
		for f := range strings.SplitSeq(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || len(c.sizes) > 0 && n <= c.sizes[len(c.sizes)-1] {
				tb.Fatalf("REBATE_BENCH_SIZES=%q: want ascending positive integers", s)
			}
			c.sizes = append(c.sizes, n)
		}
	}
	if s := os.Getenv("REBATE_BENCH_LIVE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second {
			tb.Fatalf("REBATE_BENCH_LIVE=%q: want a duration of at least 1s", s)
		}
		c.live = d
	}
	if s := os.Getenv("REBATE_BENCH_RATE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			tb.Fatalf("REBATE_BENCH_RATE=%q: want a positive integer (events/s)", s)
		}
		c.rate = n
	}
	return c
}

// BenchmarkLive: reads while ingesting, as the history grows. For each of
// REBATE_BENCH_SIZES events (default 1, 10, 30 and 100 million), it loads
// history up to that size (bulk, spread over the 30 days before now), then
// for REBATE_BENCH_LIVE (default 30s) ingests REBATE_BENCH_RATE events/s
// (default 20,000) as the ingester stores them (a batch every 250 ms,
// inserted then priced by Materialize; a batch that falls behind grows)
// while the leaderboards refresh (1h and 24h every 2 s, the long windows
// every 30 s) and the app's and analysts' reads run paced (one app read
// every 50 ms, one analyst read every 200 ms).
// Reported per size: refresh time, read p99s, freshness (made to priced),
// CPU-seconds per million events from getrusage (the engine runs in this
// process), disk bytes per event and RSS, and each read's p50 and p99.
// With REBATE_BENCH_CHART set, it draws them as an SVG there, again after
// each size;
// REBATE_CLICKHOUSE_WRITE_PRIORITY sets the writes' priority, as for the
// service.
//
//	REBATE_BENCH_CHART=$PWD/docs/live-benchmark.svg go test -run '^$' -bench Live -benchtime 1x -timeout 600m ./clickhouse/
func BenchmarkLive(b *testing.B) {
	cfg := liveConfigFromEnv(b)
	for b.Loop() {
		points := runLive(b, cfg)
		for _, p := range points {
			tag := benchchart.Short(float64(p.events))
			b.ReportMetric(float64(p.refreshP50.Microseconds())/1000, tag+"-refresh-p50-ms")
			b.ReportMetric(float64(p.longP50.Microseconds())/1000, tag+"-long-refresh-p50-ms")
			b.ReportMetric(float64(p.appP99.Microseconds())/1000, tag+"-app-p99-ms")
			b.ReportMetric(float64(p.analystP99.Microseconds())/1000, tag+"-analyst-p99-ms")
			b.ReportMetric(float64(p.freshP99.Microseconds())/1000, tag+"-fresh-p99-ms")
			b.ReportMetric(p.cpuPerM, tag+"-cpu-s/M-events")
			b.ReportMetric(p.diskPerEvent, tag+"-disk-B/event")
		}
		b.Log("\n" + liveTable(points))
	}
}

// TestLiveBenchmarkRuns keeps the live benchmark working: two small sizes,
// a short live phase, every measure taken and the chart drawn.
func TestLiveBenchmarkRuns(t *testing.T) {
	chart := t.TempDir() + "/live.svg"
	points := runLive(t, liveConfig{sizes: []int{20_000, 40_000}, live: 2 * time.Second, rate: 2_000, chart: chart, bulk: true})
	if len(points) != 2 {
		t.Fatalf("%d points, want 2", len(points))
	}
	for _, p := range points {
		if p.ingested == 0 || p.reads == 0 || p.refreshP50 == 0 || p.longP50 == 0 || p.diskPerEvent <= 0 || p.rssMB <= 0 || p.cpuPerM <= 0 {
			t.Errorf("a measure is missing: %+v", p)
		}
		if strings.Count(p.byRead, ";") != 8 || strings.Contains(p.byRead, " 0.0/") {
			t.Errorf("a read's quantiles are missing: %s", p.byRead)
		}
	}
	if points[1].events < 40_000 {
		t.Errorf("the second size holds %d events, want at least 40,000", points[1].events)
	}
	// The chart is drawn again after each size: of both sizes, a line.
	if svg, err := os.ReadFile(chart); err != nil || !strings.Contains(string(svg), "<polyline") {
		t.Fatalf("chart: %v, %d bytes without a line", err, len(svg))
	}
}

func runLive(tb testing.TB, cfg liveConfig) []livePoint {
	chcfg := migrated(tb)
	// The writes' priority as the service's variable sets it, to measure
	// one against the other (the default: low).
	chcfg.WritePriority = os.Getenv("REBATE_CLICKHOUSE_WRITE_PRIORITY")
	db, st := openStore(tb, chcfg)
	ctx := context.Background()
	now := time.Now().UTC()
	hist := eventgen.NewTraffic(42, benchUsers, benchMerchants, benchProducts)
	rng := rand.New(rand.NewPCG(4, 2))
	stored := 0
	var points []livePoint
	for _, size := range cfg.sizes {
		// History: 100,000-event chunks, each an hour somewhere in the 30
		// days before now, so every size spreads over the whole month.
		t0 := time.Now()
		chunk := func(n int) []rebate.Event {
			from := now.Add(-30*24*time.Hour + time.Duration(rng.Int64N(int64(29*24*time.Hour))))
			return hist.Chunk(n, from, time.Hour)
		}
		var how string
		stored, how = clickhousetest.History(tb, db, stored, size, cfg.bulk, chunk)
		loaded := time.Since(t0)
		settled := clickhousetest.SettleMerges(tb, db, 10*time.Minute)
		tb.Logf("%s events stored (history loaded %s in %s, merges settled in %s)", benchchart.Short(float64(stored)),
			how, loaded.Round(time.Second), settled.Round(time.Second))
		w0 := readConnWaits(tb)
		p := liveRun(tb, db, st, cfg)
		p.waits = readConnWaits(tb).since(w0)
		stored += p.ingested
		p.events = stored
		var bytes uint64
		if err := db.Conn().QueryRow(ctx, "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = currentDatabase() AND active").Scan(&bytes); err != nil {
			tb.Fatal(err)
		}
		p.diskPerEvent = float64(bytes) / float64(stored)
		p.rssMB, p.hwmMB = procStatusMB("VmRSS"), procStatusMB("VmHWM")
		tb.Logf("%s: %s", benchchart.Short(float64(stored)), liveLine(p))
		points = append(points, p)
		// Drawn after each size, so that a run stopped before its largest
		// (100 M takes hours here) still leaves the chart of what it measured.
		if cfg.chart != "" {
			if err := writeLiveChart(cfg.chart, points, cfg.rate); err != nil {
				tb.Fatal(err)
			}
			tb.Logf("chart of %d sizes written to %s", len(points), cfg.chart)
		}
	}
	return points
}

// liveRun ingests at cfg.rate for cfg.live while the refresh and the reads
// run, and measures them.
func liveRun(tb testing.TB, db *clickhouse.DB, st *clickhouse.Store, cfg liveConfig) livePoint {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	traffic := eventgen.NewTraffic(9, benchUsers, benchMerchants, benchProducts)
	pick := eventgen.NewTraffic(7, benchUsers, benchMerchants, benchProducts)
	var (
		mu            sync.Mutex
		refresh, long []time.Duration
		app, analyst  []time.Duration
		byRead        = map[string][]time.Duration{}
		fresh         []time.Duration
		errs          []error
		wg            sync.WaitGroup
		ingested      int
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
		cancel()
	}
	// every runs f every d, the first time at once when atOnce.
	every := func(d time.Duration, atOnce bool, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(d)
			defer tick.Stop()
			for {
				if !atOnce {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
					}
				}
				atOnce = false
				if err := f(); err != nil && ctx.Err() == nil {
					fail(err)
					return
				}
			}
		}()
	}
	timed := func(into *[]time.Duration, name string, f func() error) error {
		t0 := time.Now()
		err := f()
		took := time.Since(t0)
		mu.Lock()
		*into = append(*into, took)
		if name != "" {
			byRead[name] = append(byRead[name], took)
		}
		mu.Unlock()
		return err
	}
	c0, w0 := procstat.Self(), time.Now()
	// The leaderboards refresh as the service's defaults have them: the
	// short windows every 2 s, the long every 30 s (at once too, so that a
	// short phase measures one).
	every(2*time.Second, false, func() error {
		return timed(&refresh, "", func() error { return db.RefreshView(ctx, clickhouse.LeaderboardView) })
	})
	every(clickhouse.DefaultLeaderboardLongRefresh, true, func() error {
		return timed(&long, "", func() error { return db.RefreshView(ctx, clickhouse.LeaderboardLongView) })
	})
	// Each list takes turns through its reads by its own count: a shared
	// count let the app's reads shift the analysts' turns, so a short live
	// phase could skip one of their reads altogether.
	var appTurn, analystTurn atomic.Int64
	appReads := []liveRead{ // of a user
		{"balance", func(u uint64) error { _, err := st.Balance(ctx, u); return err }},
		{"orders", func(u uint64) error { _, _, err := st.Orders(ctx, u, rebate.FirstPage, 20); return err }},
		{"rank", func(u uint64) error { _, err := st.Rank(ctx, u, rebate.WindowAll, 5); return err }},
		{"leaderboard", func(uint64) error { _, err := st.Leaderboard(ctx, rebate.WindowDay, 10); return err }},
		{"product", func(u uint64) error {
			_, err := st.Product(ctx, 1+u%benchProducts)
			if rebate.ErrorCode(err) == rebate.ENOTFOUND {
				err = nil
			}
			return err
		}},
	}
	analystReads := []liveRead{ // of a merchant
		{"merchant-24h", func(m uint64) error { _, err := st.MerchantStats(ctx, m, rebate.WindowDay, time.Now()); return err }},
		{"merchant-all", func(m uint64) error { _, err := st.MerchantStats(ctx, m, rebate.WindowAll, time.Now()); return err }},
		{"minutely-60", func(uint64) error { _, err := st.Minutely(ctx, time.Now(), 60); return err }},
		{"minutely-1440", func(uint64) error { _, err := st.Minutely(ctx, time.Now(), 1440); return err }},
	}
	every(50*time.Millisecond, false, func() error {
		u, n := pick.User(), appTurn.Add(1)
		r := appReads[n%int64(len(appReads))]
		return timed(&app, r.name, func() error { return r.read(u) })
	})
	every(200*time.Millisecond, false, func() error {
		n := analystTurn.Add(1)
		r := analystReads[n%int64(len(analystReads))]
		return timed(&analyst, r.name, func() error { return r.read(1 + uint64(n)%benchMerchants) })
	})
	// The writer: each 250 ms tick, what the rate owes since the start, as
	// one batch; a slow batch makes the next one larger, as the ingester's
	// batches grow when it falls behind.
	tick := time.NewTicker(250 * time.Millisecond)
	var owed rebate.Changes
	var owedSince time.Time
	// The phase lasts cfg.live, and longer until every read has been timed
	// once: on a slow machine a read can take longer than its pace.
	untimed := func() (names []string) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range slices.Concat(appReads, analystReads) {
			if len(byRead[r.name]) == 0 {
				names = append(names, r.name)
			}
		}
		return names
	}
	for (time.Since(w0) < cfg.live || len(untimed()) > 0) && ctx.Err() == nil {
		if time.Since(w0) > cfg.live+time.Minute {
			fail(fmt.Errorf("live phase: reads %v not timed once a minute past its %s", untimed(), cfg.live))
			break
		}
		<-tick.C
		due := int(time.Since(w0).Seconds()*float64(cfg.rate)) - ingested
		if due <= 0 {
			continue
		}
		made := time.Now()
		ev := traffic.Chunk(due, made.Add(-250*time.Millisecond), 250*time.Millisecond)
		c, err := clickhousetest.InsertFigures(ctx, db, ev)
		if err != nil {
			fail(err)
			break
		}
		fresh = append(fresh, time.Since(made))
		ingested += len(ev)
		// The signals, as the ingester works them out: those of the
		// batches since, once a second (--signal-interval).
		if owedSince.IsZero() {
			owedSince = time.Now()
		}
		owed.Merge(c)
		if time.Since(owedSince) >= time.Second {
			if err := db.MaterializeSignals(ctx, owed); err != nil {
				fail(err)
				break
			}
			owed, owedSince = rebate.Changes{}, time.Time{}
		}
	}
	tick.Stop()
	wall := time.Since(w0)
	cancel()
	wg.Wait()
	cpu := procstat.Self() - c0
	if len(errs) > 0 {
		tb.Fatal(errs[0])
	}
	if ingested == 0 || len(refresh) == 0 || len(long) == 0 {
		tb.Fatalf("nothing measured in %s: %d events, %d and %d refreshes", wall, ingested, len(refresh), len(long))
	}
	return livePoint{
		ingested: ingested, rate: float64(ingested) / wall.Seconds(),
		freshP50: quantile(fresh, 0.5), freshP99: quantile(fresh, 0.99),
		refreshP50: quantile(refresh, 0.5), refreshMax: quantile(refresh, 1),
		longP50: quantile(long, 0.5), longMax: quantile(long, 1),
		appP99: quantile(app, 0.99), analystP99: quantile(analyst, 0.99), reads: len(app) + len(analyst),
		byRead:  readQuantiles(slices.Concat(appReads, analystReads), byRead),
		cpuPerM: procstat.PerMillion(cpu, ingested), cores: cpu.Seconds() / wall.Seconds(),
	}
}

// liveRead is one of the reads the live phase runs, by its name.
type liveRead struct {
	name string
	read func(id uint64) error
}

// readQuantiles is each read's p50 / p99 in ms, in reads' order.
func readQuantiles(reads []liveRead, by map[string][]time.Duration) string {
	var b strings.Builder
	for _, r := range reads {
		fmt.Fprintf(&b, "%s %s/%s; ", r.name, ms(quantile(by[r.name], 0.5)), ms(quantile(by[r.name], 0.99)))
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// quantile of ds (sorted in place); 0 for none.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

// procStatusMB reads a size field (kB) of /proc/self/status, in MB; NaN
// where there is none (not Linux).
func procStatusMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return math.NaN()
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return math.NaN()
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

func liveLine(p livePoint) string {
	return fmt.Sprintf("%.0f events/s, fresh p50/p99 %s/%s ms, refresh p50/max %s/%s ms (long %s/%s), app p99 %s ms, analyst p99 %s ms (%d reads), "+
		"%.1f CPU-s/M (%.2f cores), %.1f B/event on disk, RSS %.0f MB (peak %.0f); by read, p50/p99 ms: %s; engine connections: %s",
		p.rate, ms(p.freshP50), ms(p.freshP99), ms(p.refreshP50), ms(p.refreshMax), ms(p.longP50), ms(p.longMax), ms(p.appP99), ms(p.analystP99), p.reads,
		p.cpuPerM, p.cores, p.diskPerEvent, p.rssMB, p.hwmMB, p.byRead, p.waits)
}

// connWaits is how long the shared endpoint waited for one of its engine
// connections, by what for (select, insert, other, check; both pools
// together): a read that queues behind the writes' statements waits before
// it starts.
type connWaits map[string]chlocaltest.Waits

func readConnWaits(tb testing.TB) connWaits {
	w := connWaits{}
	for k, c := range chlocaltest.ConnectionWaits(tb, chlocaltest.Start(tb).Metrics) {
		w[k.Kind] = w[k.Kind].Add(c)
	}
	return w
}

func (w connWaits) since(w0 connWaits) connWaits {
	out := connWaits{}
	for k, c := range w {
		// A kind that took no connection in between says nothing.
		if d := c.Sub(w0[k]); d.Taken > 0 {
			out[k] = d
		}
	}
	return out
}

func (w connWaits) String() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(w)) {
		c := w[k]
		fmt.Fprintf(&b, "%s %d taken, %d after a wait (%d over 5 ms), %.2f s waited; ", k, c.Taken, c.Queued, c.Over5ms, c.Seconds)
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// liveTable is the points as the Markdown table docs/benchmarks.md shows.
func liveTable(points []livePoint) string {
	var b strings.Builder
	b.WriteString("| events stored | ingested/s | freshness p50 / p99 ms | refresh p50 / max ms (1h, 24h) | long refresh p50 / max ms (7d, 30d, all) | app p99 ms | analyst p99 ms | CPU-s per M events (cores) | disk B/event | RSS MB (peak) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, p := range points {
		fmt.Fprintf(&b, "| %s | %.0f | %s / %s | %s / %s | %s / %s | %s | %s | %.1f (%.2f) | %.1f | %.0f (%.0f) |\n",
			benchchart.Short(float64(p.events)), p.rate, ms(p.freshP50), ms(p.freshP99), ms(p.refreshP50), ms(p.refreshMax), ms(p.longP50), ms(p.longMax),
			ms(p.appP99), ms(p.analystP99), p.cpuPerM, p.cores, p.diskPerEvent, p.rssMB, p.hwmMB)
	}
	return b.String()
}

func writeLiveChart(path string, points []livePoint, rate int) error {
	col := func(f func(livePoint) float64) []float64 {
		out := make([]float64, len(points))
		for i, p := range points {
			out[i] = f(p)
		}
		return out
	}
	d := func(f func(livePoint) time.Duration) []float64 {
		return col(func(p livePoint) float64 { return float64(f(p).Microseconds()) / 1000 })
	}
	c := benchchart.Chart{
		Title:  fmt.Sprintf("Live: reads while ingesting %d events/s, leaderboards refreshing every 2 s (1h, 24h) and 30 s (7d, 30d, all) (make bench-live)", rate),
		XLabel: "events stored",
		X:      col(func(p livePoint) float64 { return float64(p.events) }),
		Panels: []benchchart.Panel{
			{Title: "Leaderboard refresh", Unit: "ms", Goal: 100, Series: []benchchart.Series{
				{Name: "p50", Y: d(func(p livePoint) time.Duration { return p.refreshP50 })},
				{Name: "max", Y: d(func(p livePoint) time.Duration { return p.refreshMax })},
				{Name: "long p50", Y: d(func(p livePoint) time.Duration { return p.longP50 })}}},
			{Title: "Read p99", Unit: "ms", Goal: 20, Series: []benchchart.Series{
				{Name: "app (goal 20)", Y: d(func(p livePoint) time.Duration { return p.appP99 })},
				{Name: "analyst (goal 50)", Y: d(func(p livePoint) time.Duration { return p.analystP99 })}}},
			{Title: "Freshness (made to priced)", Unit: "ms", Goal: 500, Series: []benchchart.Series{
				{Name: "p50", Y: d(func(p livePoint) time.Duration { return p.freshP50 })},
				{Name: "p99", Y: d(func(p livePoint) time.Duration { return p.freshP99 })}}},
			{Title: "CPU per million events", Unit: "CPU-s", Goal: 12, Series: []benchchart.Series{
				{Name: "whole process", Y: col(func(p livePoint) float64 { return p.cpuPerM })}}},
			{Title: "Disk", Unit: "bytes per event", Series: []benchchart.Series{
				{Name: "active parts", Y: col(func(p livePoint) float64 { return p.diskPerEvent })}}},
			{Title: "Memory (engine in process)", Unit: "MB", Series: []benchchart.Series{
				{Name: "RSS", Y: col(func(p livePoint) float64 { return p.rssMB })},
				{Name: "peak", Y: col(func(p livePoint) float64 { return p.hwmMB })}}},
		},
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("live chart: %w", err)
	}
	if err := c.WriteSVG(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
