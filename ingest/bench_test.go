package ingest_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/procstat"
	"github.com/rebatehq/rebate/internal/testenv"
	"github.com/rebatehq/rebate/kafka"
)

// BenchmarkPipeline measures the whole path on this machine, for each
// consumer of the same topic into the same schema: `rebate ingest`
// (ingester "rebate") and, as the baseline, ClickHouse's own Kafka table
// engine with a materialized view into events, tuned and with its defaults
// (bench_kafka_test.go), and tuned with the pricer a user of it must add to
// get the service's figures (kafka-priced, bench_pricer_test.go: the same
// work as rebate ingest; each run logs the orders it priced). The engine
// (`rebate chlocal`, fresh data, every migration applied, the leaderboard
// refresh hourly as in the tests) and the ingester run as their own
// processes; the broker (kfake, 4 partitions) in this one. All share the 2
// cores.
//
//	go test -run '^$' -bench Pipeline -benchtime 1x -count 5 -timeout 60m -v ./ingest/
//
// bulk: REBATE_BENCH_EVENTS (default 2,000,000) events of eventgen.Traffic
// produced first, then consumed until the group committed them all:
// events/s, CPU-seconds per million events of each process over that window
// (and of the engine until its merges settled), the ingester's peak RSS.
// steady: 20,000 events/s. After a 5 s warm-up, 30 s with a marker click
// every 50 ms timed from its produce until the group committed past it (a
// commit follows the insert; the probe costs the engine nothing), over which
// CPU is measured; then 30 s with the markers timed until a query sees them
// (a poll of ClickHouse every 10 ms): freshness as a reader sees it.
//
// REBATE_BENCH_INGESTERS picks consumers (comma-separated: rebate,
// kafka-priced, kafka-tuned, kafka-defaults; default all); REBATE_BENCH_BIN
// runs another build of rebate (an older commit, for a before/after).
func BenchmarkPipeline(b *testing.B) {
	bin := buildRebate(b)
	total := testenv.Int(b, "REBATE_BENCH_EVENTS", 2_000_000)
	for _, c := range consumers(b) {
		b.Run("bulk/"+c.name, func(b *testing.B) {
			for b.Loop() {
				benchBulk(b, bin, c, total)
			}
		})
	}
	for _, c := range consumers(b) {
		b.Run("steady/"+c.name, func(b *testing.B) {
			for b.Loop() {
				benchSteady(b, bin, c, 20_000)
			}
		})
	}
}

// consumer is one way of getting the topic into ClickHouse.
type consumer struct {
	name string
	// start begins consuming kc's events topic into the engine's database.
	start func(b *testing.B, bin string, kc kafka.Config, eng *engineProc, cfg clickhouse.Config) consuming
	// group is the consumer group whose commits say what is stored.
	group string
	// helper: the engine is the helper (startEngineHelper), not rebate chlocal.
	helper bool
	// process names the consumer's own process, whose CPU is counted
	// ("" when it consumes inside the engine).
	process string
}

// consuming is a started consumer.
type consuming interface {
	// cpu is what the consumer's own process used so far (0 if it has none).
	cpu(b *testing.B) time.Duration
	// stop ends it; for a process, its peak RSS in KB.
	stop(b *testing.B) int64
}

func consumers(b *testing.B) []consumer {
	all := []consumer{
		{name: "rebate", group: kafka.DefaultGroup, start: startRebateIngest, process: "ingester"},
		{name: "kafka-priced", group: pricerGroup, helper: true, start: kafkaPriced, process: "pricer"},
		{name: "kafka-tuned", group: kafkaEngineGroup, helper: true, start: kafkaEngine(kafkaTuned)},
		{name: "kafka-defaults", group: kafkaEngineGroup, helper: true, start: kafkaEngine(nil)},
	}
	want := os.Getenv("REBATE_BENCH_INGESTERS")
	if want == "" {
		return all
	}
	var out []consumer
	for _, c := range all {
		if slices.Contains(strings.Split(want, ","), c.name) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		b.Fatalf("REBATE_BENCH_INGESTERS=%q: want some of rebate, kafka-priced, kafka-tuned, kafka-defaults", want)
	}
	return out
}

type ingestRun struct{ p *proc }

func startRebateIngest(b *testing.B, bin string, kc kafka.Config, _ *engineProc, cfg clickhouse.Config) consuming {
	return ingestRun{startIngestProc(b, bin, kc, cfg, strings.Fields(os.Getenv("REBATE_BENCH_INGEST_ENV"))...)}
}

func (r ingestRun) cpu(b *testing.B) time.Duration { return r.p.cpu(b) }
func (r ingestRun) stop(b *testing.B) int64        { return r.p.stop(b) }

