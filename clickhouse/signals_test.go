package clickhouse_test

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
	"github.com/rebatehq/rebate/internal/simulate"
	"github.com/rebatehq/rebate/migrations"
)

// craft builds the events of a crafted stream, each with a fresh event id.
type craft struct {
	n      int
	events []rebate.Event
}

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func (c *craft) add(e rebate.Event) rebate.Event {
	c.n++
	e.ID = fmt.Sprintf("x-%d", c.n)
	c.events = append(c.events, e)
	return e
}

func (c *craft) click(user, product uint64, at time.Time) {
	c.add(rebate.Event{Type: rebate.Click, TS: at, UserID: user, MerchantID: 1, ProductID: product})
}

// order emits the status events typs of an order of user's on product,
// placed at.
func (c *craft) order(id string, user, product uint64, at time.Time, typs ...rebate.EventType) rebate.Event {
	o := rebate.Event{OrderID: id, UserID: user, MerchantID: 1, ProductID: product, Amount: 10000, Commission: 500, PlacedAt: at}
	for i, typ := range typs {
		e := o
		e.Type, e.TS = typ, at.Add(time.Duration(i)*time.Hour)
		c.add(e)
	}
	return o
}

func (c *craft) join(user, inviter uint64, at time.Time) {
	c.add(rebate.Event{Type: rebate.UserJoined, TS: at, UserID: user, InviterID: inviter})
}

// take returns the events added since the last take.
func (c *craft) take() []rebate.Event {
	out := c.events
	c.events = nil
	return out
}

type signalEnv struct {
	t   *testing.T
	db  *clickhouse.DB
	st  *clickhouse.Store
	all []rebate.Event // every event inserted, for the oracle
	th  rebate.SignalThresholds
}

func newSignalEnv(t *testing.T, sc clickhouse.SignalConfig) *signalEnv {
	cfg := migrated(t)
	db, st := openStore(t, cfg)
	if err := db.SetSignals(sc); err != nil {
		t.Fatal(err)
	}
	return &signalEnv{t: t, db: db, st: st, th: db.Signals().Thresholds()}
}

// insert stores events as the ingester does (insert, then Materialize).
func (e *signalEnv) insert(events []rebate.Event) {
	e.t.Helper()
	clickhousetest.Insert(e.t, e.db, events)
	e.all = append(e.all, events...)
}

