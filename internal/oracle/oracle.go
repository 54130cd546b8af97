// Package oracle computes every figure the service reports straight from the
// events, in plain Go, so that tests can check the ClickHouse queries against
// an independent answer. It is written to be obviously correct, not fast:
// every query walks the folded orders, withdrawals and clicks again.
package oracle

import (
	"cmp"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/rebatehq/rebate"
)

// Oracle holds the events folded into their current state. It is safe for
// concurrent use.
type Oracle struct {
	rules []rebate.Rule

	orders      map[string]*rebate.Order // by OrderID, Rebate already computed
	withdrawals map[string]*withdrawal   // by WithdrawalID
	clicks      []rebate.Event           // distinct click events
	products    map[uint64]productVersion

	users       map[uint64]bool
	merchants   map[uint64]bool
	productsIDs map[uint64]bool

	members map[uint64]member       // a user's first join
	tiers   map[uint64][]tierChange // a user's tier changes
	window  time.Duration           // the referral window
	earning map[string]referral     // by OrderID: the inviter's earnings from it

	// conflicts are the events kept out by the rules of identity, in
	// delivery order.
	conflicts []rebate.Event

	// Rank and Neighbours are called once per user by property tests; the
	// memo keeps that linear instead of quadratic in the number of orders.
	mu     sync.Mutex
	boards map[boardKey][]rebate.LeaderboardEntry
}

// referral is what an order earns its user's inviter.
type referral struct {
	inviter uint64
	amount  rebate.Money
}

type withdrawal struct {
	userID uint64
	amount rebate.Money
	state  rebate.WithdrawalState
}

// productVersion is the winning product_updated event so far; its ID is
// kept for the tie break on equal TS.
type productVersion struct {
	product rebate.Product
	eventID string
}

type boardKey struct {
	window rebate.Window
	now    int64 // UnixNano: equal instants in different locations share a key
}

// New folds events, in the given (delivery) order, and prices every order
// with rules (in the order they were put). Neither slice is retained.
func New(events []rebate.Event, rules []rebate.Rule) *Oracle {
	return NewWithWindow(events, rules, ReferralWindow)
}

// NewWithWindow is New with another referral window.
func NewWithWindow(events []rebate.Event, rules []rebate.Rule, window time.Duration) *Oracle {
	o := &Oracle{
		members:     map[uint64]member{},
		tiers:       map[uint64][]tierChange{},
		window:      window,
		earning:     map[string]referral{},
		rules:       slices.Clone(rules),
		orders:      map[string]*rebate.Order{},
		withdrawals: map[string]*withdrawal{},
		products:    map[uint64]productVersion{},
		users:       map[uint64]bool{},
		merchants:   map[uint64]bool{},
		productsIDs: map[uint64]bool{},
		boards:      map[boardKey][]rebate.LeaderboardEntry{},
	}
	// The rules of identity (rebate/identity.go), applied in delivery order:
	// the first copy of an event_id counts and a later different copy is a
	// conflict; the first event of an order or withdrawal fixes who and how
	// much, and a later one that disagrees is a conflict.
	seen := map[string]rebate.Event{}
	first := map[string]rebate.Event{} // kind/id -> the entity's first event
	for _, e := range events {
		if prev, ok := seen[e.ID]; ok {
			if rebate.CopyDiffers(&prev, &e) != nil {
				o.conflicts = append(o.conflicts, e)
			}
			continue
		}
		if kind, id, fields := e.Entity(); kind != "" {
			if f, ok := first[kind+"/"+id]; ok && rebate.Differs(&f, &e, fields) != nil {
				o.conflicts = append(o.conflicts, e)
				continue
			} else if !ok {
				first[kind+"/"+id] = e
			}
		}
		seen[e.ID] = e
		o.add(e)
	}
	// Prices depend on the final fields, the tier history and the joins, so
	// they are computed once every event is known.
	for _, ord := range o.orders {
		if inviter, amount := o.price(ord); inviter != 0 {
			o.earning[ord.OrderID] = referral{inviter, amount}
		}
	}
	return o
}

