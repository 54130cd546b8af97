package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
)

// scenario is a generated stream, its rules stored in a fresh database.
type scenario struct {
	stream eventgen.Stream
	now    time.Time
	db     *clickhouse.DB
	st     *clickhouse.Store
}

func newScenario(t *testing.T, seed uint64) *scenario { return newScenarioWith(t, seed, 0) }

// newScenarioWith makes a stream with conflictRate of conflicting events
// (eventgen.Config.ConflictRate), which the guard keeps out.
func newScenarioWith(t *testing.T, seed uint64, conflictRate float64) *scenario {
	t.Helper()
	db, st := clickhousetest.OpenStore(t, clickhousetest.Migrated(t))
	now := clickhousetest.StreamNow(seed) // odd seeds: every window starts in a minute's last second
	stream := eventgen.Generate(eventgen.Config{
		Seed: seed, Users: 60, Merchants: 8, Products: 20, Orders: 500, Clicks: 1000,
		Withdrawals: 100, ProductUpdates: 80, DuplicateRate: 0.1, ConflictRate: conflictRate, Now: now,
	})
	if err := db.InsertRules(context.Background(), stream.Rules); err != nil {
		t.Fatal(err)
	}
	return &scenario{stream: stream, now: now, db: db, st: st}
}

// check compares the figures and the fraud signals with the oracle's.
func (s *scenario) check(t *testing.T, seed uint64) {
	t.Helper()
	want := oracle.New(s.stream.Events, s.stream.Rules)
	rng := rand.New(rand.NewPCG(seed, 1))
	clickhousetest.CompareFigures(t, clickhousetest.StoreFigures{Store: s.st}, want, s.now, rng)
	clickhousetest.CompareSignals(t, s.st, want.Signals(s.db.Signals().Thresholds()), rng)
}

// small batches make many flushes, commits and tokens in a short stream.
func smallBatches() ingest.Config {
	return ingest.Config{BatchRows: 300, FlushInterval: 20 * time.Millisecond, RetryMin: 10 * time.Millisecond, RetryMax: 200 * time.Millisecond}
}

// TestEndToEndMatchesOracle: events produced to Kafka, duplicates and
// shuffled delivery included, come out of the queries as the oracle says.
func TestEndToEndMatchesOracle(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			kc := newCluster(t)
			s := newScenarioWith(t, seed, 0.05)
			produce(t, kc, records(s.stream.Events))
			r := start(t, kc, s.db, smallBatches(), ingest.Hooks{})
			waitCommitted(t, kc, 60*time.Second)
			s.check(t, seed)
			if got, want := metricValue(t, r, "rebate_ingest_records_consumed_total"), float64(len(s.stream.Events)); got < want {
				t.Errorf("consumed %v records, want at least %v", got, want)
			}
		})
	}
}

