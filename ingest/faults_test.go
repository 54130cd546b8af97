package ingest_test

import (
	"context"
	"fmt"
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
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/kafka"
)

// proxy forwards TCP to ClickHouse and can cut every connection, as a
// server restart or a network failure would, or freeze: accept connections
// and read requests but forward nothing either way, as a hung server does,
// until it thaws and delivers what it held (a late answer).
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	thawed *sync.Cond // signalled when frozen or down changes
	down   bool
	frozen bool
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.thawed = sync.NewCond(&p.mu)
	t.Cleanup(func() { ln.Close(); p.setFrozen(false) })
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
	for p.frozen && !p.down {
		p.thawed.Wait()
	}
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
	go func() { p.relay(up, c); up.Close() }()
	p.relay(c, up)
	c.Close()
}

// relay copies src to dst, holding what it read while the proxy is frozen.
func (p *proxy) relay(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.frozen && !p.down {
				p.thawed.Wait()
			}
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	p.thawed.Broadcast()
	if down {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

func (p *proxy) setFrozen(frozen bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frozen = frozen
	p.thawed.Broadcast()
}

// proxied opens the scenario's database through a proxy to the embedded
// endpoint, as a client that notices an outage soon does: a second to
// connect, five to answer. It is closed after the ingester the test starts
// next has stopped.
func proxied(t *testing.T, s *scenario) (*proxy, *clickhouse.DB) {
	t.Helper()
	px := newProxy(t, chlocaltest.Start(t).Addr)
	db, err := clickhouse.Open(context.Background(), clickhouse.Config{Addr: px.addr(), Database: s.db.Config().Database,
		DialTimeout: time.Second, QueryTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return px, db
}

// TestClickHouseOutage: ClickHouse goes away mid-stream. The ingester pauses
// fetching, holds no more than one batch, retries, resumes by itself when
// ClickHouse is back, and the figures come out exact.
func TestClickHouseOutage(t *testing.T) {
	kc := newCluster(t)
	s := newScenarioWith(t, 40, 0.05)
	px, viaProxy := proxied(t, s)
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

// TestLagThroughOutage: while ClickHouse is down, records produced pile up
// in Kafka and the lag gauge says so (it is measured from the broker, not
// from what the paused consumer fetches); once ClickHouse is back and the
// backlog committed, it returns to 0.
func TestLagThroughOutage(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 41)
	px, viaProxy := proxied(t, s)
	lag := func(r *running) float64 { return metricValue(t, r, "rebate_ingest_consumer_lag") }
	half := len(s.stream.Events) / 2
	cfg := smallBatches()
	cfg.LagInterval = 100 * time.Millisecond
	r := start(t, kc, viaProxy, cfg, ingest.Hooks{})
	produce(t, kc, records(s.stream.Events[:half]))
	waitCommitted(t, kc, 60*time.Second)
	waitFor(t, 5*time.Second, "lag 0", func() bool { return seriesCount(t, r, "rebate_ingest_consumer_lag") == 4 && lag(r) == 0 })

	px.setDown(true)
	backlog := len(s.stream.Events) - half
	produce(t, kc, records(s.stream.Events[half:]))
	waitFor(t, 10*time.Second, fmt.Sprintf("lag of at least the %d records produced while down", backlog),
		func() bool { return lag(r) >= float64(backlog) })
	// The lag is measured from the broker and can reach the backlog before
	// the first insert has failed and paused fetching: wait for the pause.
	waitFor(t, 10*time.Second, "paused while ClickHouse is down", func() bool { return metricValue(t, r, "rebate_ingest_paused") == 1 })

	px.setDown(false)
	waitCommittedWhile(t, kc, r, 60*time.Second)
	waitFor(t, 5*time.Second, "lag back to 0", func() bool { return lag(r) == 0 })
	s.check(t, 41)
}

// TestClickHouseHangs: ClickHouse accepts connections and answers nothing.
// Within the insert timeout the ingester gives the insert up, pauses
// fetching (rebate_ingest_paused 1) and counts the timeout; it retries with
// the same token while ClickHouse stays hung. When ClickHouse answers
// again, the held first attempts arrive late: whichever lands first is
// stored, the others are dropped as repeats, so every event is stored
// exactly once.
func TestClickHouseHangs(t *testing.T) {
	kc := newCluster(t)
	ep := chlocaltest.Start(t)
	db, _ := clickhousetest.OpenStore(t, clickhousetest.Migrated(t))
	ctx := context.Background()
	// Merges would fold a second copy of a row; they must not hide one.
	if err := db.Conn().Exec(ctx, "SYSTEM STOP MERGES events"); err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, ep.Addr)
	// No client read timeout, as rebate ingest runs: left to itself, an
	// insert into a hung server waits 300 s.
	viaProxy, err := clickhouse.Open(ctx, clickhouse.Config{Addr: px.addr(), Database: db.Config().Database})
	if err != nil {
		t.Fatal(err)
	}
	defer viaProxy.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	events := make([]rebate.Event, 400)
	for i := range events {
		events[i] = rebate.Event{ID: fmt.Sprintf("hang-%d", i), Type: rebate.Click, TS: now.Add(-time.Duration(i) * time.Second),
			UserID: uint64(i + 1), MerchantID: 1, ProductID: 1}
	}
	cfg := smallBatches()
	cfg.InsertTimeout = time.Second
	r := start(t, kc, viaProxy, cfg, ingest.Hooks{})
	produce(t, kc, records(events[:200]))
	waitCommitted(t, kc, 60*time.Second)

	px.setFrozen(true)
	frozen := time.Now()
	produce(t, kc, records(events[200:]))
	waitFor(t, cfg.InsertTimeout+5*time.Second, "pause", func() bool { return metricValue(t, r, "rebate_ingest_paused") == 1 })
	t.Logf("paused %s after ClickHouse froze", time.Since(frozen).Round(time.Millisecond))
	// Retried, and timed out again, while ClickHouse stays hung.
	waitFor(t, 20*time.Second, "a second timeout", func() bool { return metricValue(t, r, "rebate_ingest_insert_timeouts_total") >= 2 })
	if metricValue(t, r, "rebate_ingest_retries_total") < 2 {
		t.Error("the timed-out inserts were not counted as retries")
	}

	px.setFrozen(false)
	waitCommittedWhile(t, kc, r, 60*time.Second)
	waitFor(t, 5*time.Second, "resume", func() bool { return metricValue(t, r, "rebate_ingest_paused") == 0 })
	var rows, ids uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM events").Scan(&rows, &ids); err != nil {
		t.Fatal(err)
	}
	if rows != uint64(len(events)) || ids != uint64(len(events)) {
		t.Errorf("%d rows of %d events stored, want each of the %d once", rows, ids, len(events))
	}
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
	waitCommitted(t, kc, 60*time.Second)
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
	waitCommitted(t, kc, 60*time.Second)
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
