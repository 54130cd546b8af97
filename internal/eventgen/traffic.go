package eventgen

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/rebatehq/rebate"
)

// Traffic makes an endless, realistic stream in chunks, for benchmarks and
// the simulator: mostly clicks; orders that later settle (75%), cancel (15%)
// or, a few after settling, are reversed; withdrawals that complete or fail;
// product updates. Users and merchants have heavy-tailed activity (Zipf):
// the busiest user has about 0.2% of the orders, the busiest merchant ~10%.
type Traffic struct {
	rng       *rand.Rand
	users     *rand.Zipf
	merchants *rand.Zipf
	products  int
	open      []rebate.Event // paid orders awaiting their outcome
	settled   []rebate.Event // settled orders that may still be reversed
	pending   []rebate.Event // requested withdrawals
	seq       int
	prefix    string
}

// NewTraffic seeds a stream over the given population.
func NewTraffic(seed uint64, users, merchants, products int) *Traffic {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	return &Traffic{
		rng:       rng,
		users:     rand.NewZipf(rng, 1.1, 50, uint64(users-1)),
		merchants: rand.NewZipf(rng, 1.2, 5, uint64(merchants-1)),
		products:  products,
		prefix:    "t" + strconv.FormatUint(seed, 36) + "-",
	}
}

func (g *Traffic) id() string {
	g.seq++
	return g.prefix + strconv.Itoa(g.seq)
}

// User picks a user the way activity is spread.
func (g *Traffic) User() uint64 { return g.users.Uint64() + 1 }

// Chunk makes about n events with timestamps spread over [from, from+width).
// Outcomes of orders paid in earlier chunks come first.
func (g *Traffic) Chunk(n int, from time.Time, width time.Duration) []rebate.Event {
	at := func() time.Time {
		return from.Add(time.Duration(g.rng.Int64N(max(int64(width), 1)))).Truncate(time.Millisecond)
	}
	out := make([]rebate.Event, 0, n)
	outcome := func(o rebate.Event, t rebate.EventType) rebate.Event {
		o.ID, o.Type, o.TS = g.id(), t, at()
		return o
	}
	open := g.open
	g.open = nil
	for _, o := range open {
		switch r := g.rng.IntN(100); {
		case r < 75:
			s := outcome(o, rebate.OrderSettled)
			out = append(out, s)
			g.settled = append(g.settled, s)
		case r < 90:
			out = append(out, outcome(o, rebate.OrderCancelled))
		}
	}
	reversals := min(n*3/1000, len(g.settled))
	for _, s := range g.settled[:reversals] {
		out = append(out, outcome(s, rebate.OrderReversed))
	}
	g.settled = g.settled[reversals:]
	for _, w := range g.pending {
		t := rebate.WithdrawalCompleted
		if g.rng.IntN(10) == 0 {
			t = rebate.WithdrawalFailed
		}
		w.ID, w.Type, w.TS = g.id(), t, at()
		out = append(out, w)
	}
	g.pending = nil
	clicks, orders, withdrawals := n*70/100, n*8/100, n*15/1000
	for range clicks {
		m := g.merchants.Uint64() + 1
		out = append(out, rebate.Event{ID: g.id(), Type: rebate.Click, TS: at(), UserID: g.User(),
			MerchantID: m, ProductID: 1 + (m*167+uint64(g.rng.IntN(100)))%uint64(g.products)})
	}
	for range orders {
		amount := rebate.Money(100 + g.rng.Int64N(500_000))
		t := at()
		o := rebate.Event{ID: g.id(), Type: rebate.OrderPaid, TS: t, OrderID: g.id(), UserID: g.User(),
			MerchantID: g.merchants.Uint64() + 1, ProductID: uint64(1 + g.rng.IntN(g.products)),
			Amount: amount, Commission: amount * rebate.Money(2+g.rng.IntN(9)) / 100, PlacedAt: t}
		out = append(out, o)
		g.open = append(g.open, o)
	}
	for range withdrawals {
		w := rebate.Event{ID: g.id(), Type: rebate.WithdrawalRequested, TS: at(), WithdrawalID: g.id(),
			UserID: g.User(), Amount: rebate.Money(100 + g.rng.Int64N(10_000))}
		out = append(out, w)
		if g.rng.IntN(10) < 9 {
			g.pending = append(g.pending, w)
		}
	}
	for len(out) < n {
		out = append(out, rebate.Event{ID: g.id(), Type: rebate.ProductUpdated, TS: at(),
			ProductID: uint64(1 + g.rng.IntN(g.products)), MerchantID: g.merchants.Uint64() + 1,
			Price: rebate.Money(100 + g.rng.Int64N(100_000)), Stock: uint32(g.rng.IntN(1000)),
			CommissionRate: rebate.Rate(g.rng.IntN(2000))})
	}
	return out
}
