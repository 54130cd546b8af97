package oracle

import (
	"cmp"
	"slices"
	"time"

	"github.com/rebatehq/rebate"
)

// Signals are the fraud signals raised at the thresholds th, written out
// the way docs/events.md says them, from the folded orders, clicks and
// joins: newest At first, ties by kind, user and order, all descending (the
// order the service lists them in). DetectedAt is left zero.
func (o *Oracle) Signals(th rebate.SignalThresholds) []rebate.Signal {
	var out []rebate.Signal
	clicks := map[rebate.UserProduct][]time.Time{}
	for _, c := range o.clicks {
		k := rebate.UserProduct{UserID: c.UserID, ProductID: c.ProductID}
		clicks[k] = append(clicks[k], c.TS)
	}
	byUser := map[uint64][]*rebate.Order{}
	for _, ord := range o.orders {
		byUser[ord.UserID] = append(byUser[ord.UserID], ord)
		if s, raised := noClick(ord, clicks[rebate.UserProduct{UserID: ord.UserID, ProductID: ord.ProductID}]); raised {
			out = append(out, s)
		}
	}
	for user, orders := range byUser {
		if s := cancelRate(user, orders, th); s != nil {
			out = append(out, *s)
		}
		if s := velocity(user, orders, th); s != nil {
			out = append(out, *s)
		}
	}
	invitees := map[uint64][]uint64{}
	for user, m := range o.members {
		if m.inviter != 0 {
			invitees[m.inviter] = append(invitees[m.inviter], user)
		}
	}
	for inviter, users := range invitees {
		if s := o.inviteFarm(inviter, users, byUser, th); s != nil {
			out = append(out, *s)
		}
	}
	slices.SortFunc(out, func(a, b rebate.Signal) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Kind, a.Kind); c != 0 {
			return c
		}
		if c := cmp.Compare(b.UserID, a.UserID); c != 0 {
			return c
		}
		return cmp.Compare(b.OrderID, a.OrderID)
	})
	return out
}

// noClick: no click by the order's user on its product (clicks: the times
// of those) in the 24 hours before placed_at, both ends included. The
// evidence names the latest click at or before placed_at, if any.
func noClick(ord *rebate.Order, clicks []time.Time) (rebate.Signal, bool) {
	var last time.Time
	for _, ts := range clicks {
		if !ts.After(ord.PlacedAt) && ts.After(last) {
			last = ts
		}
	}
	from := ord.PlacedAt.Add(-rebate.ClickWindow)
	s := rebate.Signal{Kind: rebate.NoClick, UserID: ord.UserID, At: ord.PlacedAt, WindowStart: from, WindowEnd: ord.PlacedAt,
		OrderID: ord.OrderID, MerchantID: ord.MerchantID, ProductID: ord.ProductID, LastClick: last}
	return s, last.IsZero() || last.Before(from)
}

// cancelRate: of the user's orders placed in the 30 days up to their latest
// placed_at (both ends included), at least CancelMinOrders, of which more
// than CancelShare void.
func cancelRate(user uint64, orders []*rebate.Order, th rebate.SignalThresholds) *rebate.Signal {
	var latest time.Time
	for _, ord := range orders {
		if ord.PlacedAt.After(latest) {
			latest = ord.PlacedAt
		}
	}
	from := latest.Add(-rebate.CancelWindow)
	var n, void uint32
	for _, ord := range orders {
		if !ord.PlacedAt.Before(from) {
			n++
			if ord.State == rebate.StateVoid {
				void++
			}
		}
	}
	// void / n > share, in integers: share is in ten-thousandths.
	if n < th.CancelMinOrders || uint64(void)*uint64(rebate.RateOne) <= uint64(n)*uint64(th.CancelShare) {
		return nil
	}
	return &rebate.Signal{Kind: rebate.CancelRate, UserID: user, At: latest, WindowStart: from, WindowEnd: latest, Orders: n, Voided: void}
}

// velocity: more than OrdersPerHour orders placed in some hour [t, t+1h);
// the evidence is the busiest hour, the earliest of equals. An hour with the
// most orders can always start at one of them, so only those are tried.
func velocity(user uint64, orders []*rebate.Order, th rebate.SignalThresholds) *rebate.Signal {
	var best uint32
	var start time.Time
	for _, a := range orders {
		var n uint32
		for _, b := range orders {
			if !b.PlacedAt.Before(a.PlacedAt) && b.PlacedAt.Before(a.PlacedAt.Add(rebate.VelocityWindow)) {
				n++
			}
		}
		if n > best || n == best && a.PlacedAt.Before(start) {
			best, start = n, a.PlacedAt
		}
	}
	if best <= th.OrdersPerHour {
		return nil
	}
	return &rebate.Signal{Kind: rebate.Velocity, UserID: user, At: start, WindowStart: start,
		WindowEnd: start.Add(rebate.VelocityWindow), Orders: best}
}

// inviteFarm: at least FarmInvitees invitees and no settled order among
// them. The evidence: the invitees, their orders, and their first and
// latest joins.
func (o *Oracle) inviteFarm(inviter uint64, users []uint64, byUser map[uint64][]*rebate.Order, th rebate.SignalThresholds) *rebate.Signal {
	s := rebate.Signal{Kind: rebate.InviteFarm, UserID: inviter, Invitees: uint32(len(users))}
	for _, u := range users {
		joined := o.members[u].joinedAt
		if s.WindowStart.IsZero() || joined.Before(s.WindowStart) {
			s.WindowStart = joined
		}
		if joined.After(s.WindowEnd) {
			s.WindowEnd = joined
		}
		for _, ord := range byUser[u] {
			s.Orders++
			if ord.State == rebate.StateSettled {
				s.Settled++
			}
		}
	}
	if s.Invitees < th.FarmInvitees || s.Settled > 0 {
		return nil
	}
	s.At = s.WindowEnd
	return &s
}

// ReferralTotals are what invitees' orders placed at or after since earn
// their inviters, by the orders' state. AsOf is left zero.
func (o *Oracle) ReferralTotals(since time.Time) rebate.ReferralTotals {
	var t rebate.ReferralTotals
	inviters := map[uint64]bool{}
	for id, r := range o.earning {
		ord := o.orders[id]
		if ord.PlacedAt.Before(since) {
			continue
		}
		var n rebate.OrderCounts
		addState(&n, &t.Earnings, ord.State, r.amount)
		t.Orders++
		inviters[r.inviter] = true
	}
	t.Inviters = uint64(len(inviters))
	return t
}
