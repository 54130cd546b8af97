package ops_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
	"github.com/rebatehq/rebate/kafka"
)

// scenario is a generated stream and a fresh database with its rules.
type scenario struct {
	cfg    clickhouse.Config
	db     *clickhouse.DB
	st     *clickhouse.Store
	now    time.Time
	stream eventgen.Stream
}

func newScenario(t *testing.T, seed uint64) *scenario {
	t.Helper()
	cfg := clickhousetest.Migrated(t)
	db, st := clickhousetest.OpenStore(t, cfg)
	now := time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: seed, Users: 30, Merchants: 5, Products: 12, Orders: 160, Clicks: 320,
		Withdrawals: 30, ProductUpdates: 25, DuplicateRate: 0.1, Now: now})
	if err := db.InsertRules(context.Background(), stream.Rules); err != nil {
		t.Fatal(err)
	}
	return &scenario{cfg: cfg, db: db, st: st, now: now, stream: stream}
}

func (s *scenario) insert(t *testing.T, events []rebate.Event) {
	t.Helper()
	clickhousetest.Insert(t, s.db, events)
}

// check compares every figure of st with the oracle of events.
func (s *scenario) check(t *testing.T, st *clickhouse.Store, events []rebate.Event) {
	t.Helper()
	clickhousetest.CompareFigures(t, clickhousetest.StoreFigures{Store: st}, oracle.New(events, s.stream.Rules), s.now, rand.New(rand.NewPCG(1, 2)))
}

// tables sorts the scenario's tables (clickhouse.Tables): the tests damage
// and stop what it lists, never tables of their own naming.
func (s *scenario) tables(t *testing.T) clickhouse.Tables {
	t.Helper()
	tables, err := s.db.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tables.Log == "" || len(tables.Derived) < 2 {
		t.Fatalf("the schema sorts as %+v", tables)
	}
	return tables
}

// damage is what a restore must undo: the first derived table dropped, the
// other derived tables emptied and half the event log deleted. It returns
// how many events the log held before.
func (s *scenario) damage(t *testing.T) (events uint64) {
	t.Helper()
	tables := s.tables(t)
	events = s.events(t)
	exec(t, s.db, "DROP TABLE "+tables.Derived[0])
	for _, table := range tables.Derived[1:] {
		exec(t, s.db, "TRUNCATE TABLE "+table)
	}
	exec(t, s.db, "ALTER TABLE "+tables.Log+" DELETE WHERE cityHash64(event_id) % 2 = 0 SETTINGS mutations_sync = 2")
	if n := s.events(t); n >= events {
		t.Fatalf("the log kept %d of %d events", n, events)
	}
	return events
}

// events counts the distinct events in the log (merges fold repeats, so
// its rows are no measure).
func (s *scenario) events(t *testing.T) uint64 {
	t.Helper()
	var n uint64
	if err := s.db.Conn().QueryRow(context.Background(), "SELECT uniqExact(event_id) FROM "+clickhouse.EventLog).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func exec(t *testing.T, db *clickhouse.DB, stmt string) {
	t.Helper()
	if err := db.Conn().Exec(context.Background(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// cluster starts an in-process Kafka with both topics, 3 partitions each.
func cluster(t *testing.T) kafka.Config {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, kafka.DefaultTopic, kafka.DefaultDLQTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return kafka.Config{Brokers: c.ListenAddrs()}
}

func produce(t *testing.T, kc kafka.Config, events []rebate.Event) {
	t.Helper()
	cl := client(t, kc)
	recs := make([]*kgo.Record, len(events))
	for i, e := range events {
		recs[i] = kafka.Record(kafka.DefaultTopic, e)
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func client(t *testing.T, kc kafka.Config, extra ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts, err := kc.Opts()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// ingester runs an ingester of the default group until stop is called (or
// the test ends) and returns its registry.
type ingester struct {
	reg  *prometheus.Registry
	stop func()
}

func startIngester(t *testing.T, kc kafka.Config, db *clickhouse.DB) *ingester {
	t.Helper()
	reg := prometheus.NewRegistry()
	in, err := ingest.New(ingest.Config{BatchRows: 200, FlushInterval: 20 * time.Millisecond, InstanceID: "ops-test"}, kc, db, nil, reg, ingest.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("ingester: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return &ingester{reg: reg, stop: stop}
}

// counter sums a metric of the ingester over its labels.
func (in *ingester) counter(t *testing.T, name string) float64 {
	t.Helper()
	fams, err := in.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

// waitCommitted polls until the group has committed the whole topic.
func waitCommitted(t *testing.T, kc kafka.Config) {
	t.Helper()
	adm := kadm.NewClient(client(t, kc))
	ctx := context.Background()
	var last string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ends, err := adm.ListEndOffsets(ctx, kafka.DefaultTopic)
		if err != nil {
			last = err.Error()
			continue
		}
		committed, err := adm.FetchOffsets(ctx, kafka.DefaultGroup)
		if err != nil {
			last = err.Error()
			continue
		}
		behind := 0
		ends.Each(func(o kadm.ListedOffset) {
			if c, ok := committed.Lookup(kafka.DefaultTopic, o.Partition); !ok || c.At < o.Offset {
				behind++
			}
		})
		if behind == 0 {
			return
		}
		last = fmt.Sprintf("%d partitions behind", behind)
	}
	t.Fatalf("the group did not commit the whole topic within a minute: %s", last)
}

// gauge is the value of a gauge in reg with labels, failing when absent.
func gauge(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s %v", name, labels)
	return 0
}
