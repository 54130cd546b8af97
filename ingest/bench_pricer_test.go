package ingest_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/kafka"
)

// The Kafka table engine stores events, and their views fill the raw
// tables, but nothing prices an order or works out a bucket or a fraud
// signal: the service's figures come from clickhouse.DB.Materialize, which
// rebate ingest runs after each insert. A user who picks the Kafka engine
// must run it too, so the priced baseline adds the least that does it: a
// pricer, this test binary run again as its own process (so its CPU is its
// own), consuming the same topic in a group of its own. It takes what
// arrived in up to 250 ms (100,000 records at most, the tuned engine's
// block), waits until the Kafka engine's group has committed past those
// records (the engine commits a block once its views have stored it), then
// runs Materialize on their changes and commits. Its group's commits are
// what the benchmark times: an event is done when it is priced, as for
// rebate ingest.

const (
	pricerEnv   = "REBATE_BENCH_PRICER" // brokers; the engine is REBATE_BENCH_PRICER_CH, its database REBATE_BENCH_PRICER_DB
	pricerGroup = "rebate-kafka-pricer"
)

// kafkaPriced starts the tuned Kafka engine and the pricer beside it.
func kafkaPriced(b *testing.B, bin string, kc kafka.Config, eng *engineProc, cfg clickhouse.Config) consuming {
	b.Helper()
	k := kafkaEngine(kafkaTuned)(b, bin, kc, eng, cfg).(kafkaRun)
	p := startSelf(b, "pricer (Kafka engine baseline)", pricerEnv+"="+strings.Join(kc.Brokers, ","),
		"REBATE_BENCH_PRICER_CH="+cfg.Addr, "REBATE_BENCH_PRICER_DB="+cfg.Database)
	return pricedRun{k: k, p: p}
}

type pricedRun struct {
	k kafkaRun
	p *proc
}

func (r pricedRun) cpu(b *testing.B) time.Duration { return r.p.cpu(b) }

// stop stops the pricer, then the Kafka engine; the pricer's peak RSS.
func (r pricedRun) stop(b *testing.B) int64 {
	rss := r.p.stop(b)
	r.k.stop(b)
	return rss
}

// pricer runs until SIGTERM; the exit status for os.Exit.
func pricer() int {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "pricer:", err); return 1 }
	db, err := clickhouse.Open(ctx, clickhouse.Config{Addr: os.Getenv("REBATE_BENCH_PRICER_CH"), Database: os.Getenv("REBATE_BENCH_PRICER_DB")})
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	opts, err := kafka.Config{Brokers: strings.Split(os.Getenv(pricerEnv), ",")}.Opts()
	if err != nil {
		return fail(err)
	}
	cl, err := kgo.NewClient(append(opts, kgo.ConsumerGroup(pricerGroup), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.FetchMaxWait(100*time.Millisecond))...)
	if err != nil {
		return fail(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for ctx.Err() == nil {
		recs := take(ctx, cl, 100_000, 250*time.Millisecond)
		if len(recs) == 0 {
			continue
		}
		var c rebate.Changes
		last := map[int32]int64{}
		for _, r := range recs {
			if e, err := rebate.Decode(r.Value); err == nil {
				c.Add(&e)
			}
			last[r.Partition] = max(last[r.Partition], r.Offset)
		}
		if err := waitStored(ctx, adm, last); err != nil {
			break
		}
		// Retried until it holds, as rebate ingest does (doing it twice
		// leaves every figure right).
		for ctx.Err() == nil {
			err := db.Materialize(ctx, c)
			if err == nil {
				break
			}
			fmt.Fprintln(os.Stderr, "pricer: materialize:", err)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
		if ctx.Err() != nil {
			break
		}
		if err := cl.CommitRecords(ctx, recs...); err != nil {
			fmt.Fprintln(os.Stderr, "pricer: commit:", err)
		}
	}
	return 0
}

// take polls up to n records, for at most d once the first has come.
func take(ctx context.Context, cl *kgo.Client, n int, d time.Duration) []*kgo.Record {
	var out []*kgo.Record
	var deadline time.Time
	for len(out) < n {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				break
			}
			pctx, cancel = context.WithTimeout(ctx, left)
		}
		fs := cl.PollRecords(pctx, n-len(out))
		cancel()
		out = append(out, fs.Records()...)
		if ctx.Err() != nil {
			return nil
		}
		if deadline.IsZero() && len(out) > 0 {
			deadline = time.Now().Add(d)
		}
	}
	return out
}

// waitStored polls until the Kafka engine's group has committed past last
// in every partition: the records are in events and its views.
func waitStored(ctx context.Context, adm *kadm.Client, last map[int32]int64) error {
	for {
		if n, err := behind(ctx, adm, kafkaEngineGroup, last); err == nil && n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond): // polling the broker's commits, bounded below
		}
	}
}
