package clickhousetest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/benchchart"
)

// How history is stored: historyChunks chunks of up to historyChunk events
// to a batch, historyLoaders batches at once.
const historyChunk, historyChunks, historyLoaders = 100_000, 10, 2

// StoreHistory stores chunks of history, chunk(n) making about n events,
// until size events are stored (counting from stored), and returns how many
// are. Each batch is stored as the ingester stores one: inserted, then its
// figures and signals worked out (Store). Ten chunks to a batch and two
// batches at once store the same events and figures as one chunk at a time
// (the figures depend neither on how events are batched, the oracle tests'
// property, nor on two ingesters storing at once, clickhouse
// TestSignalsUnderConcurrentBatches) in less time: one batch's statements
// keep one core busy (docs/benchmarks.md, Live). It logs its progress every
// 30 s.
func StoreHistory(tb testing.TB, db *clickhouse.DB, stored, size int, chunk func(n int) []rebate.Event) int {
	tb.Helper()
	return storeChunks(tb, "history", stored, size, chunk, func(ctx context.Context, ev []rebate.Event) error {
		return Store(ctx, db, ev)
	})
}

// LoadHistory is StoreHistory in bulk, for sizes the ingester's path takes
// hours to store here: the batches are inserted as events only (every view
// keeps its table, as on any insert), then what the ingester works out
// after each insert is worked out once for the whole history, as
// `rebate rebuild` does for the tables it computes: every order priced, a
// day of orders at a time, and every click minute counted, then the
// leaderboards refreshed. The figures are those of storing batch by batch
// (clickhouse TestRebuildWhileIngesting: computed tables emptied, then
// rebuilt, match the oracle; TestLoadHistoryMatchesTheOracle). Batch by
// batch, each batch's orders are priced by key wherever they fall in the
// history, which costs more the larger it grows (8,000-9,000 events/s from
// 40 M events here); a day at a time reads each day's orders as one range.
//
// The fraud signals of the history are not worked out: they are written to
// risk_signals, which no statement of the ingester and no read of the live
// benchmark reads, and the live phase works out its own. It returns the
// events stored and how long the figures took.
func LoadHistory(tb testing.TB, db *clickhouse.DB, stored, size int, chunk func(n int) []rebate.Event) (int, time.Duration) {
	tb.Helper()
	ctx := context.Background()
	stored = storeChunks(tb, "history (events only)", stored, size, chunk, func(ctx context.Context, ev []rebate.Event) error {
		return db.InsertEvents(ctx, ev, nil, "")
	})
	tables, err := db.Tables(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	t0, said := time.Now(), time.Now()
	if _, err := db.Rebuild(ctx, clickhouse.RebuildOptions{Tables: tables.Computed, Progress: func(line string) {
		if time.Since(said) >= 30*time.Second {
			tb.Logf("history: %s", line)
			said = time.Now()
		}
	}}); err != nil {
		tb.Fatalf("history: work out the figures: %v", err)
	}
	return stored, time.Since(t0)
}

// History stores history with LoadHistory when bulk, else StoreHistory,
// and returns the events stored and how, for the benchmark's log.
func History(tb testing.TB, db *clickhouse.DB, stored, size int, bulk bool, chunk func(n int) []rebate.Event) (int, string) {
	tb.Helper()
	if !bulk {
		return StoreHistory(tb, db, stored, size, chunk), "batch by batch, all views"
	}
	n, figures := LoadHistory(tb, db, stored, size, chunk)
	return n, fmt.Sprintf("in bulk, its figures worked out in %s, its signals not", figures.Round(time.Millisecond))
}

// BulkHistory says how a benchmark loads its history: REBATE_BENCH_HISTORY
// "bulk" (LoadHistory) or "batches" (StoreHistory); unset, def. A bad value
// fails the benchmark.
func BulkHistory(tb testing.TB, def bool) bool {
	switch h := os.Getenv("REBATE_BENCH_HISTORY"); h {
	case "":
		return def
	case "bulk":
		return true
	case "batches":
		return false
	default:
		tb.Fatalf("REBATE_BENCH_HISTORY=%q: want bulk or batches", h)
		return false
	}
}

// storeChunks stores batches of chunks with store, historyLoaders at once,
// until size events are stored, and logs its progress as what every 30 s.
func storeChunks(tb testing.TB, what string, stored, size int, chunk func(n int) []rebate.Event,
	store func(ctx context.Context, ev []rebate.Event) error) int {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	batches := make(chan []rebate.Event)
	errs := make(chan error, historyLoaders)
	var wg sync.WaitGroup
	var done atomic.Int64
	for range historyLoaders {
		wg.Go(func() {
			for ev := range batches {
				if err := store(ctx, ev); err != nil {
					errs <- err
					cancel()
					return
				}
				done.Add(int64(len(ev)))
			}
		})
	}
	t0, from, last := time.Now(), stored, time.Now()
	for stored < size && ctx.Err() == nil {
		var ev []rebate.Event
		for range historyChunks {
			if stored >= size { // a chunk may end past its count
				break
			}
			c := chunk(min(historyChunk, size-stored))
			ev, stored = append(ev, c...), stored+len(c)
		}
		select {
		case batches <- ev:
		case <-ctx.Done():
		}
		if time.Since(last) >= 30*time.Second {
			n := done.Load()
			tb.Logf("%s: %s of %s events stored, %.0f events/s", what, benchchart.Short(float64(from)+float64(n)),
				benchchart.Short(float64(size)), float64(n)/time.Since(t0).Seconds())
			last = time.Now()
		}
	}
	close(batches)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
	return stored
}
