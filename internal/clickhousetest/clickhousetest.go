// Package clickhousetest gives tests a migrated database on the embedded
// endpoint and checks every figure of a store against the oracle.
package clickhousetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
)

// Migrated returns the config of a fresh, fully migrated database: a copy
// of a template migrated once per test binary, made by the service's own
// restore (clickhouse DB.Restore). A copy takes about 0.3 s where running
// the migrations takes about 5; TestRestoredIsMigrated in package
// clickhouse holds the copies to a database migrated afresh.
func Migrated(tb testing.TB) clickhouse.Config {
	tb.Helper()
	ep := chlocaltest.Start(tb)
	tmpl, backup := migratedTemplate(tb)
	cfg := clickhouse.Config{Addr: ep.Addr, Database: ep.DatabaseName(tb)}
	opts := clickhouse.RestoreOptions{Name: backup, Location: clickhouse.BackupLocation{Disk: clickhouse.DefaultBackupDisk}, As: cfg.Database}
	if _, err := tmpl.Restore(context.Background(), opts); err != nil {
		tb.Fatalf("copy the migrated template: %v", err)
	}
	return cfg
}

// template is the migrated database Migrated copies, and its backup, made
// by the first test that needs them; a failed attempt leaves them unset for
// the next test to try again. Its connection stays open for the binary's
// life (the database itself is dropped with that first test: a restore
// reads the backup only).
var template struct {
	mu     sync.Mutex
	db     *clickhouse.DB
	backup string
}

func migratedTemplate(tb testing.TB) (*clickhouse.DB, string) {
	tb.Helper()
	template.mu.Lock()
	defer template.mu.Unlock()
	if template.db == nil {
		ctx := context.Background()
		cfg := Migrate(tb)
		db, err := clickhouse.Open(ctx, cfg)
		if err != nil {
			tb.Fatal(err)
		}
		// Its leaderboards refreshed and the refresh waited for first, so
		// the backup never meets the view swapping its table: the copies
		// start from a settled one.
		backup := "migrated-" + cfg.Database
		err = db.RefreshAll(ctx)
		if err == nil {
			err = db.Conn().Exec(ctx, fmt.Sprintf("BACKUP DATABASE %s TO Disk('%s', '%s')", cfg.Database, clickhouse.DefaultBackupDisk, backup))
		}
		if err != nil {
			db.Close()
			tb.Fatalf("make the migrated template: %v", err)
		}
		template.db, template.backup = db, backup
	}
	return template.db, template.backup
}

