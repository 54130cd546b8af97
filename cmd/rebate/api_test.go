package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/rebatehq/rebate/internal/apiclient"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/kafka"
)

// TestAPICommand runs `rebate api` in-process against the embedded engine
// and an in-process Kafka: it answers, reports both ready, and stops, balance
// streams and all.
func TestAPICommand(t *testing.T) {
	ep := chlocaltest.Start(t)
	db := ep.Database(t)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, kafka.DefaultTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	common := []string{"--clickhouse-addr", ep.Addr, "--clickhouse-database", db}
	if err := run(context.Background(), append([]string{"migrate", "up"}, common...), env(), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"api", "--api-listen", addr, "--kafka-brokers", cluster.ListenAddrs()[0]}, common...), env(), pw, io.Discard)
		pw.Close()
	}()
	line, _ := bufio.NewReader(pr).ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if !strings.Contains(line, addr) {
		t.Fatalf("first line %q does not give the address", line)
	}
	for path, want := range map[string]int{"/readyz": 200, "/v1/leaderboard": 200, "/v1/users/0/balance": 400} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d %v, want %d", path, resp.StatusCode, body, want)
		}
	}
	// An open balance stream ends with the API, at once: it once kept the
	// shutdown waiting until --shutdown-timeout (30 s).
	stream, err := (&apiclient.Client{BaseURL: "http://" + addr}).StreamBalance(context.Background(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	if _, err := stream.NextBalance(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if ev, err := stream.Next(); err != nil || ev.Name != "end" {
		t.Errorf("the stream's last event: %+v, %v; want end", ev, err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("api did not stop")
	}
	err = run(context.Background(), []string{"api", "--api-listen", "0.0.0.0:0"}, env(), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "REBATE_API_KEYS") {
		t.Errorf("open API beyond loopback: %v", err)
	}
}