// TestCrashThenRestart stops an ingester the way a crash would at several
// points of a flush; a new one in the same group finishes the stream, and no
// figure changes: stored but uncommitted batches are read and stored again.
func TestCrashThenRestart(t *testing.T) {
	crash := errors.New("crash")
	for i, tc := range []struct {
		name  string
		hooks func(n *atomic.Int32) ingest.Hooks
		// replays: the stored batch was not committed, so it is stored again.
		replays bool
		signals time.Duration // the first ingester's SignalInterval; 0: the default
	}{
		{"after insert, before commit, 1st flush", func(n *atomic.Int32) ingest.Hooks {
			return ingest.Hooks{AfterInsert: func(int) error { return crashAt(n, 1, crash) }}
		}, true, 0},
		{"after insert, before commit, 4th flush", func(n *atomic.Int32) ingest.Hooks {
			return ingest.Hooks{AfterInsert: func(int) error { return crashAt(n, 4, crash) }}
		}, true, 0},
		{"after commit, 3rd flush", func(n *atomic.Int32) ingest.Hooks {
			return ingest.Hooks{AfterCommit: func(int) error { return crashAt(n, 3, crash) }}
		}, false, time.Millisecond}, // a commit after nearly every flush

		// Three batches stored, their figures worked out, their signals
		// owed and their offsets not committed: the next start stores them
		// again and works their signals out.
		{"signals owed, 4th flush", func(n *atomic.Int32) ingest.Hooks {
			return ingest.Hooks{AfterInsert: func(int) error { return crashAt(n, 4, crash) }}
		}, true, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seed := uint64(10 + i)
			kc := newCluster(t)
			s := newScenarioWith(t, seed, 0.05)
			produce(t, kc, records(s.stream.Events))
			var n atomic.Int32
			cfg := smallBatches()
			cfg.SignalInterval = tc.signals
			first := start(t, kc, s.db, cfg, tc.hooks(&n))
			if err := first.wait(t, 30*time.Second); !errors.Is(err, crash) {
				t.Fatalf("first ingester: %v, want the crash", err)
			}
			second := start(t, kc, s.db, smallBatches(), ingest.Hooks{})
			waitCommitted(t, kc, 60*time.Second)
			s.check(t, seed)
			stored := metricValue(t, first, "rebate_ingest_events_inserted_total") + metricValue(t, second, "rebate_ingest_events_inserted_total")
			if replayed := stored > float64(len(s.stream.Events)); replayed != tc.replays {
				t.Errorf("stored %v events for a stream of %d: replayed=%v, want %v", stored, len(s.stream.Events), replayed, tc.replays)
			}
		})
	}
}

func crashAt(n *atomic.Int32, at int32, err error) error {
	if n.Add(1) == at {
		return err
	}
	return nil
}

// TestRebalanceMidStream: a second ingester joins the group while the first
// holds a batch it has not flushed. The rebalance makes the first store and
// commit it before its partitions move; the second takes over; nothing is
// lost or counted twice.
func TestRebalanceMidStream(t *testing.T) {
	kc := newCluster(t)
	s := newScenarioWith(t, 20, 0.05)
	half := len(s.stream.Events) / 2
	produce(t, kc, records(s.stream.Events[:half]))
	// The first member never flushes by size or time: only the rebalance
	// (or its stop) makes it store.
	a := start(t, kc, s.db, ingest.Config{BatchRows: 1_000_000, FlushInterval: time.Hour}, ingest.Hooks{})
	waitConsumed(t, a, half)
	b := start(t, kc, s.db, smallBatches(), ingest.Hooks{})
	waitMembers(t, kc, 2)
	waitFor(t, 20*time.Second, "a flush on revoke", func() bool {
		return metricValue(t, a, "rebate_ingest_flushes_total") >= 1
	})
	// The lag is the broker's, of every partition, whoever owns it: both
	// members report all four (a dashboard takes the max per partition),
	// so a rebalance leaves no partition unreported.
	waitFor(t, 10*time.Second, "both members reporting the lag of all 4 partitions", func() bool {
		return seriesCount(t, a, "rebate_ingest_consumer_lag") == 4 && seriesCount(t, b, "rebate_ingest_consumer_lag") == 4
	})
	produce(t, kc, records(s.stream.Events[half:]))
	waitFor(t, 20*time.Second, "the second member consuming", func() bool {
		return metricValue(t, b, "rebate_ingest_records_consumed_total") > 0
	})
	a.stop() // hands its partitions over, flushing what it holds
	if err := a.wait(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	waitCommitted(t, kc, 60*time.Second)
	s.check(t, 20)
}

// TestGracefulShutdownFlushes: events held in a batch that has not reached
// any threshold are stored and committed when the ingester stops.
func TestGracefulShutdownFlushes(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 30)
	events := s.stream.Events[:200]
	produce(t, kc, records(events))
	var stored atomic.Int64
	sink := sinkFunc(func(ctx context.Context, ev []rebate.Event, src []rebate.Source, token string) error {
		stored.Add(int64(len(ev)))
		return s.db.InsertEvents(ctx, ev, src, token)
	})
	r := start(t, kc, sink, ingest.Config{BatchRows: 1_000_000, FlushInterval: time.Hour}, ingest.Hooks{})
	waitConsumed(t, r, len(events))
	if stored.Load() != 0 {
		t.Fatalf("%d events stored before any threshold", stored.Load())
	}
	r.stop()
	if err := r.wait(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if stored.Load() != int64(len(events)) {
		t.Fatalf("stored %d of %d events at shutdown", stored.Load(), len(events))
	}
	waitCommitted(t, kc, 10*time.Second)
}

// TestFatalErrorStopsWithoutCommitting: an error no retry can fix stops the
// ingester with the records uncommitted, so a fixed deployment reads them.
func TestFatalErrorStopsWithoutCommitting(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 31)
	produce(t, kc, records(s.stream.Events[:100]))
	sink := sinkFunc(func(context.Context, []rebate.Event, []rebate.Source, string) error {
		return rebate.Errorf(rebate.EMISCONFIG, "", "Table rebate.events does not exist")
	})
	r := start(t, kc, sink, smallBatches(), ingest.Hooks{})
	err := r.wait(t, 30*time.Second)
	if err == nil || !strings.Contains(err.Error(), "UNKNOWN_TABLE") && !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Run: %v, want the fatal error", err)
	}
	if got := metricValue(t, r, "rebate_ingest_fatal_errors_total"); got != 1 {
		t.Errorf("fatal errors metric %v, want 1", got)
	}
	// The next ingester, with a working sink, gets every record.
	start(t, kc, s.db, smallBatches(), ingest.Hooks{})
	waitCommitted(t, kc, 60*time.Second)
	var n uint64
	if err := s.db.Conn().QueryRow(context.Background(), "SELECT uniqExact(event_id) FROM events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := distinctIDs(s.stream.Events[:100]); n != uint64(want) {
		t.Errorf("%d distinct events stored, want %d", n, want)
	}
}