// setup starts the engine c needs with a migrated database "rebate".
func setup(b *testing.B, bin string, c consumer) (*engineProc, clickhouse.Config) {
	b.Helper()
	var eng *engineProc
	if c.helper {
		eng = startEngineHelper(b)
	} else {
		eng = startEngine(b, bin)
	}
	cfg := clickhouse.Config{Addr: eng.addr, Database: "rebate"}
	ctx := context.Background()
	m, err := clickhouse.NewMigrator(ctx, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if err := m.Up(); err != nil {
		b.Fatal(err)
	}
	// Refreshing the leaderboards is the schema's cost, not the ingester's.
	if err := m.SetLeaderboardRefresh(ctx, time.Hour, time.Hour); err != nil {
		b.Fatal(err)
	}
	return eng, cfg
}

func benchBulk(b *testing.B, bin string, c consumer, total int) {
	kc := newCluster(b)
	eng, cfg := setup(b, bin, c)
	traffic := eventgen.NewTraffic(1, 100_000, 300, 50_000)
	now := time.Now()
	cl := client(b, kc, kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(200_000))
	for produced := 0; produced < total; {
		chunk := traffic.Chunk(min(50_000, total-produced), now.Add(-24*time.Hour), 24*time.Hour)
		if err := cl.ProduceSync(context.Background(), records(chunk)...).FirstErr(); err != nil {
			b.Fatal(err)
		}
		produced += len(chunk)
	}
	engine0, self0, start := eng.cpu(b), procstat.Self(), time.Now()
	r := c.start(b, bin, kc, eng, cfg)
	waitGroupCommitted(b, kc, c.group, 30*time.Minute)
	took := time.Since(start)
	engineCPU, selfUsed, consumerCPU := eng.cpu(b)-engine0, procstat.Self()-self0, r.cpu(b)
	rss := r.stop(b)
	db, err := clickhouse.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	settled := settleMerges(b, db)
	engineSettled := eng.cpu(b) - engine0
	work := pricedWork(b, db)
	db.Close()
	engineRSS := eng.stop(b)
	var u usage
	if c.process != "" {
		u.add(c.process, consumerCPU)
	}
	u.add("engine", engineCPU)
	u.add("broker", selfUsed)
	b.ReportMetric(float64(total)/took.Seconds(), "events/s")
	line := u.report(b, total)
	b.ReportMetric(procstat.PerMillion(u.total()-engineCPU+engineSettled, total), "cpu-s/M-settled")
	if rss > 0 {
		b.ReportMetric(float64(rss)/1024, c.process+"-peak-rss-MB")
	}
	b.ReportMetric(float64(engineRSS)/1024, "engine-peak-rss-MB")
	peaks := fmt.Sprintf("engine peak RSS %d MB", engineRSS/1024)
	if c.process != "" {
		peaks = fmt.Sprintf("%s peak RSS %d MB, %s", c.process, rss/1024, peaks)
	}
	b.Logf("%s: %d events in %s: %.0f events/s; %s; engine until merges settled (%s later) %.2f; %s; %s",
		c.name, total, took.Round(time.Millisecond), float64(total)/took.Seconds(), line, settled.Round(time.Second),
		procstat.PerMillion(engineSettled, total), peaks, work)
}

// pricedWork says what the consumer's run priced, so that runs which do
// the same work can be told from those that do not (the Kafka engine alone
// prices nothing): the orders priced and their rebate.
func pricedWork(b *testing.B, db *clickhouse.DB) string {
	b.Helper()
	var orders uint64
	var reb string
	if err := db.Conn().QueryRow(context.Background(), "SELECT count(), toString(sum(rebate)) FROM order_prices FINAL").Scan(&orders, &reb); err != nil {
		b.Fatal(err)
	}
	return fmt.Sprintf("%d orders priced, rebate %s", orders, reb)
}

// settleMerges waits (at most a minute) until the database has no merge
// running, and says how long that took.
func settleMerges(b *testing.B, db *clickhouse.DB) time.Duration {
	b.Helper()
	start := time.Now()
	for quiet := 0; quiet < 3 && time.Since(start) < time.Minute; {
		var n uint64
		if err := db.Conn().QueryRow(context.Background(), "SELECT count() FROM system.merges WHERE database = currentDatabase()").Scan(&n); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(200 * time.Millisecond) // polling the merge count, bounded above
	}
	return time.Since(start)
}

func benchSteady(b *testing.B, bin string, c consumer, rate int) {
	kc := newCluster(b)
	eng, cfg := setup(b, bin, c)
	db, err := clickhouse.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r := c.start(b, bin, kc, eng, cfg)
	load := startLoad(b, kc, rate)
	defer load.stop()
	load.markers(b, kc, c.group, nil, 5*time.Second) // warm-up: the consumer joins, the tables have parts
	engine0, self0, consumer0, n0 := eng.cpu(b), procstat.Self(), r.cpu(b), load.sent()
	committed := load.markers(b, kc, c.group, nil, 30*time.Second)
	events := load.sent() - n0
	var u usage
	if c.process != "" {
		u.add(c.process, r.cpu(b)-consumer0)
	}
	u.add("engine", eng.cpu(b)-engine0)
	u.add("broker", procstat.Self()-self0)
	visible := load.markers(b, kc, c.group, db, 30*time.Second)
	load.stop()
	rss := r.stop(b)
	eng.stop(b)
	line := u.report(b, events)
	cp50, cp99 := quantile(committed, 0.5), quantile(committed, 0.99)
	vp50, vp99 := quantile(visible, 0.5), quantile(visible, 0.99)
	b.ReportMetric(cp50, "committed-p50-ms")
	b.ReportMetric(cp99, "committed-p99-ms")
	b.ReportMetric(vp50, "visible-p50-ms")
	b.ReportMetric(vp99, "visible-p99-ms")
	if rss > 0 {
		b.ReportMetric(float64(rss)/1024, c.process+"-peak-rss-MB")
	}
	b.Logf("%s at %d events/s: %s; produce to committed p50 %.0f ms, p99 %.0f ms (%d markers); to visible in a query p50 %.0f ms, p99 %.0f ms (%d markers)",
		c.name, rate, line, cp50, cp99, len(committed), vp50, vp99, len(visible))
}

// quantile of latencies, in milliseconds.
func quantile(lat []time.Duration, q float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return float64(s[int(q*float64(len(s)-1))].Microseconds()) / 1000
}

// load produces rate events/s of eventgen.Traffic until stopped.
type load struct {
	cl     *kgo.Client
	n      sync.Mutex
	count  int
	cancel context.CancelFunc
	done   chan struct{}
}

func startLoad(b *testing.B, kc kafka.Config, rate int) *load {
	l := &load{cl: client(b, kc, kgo.ProducerLinger(time.Millisecond)), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = sync.OnceFunc(cancel)
	traffic := eventgen.NewTraffic(2, 100_000, 300, 50_000)
	go func() {
		defer close(l.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		start := time.Now()
		for {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
			// Catch up on ticks the scheduler delayed: the rate holds.
			due := int(time.Since(start).Seconds()*float64(rate)) - l.sent()
			if due <= 0 {
				continue
			}
			now := time.Now()
			for _, r := range records(traffic.Chunk(due, now.Add(-time.Minute), time.Minute)) {
				l.cl.Produce(context.Background(), r, nil)
			}
			l.n.Lock()
			l.count += due
			l.n.Unlock()
		}
	}()
	return l
}

func (l *load) sent() int {
	l.n.Lock()
	defer l.n.Unlock()
	return l.count
}

func (l *load) stop() {
	l.cancel()
	<-l.done
}

// markers sends a marker click (merchant 999999) every 50 ms for d and
// times each from its produce until the group committed past it, or, with
// db, until a query of db sees it (a poll every 10 ms).
func (l *load) markers(b *testing.B, kc kafka.Config, group string, db *clickhouse.DB, d time.Duration) []time.Duration {
	b.Helper()
	adm := kadm.NewClient(l.cl)
	type marker struct {
		at     time.Time
		ts     int64 // ms, for the query
		part   int32
		offset int64
		seen   bool
	}
	var (
		mu      sync.Mutex
		pending []*marker
		lat     []time.Duration
	)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
			var newest int64
			var commits kadm.OffsetResponses
			if db != nil {
				var t time.Time
				if err := db.Conn().QueryRow(context.Background(), "SELECT max(ts) FROM clicks WHERE merchant_id = 999999").Scan(&t); err != nil {
					continue
				}
				newest = t.UnixMilli()
			} else {
				var err error
				if commits, err = adm.FetchOffsets(context.Background(), group); err != nil {
					continue
				}
			}
			now := time.Now()
			mu.Lock()
			for _, m := range pending {
				if m.seen {
					continue
				}
				if db != nil {
					m.seen = m.ts <= newest
				} else if c, ok := commits.Lookup(topic, m.part); ok {
					m.seen = c.At > m.offset
				}
				if m.seen {
					lat = append(lat, now.Sub(m.at))
				}
			}
			pending = slices.DeleteFunc(pending, func(m *marker) bool { return m.seen })
			mu.Unlock()
		}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-tick.C:
		case <-ctx.Done():
			<-probeDone
			// A marker still unseen after 5 s counts with its age, a lower
			// bound: a consumer that stalls must not read as fast (markers
			// sent in the window's last seconds are left out, as before).
			end, stalled := time.Now(), 0
			for _, m := range pending {
				if age := end.Sub(m.at); age > 5*time.Second {
					lat = append(lat, age)
					stalled++
				}
			}
			if stalled > 0 {
				b.Logf("%d markers unseen after 5 s or more: counted with their age at the window's end (a lower bound)", stalled)
			}
			return lat
		}
		now := time.Now()
		// A fresh ts per marker, later than any before: max(ts) names it.
		ts := now.Truncate(time.Millisecond)
		e := rebate.Event{ID: fmt.Sprintf("marker-%d-%d", now.UnixNano(), i), Type: rebate.Click, TS: ts, UserID: 1, MerchantID: 999_999, ProductID: 1}
		m := &marker{at: now, ts: ts.UnixMilli()}
		rec := records([]rebate.Event{e})[0]
		if db == nil {
			res := l.cl.ProduceSync(context.Background(), rec)
			if err := res.FirstErr(); err != nil {
				b.Fatal(err)
			}
			m.part, m.offset = res[0].Record.Partition, res[0].Record.Offset
		} else {
			l.cl.Produce(context.Background(), rec, nil)
		}
		mu.Lock()
		pending = append(pending, m)
		mu.Unlock()
	}
}
