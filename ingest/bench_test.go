package ingest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/kafka"
)

// BenchmarkPipeline measures the whole path on this machine: events in an
// in-process Kafka (kfake), consumed by `rebate ingest` running as its own
// process, stored by the embedded ClickHouse with every view. All three share
// the 2 cores.
//
//	go test -run '^$' -bench Pipeline -benchtime 1x -timeout 30m -v ./ingest/
//
// throughput: REBATE_BENCH_EVENTS (default 2,000,000) events produced first,
// then ingested; reports events/s and the ingester's peak RSS.
// freshness: 20,000 events/s produced for 30 s while marker events are
// timed from produce to visible in a query; reports p50 and p99.
func BenchmarkPipeline(b *testing.B) {
	bin := buildRebate(b)
	b.Run("throughput", func(b *testing.B) {
		total := 2_000_000
		if s := os.Getenv("REBATE_BENCH_EVENTS"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				total = n
			}
		}
		kc := newCluster(b)
		cfg := clickhousetest.Migrated(b)
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
		for b.Loop() {
			start := time.Now()
			p := startIngest(b, bin, kc, cfg)
			waitCommitted(b, kc, 20*time.Minute)
			took := time.Since(start)
			rss := p.stop(b)
			b.ReportMetric(float64(total)/took.Seconds(), "events/s")
			b.ReportMetric(float64(rss)/1024, "peak-rss-MB")
			b.Logf("%d events in %s: %.0f events/s; ingester peak RSS %d MB", total, took.Round(time.Millisecond),
				float64(total)/took.Seconds(), rss/1024)
		}
	})
	b.Run("freshness", func(b *testing.B) {
		kc := newCluster(b)
		cfg := clickhousetest.Migrated(b)
		db, _ := clickhousetest.OpenStore(b, cfg)
		for b.Loop() {
			p := startIngest(b, bin, kc, cfg)
			lat := paced(b, kc, db, 20_000, 30*time.Second)
			p.stop(b)
			slices.Sort(lat)
			q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.Logf("%d markers at 20,000 events/s: produce to visible p50 %.0f ms, p99 %.0f ms, max %.0f ms", len(lat), q(0.5), q(0.99), q(1))
		}
	})
}

// paced produces rate events/s for d with a marker click (merchant 999999)
// every 50 ms, and polls ClickHouse every 10 ms for the newest marker seen:
// each marker's latency is from its produce to the poll that found it.
func paced(b *testing.B, kc kafka.Config, db *clickhouse.DB, rate int, d time.Duration) []time.Duration {
	cl := client(b, kc, kgo.ProducerLinger(time.Millisecond))
	traffic := eventgen.NewTraffic(2, 100_000, 300, 50_000)
	var mu sync.Mutex
	sent := map[int64]time.Time{} // marker ts (ms) -> produce time
	var lat []time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	done := make(chan struct{})
	go func() { // the prober
		defer close(done)
		seen := int64(0)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
			var newest time.Time
			if err := db.Conn().QueryRow(context.Background(), "SELECT max(ts) FROM clicks WHERE merchant_id = 999999").Scan(&newest); err != nil {
				continue
			}
			now := time.Now()
			mu.Lock()
			for ms, at := range sent {
				if ms > seen && ms <= newest.UnixMilli() {
					lat = append(lat, now.Sub(at))
					delete(sent, ms)
				}
			}
			seen = max(seen, newest.UnixMilli())
			mu.Unlock()
		}
	}()
	perTick := rate / 100
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	lastMarker := time.Now()
	for i := 0; ; i++ {
		select {
		case <-tick.C:
		case <-ctx.Done():
			<-done
			return lat
		}
		now := time.Now()
		for _, r := range records(traffic.Chunk(perTick, now.Add(-time.Minute), time.Minute)) {
			cl.Produce(context.Background(), r, nil)
		}
		if now.Sub(lastMarker) >= 50*time.Millisecond {
			lastMarker = now
			ts := now.Truncate(time.Millisecond)
			m := rebate.Event{ID: fmt.Sprintf("marker-%d", i), Type: rebate.Click, TS: ts, UserID: 1, MerchantID: 999_999, ProductID: 1}
			mu.Lock()
			sent[ts.UnixMilli()] = time.Now()
			mu.Unlock()
			cl.Produce(context.Background(), records([]rebate.Event{m})[0], nil)
		}
	}
}

type ingestProc struct {
	cmd  *exec.Cmd
	done chan error
}

func startIngest(b *testing.B, bin string, kc kafka.Config, cfg clickhouse.Config) *ingestProc {
	cmd := exec.Command(bin, "ingest", "--kafka-brokers", kc.Brokers[0], "--clickhouse-addr", cfg.Addr,
		"--clickhouse-database", cfg.Database, "--metrics-listen", "", "--log-level", "warn")
	cmd.Env = append(os.Environ(), "REBATE_CHDB_LIB="+chlocaltest.LibPath(b))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &ingestProc{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	b.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

// stop ends the ingester gracefully and returns its peak RSS in KB.
func (p *ingestProc) stop(b *testing.B) int64 {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			b.Fatalf("ingester: %v", err)
		}
	case <-time.After(60 * time.Second):
		b.Fatal("ingester did not stop")
	}
	return p.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
}

func buildRebate(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "rebate")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/rebate").CombinedOutput(); err != nil {
		b.Fatalf("build: %v: %s", err, out)
	}
	return bin
}
