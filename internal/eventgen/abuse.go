package eventgen

import (
	"fmt"
	"slices"
	"time"

	"github.com/rebatehq/rebate"
)

// genAbuse adds what the fraud signals look for (Config.Abuse), and the
// clean behaviour they must stay silent on, each on and either side of the
// signals' edges:
//   - clicks before most orders: by the order's user on its product, in the
//     24 hours before placed_at, exactly 24 hours before it or at placed_at
//     (inside), 1 ms outside either end, or days before;
//   - users who cancel most of what they order, some with too few orders
//     to count, and one whose bad streak ended more than 30 days before
//     their latest order;
//   - bursts of orders within an hour, one of them with its last order 1 ms
//     inside the hour and another 1 ms outside it;
//   - invitation farms: inviters with many invitees who order but never
//     settle, and a farm one settled order clears.
//
// It runs after everything else, so a stream without Abuse is what it was.
func (g *gen) genAbuse() {
	g.clicksBeforeOrders()
	for i := range 4 {
		g.cancelStreak(i)
	}
	for i := range 4 {
		g.burst(i)
	}
	for i := range 3 {
		g.farm(i)
	}
}

// clicksBeforeOrders clicks before about 70% of the stream's orders.
func (g *gen) clicksBeforeOrders() {
	seen := map[string]bool{}
	var orders []rebate.Event
	for _, e := range g.events {
		if e.Type.IsOrder() && !seen[e.OrderID] {
			seen[e.OrderID] = true
			orders = append(orders, e)
		}
	}
	earliest := g.now.Add(-Span + time.Millisecond)
	for _, o := range orders {
		if !g.chance(0.7) {
			continue
		}
		var at time.Time
		switch r := g.rng.Float64(); {
		case r < 0.1:
			at = o.PlacedAt.Add(-rebate.ClickWindow) // the window's first instant: counts
		case r < 0.2:
			at = o.PlacedAt.Add(-rebate.ClickWindow - time.Millisecond) // just before it: does not
		case r < 0.3:
			at = o.PlacedAt // at placed_at: counts
		case r < 0.4:
			at = o.PlacedAt.Add(time.Millisecond) // after the order: does not
		case r < 0.5:
			at = o.PlacedAt.Add(-time.Duration(2+g.rng.IntN(5)) * 24 * time.Hour) // days before
		default:
			at = g.between(o.PlacedAt.Add(-rebate.ClickWindow), o.PlacedAt)
		}
		if at.Before(earliest) || at.After(g.now.Add(time.Minute)) {
			continue
		}
		g.emit(rebate.Event{Type: rebate.Click, TS: at, UserID: o.UserID, MerchantID: o.MerchantID, ProductID: o.ProductID})
	}
}

// abuser is a new user, above the stream's population, so the figures of
// the users the rest of the stream makes stay what they were.
func (g *gen) abuser() uint64 {
	g.abusers++
	return uint64(g.cfg.Users) + uint64(g.abusers)
}

// abuseOrder emits one order of user's with lifecycle, placed at.
func (g *gen) abuseOrder(user uint64, at time.Time, lifecycle []rebate.EventType) {
	merchant := g.merchants.pick()
	amount := g.amount(100_000)
	g.orderSeq++
	o := rebate.Event{OrderID: fmt.Sprintf("a-%d-%d", g.cfg.Seed, g.orderSeq), UserID: user, MerchantID: merchant,
		ProductID: g.productOf(merchant), Amount: amount, Commission: g.commission(amount), PlacedAt: at}
	g.emitOrder(o, lifecycle)
}

// cancelStreak: a user who cancels most orders. Streak 0 has one order too
// few to count; streak 3 ends more than 30 days before a clean order, so
// the window no longer holds it.
func (g *gen) cancelStreak(i int) {
	user := g.abuser()
	n := 3 + g.rng.IntN(6)
	if i == 0 {
		n = 3
	}
	start := g.between(g.now.Add(-Span+24*time.Hour), g.now.Add(-5*24*time.Hour))
	if i == 3 {
		start = g.now.Add(-Span + time.Hour)
	}
	for k := range n {
		lifecycle := paidCancelled
		switch {
		case k%4 == 3:
			lifecycle = paidSettled
		case k%4 == 2:
			lifecycle = paidSettledReversed
		}
		g.abuseOrder(user, start.Add(time.Duration(k)*time.Duration(1+g.rng.IntN(36))*time.Hour), lifecycle)
	}
	if i == 3 {
		g.abuseOrder(user, g.now.Add(-time.Hour), paidSettled)
	}
}

// burst: a user placing orders fast. Burst 1 ends 1 ms inside the hour
// from its first order, burst 2 1 ms outside it.
func (g *gen) burst(i int) {
	user := g.abuser()
	start := g.between(g.now.Add(-Span+time.Hour), g.now.Add(-2*time.Hour))
	n := 3 + g.rng.IntN(10)
	times := make([]time.Time, 0, n)
	for range n - 1 {
		times = append(times, g.between(start, start.Add(50*time.Minute)))
	}
	last := start.Add(rebate.VelocityWindow - time.Millisecond)
	if i == 2 {
		last = start.Add(rebate.VelocityWindow)
	}
	times = append(times, start, last)
	slices.SortFunc(times, time.Time.Compare)
	for _, at := range times {
		g.abuseOrder(user, at, g.orderLifecycle(4+g.rng.IntN(1000)))
	}
}

// farm: an inviter and many invitees who join within hours and order but
// never settle; in farm 2 one invitee's order settles.
func (g *gen) farm(i int) {
	inviter := g.abuser()
	start := g.between(g.now.Add(-Span+time.Hour), g.now.Add(-3*24*time.Hour))
	g.emit(rebate.Event{Type: rebate.UserJoined, UserID: inviter, TS: start})
	n := 2 + g.rng.IntN(10)
	for k := range n {
		user := g.abuser()
		joined := start.Add(time.Duration(1+g.rng.IntN(6*3600)) * time.Second)
		g.emit(rebate.Event{Type: rebate.UserJoined, UserID: user, InviterID: inviter, TS: joined})
		orders := g.rng.IntN(3)
		if i == 2 && k == 0 {
			orders = 1
		}
		for range orders {
			lifecycle := paidCancelled
			if g.chance(0.5) {
				lifecycle = paidOnly
			}
			if i == 2 && k == 0 {
				lifecycle = paidSettled
			}
			g.abuseOrder(user, g.later(joined, time.Minute, 24*time.Hour), lifecycle)
		}
	}
}
