package ingest_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/kafka"
)

// gatedSink stores in a database, holding its first insert until open is
// closed, and notes the highest offset it stored of each partition.
type gatedSink struct {
	store  ingest.Sink
	open   chan struct{}
	calls  atomic.Int32
	mu     sync.Mutex
	stored map[int32]int64
}

func newGatedSink(store ingest.Sink) *gatedSink {
	return &gatedSink{store: store, open: make(chan struct{}), stored: map[int32]int64{}}
}

func (g *gatedSink) InsertEvents(ctx context.Context, ev []rebate.Event, src []rebate.Source, token string) error {
	if g.calls.Add(1) == 1 {
		select {
		case <-g.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := g.store.InsertEvents(ctx, ev, src, token); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range src {
		if o, ok := g.stored[s.Partition]; !ok || s.Offset > o {
			g.stored[s.Partition] = s.Offset
		}
	}
	return nil
}

func (g *gatedSink) Identities(ctx context.Context, kind string, ids []string) (map[string]rebate.Event, error) {
	return g.store.Identities(ctx, kind, ids)
}

func (g *gatedSink) MaterializeFigures(ctx context.Context, c rebate.Changes) error {
	return g.store.MaterializeFigures(ctx, c)
}

func (g *gatedSink) MaterializeSignals(ctx context.Context, c rebate.Changes) error {
	return g.store.MaterializeSignals(ctx, c)
}

// storedUpTo is the next offset after the highest stored of partition p, 0
// if none was.
func (g *gatedSink) storedUpTo(p int32) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if o, ok := g.stored[p]; ok {
		return o + 1
	}
	return 0
}

// TestDecodingOverlapsInsert: while ClickHouse takes one batch, the next is
// polled and decoded, and no more than that: two batches held, nothing
// committed until the first is stored; and no commit ever passes what is
// stored.
func TestDecodingOverlapsInsert(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 70)
	produce(t, kc, records(s.stream.Events))
	sink := newGatedSink(s.db)
	cfg := ingest.Config{BatchRows: 400, FlushInterval: 10 * time.Millisecond}
	r := start(t, kc, sink, cfg, ingest.Hooks{})
	waitFor(t, 20*time.Second, "the next batch decoded while the first is held", func() bool {
		return metricValue(t, r, "rebate_ingest_records_consumed_total") >= float64(2*cfg.BatchRows)
	})
	if got := metricValue(t, r, "rebate_ingest_records_consumed_total"); got > float64(2*cfg.BatchRows) {
		t.Errorf("%v records consumed while the first insert is held; want at most two batches (%d)", got, 2*cfg.BatchRows)
	}
	adm := kadm.NewClient(client(t, kc))
	committedOK := func() {
		t.Helper()
		offsets, err := adm.FetchOffsets(context.Background(), group)
		if err != nil {
			t.Fatal(err)
		}
		offsets.Each(func(o kadm.OffsetResponse) {
			if o.Err == nil && o.At > sink.storedUpTo(o.Partition) {
				t.Errorf("partition %d committed to %d, stored to %d", o.Partition, o.At, sink.storedUpTo(o.Partition))
			}
		})
	}
	committedOK()
	close(sink.open)
	waitCommittedEach(t, kc, 60*time.Second, committedOK)
	committedOK()
	var n uint64
	if err := s.db.Conn().QueryRow(context.Background(), "SELECT uniqExact(event_id) FROM events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := distinctIDs(s.stream.Events); n != uint64(want) {
		t.Errorf("%d events stored, want %d", n, want)
	}
}

// TestRevokeWhileInserting: a member holds a batch ClickHouse is still
// taking and a full one behind it when a second member joins. The revoke
// waits for the insert, stores and commits both in order, and the
// partitions move; the figures come out exact.
func TestRevokeWhileInserting(t *testing.T) {
	kc := newCluster(t)
	s := newScenarioWith(t, 71, 0.05)
	half := len(s.stream.Events) / 2
	produce(t, kc, records(s.stream.Events[:half]))
	sink := newGatedSink(s.db)
	// Batches are sealed by size only: a revoke is what stores the second.
	cfg := ingest.Config{BatchRows: 300, FlushInterval: time.Hour}
	a := start(t, kc, sink, cfg, ingest.Hooks{})
	waitConsumed(t, a, 2*cfg.BatchRows)
	b := start(t, kc, s.db, smallBatches(), ingest.Hooks{})
	adm := kadm.NewClient(client(t, kc))
	waitFor(t, 20*time.Second, "the second member joining", func() bool {
		groups, err := adm.DescribeGroups(context.Background(), group)
		return err == nil && len(groups[group].Members) == 2
	})
	close(sink.open)
	waitMembers(t, kc, 2)
	if metricValue(t, a, "rebate_ingest_flushes_total") < 2 {
		t.Errorf("%v flushes by the first member; want the held batch and the one behind it", metricValue(t, a, "rebate_ingest_flushes_total"))
	}
	handOver(t, kc, s, a, b, half)
	s.check(t, 71)
}