// Migrate runs every migration into a new database and returns its config.
// Its leaderboards refresh hourly: dozens of test databases refreshing every
// 2 s would load the engine; tests refresh explicitly.
func Migrate(tb testing.TB) clickhouse.Config {
	tb.Helper()
	ep := chlocaltest.Start(tb)
	cfg := clickhouse.Config{Addr: ep.Addr, Database: ep.Database(tb)}
	ctx := context.Background()
	m, err := clickhouse.NewMigrator(ctx, cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer m.Close()
	if err := m.Up(); err != nil {
		tb.Fatal(err)
	}
	if err := m.SetLeaderboardRefresh(ctx, time.Hour, time.Hour); err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// OpenStore connects a Store to cfg's database, closed at cleanup.
func OpenStore(tb testing.TB, cfg clickhouse.Config) (*clickhouse.DB, *clickhouse.Store) {
	tb.Helper()
	ctx := context.Background()
	db, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	st, err := clickhouse.NewStore(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	return db, st
}

// Bench sizes: the population LoadTraffic spreads events over.
const (
	BenchUsers     = 100_000
	BenchMerchants = 300
	BenchProducts  = 50_000
)

// LoadTraffic stores n events of eventgen.Traffic spread over the 30 days
// before now, in 100,000-event chunks, each the next stretch of time
// (StoreHistory; with REBATE_BENCH_HISTORY=bulk, LoadHistory: faster, the
// history's fraud signals not worked out, which the dashboards' and the
// signal queries' benchmarks read), then waits (bounded) for merges to settle and refreshes
// the leaderboards. It returns a line for the log.
func LoadTraffic(tb testing.TB, db *clickhouse.DB, st *clickhouse.Store, n int, now time.Time) string {
	tb.Helper()
	ctx := context.Background()
	gen := eventgen.NewTraffic(42, BenchUsers, BenchMerchants, BenchProducts)
	chunks := max(1, n/historyChunk)
	span := 30 * 24 * time.Hour
	width := span / time.Duration(chunks)
	start := time.Now()
	i := 0
	chunk := func(n int) []rebate.Event {
		i++
		return gen.Chunk(n, now.Add(-span+time.Duration(i-1)*width), width)
	}
	loaded, how := History(tb, db, 0, n, BulkHistory(tb, false), chunk)
	insert := time.Since(start)
	settled := SettleMerges(tb, db, 5*time.Minute)
	if err := st.RefreshLeaderboard(ctx); err != nil {
		tb.Fatal(err)
	}
	var orders, parts uint64
	_ = db.Conn().QueryRow(ctx, "SELECT count() FROM order_prices FINAL").Scan(&orders)
	_ = db.Conn().QueryRow(ctx, "SELECT count() FROM system.parts WHERE database = currentDatabase() AND active").Scan(&parts)
	return fmt.Sprintf("loaded %d events in %s (%.0f events/s, %s), merges settled in %s; %d orders, %d active parts",
		loaded, insert.Round(time.Millisecond), float64(loaded)/insert.Seconds(), how, settled.Round(time.Second), orders, parts)
}

// SettleMerges waits until the engine has run no merge of the database for
// three polls a second apart, or for at most limit, and returns how long it
// waited: so that what is measured next is not the tail of a load's merges.
func SettleMerges(tb testing.TB, db *clickhouse.DB, limit time.Duration) time.Duration {
	tb.Helper()
	start := time.Now()
	for quiet := 0; quiet < 3 && time.Since(start) < limit; {
		var merges uint64
		if err := db.Conn().QueryRow(context.Background(), "SELECT count() FROM system.merges WHERE database = currentDatabase()").Scan(&merges); err != nil {
			tb.Fatal(err)
		}
		if merges == 0 {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(time.Second) // polling the merge count, bounded above
	}
	return time.Since(start)
}

// Insert stores events as the ingester does a batch: inserted, then the
// figures and the signals they change worked out again.
func Insert(tb testing.TB, db *clickhouse.DB, events []rebate.Event) {
	tb.Helper()
	if err := Store(context.Background(), db, events); err != nil {
		tb.Fatal(err)
	}
}

// Store is Insert for a goroutine other than the test's: it returns the
// error. Batches stored at once from several goroutines leave the same
// figures as one after the other, as two ingesters do (docs/schema.md).
func Store(ctx context.Context, db *clickhouse.DB, events []rebate.Event) error {
	c, err := InsertFigures(ctx, db, events)
	if err != nil {
		return err
	}
	return db.MaterializeSignals(ctx, c)
}

// storeFigures inserts a batch and works out the figures it changes, as
// the ingester does at once; it returns the changes, whose signals are owed.
func InsertFigures(ctx context.Context, db *clickhouse.DB, events []rebate.Event) (rebate.Changes, error) {
	var c rebate.Changes
	if err := db.InsertEvents(ctx, events, nil, ""); err != nil {
		return c, err
	}
	c.AddAll(events)
	return c, db.MaterializeFigures(ctx, c)
}

// InsertBatches stores batches in order as the ingester does: each inserted
// and its figures worked out at once (clickhouse.DB.MaterializeFigures);
// the signals of the batches stored since the last time worked out
// together, their changes merged (MaterializeSignals), after batch i when
// together(i) says so, and after the last. The ingester does that for the
// batches of each --signal-interval; nil: after the last only.
func InsertBatches(tb testing.TB, db *clickhouse.DB, batches [][]rebate.Event, together func(i int) bool) {
	tb.Helper()
	ctx := context.Background()
	var owed rebate.Changes
	for i, events := range batches {
		c, err := InsertFigures(ctx, db, events)
		if err != nil {
			tb.Fatal(err)
		}
		owed.Merge(c)
		if i == len(batches)-1 || together != nil && together(i) {
			if err := db.MaterializeSignals(ctx, owed); err != nil {
				tb.Fatal(err)
			}
			owed = rebate.Changes{}
		}
	}
}

// Figures is what CompareFigures reads: the store, or the API through its
// client.
type Figures interface {
	Balance(ctx context.Context, user uint64) (rebate.Balance, error)
	AllOrders(ctx context.Context, user uint64, page uint32) ([]rebate.Order, error)
	AllReferrals(ctx context.Context, user uint64, page uint32) ([]rebate.Referral, error)
	Leaderboard(ctx context.Context, w rebate.Window, limit uint32) (rebate.Leaderboard, error)
	Rank(ctx context.Context, user uint64, w rebate.Window, n uint32) (rebate.Leaderboard, error)
	MerchantStats(ctx context.Context, merchant uint64, w rebate.Window, now time.Time) (rebate.MerchantStats, error)
	Minutely(ctx context.Context, now time.Time, minutes uint16) (rebate.Minutely, error)
	Product(ctx context.Context, id uint64) (rebate.Product, error)
	RefreshLeaderboard(ctx context.Context) error
}

// StoreFigures reads figures from a store.
type StoreFigures struct{ *clickhouse.Store }

// AllOrders pages through a user's orders with the cursor.
func (s StoreFigures) AllOrders(ctx context.Context, user uint64, page uint32) ([]rebate.Order, error) {
	var out []rebate.Order
	cur := rebate.FirstPage
	for {
		got, _, err := s.Orders(ctx, user, cur, page)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if uint32(len(got)) < page {
			return out, nil
		}
		last := got[len(got)-1]
		cur = rebate.OrderCursor{PlacedAt: last.PlacedAt, OrderID: last.OrderID}
	}
}

// AllReferrals pages through the users a user invited.
func (s StoreFigures) AllReferrals(ctx context.Context, user uint64, page uint32) ([]rebate.Referral, error) {
	var out []rebate.Referral
	var after uint64
	for {
		got, _, err := s.Referrals(ctx, user, after, page)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if uint32(len(got)) < page {
			return out, nil
		}
		after = got[len(got)-1].InviteeID
	}
}

// CompareFigures checks that every figure the store reports equals the
// oracle's: balances, orders and referrals of every user (and one never
// seen), every window's leaderboard whole (after refreshing) and a sample of
// users' ranks in it, every merchant's stats, minutely series ending at now,
// and products.
//
// The samples keep the check's cost to the stream's, not to users times
// windows. About a quarter of the users, and always those with the most
// orders and the most referrals, page through them a few rows at a time
// (the rest read them in pages of 100, the most a page may hold). In each
// window the neighbours are read of the first, second, second-to-last and
// last ranked users, of a user seen but not ranked there, of the user
// never seen, and of rankSample others. The leaderboard compared whole
// proves the ranking; the sample proves the neighbours query reads it.
func CompareFigures(t *testing.T, st Figures, want *oracle.Oracle, now time.Time, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	users := append(want.Users(), 999_999_999)
	pages := make([]uint32, len(users))
	most := func(n func(uint64) int) uint64 { // the user with the most of n
		top := users[0]
		for _, u := range users {
			if n(u) > n(top) {
				top = u
			}
		}
		return top
	}
	mostOrders := most(func(u uint64) int { return len(want.Orders(u)) })
	mostReferrals := most(func(u uint64) int { return len(want.Referrals(u)) })
	for i, u := range users {
		pages[i] = 100
		if rng.IntN(4) == 0 || u == mostOrders || u == mostReferrals {
			pages[i] = uint32(1 + rng.IntN(7))
		}
	}
	Parallel(t, len(users), func(i int) error {
		u := users[i]
		got, err := st.Balance(ctx, u)
		if err != nil {
			return err
		}
		got.AsOf = time.Time{}
		if exp := want.Balance(u); got != exp {
			return fmt.Errorf("balance of user %d:\n got %+v\nwant %+v", u, got, exp)
		}
		orders, err := st.AllOrders(ctx, u, pages[i])
		if err != nil {
			return err
		}
		if exp := want.Orders(u); !sameOrders(orders, exp) {
			return fmt.Errorf("orders of user %d:\n got %+v\nwant %+v", u, orders, exp)
		}
		refs, err := st.AllReferrals(ctx, u, pages[i])
		if err != nil {
			return err
		}
		if exp := want.Referrals(u); !sameReferrals(refs, exp) {
			return fmt.Errorf("referrals of user %d:\n got %+v\nwant %+v", u, refs, exp)
		}
		return nil
	})
	if err := st.RefreshLeaderboard(ctx); err != nil {
		t.Fatal(err)
	}
	windows := rebate.Windows()
	// Each window's users in a random order, drawn here: rng is not for
	// goroutines.
	shuffled := make([][]uint64, len(windows))
	for i := range windows {
		for _, j := range rng.Perm(len(users)) {
			shuffled[i] = append(shuffled[i], users[j])
		}
	}
	Parallel(t, len(windows), func(i int) error {
		w := windows[i]
		lb, err := st.Leaderboard(ctx, w, 1000)
		if err != nil {
			return err
		}
		exp := want.Leaderboard(w, lb.AsOf)
		if !sameEntries(lb.Entries, exp) {
			return fmt.Errorf("leaderboard %s as of %s:\n got %+v\nwant %+v", w, lb.AsOf, lb.Entries, exp)
		}
		sample := append(slices.Clone(shuffled[i][:min(rankSample, len(users))]), users[len(users)-1])
		ranks := map[uint64]bool{}
		for _, e := range exp {
			ranks[e.UserID] = true
		}
		for _, k := range []int{0, 1, len(exp) - 2, len(exp) - 1} {
			if k >= 0 && k < len(exp) {
				sample = append(sample, exp[k].UserID)
			}
		}
		if j := slices.IndexFunc(shuffled[i], func(u uint64) bool { return !ranks[u] && u != users[len(users)-1] }); j >= 0 {
			sample = append(sample, shuffled[i][j]) // seen, not ranked in this window
		}
		for _, u := range sample {
			r, err := st.Rank(ctx, u, w, 2)
			if err != nil {
				return err
			}
			if exp := want.Neighbours(u, w, r.AsOf, 2); !sameEntries(r.Entries, exp) {
				return fmt.Errorf("rank of user %d in %s:\n got %+v\nwant %+v", u, w, r.Entries, exp)
			}
		}
		for _, m := range append(want.Merchants(), 424242) {
			got, err := st.MerchantStats(ctx, m, w, now)
			if err != nil {
				return err
			}
			got.AsOf = time.Time{}
			if exp := want.MerchantStats(m, w, now); got != exp {
				return fmt.Errorf("merchant %d over %s:\n got %+v\nwant %+v", m, w, got, exp)
			}
		}
		return nil
	})
	for _, minutes := range []uint16{1, 90, 1440} {
		got, err := st.Minutely(ctx, now, minutes)
		if err != nil {
			t.Fatal(err)
		}
		if exp := want.Minutely(now, int(minutes)); !reflect.DeepEqual(got.Minutes, exp) {
			t.Errorf("minutely over %d minutes: %d rows vs %d; first difference %s", minutes, len(got.Minutes), len(exp), firstDiff(got.Minutes, exp))
		}
	}
	for _, p := range append(want.Products(), 777_777) {
		got, err := st.Product(ctx, p)
		exp, ok := want.Product(p)
		switch {
		case !ok && rebate.ErrorCode(err) != rebate.ENOTFOUND:
			t.Errorf("product %d was never updated: got %+v, %v; want not found", p, got, err)
		case ok && (err != nil || got != exp):
			t.Errorf("product %d:\n got %+v %v\nwant %+v", p, got, err, exp)
		}
	}
}

// rankSample is how many users' neighbours CompareFigures reads in each
// window at random, beside those it always reads.
const rankSample = 12

// Parallel runs check(0..n-1) on 4 goroutines, one per engine connection,
// and reports every error.
func Parallel(t *testing.T, n int, check func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := check(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func sameOrders(a, b []rebate.Order) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func sameReferrals(a, b []rebate.Referral) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func sameEntries(a, b []rebate.LeaderboardEntry) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func firstDiff(a, b []rebate.MinuteKPI) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d: got %+v want %+v", i, a[i], b[i])
		}
	}
	return "in length"
}

// SignalReader reads raised fraud signals: the store, or the API through
// its client.
type SignalReader interface {
	Signals(ctx context.Context, q rebate.SignalQuery) ([]rebate.Signal, error)
}

// AllSignals pages through the raised signals q selects (its Limit the
// page size), with the cursor.
func AllSignals(ctx context.Context, r SignalReader, q rebate.SignalQuery) ([]rebate.Signal, error) {
	var out []rebate.Signal
	for {
		got, err := r.Signals(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if uint32(len(got)) < q.Limit {
			return out, nil
		}
		cur := got[len(got)-1].Cursor()
		q.After = &cur
	}
}

// CompareSignals checks that the raised signals r lists equal want (the
// oracle's, in its order), evidence included and DetectedAt aside: all of
// them in pages of random size, each kind alone, and those since a time
// inside the stream.
func CompareSignals(t *testing.T, r SignalReader, want []rebate.Signal, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	check := func(what string, q rebate.SignalQuery, exp []rebate.Signal) {
		t.Helper()
		got, err := AllSignals(ctx, r, q)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for i := range got {
			if got[i].DetectedAt.IsZero() {
				t.Errorf("%s: %+v has no detected_at", what, got[i])
			}
			got[i].DetectedAt = time.Time{}
		}
		if len(got) != len(exp) || len(got) > 0 && !reflect.DeepEqual(got, exp) {
			t.Errorf("%s: %d signals, want %d; first difference %s", what, len(got), len(exp), firstSignalDiff(got, exp))
		}
	}
	check("every signal", rebate.SignalQuery{Limit: uint32(1 + rng.IntN(40))}, want)
	for _, k := range rebate.SignalKinds() {
		var exp []rebate.Signal
		for _, s := range want {
			if s.Kind == k {
				exp = append(exp, s)
			}
		}
		check(k.String()+" signals", rebate.SignalQuery{Kind: k, Limit: uint32(1 + rng.IntN(40))}, exp)
	}
	if len(want) > 0 {
		since := want[rng.IntN(len(want))].At
		var exp []rebate.Signal
		for _, s := range want {
			if !s.At.Before(since) {
				exp = append(exp, s)
			}
		}
		check("signals since "+since.Format(time.RFC3339Nano), rebate.SignalQuery{Since: since, Limit: 1000}, exp)
	}
}

func firstSignalDiff(a, b []rebate.Signal) string {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return fmt.Sprintf("at %d:\n got %+v\nwant %+v", i, a[i], b[i])
		}
	}
	if len(a) > len(b) {
		return fmt.Sprintf("an extra %+v", a[len(b)])
	}
	if len(b) > len(a) {
		return fmt.Sprintf("a missing %+v", b[len(a)])
	}
	return "none"
}