func (o *Oracle) add(e rebate.Event) {
	switch {
	case e.Type == rebate.Click:
		o.clicks = append(o.clicks, e)
		o.users[e.UserID] = true
		o.merchants[e.MerchantID] = true
		o.productsIDs[e.ProductID] = true

	case e.Type.IsOrder():
		o.users[e.UserID] = true
		o.merchants[e.MerchantID] = true
		o.productsIDs[e.ProductID] = true
		state := rebate.OrderStateOf(e.Type)
		cur, ok := o.orders[e.OrderID]
		// Strictly higher only: on equal rank producers repeat identical
		// fields, so keeping the first is as good as any.
		if ok && state <= cur.State {
			return
		}
		o.orders[e.OrderID] = &rebate.Order{
			OrderID:    e.OrderID,
			UserID:     e.UserID,
			MerchantID: e.MerchantID,
			ProductID:  e.ProductID,
			State:      state,
			Amount:     e.Amount,
			Commission: e.Commission,
			PlacedAt:   e.PlacedAt,
		}

	case e.Type.IsWithdrawal():
		o.users[e.UserID] = true
		state := rebate.WithdrawalStateOf(e.Type)
		cur, ok := o.withdrawals[e.WithdrawalID]
		if ok && state <= cur.state {
			return
		}
		o.withdrawals[e.WithdrawalID] = &withdrawal{userID: e.UserID, amount: e.Amount, state: state}

	case e.Type == rebate.UserJoined:
		o.users[e.UserID] = true
		// The inviter is the first join's (a differing one was a conflict);
		// the join time is the earliest of the user's joins.
		if m, ok := o.members[e.UserID]; !ok || e.TS.Before(m.joinedAt) {
			o.members[e.UserID] = member{inviter: e.InviterID, joinedAt: e.TS}
		}
		if e.InviterID != 0 {
			o.users[e.InviterID] = true
		}

	case e.Type == rebate.UserTierChanged:
		o.users[e.UserID] = true
		o.tiers[e.UserID] = append(o.tiers[e.UserID], tierChange{at: e.TS, id: e.ID, tier: e.Tier})

	case e.Type == rebate.ProductUpdated:
		o.merchants[e.MerchantID] = true
		o.productsIDs[e.ProductID] = true
		cur, ok := o.products[e.ProductID]
		newer := !ok || e.TS.After(cur.product.UpdatedAt) ||
			e.TS.Equal(cur.product.UpdatedAt) && e.ID > cur.eventID
		if !newer {
			return
		}
		o.products[e.ProductID] = productVersion{
			product: rebate.Product{
				ProductID:      e.ProductID,
				MerchantID:     e.MerchantID,
				Price:          e.Price,
				Stock:          e.Stock,
				CommissionRate: e.CommissionRate,
				UpdatedAt:      e.TS,
			},
			eventID: e.ID,
		}
	}
}

// Balance is user's money. AsOf is left zero: it depends on what the service
// has ingested, not on the figures.
func (o *Oracle) Balance(user uint64) rebate.Balance {
	b := rebate.Balance{UserID: user}
	for _, ord := range o.orders {
		if ord.UserID != user {
			continue
		}
		switch ord.State {
		case rebate.StatePaid:
			b.Pending += ord.Rebate
			b.Orders.Paid++
		case rebate.StateSettled:
			b.Confirmed += ord.Rebate
			b.Orders.Settled++
		case rebate.StateVoid:
			b.Orders.Void++
		}
	}
	for _, w := range o.withdrawals {
		if w.userID != user {
			continue
		}
		switch w.state {
		case rebate.WithdrawalStateCompleted:
			b.Withdrawn += w.amount
		case rebate.WithdrawalStateRequested:
			b.Frozen += w.amount
		}
	}
	for id, r := range o.earning {
		if r.inviter == user {
			var n rebate.OrderCounts
			addState(&n, &b.Referral, o.orders[id].State, r.amount)
		}
	}
	b.Tier = o.latestTier(user)
	b.Available = b.Confirmed + b.Referral.Confirmed - b.Withdrawn - b.Frozen
	return b
}

// Orders is user's orders, newest PlacedAt first, ties by OrderID descending
// (byte order). Void orders are included, with the rebate they would have
// earned. nil if the user has none.
func (o *Oracle) Orders(user uint64) []rebate.Order {
	var out []rebate.Order
	for _, ord := range o.orders {
		if ord.UserID == user {
			out = append(out, *ord)
		}
	}
	slices.SortFunc(out, func(a, b rebate.Order) int {
		if c := b.PlacedAt.Compare(a.PlacedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.OrderID, a.OrderID)
	})
	return out
}

// Leaderboard ranks users by the rebates of their paid or settled orders
// placed in w ending at now: sum descending, ties by UserID ascending, ranks
// 1, 2, 3... with no shared ranks. A user whose qualifying orders sum to 0.00
// is ranked too. nil if nobody qualifies. The result is the caller's.
func (o *Oracle) Leaderboard(w rebate.Window, now time.Time) []rebate.LeaderboardEntry {
	return slices.Clone(o.board(w, now))
}

// board is Leaderboard without the copy, memoised; callers must not modify it.
func (o *Oracle) board(w rebate.Window, now time.Time) []rebate.LeaderboardEntry {
	key := boardKey{window: w, now: now.UnixNano()}
	o.mu.Lock()
	defer o.mu.Unlock()
	if b, ok := o.boards[key]; ok {
		return b
	}
	sums := map[uint64]rebate.Money{}
	for _, ord := range o.orders {
		if ord.State == rebate.StateVoid || !w.Contains(ord.PlacedAt, now) {
			continue
		}
		sums[ord.UserID] += ord.Rebate
	}
	var b []rebate.LeaderboardEntry
	for user, sum := range sums {
		b = append(b, rebate.LeaderboardEntry{UserID: user, Rebate: sum})
	}
	slices.SortFunc(b, func(x, y rebate.LeaderboardEntry) int {
		if c := cmp.Compare(y.Rebate, x.Rebate); c != 0 {
			return c
		}
		return cmp.Compare(x.UserID, y.UserID)
	})
	for i := range b {
		b[i].Rank = uint64(i + 1)
	}
	if len(o.boards) >= 64 { // a bound, not an eviction policy
		clear(o.boards)
	}
	o.boards[key] = b
	return b
}

