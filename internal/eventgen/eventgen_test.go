package eventgen

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/oracle"
	"github.com/rebatehq/rebate/kafka"
)

var now = time.Date(2026, 5, 20, 8, 15, 42, 123_000_000, time.UTC)

func config(seed uint64) Config {
	return Config{Seed: seed, Users: 80, Merchants: 12, Products: 40, Orders: 2000, Clicks: 3000,
		Withdrawals: 400, ProductUpdates: 200, DuplicateRate: 0.1, Now: now}
}

func TestDeterministic(t *testing.T) {
	a, b := Generate(config(7)), Generate(config(7))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed generated two different streams")
	}
	if c := Generate(config(8)); reflect.DeepEqual(a.Events, c.Events) {
		t.Fatal("seeds 7 and 8 generated the same events")
	}
}

func TestDuplicateRate(t *testing.T) {
	for _, rate := range []float64{0, 0.05, 0.2, 0.5} {
		cfg := config(3)
		cfg.DuplicateRate = rate
		s := Generate(cfg)
		copies := map[string]int{}
		first := map[string]rebate.Event{}
		for _, e := range s.Events {
			copies[e.ID]++
			if f, ok := first[e.ID]; !ok {
				first[e.ID] = e
			} else if f != e {
				t.Fatalf("rate %v: %s delivered twice with different contents:\n%+v\n%+v", rate, e.ID, f, e)
			}
		}
		dup, most := 0, 0
		for _, n := range copies {
			if n > 1 {
				dup++
			}
			most = max(most, n)
		}
		got := float64(dup) / float64(len(copies))
		if math.Abs(got-rate) > 0.02 {
			t.Errorf("rate %v: %.3f of %d distinct events duplicated", rate, got, len(copies))
		}
		if most > 3 {
			t.Errorf("rate %v: an event delivered %d times, want at most 3", rate, most)
		}
		if rate >= 0.2 && most != 3 {
			t.Errorf("rate %v: no event delivered three times", rate)
		}
	}
}

func TestDuplicatesPlacedAnywhere(t *testing.T) {
	s := Generate(config(4))
	pos := map[string][]int{}
	for i, e := range s.Events {
		pos[e.ID] = append(pos[e.ID], i)
	}
	var adjacent, far bool
	for _, p := range pos {
		for j := 1; j < len(p); j++ {
			adjacent = adjacent || p[j]-p[j-1] == 1
			far = far || p[j]-p[j-1] > len(s.Events)/2
		}
	}
	if !adjacent || !far {
		t.Errorf("copies right after the original: %v, more than half the stream later: %v; want both", adjacent, far)
	}
}

func TestEventsRoundTrip(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 1 << 63} {
		for _, e := range Generate(config(seed)).Events {
			got, err := rebate.Decode(rebate.AppendJSON(nil, e))
			if err != nil {
				t.Fatalf("seed %d: %+v does not decode: %v", seed, e, err)
			}
			if got != e {
				t.Fatalf("seed %d: round trip changed\n%+v\ninto\n%+v", seed, e, got)
			}
		}
	}
}

func TestTimes(t *testing.T) {
	s := Generate(config(5))
	earliest, latest := now.Add(-Span), now.Add(time.Minute)
	inRange := func(tm time.Time) bool { return tm.After(earliest) && !tm.After(latest) }
	var after, lastHourClicks, lastHourOrders, lastMinuteOrders int
	for _, e := range s.Events {
		if !inRange(e.TS) || e.Type.IsOrder() && !inRange(e.PlacedAt) {
			t.Fatalf("%+v is outside the 40 days before now or the minute after", e)
		}
		if e.TS.Location() != time.UTC || e.TS.Truncate(time.Millisecond) != e.TS {
			t.Fatalf("%s: ts %v is not UTC milliseconds", e.ID, e.TS)
		}
		if e.TS.After(now) {
			after++
		}
		switch {
		case e.Type == rebate.Click && rebate.WindowHour.Contains(e.TS, now):
			lastHourClicks++
		case e.Type == rebate.OrderPaid && rebate.WindowHour.Contains(e.PlacedAt, now):
			lastHourOrders++
			if !e.PlacedAt.Before(now.Truncate(time.Minute)) {
				lastMinuteOrders++
			}
		}
	}
	if after == 0 || after > len(s.Events)/20 {
		t.Errorf("%d of %d events after now, want a few", after, len(s.Events))
	}
	if lastHourClicks < 50 || lastHourOrders < 50 || lastMinuteOrders == 0 {
		t.Errorf("last hour: %d clicks, %d orders; now's minute: %d orders; want plenty", lastHourClicks, lastHourOrders, lastMinuteOrders)
	}
}

