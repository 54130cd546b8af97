package clickhouse_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/procstat"
	"github.com/rebatehq/rebate/internal/testenv"
)

// TestLeaderboardRefreshYieldsToReads: the leaderboards' refresh runs at the
// lowest OS priority, as the writes do, so that on a busy server the reads
// get the CPU first (migration 000139). The embedded engine runs in this
// process, so the refresh's threads are this process's: the test refreshes
// again and again and looks for a thread at nice 19 while it runs. Nothing
// else runs at that value meanwhile: the one write (an order, so that there
// is a rank to work out) has ended and its threads are back at their own
// value before the test looks, and the package's tests that run in parallel
// (the oracle's seeds) run only beside each other.
func TestLeaderboardRefreshYieldsToReads(t *testing.T) {
	if _, err := niceThreads(19); err != nil {
		testenv.Missing(t, "thread priorities are read from Linux's /proc: %v", err)
	}
	db, _ := openStore(t, migrated(t))
	now := time.Now().UTC()
	insertEvents(t, db, rebate.Event{ID: "e1", Type: rebate.OrderPaid, TS: now, OrderID: "o1", UserID: 1, MerchantID: 7, ProductID: 9,
		Amount: 1_000_00, Commission: 100_00, PlacedAt: now.Add(-time.Minute)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The insert's threads ran at nice 19 (the writes yield too): wait
	// until the engine has put them back, so that only the refresh counts.
	for {
		n, err := niceThreads(19)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("threads still at nice 19 30 s after the insert, before any refresh")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Each view on its own: one at nice 19 must not hide the other.
	for _, view := range clickhouse.LeaderboardViews {
		var seen atomic.Bool
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && !seen.Load() {
				n, err := niceThreads(19)
				if err != nil {
					t.Error(err)
					return
				}
				seen.Store(n > 0)
			}
		}()
		refreshes := 0
		for ctx.Err() == nil && !seen.Load() {
			if err := db.RefreshView(ctx, view); err != nil && ctx.Err() == nil {
				t.Fatal(err)
			}
			refreshes++
		}
		wg.Wait()
		if !seen.Load() {
			t.Fatalf("%d refreshes of %s, none seen running at nice 19: the refresh competes with the reads", refreshes, view)
		}
		t.Logf("%s seen at nice 19 within %d refreshes", view, refreshes)
	}
}

// niceThreads counts this process's threads at the nice value n.
func niceThreads(n int) (int, error) {
	threads, err := procstat.Threads(os.Getpid())
	count := 0
	for _, th := range threads {
		if th.Nice == n {
			count++
		}
	}
	return count, err
}