// Rank is user's entry in Leaderboard(w, now) and whether they are on it.
func (o *Oracle) Rank(user uint64, w rebate.Window, now time.Time) (rebate.LeaderboardEntry, bool) {
	b := o.board(w, now)
	i := slices.IndexFunc(b, func(e rebate.LeaderboardEntry) bool { return e.UserID == user })
	if i < 0 {
		return rebate.LeaderboardEntry{}, false
	}
	return b[i], true
}

// Neighbours is the entries ranked from user's rank-n to rank+n that exist,
// user's own included; nil if user is not ranked. A negative n counts as 0.
func (o *Oracle) Neighbours(user uint64, w rebate.Window, now time.Time, n int) []rebate.LeaderboardEntry {
	b := o.board(w, now)
	i := slices.IndexFunc(b, func(e rebate.LeaderboardEntry) bool { return e.UserID == user })
	if i < 0 {
		return nil
	}
	n = max(n, 0)
	lo := max(i-n, 0)
	hi := min(i+n, len(b)-1)
	return slices.Clone(b[lo : hi+1])
}

// MerchantStats is merchant's clicks (by TS) and non-void orders (by
// PlacedAt) in w ending at now.
func (o *Oracle) MerchantStats(merchant uint64, w rebate.Window, now time.Time) rebate.MerchantStats {
	s := rebate.MerchantStats{MerchantID: merchant, Window: w}
	for _, c := range o.clicks {
		if c.MerchantID == merchant && w.Contains(c.TS, now) {
			s.Clicks++
		}
	}
	for _, ord := range o.orders {
		if ord.MerchantID != merchant || ord.State == rebate.StateVoid || !w.Contains(ord.PlacedAt, now) {
			continue
		}
		s.Orders++
		s.GMV += ord.Amount
		s.Commission += ord.Commission
		s.Rebate += ord.Rebate
	}
	return s
}

// Minutely is one entry per whole UTC minute, oldest first, for the minutes
// minutes ending with the one that contains now. A minute m covers
// [m, m+1min), so events after now but inside now's minute count. Clicks are
// bucketed by TS, non-void orders by PlacedAt. nil if minutes <= 0.
func (o *Oracle) Minutely(now time.Time, minutes int) []rebate.MinuteKPI {
	if minutes <= 0 {
		return nil
	}
	last := now.UTC().Truncate(time.Minute)
	first := last.Add(-time.Duration(minutes-1) * time.Minute)
	end := last.Add(time.Minute)
	out := make([]rebate.MinuteKPI, minutes)
	for i := range out {
		out[i].Minute = first.Add(time.Duration(i) * time.Minute)
	}
	bucket := func(t time.Time) (int, bool) {
		if t.Before(first) || !t.Before(end) {
			return 0, false
		}
		return int(t.Sub(first) / time.Minute), true
	}
	for _, c := range o.clicks {
		if i, ok := bucket(c.TS); ok {
			out[i].Clicks++
		}
	}
	for _, ord := range o.orders {
		if ord.State == rebate.StateVoid {
			continue
		}
		if i, ok := bucket(ord.PlacedAt); ok {
			out[i].Orders++
			out[i].GMV += ord.Amount
			out[i].Commission += ord.Commission
			out[i].Rebate += ord.Rebate
		}
	}
	return out
}

// Product is the product's latest update by TS, ties by the greater event ID;
// ok is false if no product_updated event names it.
func (o *Oracle) Product(id uint64) (rebate.Product, bool) {
	v, ok := o.products[id]
	return v.product, ok
}

// Conflicts are the events the rules of identity kept out of every figure,
// in delivery order.
func (o *Oracle) Conflicts() []rebate.Event { return slices.Clone(o.conflicts) }

// Users is every user named by a click, order or withdrawal event, ascending.
func (o *Oracle) Users() []uint64 { return slices.Sorted(maps.Keys(o.users)) }

// Merchants is every merchant named by a click, order or product update,
// ascending.
func (o *Oracle) Merchants() []uint64 { return slices.Sorted(maps.Keys(o.merchants)) }

// Products is every product named by a click, order or product update,
// ascending. Product(id) is ok only for those with an update, so the list
// also yields ids the service must answer "not found" for.
func (o *Oracle) Products() []uint64 { return slices.Sorted(maps.Keys(o.productsIDs)) }