func TestOrders(t *testing.T) {
	s := Generate(config(6))
	byOrder := map[string][]rebate.Event{}
	for _, e := range s.Events {
		if e.Type.IsOrder() && !slices.ContainsFunc(byOrder[e.OrderID], func(x rebate.Event) bool { return x.ID == e.ID }) {
			byOrder[e.OrderID] = append(byOrder[e.OrderID], e)
		}
	}
	special := 0
	for id := range byOrder {
		if strings.Contains(id, "-twin") || strings.Contains(id, "-zero") {
			special++
		}
	}
	if len(byOrder)-special != 2000 || special == 0 {
		t.Fatalf("%d orders and %d for the special users, want 2000 and some", len(byOrder)-special, special)
	}
	lifecycles := map[string]int{}
	outOfOrder := 0
	for id, events := range byOrder {
		first := events[0]
		for _, e := range events {
			if e.UserID != first.UserID || e.MerchantID != first.MerchantID || e.ProductID != first.ProductID ||
				e.Amount != first.Amount || e.Commission != first.Commission || !e.PlacedAt.Equal(first.PlacedAt) {
				t.Fatalf("order %s: fields differ between events:\n%+v\n%+v", id, first, e)
			}
			if e.TS.Before(e.PlacedAt) {
				t.Fatalf("order %s: %s at %v before placed_at %v", id, e.Type, e.TS, e.PlacedAt)
			}
		}
		if first.Amount < 1 || first.Amount > 500_000 || first.Commission*5 > first.Amount {
			t.Fatalf("order %s: amount %s, commission %s", id, first.Amount, first.Commission)
		}
		types := map[rebate.EventType]bool{}
		for _, e := range events {
			types[e.Type] = true
		}
		switch {
		case types[rebate.OrderSettled] && types[rebate.OrderReversed]:
			lifecycles["void after settlement"]++
		case types[rebate.OrderSettled] && types[rebate.OrderCancelled]:
			lifecycles["settled then cancelled"]++
		case types[rebate.OrderSettled] && !types[rebate.OrderPaid]:
			lifecycles["settled only"]++
		case types[rebate.OrderSettled]:
			lifecycles["settled"]++
		case types[rebate.OrderCancelled]:
			lifecycles["cancelled"]++
		default:
			lifecycles["paid"]++
		}
		if first.Type != rebate.OrderPaid && types[rebate.OrderPaid] {
			outOfOrder++
		}
	}
	for _, l := range []string{"void after settlement", "settled then cancelled", "settled only", "settled", "cancelled", "paid"} {
		if lifecycles[l] == 0 {
			t.Errorf("no order is %s: %v", l, lifecycles)
		}
	}
	if settled := lifecycles["settled"] + lifecycles["void after settlement"]; settled < 1000 || settled > 1400 {
		t.Errorf("%d of 2000 orders settled, want about 60%%", settled)
	}
	if outOfOrder < 200 {
		t.Errorf("only %d orders deliver another status before paid", outOfOrder)
	}
}

func TestCommissionExtremes(t *testing.T) {
	counts := map[string]int{}
	for _, e := range Generate(config(9)).Events {
		switch {
		case e.Type != rebate.OrderPaid:
		case e.Commission == 0:
			counts["zero"]++
		case e.Commission <= 3:
			counts["tiny"]++
		}
	}
	if counts["zero"] < 20 || counts["tiny"] < 20 {
		t.Errorf("commissions: %v; want plenty of zero and tiny ones", counts)
	}
}

func TestWithdrawals(t *testing.T) {
	s := Generate(config(10))
	byID := map[string]map[rebate.EventType]rebate.Event{}
	for _, e := range s.Events {
		if !e.Type.IsWithdrawal() {
			continue
		}
		if byID[e.WithdrawalID] == nil {
			byID[e.WithdrawalID] = map[rebate.EventType]rebate.Event{}
		}
		byID[e.WithdrawalID][e.Type] = e
	}
	if len(byID) != 400 {
		t.Fatalf("%d withdrawals, want 400", len(byID))
	}
	var completedOnly, failedThenCompleted, frozen int
	for id, events := range byID {
		var first *rebate.Event
		for _, e := range events {
			if first == nil {
				first = &e
			} else if e.UserID != first.UserID || e.Amount != first.Amount {
				t.Fatalf("withdrawal %s: user or amount differ:\n%+v\n%+v", id, *first, e)
			}
		}
		_, req := events[rebate.WithdrawalRequested]
		_, fail := events[rebate.WithdrawalFailed]
		_, done := events[rebate.WithdrawalCompleted]
		switch {
		case done && !req:
			completedOnly++
		case done && fail:
			failedThenCompleted++
		case req && !fail && !done:
			frozen++
		}
	}
	if completedOnly == 0 || failedThenCompleted == 0 || frozen == 0 {
		t.Errorf("completed without request: %d, failed and completed: %d, left requested: %d; want some of each",
			completedOnly, failedThenCompleted, frozen)
	}
}