// raised lists the raised signals of kind, checked against the oracle's
// over everything inserted so far.
func (e *signalEnv) raised(kind rebate.SignalKind) []rebate.Signal {
	e.t.Helper()
	got, err := clickhousetest.AllSignals(context.Background(), e.st, rebate.SignalQuery{Kind: kind, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	for i := range got {
		got[i].DetectedAt = time.Time{}
	}
	var want []rebate.Signal
	for _, s := range oracle.New(e.all, nil).Signals(e.th) {
		if s.Kind == kind {
			want = append(want, s)
		}
	}
	if len(got) != len(want) || len(got) > 0 && !reflect.DeepEqual(got, want) {
		e.t.Fatalf("%s signals:\n got %+v\nwant %+v (the oracle's)", kind, got, want)
	}
	return got
}

// withdrawn reports whether risk_signals holds the subject's row, not
// raised: a signal that was raised, worked out again.
func (e *signalEnv) withdrawn(kind rebate.SignalKind, user uint64, ref string) bool {
	e.t.Helper()
	var raised bool
	var rows uint64
	err := e.db.Conn().QueryRow(context.Background(),
		"SELECT count(), any(raised) FROM risk_signals FINAL WHERE signal = ? AND user_id = ? AND ref = ?", kind.String(), user, ref).
		Scan(&rows, &raised)
	if err != nil {
		e.t.Fatal(err)
	}
	return rows == 1 && !raised
}

// TestNoClickSignal: an order with no click by its user on its product in
// the 24 hours before placed_at is flagged, with the latest earlier click
// as evidence; clicks outside the window, on another product or by another
// user leave it flagged; a late click inside the window withdraws it.
func TestNoClickSignal(t *testing.T) {
	e := newSignalEnv(t, clickhouse.SignalConfig{})
	var c craft
	c.order("lonely", 1, 10, t0, rebate.OrderPaid)
	c.click(1, 10, t0.Add(time.Millisecond)) // after the order: no help
	c.order("clicked", 1, 20, t0, rebate.OrderPaid)
	c.click(1, 20, t0) // at placed_at: counts
	c.order("edge", 1, 30, t0, rebate.OrderPaid)
	c.click(1, 30, t0.Add(-24*time.Hour)) // the window's first instant: counts
	e.insert(c.take())
	got := e.raised(rebate.NoClick)
	want := rebate.Signal{Kind: rebate.NoClick, UserID: 1, At: t0, WindowStart: t0.Add(-24 * time.Hour), WindowEnd: t0,
		OrderID: "lonely", MerchantID: 1, ProductID: 10}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	c.click(1, 10, t0.Add(-24*time.Hour-time.Millisecond)) // just outside
	c.click(1, 11, t0.Add(-time.Hour))                     // another product
	c.click(2, 10, t0.Add(-time.Hour))                     // another user
	e.insert(c.take())
	got = e.raised(rebate.NoClick)
	if len(got) != 1 || !got[0].LastClick.Equal(t0.Add(-24*time.Hour-time.Millisecond)) {
		t.Fatalf("after clicks that do not count: %+v", got)
	}

	c.click(1, 10, t0.Add(-23*time.Hour)) // late, inside the window
	e.insert(c.take())
	if got := e.raised(rebate.NoClick); len(got) != 0 {
		t.Fatalf("a late click left %+v raised", got)
	}
	if !e.withdrawn(rebate.NoClick, 1, "lonely") {
		t.Error("the withdrawn signal has no row saying so")
	}
	// Its later events (settled, a copy of paid) change nothing.
	c.order("lonely", 1, 10, t0, rebate.OrderPaid, rebate.OrderSettled)
	e.insert(c.take())
	if got := e.raised(rebate.NoClick); len(got) != 0 {
		t.Fatalf("after the order settled: %+v", got)
	}
}

// TestCancelRateSignal: at the defaults (more than 70% void of at least 10
// orders over the 30 days up to the user's latest order).
func TestCancelRateSignal(t *testing.T) {
	e := newSignalEnv(t, clickhouse.SignalConfig{})
	var c craft
	// User 1: 10 orders, 8 void: raised. User 2: 10 orders, 7 void: not more
	// than 70%. User 3: 9 orders, all void: too few. User 4: 8 void of 10,
	// but 2 of the voids placed 30 days and 1 ms before the latest order,
	// outside the window.
	for i := range 10 {
		at := t0.Add(time.Duration(i) * 24 * time.Hour)
		typ := func(void bool) []rebate.EventType {
			if void {
				return []rebate.EventType{rebate.OrderPaid, rebate.OrderCancelled}
			}
			return []rebate.EventType{rebate.OrderPaid, rebate.OrderSettled}
		}
		c.order(fmt.Sprintf("u1-%d", i), 1, 1, at, typ(i < 8)...)
		c.order(fmt.Sprintf("u2-%d", i), 2, 1, at, typ(i < 7)...)
		if i < 9 {
			c.order(fmt.Sprintf("u3-%d", i), 3, 1, at, typ(true)...)
		}
		at4 := at
		if i < 2 {
			at4 = t0.Add(9*24*time.Hour - 30*24*time.Hour - time.Millisecond)
		}
		c.order(fmt.Sprintf("u4-%d", i), 4, 1, at4, typ(i < 8)...)
	}
	e.insert(c.take())
	latest := t0.Add(9 * 24 * time.Hour)
	want := rebate.Signal{Kind: rebate.CancelRate, UserID: 1, At: latest, WindowStart: latest.Add(-30 * 24 * time.Hour),
		WindowEnd: latest, Orders: 10, Voided: 8}
	if got := e.raised(rebate.CancelRate); len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// A reversal of a settled order of user 2 tips them over (8 of 10);
	// two clean orders bring user 1 back under (8 of 12).
	c.order("u2-9", 2, 1, t0.Add(9*24*time.Hour), rebate.OrderReversed)
	c.order("u1-clean-a", 1, 1, latest.Add(time.Hour), rebate.OrderPaid)
	c.order("u1-clean-b", 1, 1, latest.Add(2*time.Hour), rebate.OrderPaid)
	e.insert(c.take())
	got := e.raised(rebate.CancelRate)
	if len(got) != 1 || got[0].UserID != 2 || got[0].Voided != 8 {
		t.Fatalf("after a reversal and clean orders: %+v", got)
	}
	if !e.withdrawn(rebate.CancelRate, 1, "") {
		t.Error("user 1's signal was not withdrawn")
	}
}

// TestVelocitySignal: more than 10 orders (the default) in one hour
// [t, t + 1 h), with the busiest hour as evidence.
func TestVelocitySignal(t *testing.T) {
	e := newSignalEnv(t, clickhouse.SignalConfig{})
	var c craft
	for i := range 11 {
		// User 1: 11 orders, the last 1 ms inside the hour. User 2: the
		// same, the last on the hour's end (outside). User 3: 10.
		at := t0.Add(time.Duration(i) * 5 * time.Minute)
		last1, last2 := at, at
		if i == 10 {
			last1, last2 = t0.Add(time.Hour-time.Millisecond), t0.Add(time.Hour)
		}
		c.order(fmt.Sprintf("u1-%d", i), 1, 1, last1, rebate.OrderPaid)
		c.order(fmt.Sprintf("u2-%d", i), 2, 1, last2, rebate.OrderPaid)
		if i < 10 {
			c.order(fmt.Sprintf("u3-%d", i), 3, 1, at, rebate.OrderPaid, rebate.OrderCancelled)
		}
	}
	e.insert(c.take())
	want := rebate.Signal{Kind: rebate.Velocity, UserID: 1, At: t0, WindowStart: t0, WindowEnd: t0.Add(time.Hour), Orders: 11}
	if got := e.raised(rebate.Velocity); len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// The threshold is a setting, bound when signals are worked out. Set
	// to 9, as an ingester starts: every signal is worked out again, and
	// users 2 and 3 (10 orders in an hour) are flagged too; the same
	// setting again works nothing out.
	ctx := context.Background()
	for i, want := range []bool{true, false} {
		redone, err := e.db.ApplySignals(ctx, clickhouse.SignalConfig{OrdersPerHour: 9})
		if err != nil || redone != want {
			t.Fatalf("apply %d: worked out again %v, %v; want %v", i, redone, err, want)
		}
	}
	e.th = e.db.Signals().Thresholds()
	if got := e.raised(rebate.Velocity); len(got) != 3 {
		t.Fatalf("at 9 an hour: %+v", got)
	}
	c.order("u3-late", 3, 1, t0.Add(10*24*time.Hour), rebate.OrderPaid)
	e.insert(c.take())
	e.raised(rebate.Velocity)
}

// TestUserSignalsAtDayEdges: cancel_rate and velocity add up days
// (user_days), so what lies across a day's edge must count as it does over
// orders, batch after batch: an hour that starts before midnight and fills
// up after it, and the window's first day, cut at the millisecond.
func TestUserSignalsAtDayEdges(t *testing.T) {
	e := newSignalEnv(t, clickhouse.SignalConfig{})
	var c craft
	midnight := t0.Truncate(24 * time.Hour).Add(24 * time.Hour)
	// User 1: 9 orders from 23:10 to 23:50, then 2 more after midnight in
	// a later batch: 11 in the hour from 23:10, across two days.
	for i := range 9 {
		c.order(fmt.Sprintf("u1-%d", i), 1, 1, midnight.Add(-50*time.Minute+time.Duration(i)*5*time.Minute), rebate.OrderPaid)
	}
	// User 2: 11 orders in the hour from 23:30, all in one batch.
	for i := range 11 {
		c.order(fmt.Sprintf("u2-%d", i), 2, 1, midnight.Add(-30*time.Minute+time.Duration(i)*5*time.Minute), rebate.OrderPaid)
	}
	e.insert(c.take())
	if got := e.raised(rebate.Velocity); len(got) != 1 || got[0].UserID != 2 {
		t.Fatalf("before the hour filled up: %+v", got)
	}
	c.order("u1-9", 1, 1, midnight, rebate.OrderPaid)
	c.order("u1-10", 1, 1, midnight.Add(9*time.Minute+59*time.Second), rebate.OrderPaid)
	e.insert(c.take())
	got := e.raised(rebate.Velocity)
	if len(got) != 2 || got[1].UserID != 1 || !got[1].At.Equal(midnight.Add(-50*time.Minute)) || got[1].Orders != 11 {
		t.Fatalf("after the hour filled up across midnight: %+v", got)
	}
	// A cancellation of the hour's first order works out its day again
	// alone, which must still count the orders after midnight.
	c.order("u1-0", 1, 1, midnight.Add(-50*time.Minute), rebate.OrderCancelled)
	e.insert(c.take())
	if got := e.raised(rebate.Velocity); len(got) != 2 {
		t.Fatalf("after a cancellation before midnight: %+v", got)
	}

	// User 3: 10 orders, 7 void, the latest at latest; 1 void on the
	// window's first day at latest - 30 days exactly (in), 1 void a
	// millisecond earlier (out): 8 void of 11, raised.
	latest := t0.Add(40 * 24 * time.Hour)
	for i := range 10 {
		typs := []rebate.EventType{rebate.OrderPaid, rebate.OrderSettled}
		if i < 7 {
			typs = []rebate.EventType{rebate.OrderPaid, rebate.OrderCancelled}
		}
		c.order(fmt.Sprintf("u3-%d", i), 3, 1, latest.Add(-time.Duration(i)*24*time.Hour), typs...)
	}
	c.order("u3-first", 3, 1, latest.Add(-30*24*time.Hour), rebate.OrderPaid, rebate.OrderCancelled)
	c.order("u3-before", 3, 1, latest.Add(-30*24*time.Hour-time.Millisecond), rebate.OrderPaid, rebate.OrderCancelled)
	e.insert(c.take())
	if got := e.raised(rebate.CancelRate); len(got) != 1 || got[0].UserID != 3 || got[0].Orders != 11 || got[0].Voided != 8 {
		t.Fatalf("cancel rate over the window's first day: %+v", got)
	}
	// A later order moves the window a day on: the first-day void falls
	// out (8 void of 11 becomes 7 of 11, not more than 70%).
	c.order("u3-later", 3, 1, latest.Add(24*time.Hour), rebate.OrderPaid)
	e.insert(c.take())
	if got := e.raised(rebate.CancelRate); len(got) != 0 {
		t.Fatalf("after the window moved on: %+v", got)
	}
	if !e.withdrawn(rebate.CancelRate, 3, "") {
		t.Error("user 3's signal was not withdrawn")
	}
}

// TestInviteFarmSignal: an inviter with at least 10 invitees (the default)
// and no settled order among them; one settlement withdraws it.
func TestInviteFarmSignal(t *testing.T) {
	e := newSignalEnv(t, clickhouse.SignalConfig{})
	var c craft
	c.join(100, 0, t0)
	for i := range uint64(10) {
		c.join(101+i, 100, t0.Add(time.Duration(i+1)*time.Minute))
		c.order(fmt.Sprintf("f-%d", i), 101+i, 1, t0.Add(time.Hour), rebate.OrderPaid, rebate.OrderCancelled)
		if i < 9 { // inviter 200 has 9 invitees, none settled
			c.join(201+i, 200, t0.Add(time.Duration(i+1)*time.Minute))
		}
	}
	// An invitee joins twice with the same inviter: one invitee, the
	// earliest join.
	c.join(101, 100, t0.Add(time.Hour))
	e.insert(c.take())
	want := rebate.Signal{Kind: rebate.InviteFarm, UserID: 100, At: t0.Add(10 * time.Minute), WindowStart: t0.Add(time.Minute),
		WindowEnd: t0.Add(10 * time.Minute), Orders: 10, Invitees: 10}
	if got := e.raised(rebate.InviteFarm); len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	c.join(210, 200, t0.Add(time.Hour)) // inviter 200's tenth
	c.order("f-settled", 105, 1, t0.Add(2*time.Hour), rebate.OrderPaid, rebate.OrderSettled)
	e.insert(c.take())
	got := e.raised(rebate.InviteFarm)
	if len(got) != 1 || got[0].UserID != 200 {
		t.Fatalf("after a settlement and a tenth invitee: %+v", got)
	}
	if !e.withdrawn(rebate.InviteFarm, 100, "") {
		t.Error("inviter 100's signal was not withdrawn")
	}
}

// TestSignalsSilentOnCleanTraffic: the simulator's traffic without abuse
// (orders follow clicks, shoppers pace their orders, small invitation
// trees), stored as the ingester does, raises no signal at the defaults,
// though every order and buyer was judged.
func TestSignalsSilentOnCleanTraffic(t *testing.T) {
	e := newSignalEnv(t, clickhouse.SignalConfig{})
	sim, err := simulate.New(simulate.Config{Seed: 3, Rate: 2, Users: 300, Clean: true, BadRate: 0}, t0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	batches := make([][]rebate.Event, 40)
	for i := range batches {
		for _, r := range sim.Next(1000) {
			ev, err := rebate.Decode(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			if !seen[ev.ID] { // the ingester's window drops copies this close
				seen[ev.ID] = true
				batches[i] = append(batches[i], ev)
			}
		}
		e.all = append(e.all, batches[i]...)
	}
	// The signals of four batches together: a second of batches at the
	// ingester's defaults.
	clickhousetest.InsertBatches(t, e.db, batches, func(i int) bool { return (i+1)%4 == 0 })
	for _, k := range rebate.SignalKinds() {
		e.raised(k) // the oracle's: none
	}
	var judged, raised uint64
	if err := e.db.Conn().QueryRow(context.Background(), "SELECT count(), countIf(raised) FROM risk_signals FINAL").Scan(&judged, &raised); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d events: %d subjects judged, %d raised", len(e.all), judged, raised)
	if raised != 0 || judged < 1000 {
		t.Errorf("%d subjects judged, %d raised: want many judged, none raised", judged, raised)
		for _, s := range column(t, e.db, "SELECT toString(tuple(*)) FROM risk_signals FINAL WHERE raised") {
			t.Log(s)
		}
	}
}

// TestSignalsUnderConcurrentBatches: two ingesters store and work out
// batches of one stream at once (each row absolute, the newest version
// winning), then one replays a batch: the signals and every figure are the
// oracle's. (The benchmarks' history loads two batches at once on this.)
func TestSignalsUnderConcurrentBatches(t *testing.T) {
	e := newSignalEnv(t, propertySignals)
	now := time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 99, Users: 40, Merchants: 4, Products: 8, Orders: 300, Clicks: 400,
		Members: 30, Now: now, Abuse: true})
	rng := rand.New(rand.NewPCG(99, 1))
	batches := eventgen.Split(rng, stream.Events, 80)
	ctx := context.Background()
	if err := e.db.InsertRules(ctx, stream.Rules); err != nil { // before any event, as in production
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(batches); i += 2 {
				if err := clickhousetest.Store(ctx, e.db, batches[i]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	clickhousetest.Insert(t, e.db, batches[rng.IntN(len(batches))]) // a replay
	o := oracle.New(stream.Events, stream.Rules)
	want := o.Signals(e.th)
	t.Logf("%d events in %d batches, %d signals raised, %d rules", len(stream.Events), len(batches), len(want), len(stream.Rules))
	clickhousetest.CompareSignals(t, e.st, want, rng)
	clickhousetest.CompareFigures(t, clickhousetest.StoreFigures{Store: e.st}, o, now, rng)
}

// TestSignalBackfillAtTheDefaults: the migration that works out the signals
// of what was stored before them binds the settings' defaults (ApplySignals
// takes an unset record for them).
func TestSignalBackfillAtTheDefaults(t *testing.T) {
	b, err := fs.ReadFile(migrations.FS, "000096_backfill_risk_signals.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	d := rebate.DefaultSignalThresholds()
	for _, want := range []string{
		fmt.Sprintf("cancel_share = %s,", strings.TrimRight(d.CancelShare.String(), "0")),
		fmt.Sprintf("cancel_min_orders = %d,", d.CancelMinOrders),
		fmt.Sprintf("orders_per_hour = %d)", d.OrdersPerHour),
		fmt.Sprintf("farm_invitees = %d)", d.FarmInvitees),
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the backfill does not say %q", want)
		}
	}
}
