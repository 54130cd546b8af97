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

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/procstat"
)

// benchData is one database loaded for the query benchmarks.
var benchData struct {
	once    sync.Once
	err     error
	db      *clickhouse.DB
	st      *clickhouse.Store
	now     time.Time
	users   int
	loadLog string
}

const (
	benchUsers     = clickhousetest.BenchUsers
	benchMerchants = clickhousetest.BenchMerchants
	benchProducts  = clickhousetest.BenchProducts
)

// BenchmarkQueries loads REBATE_BENCH_EVENTS events (default 10,000,000)
// spread over 30 days, lets merges settle, then times each query, and the
// leaderboards' refresh; -benchtime sets the calls per query. Reported: p50
// and p99 in milliseconds, and the median CPU of a call (the engine runs in
// this process, so it is the whole cost on an idle engine).
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
	// Users are asked about as often as they are active.
	pick := eventgen.NewTraffic(7, benchUsers, benchMerchants, benchProducts)
	user := pick.User
	type benchCase struct {
		name string
		call func() error
	}
	cases := []benchCase{
		{"get_balance", func() error { _, err := st.Balance(ctx, user()); return err }},
		{"list_user_orders/limit=20", func() error { _, _, err := st.Orders(ctx, user(), rebate.FirstPage, 20); return err }},
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
		{"refresh_leaderboards", func() error { return st.RefreshLeaderboard(ctx) }},
		// Each view alone: the short windows every 2 s, the long every 30 s.
		{"refresh_leaderboards/short", func() error { return benchData.db.RefreshView(ctx, clickhouse.LeaderboardView) }},
		{"refresh_leaderboards/long", func() error { return benchData.db.RefreshView(ctx, clickhouse.LeaderboardLongView) }},
	}
	// The refresh piece by piece: each view's SELECT alone (the rest of a
	// refresh is writing the ranks), and the figures they read. The SELECT's
	// rows are hashed, not counted: for count() alone the engine leaves the
	// ranks out, about a third of the SELECT at 30 M events.
	views := viewSelects(b, benchData.db)
	hashed := func(view string) string {
		return "SELECT count(), sum(cityHash64(period, rank, user_id, rebate)) FROM (" + views[view] + ")"
	}
	const window = "WITH now64(3, 'UTC') AS as_of, toDateTime64(toStartOfDay(as_of), 3, 'UTC') AS today "
	for _, p := range []struct{ name, sql string }{
		{"select_short", hashed(clickhouse.LeaderboardView)},
		{"select_long", hashed(clickhouse.LeaderboardLongView)},
		{"last_day_orders", window + "SELECT count() FROM (SELECT user_id, sum(rebate) FROM order_prices FINAL " +
			"WHERE placed_at >= as_of - INTERVAL 24 HOUR AND placed_at < as_of + INTERVAL 1 MILLISECOND AND state IN (1, 2) GROUP BY user_id)"},
		{"user_days_30d", window + "SELECT count(), sum(rebate) FROM user_days FINAL WHERE day > toDate(as_of - INTERVAL 30 DAY) AND day < toDate(today)"},
		{"user_totals", "SELECT count(), sum(rebate) FROM user_totals FINAL"},
	} {
		cases = append(cases, benchCase{"refresh_leaderboards/" + p.name, func() error {
			rows, err := benchData.db.Conn().Query(ctx, p.sql)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
			}
			return rows.Err()
		}})
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			cpu := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0, c0 := time.Now(), procstat.Self()
				if err := c.call(); err != nil {
					b.Fatal(err)
				}
				lat, cpu = append(lat, time.Since(t0)), append(cpu, procstat.Self()-c0)
			}
			slices.Sort(lat)
			slices.Sort(cpu)
			ms := func(d []time.Duration, q float64) float64 {
				return float64(d[min(len(d)-1, int(q*float64(len(d))))].Microseconds()) / 1000
			}
			b.ReportMetric(ms(lat, 0.50), "p50-ms")
			b.ReportMetric(ms(lat, 0.99), "p99-ms")
			b.ReportMetric(ms(cpu, 0.50), "cpu-ms/op")
		})
	}
}

func loadBench(b *testing.B) error {
	total := 10_000_000
	if s := os.Getenv("REBATE_BENCH_EVENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100_000 {
			return fmt.Errorf("REBATE_BENCH_EVENTS=%q: want an integer >= 100000", s)
		}
		total = n
	}
	db, st := openStore(b, migrated(b))
	benchData.db, benchData.st = db, st
	benchData.now = time.Now().UTC().Truncate(time.Millisecond)
	benchData.loadLog = clickhousetest.LoadTraffic(b, db, st, total, benchData.now)
	return nil
}

// BenchmarkSQLFence is what checking an analyst's statement costs: the same
// point read through Store.SQL (text check, EXPLAIN AST, the database list,
// then the query) and sent as it is, on a small database.
//
//	go test -run '^$' -bench SQLFence -benchtime 300x ./clickhouse/
func BenchmarkSQLFence(b *testing.B) {
	db, st := openStore(b, migrated(b))
	ctx := context.Background()
	const sql = "SELECT count() FROM events FINAL WHERE user_id = {u:UInt64}"
	lim := rebate.QueryLimits{Timeout: 5 * time.Second, MaxRows: 10}
	b.Run("checked", func(b *testing.B) {
		defer reportCPUPerOp(b, procstat.Self())
		for range b.N {
			ans, err := st.SQL(ctx, rebate.SQLRequest{SQL: sql, Args: map[string]string{"u": "1"}, Format: "CSV", Limits: lim})
			if err != nil {
				b.Fatal(err)
			}
			ans.Body.Close()
		}
	})
	b.Run("unchecked", func(b *testing.B) {
		defer reportCPUPerOp(b, procstat.Self())
		for range b.N {
			body, err := db.Conn().QueryFormat(ch.Context(ctx, ch.WithParameters(ch.Parameters{"u": "1"})), "CSV", sql)
			if err != nil {
				b.Fatal(err)
			}
			body.Close()
		}
	})
}

// reportCPUPerOp reports, when the benchmark ends, the CPU this process
// (client and engine together) spent per operation since cpu0.
func reportCPUPerOp(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(procstat.PerOp(procstat.Self()-cpu0, b.N).Microseconds())/1000, "cpu-ms/op")
}