func distinctIDs(events []rebate.Event) int {
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.ID] = true
	}
	return len(seen)
}

type sinkFunc func(context.Context, []rebate.Event, []rebate.Source, string) error

func (f sinkFunc) InsertEvents(ctx context.Context, ev []rebate.Event, src []rebate.Source, token string) error {
	return f(ctx, ev, src, token)
}

// Identities finds none: the streams of tests with a sinkFunc have no
// conflicts across batches.
func (f sinkFunc) Identities(context.Context, string, []string) (map[string]rebate.Event, error) {
	return map[string]rebate.Event{}, nil
}

// MaterializeFigures has nothing to work out: a sinkFunc keeps no figures.
func (f sinkFunc) MaterializeFigures(context.Context, rebate.Changes) error { return nil }

// MaterializeSignals has nothing to work out: a sinkFunc keeps no signals.
func (f sinkFunc) MaterializeSignals(context.Context, rebate.Changes) error { return nil }

var _ ingest.Sink = sinkFunc(nil)

// metricValue sums a counter or gauge over its labels.
func metricValue(t *testing.T, r *running, name string) float64 {
	t.Helper()
	return ingest.MetricValue(t, r.reg, name)
}

func waitConsumed(t *testing.T, r *running, n int) {
	t.Helper()
	// A deadline, not a speed: with test processes sharing two cores it once
	// took over 20 s.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if metricValue(t, r, "rebate_ingest_records_consumed_total") >= float64(n) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("ingester did not consume %d records within a minute (consumed %v)", n, metricValue(t, r, "rebate_ingest_records_consumed_total"))
}

// seriesCount is how many label sets name has in r's registry.
func seriesCount(t *testing.T, r *running, name string) int {
	t.Helper()
	fams, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return len(f.GetMetric())
		}
	}
	return 0
}
