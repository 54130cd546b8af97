package ingest_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/kafka"
)

// proxy forwards TCP to ClickHouse and can cut every connection, as a
// server restart or a network failure would.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

// TestClickHouseOutage: ClickHouse goes away mid-stream. The ingester pauses
// fetching, holds no more than one batch, retries, resumes by itself when
// ClickHouse is back, and the figures come out exact.
func TestClickHouseOutage(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 40)
	ep := chlocaltest.Start(t)
	px := newProxy(t, ep.Addr)
	cfg := clickhouse.Config{Addr: px.addr(), Database: s.db.Config().Database, DialTimeout: time.Second, QueryTimeout: 5 * time.Second}
	viaProxy, err := clickhouse.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer viaProxy.Close()
	half := len(s.stream.Events) / 2
	produce(t, kc, records(s.stream.Events[:half]))
	icfg := smallBatches()
	r := start(t, kc, viaProxy, icfg, ingest.Hooks{})
	waitConsumed(t, r, half/2)

	px.setDown(true)
	produce(t, kc, records(s.stream.Events[half:]))
	waitFor(t, 20*time.Second, "fetching paused", func() bool { return metricValue(t, r, "rebate_ingest_paused") == 1 })
	held := metricValue(t, r, "rebate_ingest_buffered_bytes")
	consumed := metricValue(t, r, "rebate_ingest_records_consumed_total")
	// While ClickHouse is away nothing more is taken in than one batch:
	// consumption stops, and the batch stays within its row bound.
	waitFor(t, 2*time.Second, "retries", func() bool { return metricValue(t, r, "rebate_ingest_retries_total") >= 3 })
	if now := metricValue(t, r, "rebate_ingest_records_consumed_total"); now != consumed {
		t.Errorf("consumed %v records while ClickHouse was down (was %v)", now, consumed)
	}
	if held > float64(icfg.BatchRows*rebate.MaxEventBytes) || held == 0 {
		t.Errorf("held %v bytes while down", held)
	}

	px.setDown(false)
	waitCommitted(t, kc, 60*time.Second)
	if metricValue(t, r, "rebate_ingest_paused") != 0 {
		t.Error("still paused after ClickHouse came back")
	}
	s.check(t, 40)
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s within %s", what, d)
}

// TestPoisonEvents: records that break the contract each land in the
// dead-letter topic, byte for byte, with the reason and their origin; the
// good events around them are all counted.
func TestPoisonEvents(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 50)
	good := s.stream.Events[:300]
	bad := map[string]string{
		"not json":       `{"event_id": "x", "type": "click",`,
		"missing field":  `{"event_id":"p1","type":"click","ts":"2026-11-21T10:00:00Z","user_id":1,"merchant_id":2}`,
		"negative money": `{"event_id":"p2","type":"withdrawal_requested","ts":"2026-11-21T10:00:00Z","withdrawal_id":"w","user_id":1,"amount":"-5.00"}`,
		"1 MB value":     `{"event_id":"p3","type":"click","blob":"` + strings.Repeat("x", 1_000_000) + `"}`,
		"invalid utf-8":  "{\"event_id\":\"p4\xff\",\"type\":\"click\",\"ts\":\"2026-11-21T10:00:00Z\",\"user_id\":1,\"merchant_id\":2,\"product_id\":3}",
		"unknown type":   `{"event_id":"p5","type":"refund","ts":"2026-11-21T10:00:00Z"}`,
		"float money":    `{"event_id":"p6","type":"withdrawal_requested","ts":"2026-11-21T10:00:00Z","withdrawal_id":"w","user_id":1,"amount":0.30000000000000004}`,
	}
	wantField := map[string]string{"not json": "", "missing field": "product_id", "negative money": "amount",
		"1 MB value": "", "invalid utf-8": "", "unknown type": "type", "float money": "amount"}
	recs := records(good)
	var poison []*kgo.Record
	for name, v := range bad {
		poison = append(poison, &kgo.Record{Topic: topic, Key: []byte(name), Value: []byte(v)})
	}
	// Interleave: poison among good records, in every partition.
	var all []*kgo.Record
	for i, r := range recs {
		all = append(all, r)
		if i%40 == 0 && len(poison) > 0 {
			all, poison = append(all, poison[0]), poison[1:]
		}
	}
	all = append(all, poison...)
	produce(t, kc, all)
	r := start(t, kc, s.db, smallBatches(), ingest.Hooks{})
	waitCommitted(t, kc, 30*time.Second)
	dls := deadLetters(t, kc, len(bad))
	if len(dls) != len(bad) {
		t.Fatalf("%d dead letters, want %d", len(dls), len(bad))
	}
	for _, d := range dls {
		name := string(d.Key)
		if string(d.Value) != bad[name] {
			t.Errorf("%s: value changed on its way to the dead-letter topic", name)
		}
		reason, field := kafka.Header(d, kafka.HeaderError), kafka.Header(d, kafka.HeaderField)
		if reason == "" || field != wantField[name] || (field != "" && !strings.HasPrefix(reason, field+": ")) {
			t.Errorf("%s: reason %q field %q, want field %q", name, reason, field, wantField[name])
		}
		if kafka.Header(d, kafka.HeaderTopic) != topic || kafka.Header(d, kafka.HeaderPartition) == "" || kafka.Header(d, kafka.HeaderOffset) == "" {
			t.Errorf("%s: origin headers missing: %+v", name, d.Headers)
		}
	}
	if got := metricValue(t, r, "rebate_ingest_dead_letters_total"); got != float64(len(bad)) {
		t.Errorf("dead letters metric %v, want %d", got, len(bad))
	}
	var n uint64
	if err := s.db.Conn().QueryRow(context.Background(), "SELECT uniqExact(event_id) FROM events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := distinctIDs(good); n != uint64(want) {
		t.Errorf("%d events stored, want the %d good ones", n, want)
	}
}

// TestPoisonRowIsIsolated: a row ClickHouse refuses is found by halving the
// batch and sent to the dead-letter topic; every other row is stored.
func TestPoisonRowIsIsolated(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 60)
	events := s.stream.Events[:250]
	target := events[137].ID
	sink := sinkFunc(func(ctx context.Context, ev []rebate.Event, src []rebate.Source, token string) error {
		for _, e := range ev {
			if e.ID == target {
				return rebate.Errorf(rebate.EINVALID, "", "cannot convert")
			}
		}
		return s.db.InsertEvents(ctx, ev, src, token)
	})
	produce(t, kc, records(events))
	start(t, kc, sink, ingest.Config{BatchRows: 1000, FlushInterval: 50 * time.Millisecond}, ingest.Hooks{})
	waitCommitted(t, kc, 30*time.Second)
	dls := deadLetters(t, kc, 1)
	got, err := rebate.Decode(dls[0].Value)
	if err != nil || got.ID != target || kafka.Header(dls[0], kafka.HeaderField) != "clickhouse" {
		t.Fatalf("dead letter %+v (%v), want event %s with field clickhouse", got, err, target)
	}
	var n uint64
	if err := s.db.Conn().QueryRow(context.Background(), "SELECT uniqExact(event_id) FROM events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	var others []rebate.Event
	for _, e := range events {
		if e.ID != target {
			others = append(others, e)
		}
	}
	if want := distinctIDs(others); n != uint64(want) {
		t.Errorf("%d events stored, want %d", n, want)
	}
}