func TestProductUpdates(t *testing.T) {
	s := Generate(config(11))
	type key struct {
		product uint64
		ts      time.Time
	}
	ids := map[key]map[string]bool{}
	perProduct := map[uint64]int{}
	for _, e := range s.Events {
		if e.Type != rebate.ProductUpdated {
			continue
		}
		k := key{e.ProductID, e.TS}
		if ids[k] == nil {
			ids[k] = map[string]bool{}
			perProduct[e.ProductID]++
		}
		ids[k][e.ID] = true
	}
	ties := 0
	for _, set := range ids {
		if len(set) > 1 {
			ties++
		}
	}
	if ties == 0 {
		t.Error("no two updates of a product share a ts")
	}
	if len(perProduct) != 40 {
		t.Errorf("%d of 40 products updated", len(perProduct))
	}
	several := 0
	for _, n := range perProduct {
		if n > 1 {
			several++
		}
	}
	if several < 20 {
		t.Errorf("only %d products updated at several times", several)
	}
}

func TestRules(t *testing.T) {
	s := Generate(config(12))
	if len(s.Rules) == 0 || s.Rules[0] != SeedRule() {
		t.Fatalf("first rule is not the migration's seed: %v", s.Rules)
	}
	perMerchant := map[uint64]int{}
	for i, r := range s.Rules[1:] {
		if r.Share > rebate.RateOne {
			t.Errorf("%v: share above 1", r)
		}
		if !r.EffectiveFrom.After(now.Add(-Span)) || r.EffectiveFrom.After(now) {
			t.Errorf("%v: not in the 40 days before now", r)
		}
		if i > 0 && r.EffectiveFrom.Before(s.Rules[i].EffectiveFrom) {
			t.Errorf("%v: rules after the seed are not in effective_from order", r)
		}
		perMerchant[r.MerchantID]++
	}
	if perMerchant[0] != 1 {
		t.Errorf("%d extra default rules, want 1", perMerchant[0])
	}
	twice := 0
	for m, n := range perMerchant {
		if m != 0 && n == 2 {
			twice++
		}
	}
	if len(perMerchant) < 3 || twice == 0 {
		t.Errorf("rules per merchant: %v; want a few merchants, some with two rules", perMerchant)
	}
}

func TestSmallStreamHasTheRareCases(t *testing.T) {
	s := Generate(Config{Seed: 1, Users: 1, Merchants: 1, Products: 1, Orders: 4, Withdrawals: 5, ProductUpdates: 2, Now: now})
	seen := map[rebate.EventType]int{}
	for _, e := range s.Events {
		seen[e.Type]++
	}
	want := map[rebate.EventType]int{
		rebate.OrderPaid: 3, rebate.OrderSettled: 3, rebate.OrderReversed: 1, rebate.OrderCancelled: 2,
		rebate.WithdrawalRequested: 4, rebate.WithdrawalCompleted: 3, rebate.WithdrawalFailed: 2,
		rebate.ProductUpdated: 2,
	}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("event types: %v, want %v", seen, want)
	}
	if len(s.Rules) != 3 { // the seed, merchant 1's, the extra default
		t.Errorf("rules: %v", s.Rules)
	}
}

func TestSplit(t *testing.T) {
	events := Generate(config(13)).Events
	tests := []struct {
		name     string
		maxBatch int
		wantMax  int
	}{
		{"one by one", 1, 1},
		{"small", 7, 7},
		{"large", 500, 500},
		{"nonsense max", -3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			batches := Split(rng, events, tt.maxBatch)
			var joined []rebate.Event
			sizes := map[int]bool{}
			for _, b := range batches {
				if len(b) < 1 || len(b) > tt.wantMax {
					t.Fatalf("batch of %d events, want 1..%d", len(b), tt.wantMax)
				}
				sizes[len(b)] = true
				joined = append(joined, b...)
			}
			if !slices.Equal(joined, events) {
				t.Fatal("batches do not concatenate to the input")
			}
			if tt.wantMax > 1 && len(sizes) < 2 {
				t.Errorf("every batch has the same size: %v", sizes)
			}
			again := Split(rand.New(rand.NewPCG(1, 2)), events, tt.maxBatch)
			if !reflect.DeepEqual(batches, again) {
				t.Error("the same rng split differently")
			}
		})
	}
	if got := Split(rand.New(rand.NewPCG(1, 2)), nil, 5); got != nil {
		t.Errorf("Split(nil) = %v", got)
	}
}

