package oracle

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/eventgen"
)

// now is the "now" windows end at in every case; far from midnight so that
// every window start is unambiguous.
var now = time.Date(2026, 3, 10, 12, 30, 15, 500_000_000, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

// money also reads a leading minus, for negative Available.
func money(s string) rebate.Money {
	if rest, neg := strings.CutPrefix(s, "-"); neg {
		return -money(rest)
	}
	m, err := rebate.ParseMoney(s)
	if err != nil {
		panic(err)
	}
	return m
}

func rate(s string) rebate.Rate {
	r, err := rebate.ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

// ord is one order status event; TS is PlacedAt since no figure depends on it.
func ord(id string, typ rebate.EventType, orderID string, user, merchant uint64, amount, commission string, placed time.Time) rebate.Event {
	return rebate.Event{ID: id, Type: typ, TS: placed, OrderID: orderID, UserID: user, MerchantID: merchant,
		ProductID: 1, Amount: money(amount), Commission: money(commission), PlacedAt: placed}
}

func wd(id string, typ rebate.EventType, withdrawalID string, user uint64, amount string) rebate.Event {
	return rebate.Event{ID: id, Type: typ, TS: now, WithdrawalID: withdrawalID, UserID: user, Amount: money(amount)}
}

func click(id string, user, merchant uint64, ts time.Time) rebate.Event {
	return rebate.Event{ID: id, Type: rebate.Click, TS: ts, UserID: user, MerchantID: merchant, ProductID: 1}
}

func prod(id string, product, merchant uint64, price string, stock uint32, commissionRate string, ts time.Time) rebate.Event {
	return rebate.Event{ID: id, Type: rebate.ProductUpdated, TS: ts, ProductID: product, MerchantID: merchant,
		Price: money(price), Stock: stock, CommissionRate: rate(commissionRate)}
}

// half is a default rule paying back half of every commission, in force
// long before any event.
var half = []rebate.Rule{{MerchantID: 0, EffectiveFrom: time.Unix(0, 0).UTC(), Share: rate("0.5000")}}

const (
	paid      = rebate.OrderPaid
	settled   = rebate.OrderSettled
	cancelled = rebate.OrderCancelled
	reversed  = rebate.OrderReversed
	requested = rebate.WithdrawalRequested
	completed = rebate.WithdrawalCompleted
	failed    = rebate.WithdrawalFailed
)

func TestBalance(t *testing.T) {
	p := ago(time.Hour)
	tests := []struct {
		name   string
		events []rebate.Event
		want   rebate.Balance
	}{
		{
			name:   "no events",
			events: nil,
			want:   rebate.Balance{UserID: 7},
		},
		{
			name: "paid order is pending",
			events: []rebate.Event{
				ord("e1", paid, "o1", 7, 1, "100.00", "10.00", p),
			},
			want: rebate.Balance{UserID: 7, Pending: money("5.00"), Orders: rebate.OrderCounts{Paid: 1}},
		},
		{
			name: "duplicate counted once",
			events: []rebate.Event{
				ord("e1", paid, "o1", 7, 1, "100.00", "10.00", p),
				ord("e2", paid, "o2", 7, 1, "100.00", "4.00", p),
				ord("e1", paid, "o1", 7, 1, "100.00", "10.00", p),
				wd("w1", completed, "W1", 7, "1.00"),
				wd("w1", completed, "W1", 7, "1.00"),
			},
			want: rebate.Balance{UserID: 7, Pending: money("7.00"), Withdrawn: money("1.00"),
				Available: money("-1.00"), Orders: rebate.OrderCounts{Paid: 2}},
		},
		{
			name: "duplicate id keeps the first occurrence",
			events: []rebate.Event{
				ord("e1", paid, "o1", 7, 1, "100.00", "10.00", p),
				// A producer bug reusing e1: ignored, so o1 stays paid.
				ord("e1", settled, "o1", 7, 1, "100.00", "10.00", p),
			},
			want: rebate.Balance{UserID: 7, Pending: money("5.00"), Orders: rebate.OrderCounts{Paid: 1}},
		},
		{
			name: "settled order is confirmed",
			events: []rebate.Event{
				ord("e1", paid, "o1", 7, 1, "100.00", "10.00", p),
				ord("e2", settled, "o1", 7, 1, "100.00", "10.00", p),
			},
			want: rebate.Balance{UserID: 7, Confirmed: money("5.00"), Available: money("5.00"),
				Orders: rebate.OrderCounts{Settled: 1}},
		},
		{
			name: "settled before paid arrives is still settled",
			events: []rebate.Event{
				ord("e2", settled, "o1", 7, 1, "100.00", "10.00", p),
				ord("e1", paid, "o1", 7, 1, "100.00", "10.00", p),
			},
			want: rebate.Balance{UserID: 7, Confirmed: money("5.00"), Available: money("5.00"),
				Orders: rebate.OrderCounts{Settled: 1}},
		},
		{
			name: "settled without paid",
			events: []rebate.Event{
				ord("e2", settled, "o1", 7, 1, "100.00", "10.00", p),
			},
			want: rebate.Balance{UserID: 7, Confirmed: money("5.00"), Available: money("5.00"),
				Orders: rebate.OrderCounts{Settled: 1}},
		},
		{
			name: "void after settlement removes the rebate",
			events: []rebate.Event{
				ord("e1", paid, "o1", 7, 1, "100.00", "10.00", p),
				ord("e2", settled, "o1", 7, 1, "100.00", "10.00", p),
				ord("e3", reversed, "o1", 7, 1, "100.00", "10.00", p),
			},
			want: rebate.Balance{UserID: 7, Orders: rebate.OrderCounts{Void: 1}},
		},
		{
			name: "reversal arriving first still voids",
			events: []rebate.Event{
				ord("e3", reversed, "o1", 7, 1, "100.00", "10.00", p),
				ord("e2", settled, "o1", 7, 1, "100.00", "10.00", p),
				ord("e1", paid, "o1", 7, 1, "100.00", "10.00", p),
			},
			want: rebate.Balance{UserID: 7, Orders: rebate.OrderCounts{Void: 1}},
		},
		{
			name: "cancelled removes the pending rebate",
			events: []rebate.Event{
				ord("e1", paid, "o1", 7, 1, "100.00", "10.00", p),
				ord("e2", cancelled, "o1", 7, 1, "100.00", "10.00", p),
				ord("e3", paid, "o2", 7, 1, "100.00", "2.00", p),
			},
			want: rebate.Balance{UserID: 7, Pending: money("1.00"), Orders: rebate.OrderCounts{Paid: 1, Void: 1}},
		},
		{
			name: "other users are not counted",
			events: []rebate.Event{
				ord("e1", settled, "o1", 8, 1, "100.00", "10.00", p),
				wd("e2", requested, "W1", 8, "1.00"),
			},
			want: rebate.Balance{UserID: 7},
		},
		{
			name: "frozen vs withdrawn vs failed",
			events: []rebate.Event{
				ord("e1", settled, "o1", 7, 1, "100.00", "200.00", p), // confirmed 100.00
				wd("e2", requested, "W1", 7, "1.00"),                  // frozen
				wd("e3", requested, "W2", 7, "2.00"),
				wd("e4", completed, "W2", 7, "2.00"), // withdrawn
				wd("e5", requested, "W3", 7, "4.00"),
				wd("e6", failed, "W3", 7, "4.00"), // neither
				wd("e7", failed, "W4", 7, "8.00"),
				wd("e8", completed, "W4", 7, "8.00"),  // completed outranks failed
				wd("e9", completed, "W5", 7, "16.00"), // completed without a request
				wd("e10", completed, "W6", 7, "32.00"),
				wd("e11", requested, "W6", 7, "32.00"), // request arriving after completion
			},
			want: rebate.Balance{UserID: 7, Confirmed: money("100.00"), Withdrawn: money("58.00"),
				Frozen: money("1.00"), Available: money("41.00"), Orders: rebate.OrderCounts{Settled: 1}},
		},
		{
			name: "negative available",
			events: []rebate.Event{
				ord("e1", settled, "o1", 7, 1, "100.00", "2.00", p), // confirmed 1.00
				ord("e2", paid, "o2", 7, 1, "100.00", "20.00", p),   // pending does not count
				wd("e3", completed, "W1", 7, "3.00"),
				wd("e4", requested, "W2", 7, "0.50"),
			},
			want: rebate.Balance{UserID: 7, Pending: money("10.00"), Confirmed: money("1.00"),
				Withdrawn: money("3.00"), Frozen: money("0.50"), Available: money("-2.50"),
				Orders: rebate.OrderCounts{Paid: 1, Settled: 1}},
		},
		{
			name: "a withdrawal belongs to the user and amount of its first event; a later one that disagrees is a conflict",
			events: []rebate.Event{
				wd("e1", requested, "W1", 7, "5.00"),
				wd("e2", completed, "W1", 8, "3.00"),
			},
			want: rebate.Balance{UserID: 7, Frozen: money("5.00"), Available: money("-5.00")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New(tt.events, half).Balance(7)
			if got != tt.want {
				t.Errorf("Balance(7) =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestRebateRules(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	rule := func(merchant uint64, from time.Time, share string) rebate.Rule {
		return rebate.Rule{MerchantID: merchant, EffectiveFrom: from, Share: rate(share)}
	}
	tests := []struct {
		name       string
		rules      []rebate.Rule
		merchant   uint64
		placed     time.Time
		commission string
		want       string
	}{
		{"no rules pays nothing", nil, 1, day(5), "10.00", "0.00"},
		{"default rule", []rebate.Rule{rule(0, day(1), "0.5000")}, 1, day(5), "10.00", "5.00"},
		{"merchant rule beats default",
			[]rebate.Rule{rule(0, day(1), "0.5000"), rule(1, day(2), "0.2500")}, 1, day(5), "10.00", "2.50"},
		{"another merchant's rule is ignored",
			[]rebate.Rule{rule(0, day(1), "0.5000"), rule(2, day(2), "0.2500")}, 1, day(5), "10.00", "5.00"},
		{"merchant rule not yet in force falls back to default",
			[]rebate.Rule{rule(0, day(1), "0.5000"), rule(1, day(6), "0.2500")}, 1, day(5), "10.00", "5.00"},
		{"no rule in force at all pays nothing",
			[]rebate.Rule{rule(0, day(6), "0.5000"), rule(1, day(6), "0.2500")}, 1, day(5), "10.00", "0.00"},
		{"before the later rule the earlier applies",
			[]rebate.Rule{rule(1, day(2), "0.1000"), rule(1, day(6), "0.3000")}, 1, day(6).Add(-time.Millisecond), "10.00", "1.00"},
		{"at the later rule's effective_from the later applies",
			[]rebate.Rule{rule(1, day(2), "0.1000"), rule(1, day(6), "0.3000")}, 1, day(6), "10.00", "3.00"},
		{"after the later rule the later applies",
			[]rebate.Rule{rule(1, day(2), "0.1000"), rule(1, day(6), "0.3000")}, 1, day(7), "10.00", "3.00"},
		{"latest effective_from wins regardless of slice order",
			[]rebate.Rule{rule(1, day(6), "0.3000"), rule(1, day(2), "0.1000")}, 1, day(7), "10.00", "3.00"},
		{"equal keys: the later rule in the slice wins",
			[]rebate.Rule{rule(1, day(2), "0.1000"), rule(1, day(2), "0.7000")}, 1, day(7), "10.00", "7.00"},
		{"equal default keys: the later rule wins",
			[]rebate.Rule{rule(0, day(2), "0.1000"), rule(0, day(2), "0.7000")}, 1, day(7), "10.00", "7.00"},
		{"later default rule applies to orders after it",
			[]rebate.Rule{rule(0, time.Unix(0, 0).UTC(), "0.5000"), rule(0, day(4), "0.2000")}, 1, day(5), "10.00", "2.00"},
		{"floor: 0.03 at 0.5000 is 0.01", half, 1, day(5), "0.03", "0.01"},
		{"floor: 0.01 at 0.9999 is 0.00", []rebate.Rule{rule(0, day(1), "0.9999")}, 1, day(5), "0.01", "0.00"},
		{"floor: 9.99 at 0.3333 is 3.32", []rebate.Rule{rule(0, day(1), "0.3333")}, 1, day(5), "9.99", "3.32"},
		{"share 1.0000 pays it all", []rebate.Rule{rule(0, day(1), "1.0000")}, 1, day(5), "123.45", "123.45"},
		{"share 0.0000 pays nothing", []rebate.Rule{rule(1, day(1), "0.0000"), rule(0, day(1), "0.5000")}, 1, day(5), "10.00", "0.00"},
		{"zero commission", half, 1, day(5), "0.00", "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := New([]rebate.Event{ord("e1", paid, "o1", 7, tt.merchant, "1000.00", tt.commission, tt.placed)}, tt.rules)
			orders := o.Orders(7)
			if len(orders) != 1 {
				t.Fatalf("Orders(7) has %d orders, want 1", len(orders))
			}
			if got := orders[0].Rebate; got != money(tt.want) {
				t.Errorf("rebate = %s, want %s", got, tt.want)
			}
			if got := o.Balance(7).Pending; got != money(tt.want) {
				t.Errorf("pending = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestOrders(t *testing.T) {
	p := ago(time.Hour)
	events := []rebate.Event{
		ord("e1", paid, "o-9", 7, 1, "10.00", "2.00", p),
		// Byte order: "o-9" > "o-10" > "o-1", so among equal PlacedAt o-9 is first.
		ord("e2", paid, "o-10", 7, 1, "10.00", "2.00", p),
		ord("e3", paid, "o-1", 7, 1, "10.00", "2.00", p),
		ord("e4", paid, "o-old", 7, 2, "10.00", "2.00", ago(48*time.Hour)),
		ord("e5", paid, "o-new", 7, 3, "30.00", "6.00", ago(time.Minute)),
		ord("e6", settled, "o-new", 7, 3, "30.00", "6.00", ago(time.Minute)),
		ord("e7", cancelled, "o-old", 7, 2, "10.00", "2.00", ago(48*time.Hour)),
		ord("e8", paid, "o-other", 8, 1, "10.00", "2.00", p),
		// The first event fixes an order's fields; a later one that
		// disagrees (here the merchant and amounts) is a conflict: its
		// settlement does not count.
		ord("e9", paid, "o-fields", 7, 4, "1.00", "0.10", ago(2*time.Hour)),
		ord("e10", settled, "o-fields", 7, 5, "50.00", "5.00", ago(3*time.Hour)),
	}
	order := func(id string, merchant uint64, state rebate.OrderState, amount, commission, reb string, placed time.Time) rebate.Order {
		return rebate.Order{OrderID: id, UserID: 7, MerchantID: merchant, ProductID: 1, State: state,
			Amount: money(amount), Commission: money(commission), Rebate: money(reb), PlacedAt: placed}
	}
	want := []rebate.Order{
		order("o-new", 3, rebate.StateSettled, "30.00", "6.00", "3.00", ago(time.Minute)),
		order("o-9", 1, rebate.StatePaid, "10.00", "2.00", "1.00", p),
		order("o-10", 1, rebate.StatePaid, "10.00", "2.00", "1.00", p),
		order("o-1", 1, rebate.StatePaid, "10.00", "2.00", "1.00", p),
		order("o-fields", 4, rebate.StatePaid, "1.00", "0.10", "0.05", ago(2*time.Hour)),
		order("o-old", 2, rebate.StateVoid, "10.00", "2.00", "1.00", ago(48*time.Hour)),
	}
	o := New(events, half)
	if got := o.Orders(7); !reflect.DeepEqual(got, want) {
		t.Errorf("Orders(7) =\n%+v\nwant\n%+v", got, want)
	}
	if got := o.Orders(99); got != nil {
		t.Errorf("Orders(99) = %+v, want nil", got)
	}
}

func TestLeaderboard(t *testing.T) {
	events := []rebate.Event{
		// User 1: 5.00 at exactly the hour's start (inclusive), and 1.00 at now (inclusive).
		ord("e1", paid, "o1", 1, 1, "100.00", "10.00", ago(time.Hour)),
		ord("e2", settled, "o2", 1, 1, "100.00", "2.00", now),
		// User 2: ties with user 1 in the hour; more outside it.
		ord("e3", paid, "o3", 2, 1, "100.00", "12.00", ago(time.Hour-time.Millisecond)),
		ord("e4", paid, "o4", 2, 1, "100.00", "20.00", ago(time.Hour+time.Millisecond)), // just before the hour
		// User 3: a 0.00 rebate still ranks.
		ord("e5", paid, "o5", 3, 1, "100.00", "0.00", ago(time.Minute)),
		// User 4: only a void-after-settlement order: not ranked.
		ord("e6", paid, "o6", 4, 1, "100.00", "50.00", ago(time.Minute)),
		ord("e7", settled, "o6", 4, 1, "100.00", "50.00", ago(time.Minute)),
		ord("e8", reversed, "o6", 4, 1, "100.00", "50.00", ago(time.Minute)),
		// User 5: in the future by 1ms: not in any window.
		ord("e9", paid, "o7", 5, 1, "100.00", "40.00", now.Add(time.Millisecond)),
		// User 6: old, only in all.
		ord("e10", settled, "o8", 6, 1, "100.00", "100.00", ago(400*24*time.Hour)),
		// Duplicate of user 1's order: once.
		ord("e1", paid, "o1", 1, 1, "100.00", "10.00", ago(time.Hour)),
	}
	entry := func(rank, user uint64, reb string) rebate.LeaderboardEntry {
		return rebate.LeaderboardEntry{Rank: rank, UserID: user, Rebate: money(reb)}
	}
	tests := []struct {
		window rebate.Window
		want   []rebate.LeaderboardEntry
	}{
		{rebate.WindowHour, []rebate.LeaderboardEntry{entry(1, 1, "6.00"), entry(2, 2, "6.00"), entry(3, 3, "0.00")}},
		{rebate.WindowDay, []rebate.LeaderboardEntry{entry(1, 2, "16.00"), entry(2, 1, "6.00"), entry(3, 3, "0.00")}},
		{rebate.WindowAll, []rebate.LeaderboardEntry{entry(1, 6, "50.00"), entry(2, 2, "16.00"), entry(3, 1, "6.00"), entry(4, 3, "0.00")}},
	}
	o := New(events, half)
	for _, tt := range tests {
		t.Run(string(tt.window), func(t *testing.T) {
			if got := o.Leaderboard(tt.window, now); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Leaderboard =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}

	t.Run("empty", func(t *testing.T) {
		if got := New(nil, half).Leaderboard(rebate.WindowAll, now); got != nil {
			t.Errorf("Leaderboard = %+v, want nil", got)
		}
	})
	t.Run("result is the caller's", func(t *testing.T) {
		o.Leaderboard(rebate.WindowHour, now)[0].Rebate = 999
		if got := o.Leaderboard(rebate.WindowHour, now)[0].Rebate; got != money("6.00") {
			t.Errorf("modifying a result changed the next: %s", got)
		}
	})
}

func TestWindowBoundaries(t *testing.T) {
	tests := []struct {
		window rebate.Window
		span   time.Duration
	}{
		{rebate.WindowHour, time.Hour},
		{rebate.WindowDay, 24 * time.Hour},
		{rebate.WindowWeek, 7 * 24 * time.Hour},
		{rebate.WindowMonth, 30 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(string(tt.window), func(t *testing.T) {
			events := []rebate.Event{
				ord("e1", paid, "at-start", 1, 1, "10.00", "2.00", ago(tt.span)),
				ord("e2", paid, "before-start", 2, 1, "10.00", "2.00", ago(tt.span+time.Millisecond)),
				ord("e3", paid, "at-now", 3, 1, "10.00", "2.00", now),
				ord("e4", paid, "after-now", 4, 1, "10.00", "2.00", now.Add(time.Millisecond)),
				click("c1", 1, 1, ago(tt.span)),
				click("c2", 1, 1, ago(tt.span+time.Millisecond)),
				click("c3", 1, 1, now),
				click("c4", 1, 1, now.Add(time.Millisecond)),
			}
			o := New(events, half)
			for user, want := range map[uint64]bool{1: true, 2: false, 3: true, 4: false} {
				if _, ok := o.Rank(user, tt.window, now); ok != want {
					t.Errorf("user %d ranked = %v, want %v", user, ok, want)
				}
			}
			s := o.MerchantStats(1, tt.window, now)
			if s.Clicks != 2 || s.Orders != 2 {
				t.Errorf("MerchantStats clicks, orders = %d, %d; want 2, 2", s.Clicks, s.Orders)
			}
		})
	}
}

func TestRankAndNeighbours(t *testing.T) {
	var events []rebate.Event
	// Users 1..5 with rebates 5.00, 4.00, ..., 1.00: rank = user id.
	for u := uint64(1); u <= 5; u++ {
		c := money("12.00") - rebate.Money(u)*200
		events = append(events, rebate.Event{ID: "e" + c.String(), Type: paid, TS: now, OrderID: "o" + c.String(),
			UserID: u, MerchantID: 1, ProductID: 1, Amount: money("100.00"), Commission: c, PlacedAt: ago(time.Minute)})
	}
	o := New(events, half)
	entry := func(user uint64) rebate.LeaderboardEntry {
		return rebate.LeaderboardEntry{Rank: user, UserID: user, Rebate: rebate.Money(600 - 100*user)}
	}
	if got, ok := o.Rank(3, rebate.WindowHour, now); !ok || got != entry(3) {
		t.Errorf("Rank(3) = %+v, %v; want %+v, true", got, ok, entry(3))
	}
	if got, ok := o.Rank(9, rebate.WindowHour, now); ok || got != (rebate.LeaderboardEntry{}) {
		t.Errorf("Rank(9) = %+v, %v; want zero, false", got, ok)
	}
	tests := []struct {
		user uint64
		n    int
		want []rebate.LeaderboardEntry
	}{
		{3, 1, []rebate.LeaderboardEntry{entry(2), entry(3), entry(4)}},
		{3, 0, []rebate.LeaderboardEntry{entry(3)}},
		{1, 2, []rebate.LeaderboardEntry{entry(1), entry(2), entry(3)}},
		{5, 2, []rebate.LeaderboardEntry{entry(3), entry(4), entry(5)}},
		{2, 10, []rebate.LeaderboardEntry{entry(1), entry(2), entry(3), entry(4), entry(5)}},
		{2, -1, []rebate.LeaderboardEntry{entry(2)}},
		{9, 2, nil},
	}
	for _, tt := range tests {
		if got := o.Neighbours(tt.user, rebate.WindowHour, now, tt.n); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Neighbours(%d, n=%d) =\n%+v\nwant\n%+v", tt.user, tt.n, got, tt.want)
		}
	}
}

func TestMerchantStats(t *testing.T) {
	events := []rebate.Event{
		click("c1", 1, 1, ago(time.Minute)),
		click("c1", 1, 1, ago(time.Minute)), // duplicate: once
		click("c2", 2, 1, ago(2*time.Minute)),
		click("c3", 2, 1, ago(2*time.Hour)), // outside the hour
		click("c4", 2, 2, ago(time.Minute)), // another merchant
		ord("e1", paid, "o1", 1, 1, "100.00", "10.00", ago(time.Minute)),
		ord("e2", settled, "o2", 2, 1, "50.00", "0.03", ago(time.Minute)),
		ord("e3", paid, "o3", 2, 1, "70.00", "7.00", ago(time.Minute)),
		ord("e4", cancelled, "o3", 2, 1, "70.00", "7.00", ago(time.Minute)), // void: excluded
		ord("e5", settled, "o4", 2, 1, "80.00", "8.00", ago(time.Minute)),
		ord("e6", reversed, "o4", 2, 1, "80.00", "8.00", ago(time.Minute)), // void after settlement
		ord("e7", paid, "o5", 2, 1, "20.00", "2.00", ago(3*time.Hour)),     // outside the hour
		ord("e8", paid, "o6", 2, 2, "20.00", "2.00", ago(time.Minute)),     // another merchant
	}
	o := New(events, half)
	tests := []struct {
		merchant uint64
		window   rebate.Window
		want     rebate.MerchantStats
	}{
		{1, rebate.WindowHour, rebate.MerchantStats{MerchantID: 1, Window: rebate.WindowHour, Clicks: 2, Orders: 2,
			GMV: money("150.00"), Commission: money("10.03"), Rebate: money("5.01")}},
		{1, rebate.WindowDay, rebate.MerchantStats{MerchantID: 1, Window: rebate.WindowDay, Clicks: 3, Orders: 3,
			GMV: money("170.00"), Commission: money("12.03"), Rebate: money("6.01")}},
		{2, rebate.WindowHour, rebate.MerchantStats{MerchantID: 2, Window: rebate.WindowHour, Clicks: 1, Orders: 1,
			GMV: money("20.00"), Commission: money("2.00"), Rebate: money("1.00")}},
		{3, rebate.WindowAll, rebate.MerchantStats{MerchantID: 3, Window: rebate.WindowAll}},
	}
	for _, tt := range tests {
		if got := o.MerchantStats(tt.merchant, tt.window, now); got != tt.want {
			t.Errorf("MerchantStats(%d, %s) =\n%+v\nwant\n%+v", tt.merchant, tt.window, got, tt.want)
		}
	}
}

func TestMinutely(t *testing.T) {
	last := now.Truncate(time.Minute) // 12:30:00
	events := []rebate.Event{
		click("c1", 1, 1, last),                        // first instant of the last minute
		click("c2", 1, 2, now.Add(30*time.Second)),     // after now, same minute: counts
		click("c3", 1, 1, last.Add(time.Minute)),       // the next minute: not reported
		click("c4", 1, 1, last.Add(-time.Millisecond)), // last instant of 12:29
		click("c5", 1, 1, last.Add(-3*time.Minute)),    // 12:27: the oldest of 4 minutes
		click("c6", 1, 1, last.Add(-3*time.Minute-1)),  // 12:26:59.999...: before the oldest
		click("c6", 1, 1, last.Add(-3*time.Minute-1)),  // duplicate
		ord("e1", paid, "o1", 1, 1, "10.00", "1.00", last.Add(-3*time.Minute)),
		ord("e2", settled, "o2", 2, 2, "20.00", "0.03", last.Add(-3*time.Minute+59*time.Second)),
		ord("e3", paid, "o3", 1, 1, "40.00", "4.00", last.Add(-3*time.Minute)),
		ord("e4", cancelled, "o3", 1, 1, "40.00", "4.00", last.Add(-3*time.Minute)), // void: excluded
		ord("e5", paid, "o4", 1, 1, "80.00", "8.00", now.Add(20*time.Second)),
	}
	minute := func(i int) time.Time { return last.Add(time.Duration(i-3) * time.Minute) }
	want := []rebate.MinuteKPI{
		{Minute: minute(0), Clicks: 1, Orders: 2, GMV: money("30.00"), Commission: money("1.03"), Rebate: money("0.51")},
		{Minute: minute(1)}, // nothing happened
		{Minute: minute(2), Clicks: 1},
		{Minute: minute(3), Clicks: 2, Orders: 1, GMV: money("80.00"), Commission: money("8.00"), Rebate: money("4.00")},
	}
	o := New(events, half)
	if got := o.Minutely(now, 4); !reflect.DeepEqual(got, want) {
		t.Errorf("Minutely(now, 4) =\n%+v\nwant\n%+v", got, want)
	}
	// A non-UTC now is the same instant, and the minutes are still UTC.
	if got := o.Minutely(now.In(time.FixedZone("X", 5*3600+30*60)), 4); !reflect.DeepEqual(got, want) {
		t.Errorf("Minutely(now in +05:30, 4) =\n%+v\nwant\n%+v", got, want)
	}
	if got := o.Minutely(now, 60); len(got) != 60 || !got[59].Minute.Equal(last) || !got[0].Minute.Equal(last.Add(-59*time.Minute)) {
		t.Errorf("Minutely(now, 60) spans %d minutes", len(got))
	}
	if got := o.Minutely(now, 0); got != nil {
		t.Errorf("Minutely(now, 0) = %+v, want nil", got)
	}
}

func TestProduct(t *testing.T) {
	t1 := ago(2 * time.Hour)
	t2 := ago(time.Hour)
	tests := []struct {
		name   string
		events []rebate.Event
		want   rebate.Product
		ok     bool
	}{
		{"never seen", nil, rebate.Product{}, false},
		{"click only", []rebate.Event{click("c1", 1, 1, t1)}, rebate.Product{}, false},
		{"latest by ts, whatever the arrival order",
			[]rebate.Event{
				prod("e2", 1, 3, "20.00", 5, "0.0200", t2),
				prod("e1", 1, 2, "10.00", 4, "0.0100", t1),
			},
			rebate.Product{ProductID: 1, MerchantID: 3, Price: money("20.00"), Stock: 5, CommissionRate: rate("0.0200"), UpdatedAt: t2},
			true},
		{"same ts: greater event id wins, arriving first",
			[]rebate.Event{
				prod("e-b", 1, 3, "20.00", 5, "0.0200", t2),
				prod("e-a", 1, 2, "10.00", 4, "0.0100", t2),
			},
			rebate.Product{ProductID: 1, MerchantID: 3, Price: money("20.00"), Stock: 5, CommissionRate: rate("0.0200"), UpdatedAt: t2},
			true},
		{"same ts: greater event id wins, arriving last",
			[]rebate.Event{
				prod("e-a", 1, 2, "10.00", 4, "0.0100", t2),
				prod("e-b", 1, 3, "20.00", 5, "0.0200", t2),
				prod("e-0", 1, 4, "30.00", 6, "0.0300", t1),
			},
			rebate.Product{ProductID: 1, MerchantID: 3, Price: money("20.00"), Stock: 5, CommissionRate: rate("0.0200"), UpdatedAt: t2},
			true},
		{"event ids compare as strings",
			[]rebate.Event{
				prod("e-10", 1, 2, "10.00", 4, "0.0100", t2),
				prod("e-9", 1, 3, "20.00", 0, "0.0000", t2),
			},
			rebate.Product{ProductID: 1, MerchantID: 3, Price: money("20.00"), Stock: 0, CommissionRate: 0, UpdatedAt: t2},
			true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := New(tt.events, half).Product(1)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Product(1) = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestEnumerate(t *testing.T) {
	events := []rebate.Event{
		click("c1", 30, 4, now),
		ord("e1", paid, "o1", 10, 2, "1.00", "0.00", now),
		wd("w1", requested, "W1", 20, "1.00"),
		prod("p1", 9, 8, "1.00", 1, "0.0100", now),
	}
	events[0].ProductID = 5
	o := New(events, half)
	if got, want := o.Users(), []uint64{10, 20, 30}; !reflect.DeepEqual(got, want) {
		t.Errorf("Users() = %v, want %v", got, want)
	}
	if got, want := o.Merchants(), []uint64{2, 4, 8}; !reflect.DeepEqual(got, want) {
		t.Errorf("Merchants() = %v, want %v", got, want)
	}
	if got, want := o.Products(), []uint64{1, 5, 9}; !reflect.DeepEqual(got, want) {
		t.Errorf("Products() = %v, want %v", got, want)
	}
}

func TestLargeInputIsQuick(t *testing.T) {
	// Property tests fold ~20k events and query every user: that must stay
	// well under a second, or nobody will run them.
	var events []rebate.Event
	for i := range 20_000 {
		id := fmt.Sprintf("e%d", i)
		events = append(events, rebate.Event{ID: id, Type: paid, TS: now, OrderID: id, UserID: uint64(i%500 + 1),
			MerchantID: uint64(i%50 + 1), ProductID: 1, Amount: 1000, Commission: rebate.Money(i % 300), PlacedAt: ago(time.Duration(i) * time.Minute)})
	}
	start := time.Now()
	o := New(events, half)
	for _, u := range o.Users() {
		o.Rank(u, rebate.WindowWeek, now)
		o.Neighbours(u, rebate.WindowWeek, now, 2)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("folding 20k events and ranking 500 users took %v", d)
	}
}

func TestDeliveryOrderDoesNotMatter(t *testing.T) {
	// The service sees events in any order and any number of times; so must
	// the oracle, or it is not a reference for the service.
	s := eventgen.Generate(eventgen.Config{Seed: 42, Users: 60, Merchants: 8, Products: 20, Orders: 1500,
		Clicks: 2000, Withdrawals: 300, ProductUpdates: 100, DuplicateRate: 0.2, Now: now})
	reversed := slices.Clone(s.Events)
	slices.Reverse(reversed)
	seen := map[string]bool{}
	var distinct []rebate.Event
	for _, e := range s.Events {
		if !seen[e.ID] {
			seen[e.ID] = true
			distinct = append(distinct, e)
		}
	}
	want := figures(New(s.Events, s.Rules))
	for name, events := range map[string][]rebate.Event{"reversed": reversed, "without duplicates": distinct} {
		if got := figures(New(events, s.Rules)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: figures differ", name)
		}
	}
	if len(want.boards[rebate.WindowHour]) == 0 || len(want.boards[rebate.WindowAll]) < 50 {
		t.Errorf("generated stream ranks %d users in the hour, %d overall; want a non-trivial board",
			len(want.boards[rebate.WindowHour]), len(want.boards[rebate.WindowAll]))
	}
}

// allFigures is everything an Oracle answers, for comparing two of them.
type allFigures struct {
	balances  map[uint64]rebate.Balance
	orders    map[uint64][]rebate.Order
	boards    map[rebate.Window][]rebate.LeaderboardEntry
	merchants map[rebate.Window][]rebate.MerchantStats
	minutely  []rebate.MinuteKPI
	products  map[uint64]rebate.Product
	ids       [3][]uint64
}

func figures(o *Oracle) allFigures {
	f := allFigures{balances: map[uint64]rebate.Balance{}, orders: map[uint64][]rebate.Order{},
		boards: map[rebate.Window][]rebate.LeaderboardEntry{}, merchants: map[rebate.Window][]rebate.MerchantStats{},
		products: map[uint64]rebate.Product{}, ids: [3][]uint64{o.Users(), o.Merchants(), o.Products()}}
	for _, u := range o.Users() {
		f.balances[u] = o.Balance(u)
		f.orders[u] = o.Orders(u)
	}
	for _, w := range rebate.Windows() {
		f.boards[w] = o.Leaderboard(w, now)
		for _, m := range o.Merchants() {
			f.merchants[w] = append(f.merchants[w], o.MerchantStats(m, w, now))
		}
	}
	f.minutely = o.Minutely(now, 90)
	for _, p := range o.Products() {
		if prod, ok := o.Product(p); ok {
			f.products[p] = prod
		}
	}
	return f
}

// TestConflicts: the rules of identity, in delivery order. An order belongs
// to the user its first event names, and an event_id is one event.
func TestConflicts(t *testing.T) {
	p := ago(time.Hour)
	events := []rebate.Event{
		ord("e1", paid, "o-1", 7, 1, "10.00", "2.00", p),
		ord("e2", settled, "o-1", 8, 1, "10.00", "2.00", p), // another user: a conflict
		click("c1", 7, 1, ago(time.Minute)),
		click("c1", 7, 1, ago(10*time.Minute)), // the same event_id at another time: a conflict
		click("c1", 7, 1, ago(time.Minute)),    // an identical copy: a duplicate
	}
	o := New(events, half)
	if b := o.Balance(7); b.Pending != money("1.00") || b.Orders != (rebate.OrderCounts{Paid: 1}) {
		t.Errorf("user 7: %+v, want the order pending", b)
	}
	if b := o.Balance(8); b.Pending != 0 || b.Confirmed != 0 || b.Orders != (rebate.OrderCounts{}) {
		t.Errorf("user 8: %+v, want nothing", b)
	}
	if s := o.MerchantStats(1, rebate.WindowDay, now); s.Clicks != 1 || s.Orders != 1 {
		t.Errorf("merchant 1: %+v, want one click and one order", s)
	}
	var ids []string
	for _, c := range o.Conflicts() {
		ids = append(ids, c.ID+"@"+c.TS.Format(time.Kitchen))
	}
	if len(ids) != 2 || !strings.HasPrefix(ids[0], "e2@") || !strings.HasPrefix(ids[1], "c1@") {
		t.Errorf("conflicts %v, want e2 then the second c1", ids)
	}
}
