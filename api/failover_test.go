package api_test

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/apiclient"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
	"github.com/rebatehq/rebate/kafka"
)

// endpoint is one ClickHouse HTTP endpoint of the two, which a test can
// kill in the middle of an insert: the engine stores the batch, the answer
// never comes, the endpoint refuses every connection from then on.
type endpoint struct {
	h       http.Handler
	srv     *http.Server
	addr    string
	served  atomic.Int32
	inserts atomic.Int32
	killAt  int32 // the insert of events during which it dies; 0: never
	killed  chan struct{}
}

func newEndpoint(t *testing.T, h http.Handler, killAt int32) *endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &endpoint{h: h, addr: ln.Addr().String(), killAt: killAt, killed: make(chan struct{})}
	e.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()
	t.Cleanup(func() { _ = e.srv.Close() })
	return e
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.served.Add(1)
	if strings.HasPrefix(r.URL.Query().Get("query"), "INSERT INTO events") && e.inserts.Add(1) == e.killAt {
		e.h.ServeHTTP(httptest.NewRecorder(), r) // stored; the answer is lost
		close(e.killed)
		_ = e.srv.Close() // listener and every connection, this one's too
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
		return
	}
	e.h.ServeHTTP(w, r)
}

// TestFailoverBetweenReplicas runs an ingester and the API against two
// ClickHouse endpoints given as one --clickhouse-addr list, and kills the
// first in the middle of an insert, mid-stream. One process serves one
// embedded engine, so the two are two HTTP servers over the same engine:
// what fails over is the client (clickhouse-go dialling the next address),
// which is what this tests; the replicas' own replication is ClickHouse's.
// Nothing is lost and nothing counted twice (the ingester retries the
// batch on the second with the same token, which the engine drops), the
// API keeps answering, and every figure through it equals the oracle's.
func TestFailoverBetweenReplicas(t *testing.T) {
	ctx := context.Background()
	shared := chlocaltest.Start(t)
	cfg := clickhousetest.Migrated(t)
	first := newEndpoint(t, shared.Server, 5)
	second := newEndpoint(t, shared.Server, 0)
	cfg.Addr = first.addr + "," + second.addr

	db, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := clickhouse.NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 71, Users: 30, Merchants: 5, Products: 12, Orders: 200, Clicks: 400,
		Withdrawals: 40, ProductUpdates: 30, DuplicateRate: 0.1, Now: now})
	if err := db.InsertRules(ctx, stream.Rules); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{RatePerKey: 1e6, Burst: 1e6, Now: func() time.Time { return now }}, st, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	client := &apiclient.Client{BaseURL: hs.URL}

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, kafka.DefaultTopic, kafka.DefaultDLQTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	kc := kafka.Config{Brokers: cluster.ListenAddrs()}
	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	// The stream in slices, so the kill falls in the middle of it.
	for i := 0; i < len(stream.Events); i += 100 {
		var recs []*kgo.Record
		for _, e := range stream.Events[i:min(i+100, len(stream.Events))] {
			recs = append(recs, kafka.Record(kafka.DefaultTopic, e))
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	in, err := ingest.New(ingest.Config{BatchRows: 50, FlushInterval: 10 * time.Millisecond, RetryMin: 10 * time.Millisecond,
		RetryMax: 100 * time.Millisecond, InstanceID: "failover"}, kc, db, nil, reg, ingest.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	// The API is read all along: answers during the failover may fail (the
	// request on a connection that died), then it must answer again.
	var mu sync.Mutex
	var statuses []string
	readCtx, stopReading := context.WithCancel(ctx)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for readCtx.Err() == nil {
			_, err := client.Balance(readCtx, 1)
			if readCtx.Err() != nil {
				return
			}
			mu.Lock()
			if err != nil {
				statuses = append(statuses, err.Error())
			} else {
				statuses = append(statuses, "ok")
			}
			mu.Unlock()
			time.Sleep(5 * time.Millisecond) // a pace for the reader, not a synchronisation
		}
	}()
	ictx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(ictx) }()
	t.Cleanup(func() { stop(); <-done })

	select {
	case <-first.killed:
	case <-time.After(90 * time.Second): // a deadline, as waitFor's
		t.Fatal("the first endpoint was never killed: the ingester sent it fewer than 5 inserts")
	}
	waitFor(t, "the ingester committing the whole stream", func() bool {
		return committed(t, cl, kafka.DefaultTopic) == int64(len(stream.Events))
	})
	afterKill := second.served.Load()
	stopReading()
	<-readDone
	if first.served.Load() == 0 || afterKill == 0 {
		t.Errorf("served %d requests by the first endpoint, %d by the second: no failover happened", first.served.Load(), afterKill)
	}
	mu.Lock()
	n := len(statuses)
	tail := statuses[max(0, n-5):]
	mu.Unlock()
	for _, s := range tail {
		if s != "ok" {
			t.Errorf("the API does not answer after the failover: last answers %v", tail)
			break
		}
	}
	clickhousetest.CompareFigures(t, apiFigures{client, st.RefreshLeaderboard}, oracle.New(stream.Events, stream.Rules), now, rand.New(rand.NewPCG(71, 1)))
}