func TestLeaderboardTiesAndZero(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		cfg := config(seed)
		s := Generate(cfg)
		o := oracle.New(s.Events, s.Rules)
		for _, w := range []rebate.Window{rebate.WindowMonth, rebate.WindowAll} {
			b := o.Leaderboard(w, now)
			twinA, okA := o.Rank(uint64(cfg.Users-2), w, now)
			twinB, okB := o.Rank(uint64(cfg.Users-1), w, now)
			zero, okZ := o.Rank(uint64(cfg.Users), w, now)
			if !okA || !okB || twinA.Rebate != twinB.Rebate || twinB.Rank != twinA.Rank+1 {
				t.Errorf("seed %d, %s: twins ranked %+v, %+v; want equal rebates, adjacent ranks", seed, w, twinA, twinB)
			}
			if !okZ || zero.Rebate != 0 {
				t.Errorf("seed %d, %s: zero user ranked %+v, %v; want 0.00", seed, w, zero, okZ)
			}
			if len(b) < cfg.Users/2 {
				t.Errorf("seed %d, %s: %d of %d users ranked", seed, w, len(b), cfg.Users)
			}
		}
	}
}

// TestConflictsKeepTheirKey: conflicting events are generated (so the
// oracle has some to keep out), and each keeps its original's Kafka key,
// so that a partition delivers them in the stream's order.
func TestConflictsKeepTheirKey(t *testing.T) {
	s := Generate(Config{Seed: 9, Users: 60, Merchants: 8, Products: 30, Orders: 400, Clicks: 800, Withdrawals: 80,
		ProductUpdates: 60, DuplicateRate: 0.1, ConflictRate: 0.1, Now: now})
	o := oracle.New(s.Events, s.Rules)
	kinds := map[string]int{}
	for _, c := range o.Conflicts() {
		kind, _, _ := c.Entity()
		if kind == "" {
			kind = c.Type.String()
		}
		kinds[kind]++
	}
	if kinds["click"] == 0 || kinds["product_updated"] == 0 || kinds[rebate.EntityOrder] == 0 || kinds[rebate.EntityWithdrawal] == 0 {
		t.Errorf("conflicts by type %v (%d in all): want clicks, product updates, orders and withdrawals", kinds, len(o.Conflicts()))
	}
	firstKey := map[string]string{}
	for _, e := range s.Events {
		k := string(kafka.Key(e))
		if prev, ok := firstKey[e.ID]; ok && prev != k {
			t.Fatalf("event %s keyed %q and %q", e.ID, prev, k)
		}
		firstKey[e.ID] = k
	}
}

// TestAbuse: Abuse adds events to a stream and changes none of the others;
// at thresholds its patterns cross, every signal is raised, and each edge
// is met from both sides (some users, orders and inviters just miss).
func TestAbuse(t *testing.T) {
	cfg := config(21)
	cfg.Members = 40
	plain := Generate(cfg)
	cfg.Abuse = true
	abused := Generate(cfg)
	byID := map[string]rebate.Event{}
	for _, e := range abused.Events {
		byID[e.ID] = e
	}
	for _, e := range plain.Events {
		if got, ok := byID[e.ID]; !ok || !reflect.DeepEqual(got, e) {
			t.Fatalf("%s changed or went with Abuse: %+v", e.ID, got)
		}
	}
	th := rebate.SignalThresholds{CancelShare: 5000, CancelMinOrders: 4, OrdersPerHour: 4, FarmInvitees: 4}
	kinds := map[rebate.SignalKind]int{}
	for _, s := range oracle.New(abused.Events, abused.Rules).Signals(th) {
		kinds[s.Kind]++
	}
	if len(kinds) != 4 {
		t.Errorf("signals raised: %v, want every kind", kinds)
	}
	// Clicks land on both sides of the no-click window's edges.
	placed := map[rebate.UserProduct][]time.Time{}
	for _, e := range abused.Events {
		if e.Type == rebate.OrderPaid {
			k := rebate.UserProduct{UserID: e.UserID, ProductID: e.ProductID}
			placed[k] = append(placed[k], e.PlacedAt)
		}
	}
	edges := map[time.Duration]int{}
	for _, e := range abused.Events {
		if e.Type != rebate.Click {
			continue
		}
		for _, at := range placed[rebate.UserProduct{UserID: e.UserID, ProductID: e.ProductID}] {
			edges[at.Sub(e.TS)]++
		}
	}
	for _, d := range []time.Duration{24 * time.Hour, 24*time.Hour + time.Millisecond, 0, -time.Millisecond} {
		if edges[d] == 0 {
			t.Errorf("no click %s before an order", d)
		}
	}
}
