package clickhouse_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
)

// benchData is one database loaded for the query benchmarks.
var benchData struct {
	once    sync.Once
	err     error
	st      *clickhouse.Store
	now     time.Time
	users   int
	loadLog string
}

const (
	benchUsers     = 100_000
	benchMerchants = 300
	benchProducts  = 50_000
	benchChunk     = 100_000
)

// BenchmarkQueries loads REBATE_BENCH_EVENTS events (default 10,000,000)
// spread over 30 days, lets merges settle, then times each query; -benchtime
// sets the calls per query. Reported: p50 and p99 in milliseconds.
//
//	go test -run '^$' -bench Queries -benchtime 1000x -timeout 60m ./clickhouse/
func BenchmarkQueries(b *testing.B) {
	benchData.once.Do(func() { benchData.err = loadBench(b) })
	if benchData.err != nil {
		b.Fatal(benchData.err)
	}
	b.Log(benchData.loadLog)
	st, now, ctx := benchData.st, benchData.now, context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.1, 50, benchUsers-1)
	user := func() uint64 { return zipf.Uint64() + 1 }
	cases := []struct {
		name string
		call func() error
	}{
		{"get_balance", func() error { _, err := st.Balance(ctx, user()); return err }},
		{"list_user_orders/limit=20", func() error { _, err := st.Orders(ctx, user(), clickhouse.FirstPage, 20); return err }},
		{"get_leaderboard/24h/limit=10", func() error { _, err := st.Leaderboard(ctx, rebate.WindowDay, 10); return err }},
		{"get_leaderboard/all/limit=100", func() error { _, err := st.Leaderboard(ctx, rebate.WindowAll, 100); return err }},
		{"get_user_rank/all/neighbors=5", func() error { _, err := st.Rank(ctx, user(), rebate.WindowAll, 5); return err }},
		{"get_product", func() error {
			_, err := st.Product(ctx, uint64(1+rng.IntN(benchProducts)))
			if rebate.ErrorCode(err) == rebate.ENOTFOUND {
				err = nil
			}
			return err
		}},
		{"get_merchant_stats/24h", func() error {
			_, err := st.MerchantStats(ctx, uint64(1+rng.IntN(benchMerchants)), rebate.WindowDay, now)
			return err
		}},
		{"get_merchant_stats/all", func() error {
			_, err := st.MerchantStats(ctx, uint64(1+rng.IntN(benchMerchants)), rebate.WindowAll, now)
			return err
		}},
		{"list_minutely_kpis/60", func() error { _, err := st.Minutely(ctx, now, 60); return err }},
		{"list_minutely_kpis/1440", func() error { _, err := st.Minutely(ctx, now, 1440); return err }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				if err := c.call(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			ms := func(q float64) float64 {
				return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}

func loadBench(b *testing.B) error {
	total := 10_000_000
	if s := os.Getenv("REBATE_BENCH_EVENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < benchChunk {
			return fmt.Errorf("REBATE_BENCH_EVENTS=%q: want an integer >= %d", s, benchChunk)
		}
		total = n
	}
	ctx := context.Background()
	db, st := openStore(b, migrated(b))
	benchData.st = st
	benchData.now = time.Now().UTC().Truncate(time.Millisecond)
	gen := newBenchGen(benchData.now, total/benchChunk)
	start := time.Now()
	loaded := 0
	for chunk := 0; loaded < total; chunk++ {
		events := gen.chunk(chunk)
		if err := db.InsertEvents(ctx, events, nil, clickhouse.InsertOptions{}); err != nil {
			return err
		}
		loaded += len(events)
	}
	insert := time.Since(start)
	// Measure the steady state, not a backlog of unmerged parts.
	settle := time.Now()
	for quiet := 0; quiet < 3 && time.Since(settle) < 5*time.Minute; {
		var merges uint64
		if err := db.Conn().QueryRow(ctx, "SELECT count() FROM system.merges WHERE database = currentDatabase()").Scan(&merges); err != nil {
			return err
		}
		if merges == 0 {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(time.Second)
	}
	if err := st.RefreshLeaderboard(ctx); err != nil {
		return err
	}
	var orders, parts uint64
	_ = db.Conn().QueryRow(ctx, "SELECT count() FROM orders_by_user FINAL").Scan(&orders)
	_ = db.Conn().QueryRow(ctx, "SELECT count() FROM system.parts WHERE database = currentDatabase() AND active").Scan(&parts)
	benchData.loadLog = fmt.Sprintf("loaded %d events in %s (%.0f events/s, all views), merges settled in %s; %d orders, %d active parts",
		loaded, insert.Round(time.Millisecond), float64(loaded)/insert.Seconds(), time.Since(settle).Round(time.Second), orders, parts)
	return nil
}

// benchGen makes chunks of events shaped like the app's traffic: skewed
// users and merchants, mostly clicks, orders that settle, void or reverse in
// later chunks, withdrawals and product updates, over 30 days up to now.
type benchGen struct {
	rng       *rand.Rand
	users     *rand.Zipf
	merchants *rand.Zipf
	now       time.Time
	chunks    int
	open      []rebate.Event // paid orders awaiting their outcome
	settled   []rebate.Event // settled orders that may still be reversed
	pending   []rebate.Event // requested withdrawals
	seq       int
}

func newBenchGen(now time.Time, chunks int) *benchGen {
	rng := rand.New(rand.NewPCG(42, 43))
	return &benchGen{
		rng: rng,
		// Heavy tails without one user owning a fifth of everything: the most
		// active user has about 0.2% of the orders, the top merchant ~10%.
		users:     rand.NewZipf(rng, 1.1, 50, benchUsers-1),
		merchants: rand.NewZipf(rng, 1.2, 5, benchMerchants-1),
		now:       now,
		chunks:    max(chunks, 1),
	}
}

func (g *benchGen) id() string {
	g.seq++
	return "b" + strconv.Itoa(g.seq)
}

func (g *benchGen) chunk(c int) []rebate.Event {
	span := 30 * 24 * time.Hour
	from := g.now.Add(-span + time.Duration(c)*span/time.Duration(g.chunks))
	width := span / time.Duration(g.chunks)
	at := func() time.Time {
		return from.Add(time.Duration(g.rng.Int64N(int64(width)))).Truncate(time.Millisecond)
	}
	out := make([]rebate.Event, 0, benchChunk)
	for range 70_000 {
		m := g.merchants.Uint64() + 1
		out = append(out, rebate.Event{ID: g.id(), Type: rebate.Click, TS: at(), UserID: g.users.Uint64() + 1,
			MerchantID: m, ProductID: 1 + (m*167+uint64(g.rng.IntN(100)))%benchProducts})
	}
	// Outcomes of earlier orders first, so they land in later chunks.
	outcome := func(o rebate.Event, t rebate.EventType) rebate.Event {
		o.ID, o.Type, o.TS = g.id(), t, at()
		return o
	}
	open := g.open
	g.open = nil
	for _, o := range open {
		switch r := g.rng.IntN(100); {
		case r < 75:
			s := outcome(o, rebate.OrderSettled)
			out = append(out, s)
			g.settled = append(g.settled, s)
		case r < 90:
			out = append(out, outcome(o, rebate.OrderCancelled))
		}
	}
	for _, s := range g.settled[:min(300, len(g.settled))] {
		out = append(out, outcome(s, rebate.OrderReversed))
	}
	g.settled = g.settled[min(300, len(g.settled)):]
	for len(out) < 84_000 {
		amount := rebate.Money(100 + g.rng.Int64N(500_000))
		t := at()
		o := rebate.Event{ID: g.id(), Type: rebate.OrderPaid, TS: t, OrderID: g.id(), UserID: g.users.Uint64() + 1,
			MerchantID: g.merchants.Uint64() + 1, ProductID: uint64(1 + g.rng.IntN(benchProducts)),
			Amount: amount, Commission: amount * rebate.Money(2+g.rng.IntN(9)) / 100, PlacedAt: t}
		out = append(out, o)
		g.open = append(g.open, o)
	}
	for _, w := range g.pending {
		t := rebate.WithdrawalCompleted
		if g.rng.IntN(10) == 0 {
			t = rebate.WithdrawalFailed
		}
		w.ID, w.Type, w.TS = g.id(), t, at()
		out = append(out, w)
	}
	g.pending = nil
	for range 1_500 {
		w := rebate.Event{ID: g.id(), Type: rebate.WithdrawalRequested, TS: at(), WithdrawalID: g.id(),
			UserID: g.users.Uint64() + 1, Amount: rebate.Money(100 + g.rng.Int64N(10_000))}
		out = append(out, w)
		if g.rng.IntN(10) < 9 {
			g.pending = append(g.pending, w)
		}
	}
	for len(out) < benchChunk {
		out = append(out, rebate.Event{ID: g.id(), Type: rebate.ProductUpdated, TS: at(),
			ProductID: uint64(1 + g.rng.IntN(benchProducts)), MerchantID: g.merchants.Uint64() + 1,
			Price: rebate.Money(100 + g.rng.Int64N(100_000)), Stock: uint32(g.rng.IntN(1000)),
			CommissionRate: rebate.Rate(g.rng.IntN(2000))})
	}
	return out
}