// handOver produces the rest of s's events from half on, waits for b to
// consume some, stops a, and waits until the group has committed them all.
func handOver(t *testing.T, kc kafka.Config, s *scenario, a, b *running, half int) {
	t.Helper()
	produce(t, kc, records(s.stream.Events[half:]))
	waitFor(t, 20*time.Second, "the second member consuming", func() bool {
		return metricValue(t, b, "rebate_ingest_records_consumed_total") > 0
	})
	a.stop()
	if err := a.wait(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	waitCommitted(t, kc, 60*time.Second)
}

// materializeGate holds the sink's first MaterializeFigures until open is
// closed.
type materializeGate struct {
	ingest.Sink
	open  chan struct{}
	calls atomic.Int32
}

func (m *materializeGate) MaterializeFigures(ctx context.Context, c rebate.Changes) error {
	if m.calls.Add(1) == 1 {
		select {
		case <-m.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return m.Sink.MaterializeFigures(ctx, c)
}

// TestCommitWaitsForMaterialize: a batch is committed only after it is
// inserted and materialized. While the first batch's Materialize is held,
// the next batch is decoded but nothing is committed; once it ends, every
// batch is committed and the figures come out exact.
func TestCommitWaitsForMaterialize(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 72)
	produce(t, kc, records(s.stream.Events))
	sink := &materializeGate{Sink: s.db, open: make(chan struct{})}
	cfg := ingest.Config{BatchRows: 400, FlushInterval: 10 * time.Millisecond}
	r := start(t, kc, sink, cfg, ingest.Hooks{})
	waitFor(t, 30*time.Second, "the first batch inserted and the next decoded while the first is materialized", func() bool {
		return metricValue(t, r, "rebate_ingest_events_inserted_total") > 0 &&
			metricValue(t, r, "rebate_ingest_records_consumed_total") >= float64(2*cfg.BatchRows)
	})
	noneCommitted(t, kc, "before its batch was materialized")
	close(sink.open)
	waitCommitted(t, kc, 60*time.Second)
	s.check(t, 72)
}

// failingSink fails the work out of figures (or, with signals, of the
// fraud signals), as an engine that is down would, while fail is set.
type failingSink struct {
	ingest.Sink
	signals bool
	fail    atomic.Bool
	failed  atomic.Int32
}

// down is the error of a step that fails (failing) while fail is set.
func (f *failingSink) down(step string, failing bool) error {
	if !failing || !f.fail.Load() {
		return nil
	}
	f.failed.Add(1)
	return rebate.Errorf(rebate.EUNAVAIL, "", "%s: the engine is down (test)", step)
}

func (f *failingSink) MaterializeFigures(ctx context.Context, c rebate.Changes) error {
	if err := f.down("figures", !f.signals); err != nil {
		return err
	}
	return f.Sink.MaterializeFigures(ctx, c)
}

func (f *failingSink) MaterializeSignals(ctx context.Context, c rebate.Changes) error {
	if err := f.down("signals", f.signals); err != nil {
		return err
	}
	return f.Sink.MaterializeSignals(ctx, c)
}

// TestRevokeAfterPartialStoreLosesNothing: a revoke stores the filling
// batch; its insert goes through and its Materialize fails. The batch keeps
// the partitions this member still owns, and what it did is recorded, so a
// retry skips the insert: records polled into it afterwards would be
// committed without ever being inserted. It must go to the flusher sealed,
// and the records after it into a new batch.
func TestRevokeAfterPartialStoreLosesNothing(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 73)
	half := len(s.stream.Events) / 2
	produce(t, kc, records(s.stream.Events[:half]))
	sink := &failingSink{Sink: s.db}
	// Batches are sealed by size only, so the revoke finds a filling one.
	cfg := ingest.Config{BatchRows: 100_000, FlushInterval: time.Hour}
	a := start(t, kc, sink, cfg, ingest.Hooks{})
	waitConsumed(t, a, half)
	sink.fail.Store(true)
	b := start(t, kc, s.db, smallBatches(), ingest.Hooks{})
	waitFor(t, 30*time.Second, "the revoke's Materialize failing", func() bool { return sink.failed.Load() > 0 })
	waitMembers(t, kc, 2)
	sink.fail.Store(false)
	handOver(t, kc, s, a, b, half)
	s.check(t, 73)
}

// countingSink counts the sink's calls of each kind of work.
type countingSink struct {
	ingest.Sink
	figures, signals atomic.Int32
	signalOrders     atomic.Int32 // the orders of the last MaterializeSignals
}

func (c *countingSink) MaterializeFigures(ctx context.Context, ch rebate.Changes) error {
	c.figures.Add(1)
	return c.Sink.MaterializeFigures(ctx, ch)
}

func (c *countingSink) MaterializeSignals(ctx context.Context, ch rebate.Changes) error {
	c.signals.Add(1)
	c.signalOrders.Store(int32(len(ch.Orders)))
	return c.Sink.MaterializeSignals(ctx, ch)
}

// TestSignalsOwedUntilDue: the fraud signals of stored batches are worked
// out together once SignalInterval has passed, and their offsets committed
// only then. With an interval longer than the test, every batch is stored
// and its figures worked out, and nothing is committed and no signal
// worked out, until the stop works them out for every batch at once,
// commits, and the figures and the signals come out exact.
func TestSignalsOwedUntilDue(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 74)
	produce(t, kc, records(s.stream.Events))
	sink := &countingSink{Sink: s.db}
	cfg := ingest.Config{BatchRows: 300, FlushInterval: 10 * time.Millisecond, SignalInterval: time.Minute}
	r := start(t, kc, sink, cfg, ingest.Hooks{})
	waitConsumed(t, r, len(s.stream.Events))
	waitFor(t, 30*time.Second, "every batch stored and its figures worked out", func() bool {
		return metricValue(t, r, "rebate_ingest_records_consumed_total") ==
			metricValue(t, r, "rebate_ingest_events_inserted_total")+metricValue(t, r, "rebate_ingest_dead_letters_total") &&
			sink.figures.Load() >= 2
	})
	if n := sink.signals.Load(); n != 0 {
		t.Errorf("signals worked out %d times before they were due", n)
	}
	noneCommitted(t, kc, "before its signals were worked out")
	r.stop()
	if err := r.wait(t, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	waitCommitted(t, kc, 10*time.Second)
	if n := sink.signals.Load(); n != 1 {
		t.Errorf("signals worked out %d times for %d batches, want once", n, sink.figures.Load())
	}
	if n, want := sink.signalOrders.Load(), len(orderIDs(s.stream.Events)); int(n) != want {
		t.Errorf("the signals worked out covered %d orders, want every one of the stream's %d", n, want)
	}
	s.check(t, 74)
}

func orderIDs(events []rebate.Event) map[string]bool {
	out := map[string]bool{}
	for _, e := range events {
		if e.Type.IsOrder() {
			out[e.OrderID] = true
		}
	}
	return out
}

// TestSignalsOwedAfterAFailedRevokeAreSettled: a revoke stores the filling
// batch, and the signals it owes fail. The revoked partitions' commits are
// dropped (their next owner reads them again); the kept ones stay owed, and
// with no record coming after, the flusher must settle them by itself once
// the engine is back, or they would wait uncommitted for the next record.
func TestSignalsOwedAfterAFailedRevokeAreSettled(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 75)
	produce(t, kc, records(s.stream.Events))
	sink := &failingSink{Sink: s.db, signals: true}
	sink.fail.Store(true)
	// Batches are sealed by size only: the first is stored by the revoke.
	cfg := ingest.Config{BatchRows: 100_000, FlushInterval: time.Hour, SignalInterval: 200 * time.Millisecond}
	a := start(t, kc, sink, cfg, ingest.Hooks{})
	waitConsumed(t, a, len(s.stream.Events))
	start(t, kc, s.db, smallBatches(), ingest.Hooks{})
	waitFor(t, 30*time.Second, "the revoke's signals failing", func() bool { return sink.failed.Load() > 0 })
	waitMembers(t, kc, 2)
	sink.fail.Store(false)
	waitCommitted(t, kc, 60*time.Second)
	s.check(t, 75)
}

// noneCommitted fails the test for each partition the group committed
// something of: when, says why that is too early.
func noneCommitted(t *testing.T, kc kafka.Config, when string) {
	t.Helper()
	offsets, err := kadm.NewClient(client(t, kc)).FetchOffsets(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	offsets.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At > 0 {
			t.Errorf("partition %d committed to %d %s", o.Partition, o.At, when)
		}
	})
}
