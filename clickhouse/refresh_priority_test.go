package clickhouse_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
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
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc/self/task: thread priorities are read from Linux's /proc")
	}
	db, st := openStore(t, migrated(t))
	now := time.Now().UTC()
	insertEvents(t, db, rebate.Event{ID: "e1", Type: rebate.OrderPaid, TS: now, OrderID: "o1", UserID: 1, MerchantID: 7, ProductID: 9,
		Amount: 1_000_00, Commission: 100_00, PlacedAt: now.Add(-time.Minute)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The insert's threads ran at nice 19 (the writes yield too): wait
	// until the engine has put them back, so that only the refresh counts.
	for niceThreads(19) > 0 {
		if ctx.Err() != nil {
			t.Fatal("threads still at nice 19 30 s after the insert, before any refresh")
		}
		time.Sleep(10 * time.Millisecond)
	}

	var seen atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil && !seen.Load() {
			if niceThreads(19) > 0 {
				seen.Store(true)
			}
		}
	}()
	refreshes := 0
	for ctx.Err() == nil && !seen.Load() {
		if err := st.RefreshLeaderboard(ctx); err != nil && ctx.Err() == nil {
			t.Fatal(err)
		}
		refreshes++
	}
	cancel()
	wg.Wait()
	if !seen.Load() {
		t.Fatalf("%d refreshes of %s, none seen running at nice 19: the refresh competes with the reads", refreshes, clickhouse.LeaderboardView)
	}
	t.Logf("seen at nice 19 within %d refreshes", refreshes)
}

// niceThreads counts this process's threads at the nice value n
// (/proc/self/task/<tid>/stat: the 19th field, counted after the command,
// which is in parentheses and may hold spaces).
func niceThreads(n int) int {
	stats, _ := filepath.Glob("/proc/self/task/*/stat")
	count := 0
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 > len(s) {
			continue
		}
		// After ") ": state is field 3, so nice (field 19) is the 17th.
		if fields := strings.Fields(s[i+2:]); len(fields) > 16 && fields[16] == strconv.Itoa(n) {
			count++
		}
	}
	return count
}
