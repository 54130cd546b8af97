package broker

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate/internal/procstat"
)

func start(t testing.TB, cfg Config) *Broker {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Start(cfg, ln, "events")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func client(t testing.TB, b *Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addrs()...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// TestSyncWritesSurviveRestart: with --kafka-sync the broker starts, takes
// records, and a broker started again on its folder serves them all.
func TestSyncWritesSurviveRestart(t *testing.T) {
	for _, sync := range []bool{true, false} {
		t.Run(fmt.Sprint("sync=", sync), func(t *testing.T) {
			cfg := Config{Partitions: 2, Dir: t.TempDir(), Sync: sync}
			b := start(t, cfg)
			var recs []*kgo.Record
			for i := range 100 {
				recs = append(recs, &kgo.Record{Topic: "events", Value: fmt.Appendf(nil, "r%d", i)})
			}
			if err := client(t, b).ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				t.Fatal(err)
			}
			b.Close()

			b = start(t, cfg)
			defer b.Close()
			cl := client(t, b, kgo.ConsumeTopics("events"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			seen := map[string]bool{}
			for len(seen) < len(recs) && ctx.Err() == nil {
				cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
			}
			if len(seen) != len(recs) {
				t.Fatalf("%d of %d records after a restart", len(seen), len(recs))
			}
		})
	}
}

// BenchmarkProduce measures what --kafka-sync costs: records acknowledged
// per second, in batches of 1000 and one at a time, with and without an
// fsync per write (docs/delivery.md records the figures).
//
//	go test -run '^$' -bench Produce -benchtime 3s ./embedded/broker/
func BenchmarkProduce(b *testing.B) {
	for _, sync := range []bool{false, true} {
		for _, batch := range []int{1000, 1} {
			b.Run(fmt.Sprintf("sync=%v/batch=%d", sync, batch), func(b *testing.B) {
				br := start(b, Config{Partitions: 1, Dir: b.TempDir(), Sync: sync})
				defer br.Close()
				cl := client(b, br, kgo.ProducerLinger(0))
				recs := make([]*kgo.Record, batch)
				for i := range recs {
					recs[i] = &kgo.Record{Topic: "events", Value: make([]byte, 200)}
				}
				ctx := context.Background()
				b.ResetTimer()
				cpu := procstat.Self() // the broker and its client, both in this process
				for range b.N {
					if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
				b.ReportMetric(procstat.PerMillion(procstat.Self()-cpu, b.N*batch), "cpu-s/M-records")
			})
		}
	}
}
