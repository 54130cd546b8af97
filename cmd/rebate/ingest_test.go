package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/kafka"
)

// TestIngestCommand runs `rebate ingest` in-process against an in-process
// Kafka and the embedded engine: events end up in ClickHouse, /metrics
// answers, and cancelling stops it cleanly.
func TestIngestCommand(t *testing.T) {
	ep := chlocaltest.Start(t)
	db := ep.Database(t)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, kafka.DefaultTopic, kafka.DefaultDLQTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()[0]
	common := []string{"--clickhouse-addr", ep.Addr, "--clickhouse-database", db}
	if err := run(context.Background(), append([]string{"migrate", "up"}, common...), env(), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	var recs []*kgo.Record
	for i, id := range []string{"c1", "c2", "c3"} {
		e := rebate.Event{ID: id, Type: rebate.Click, TS: now, UserID: uint64(i + 1), MerchantID: 1, ProductID: 1}
		recs = append(recs, &kgo.Record{Topic: kafka.DefaultTopic, Value: rebate.AppendJSON(nil, e)})
	}
	recs = append(recs, &kgo.Record{Topic: kafka.DefaultTopic, Value: []byte("not json")})
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	metricsAddr := freeAddr(t)
	limit := debug.SetMemoryLimit(-1) // the test process's, put back when ingest returns
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"ingest", "--kafka-brokers", brokers, "--flush-interval", "20ms",
			"--metrics-listen", metricsAddr}, common...), env(), io.Discard, io.Discard)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && sql(t, ep.URL()+"?database="+db, "SELECT count() FROM clicks") != "3\n" {
		time.Sleep(20 * time.Millisecond)
	}
	if got := sql(t, ep.URL()+"?database="+db, "SELECT count() FROM clicks"); got != "3\n" {
		t.Fatalf("clicks stored: %q", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 200<<20 {
		t.Errorf("Go memory limit while ingesting: %d, want the default --memory-limit (200 MiB)", got)
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "rebate_ingest_records_consumed_total 4") ||
		!strings.Contains(string(body), `rebate_ingest_dead_letters_total{field=""} 1`) {
		t.Errorf("metrics lack the consumed and dead-letter counts:\n%s", grep(string(body), "rebate_ingest_"))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ingest: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ingest did not stop")
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("Go memory limit after ingest returned: %d, want the one before (%d)", got, limit)
	}
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func grep(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestIngestWaitsForClickHouse: `rebate ingest` started before ClickHouse
// answers waits for it, logging each attempt, and starts consuming once it
// is up (it used to exit at once).
func TestIngestWaitsForClickHouse(t *testing.T) {
	ep := chlocaltest.Start(t)
	db := ep.Database(t)
	if err := run(context.Background(), []string{"migrate", "up", "--clickhouse-addr", ep.Addr, "--clickhouse-database", db},
		env(), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, kafka.DefaultTopic, kafka.DefaultDLQTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	e := rebate.Event{ID: "w1", Type: rebate.Click, TS: time.Now().UTC().Truncate(time.Millisecond), UserID: 1, MerchantID: 1, ProductID: 1}
	if err := cl.ProduceSync(context.Background(), kafka.Record(kafka.DefaultTopic, e)).FirstErr(); err != nil {
		t.Fatal(err)
	}

	down := freeAddr(t) // nothing listens here yet: connection refused
	stderr := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"ingest", "--kafka-brokers", cluster.ListenAddrs()[0], "--clickhouse-addr", down,
			"--clickhouse-database", db, "--clickhouse-dial-timeout", "1s", "--flush-interval", "20ms", "--metrics-listen", ""},
			env(), io.Discard, stderr)
	}()
	waitLog(t, done, stderr, "attempt=3", 30*time.Second)

	// ClickHouse comes up at the address the ingester waits for.
	ln, err := net.Listen("tcp", down)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go forward(ln, ep.Addr)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && sql(t, ep.URL()+"?database="+db, "SELECT count() FROM clicks") != "1\n" {
		time.Sleep(20 * time.Millisecond)
	}
	if got := sql(t, ep.URL()+"?database="+db, "SELECT count() FROM clicks"); got != "1\n" {
		t.Fatalf("clicks stored once ClickHouse came up: %q\n%s", got, stderr)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ingest: %v", err)
	}
}

// TestIngestStopsWhileWaitingForClickHouse: Ctrl-C ends the wait for
// ClickHouse, cleanly.
func TestIngestStopsWhileWaitingForClickHouse(t *testing.T) {
	stderr := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"ingest", "--clickhouse-addr", freeAddr(t), "--metrics-listen", ""}, env(), io.Discard, stderr)
	}()
	waitLog(t, done, stderr, "ClickHouse unreachable", 30*time.Second)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stopped while waiting: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ingest did not stop while waiting for ClickHouse")
	}
}

// waitLog polls until log holds want, failing if the command ends first.
func waitLog(t *testing.T, done chan error, log *syncBuffer, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(log.String(), want) {
		select {
		case err := <-done:
			t.Fatalf("ingest ended (%v) before logging %q:\n%s", err, want, log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q logged within %s:\n%s", want, d, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// forward relays every connection ln accepts to target.
func forward(ln net.Listener, target string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			up, err := net.Dial("tcp", target)
			if err != nil {
				return
			}
			defer up.Close()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			_, _ = io.Copy(c, up)
		}()
	}
}
