package main

import (
	"context"
	"io"
	"net"
	"net/http"
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
}

func freeAddr(t *testing.T) string {
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
