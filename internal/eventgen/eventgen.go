// Package eventgen generates seeded, adversarial event streams for property
// tests: orders whose states arrive out of order, voids after settlement,
// lost events, redelivered duplicates, ties on every tie-broken key and
// timestamps on every window and minute boundary. The same Config always
// yields the same Stream.
package eventgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rebatehq/rebate"
)

// Config says how big a stream to generate. Zero counts generate nothing of
// that kind; Users, Merchants and Products count as at least 1.
//
// With at least 10 users the three highest user ids are special, so that the
// leaderboard has ties and a 0.00 entry whatever the seed: two twins place
// identical orders (a few percent of Orders, on top of Orders) and nothing
// else, and one places only orders without commission.
type Config struct {
	Seed           uint64
	Users          int // >= 50 in property tests
	Merchants      int
	Products       int
	Orders         int // orders to create
	Clicks         int
	Withdrawals    int
	ProductUpdates int
	DuplicateRate  float64 // share of distinct events delivered twice (or three times)
	// ConflictRate is the share of orders and withdrawals that get an extra
	// status event naming another user, merchant or amount, and of clicks
	// and product updates re-sent under the same event_id with another ts:
	// producer bugs the rules of identity keep out of the figures. A
	// conflicting event keeps its original's Kafka key, so that partition
	// order is delivery order. Property tests that insert without the
	// ingester's guard leave it 0.
	ConflictRate float64
	// Members users join (a share of them invited by an earlier member:
	// invitation trees), and TierChanges tier changes are made, delivered
	// in any order; RichRules adds tier rules, promotions that start and end
	// inside the stream, caps and referral shares. Zero and false change
	// nothing of a stream made before they existed.
	Members     int
	TierChanges int
	RichRules   bool
	// Abuse adds what the fraud signals look for and the clean behaviour
	// around it (genAbuse): clicks before most orders, users who cancel
	// most orders, order bursts, invitation farms, each on and either side
	// of the signals' edges. The abusers are users above Users. False
	// changes nothing of a stream made before it existed.
	Abuse bool
	// Now ends the 40 days every ts and placed_at falls in, except a few up
	// to a minute later. It is truncated to the millisecond; pass the same
	// truncated instant to the oracle and the service. Zero means DefaultNow.
	Now time.Time
}

// Stream is a generated stream.
type Stream struct {
	// Rules are to be stored before the events are ingested. The first is
	// SeedRule, the rule the migration inserts; the rest are ordered by
	// EffectiveFrom, so a store refusing to go back in time accepts them.
	Rules []rebate.Rule
	// Events is the delivery order: shuffled, with exact copies (same ID)
	// of some events anywhere, including right after and far after.
	Events []rebate.Event
}

// DefaultNow is Now when Config.Now is zero.
var DefaultNow = time.Date(2026, 3, 10, 12, 30, 15, 250_000_000, time.UTC)

// Span is how far before Now generated times go.
const Span = 40 * 24 * time.Hour

// SeedRule is the default rule the migration seeds.
func SeedRule() rebate.Rule {
	return rebate.Rule{MerchantID: 0, EffectiveFrom: time.Unix(0, 0).UTC(), Share: 5000}
}

type gen struct {
	cfg  Config
	rng  *rand.Rand
	now  time.Time
	next int // number of the next event ID

	users, merchants picker
	productMerchant  []uint64 // by product id - 1
	merchantProducts map[uint64][]uint64
	rulesOf          map[uint64][]rebate.Rule // generated rules (not the seed), by merchant
	rules            []rebate.Rule
	events           []rebate.Event // distinct events, in creation order
	placedSoFar      []placed       // for PlacedAt ties
	twins            []uint64       // users with identical orders; nil with few users
	zeroUser         uint64         // a user whose orders earn nothing; 0 with few users
	abusers          int            // users made by genAbuse so far
	orderSeq         int            // orders made by genAbuse so far
}

type placed struct {
	user uint64
	at   time.Time
}

// Generate builds the stream cfg describes.
func Generate(cfg Config) Stream {
	cfg.Users = max(cfg.Users, 1)
	cfg.Merchants = max(cfg.Merchants, 1)
	cfg.Products = max(cfg.Products, 1)
	if cfg.Now.IsZero() {
		cfg.Now = DefaultNow
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	g := &gen{
		cfg:              cfg,
		rng:              rng,
		now:              cfg.Now.UTC().Truncate(time.Millisecond),
		merchants:        newPicker(rng, cfg.Merchants),
		merchantProducts: map[uint64][]uint64{},
		rulesOf:          map[uint64][]rebate.Rule{},
	}
	if cfg.Users >= 10 {
		n := uint64(cfg.Users)
		g.users = newPicker(rng, cfg.Users-3)
		g.twins, g.zeroUser = []uint64{n - 2, n - 1}, n
	} else {
		g.users = newPicker(rng, cfg.Users)
	}
	for p := 1; p <= cfg.Products; p++ {
		m := uint64(1 + rng.IntN(cfg.Merchants))
		g.productMerchant = append(g.productMerchant, m)
		g.merchantProducts[m] = append(g.merchantProducts[m], uint64(p))
	}
	// Rules first: orders placed exactly at a rule's start need them.
	g.genRules()
	g.genOrders()
	g.genClicks()
	g.genWithdrawals()
	g.genProductUpdates()
	g.genMembers()
	g.genTiers()
	if cfg.Abuse {
		g.genAbuse()
	}
	return Stream{Rules: g.rules, Events: g.deliver()}
}

// picker draws ids 1..n, mostly by a power law so that a few users and
// merchants dominate, as in life, and sometimes uniformly so that the long
// tail is not empty.
type picker struct {
	rng  *rand.Rand
	zipf *rand.Zipf // nil when n == 1
	ids  []uint64   // popularity rank -> id, so id 1 is not always the top
}

func newPicker(rng *rand.Rand, n int) picker {
	p := picker{rng: rng}
	for _, i := range rng.Perm(n) {
		p.ids = append(p.ids, uint64(i+1))
	}
	if n > 1 {
		p.zipf = rand.NewZipf(rng, 1.1, 2, uint64(n-1))
	}
	return p
}

func (p picker) pick() uint64 {
	if p.zipf == nil || p.rng.Float64() < 0.3 {
		return p.ids[p.rng.IntN(len(p.ids))]
	}
	return p.ids[p.zipf.Uint64()]
}

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// between is a uniform millisecond in [lo, hi]; lo if hi < lo.
func (g *gen) between(lo, hi time.Time) time.Time {
	d := hi.Sub(lo).Milliseconds()
	if d <= 0 {
		return lo
	}
	return lo.Add(time.Duration(g.rng.Int64N(d+1)) * time.Millisecond)
}

// recent is a millisecond in the d before now, now included.
func (g *gen) recent(d time.Duration) time.Time {
	return g.between(g.now.Add(-d+time.Millisecond), g.now)
}

// anyTime is a millisecond in the Span before now.
func (g *gen) anyTime() time.Time { return g.recent(Span) }

// later is a status change min..max after from, but no later than now (or
// from itself, for the few things placed after now): a settlement is never
// in the future. Short of room it falls anywhere between from and that limit.
func (g *gen) later(from time.Time, minD, maxD time.Duration) time.Time {
	limit := from
	if g.now.After(limit) {
		limit = g.now
	}
	lo, hi := from.Add(minD), from.Add(maxD)
	if hi.After(limit) {
		hi = limit
	}
	if lo.After(hi) {
		lo = from
	}
	return g.between(lo, hi)
}

// boundary is a time on or 1ms either side of an edge the service must get
// right: a window start, now itself, or the start of a recent minute.
func (g *gen) boundary() time.Time {
	jitter := time.Duration(g.rng.IntN(3)-1) * time.Millisecond
	switch r := g.rng.Float64(); {
	case r < 0.5:
		// Every window but all, whose start is not in the Span.
		w := rebate.Windows()[g.rng.IntN(4)]
		return w.Start(g.now).Add(jitter)
	case r < 0.65:
		return g.now.Add(jitter)
	default:
		return g.now.Truncate(time.Minute).Add(-time.Duration(g.rng.IntN(60))*time.Minute + jitter)
	}
}

// eventTime is when a click or withdrawal happens: mostly anywhere, with
// extra weight on the last 90 minutes (1h windows, minutely figures), on
// boundaries, and a few in the minute after now.
func (g *gen) eventTime() time.Time {
	switch r := g.rng.Float64(); {
	case r < 0.85:
		return g.anyTime()
	case r < 0.94:
		return g.recent(90 * time.Minute)
	case r < 0.99:
		return g.boundary()
	default:
		return g.afterNow()
	}
}

func (g *gen) afterNow() time.Time {
	return g.now.Add(time.Duration(1+g.rng.Int64N(time.Minute.Milliseconds())) * time.Millisecond)
}

func (g *gen) emit(e rebate.Event) rebate.Event {
	e.ID = fmt.Sprintf("e-%d-%08d", g.cfg.Seed, g.next)
	g.next++
	g.events = append(g.events, e)
	return e
}

// share is a rule's share, with the extremes and a repeating fraction
// (floor rounding) more likely than chance would make them.
func (g *gen) share() rebate.Rate {
	switch r := g.rng.Float64(); {
	case r < 0.1:
		return 0
	case r < 0.2:
		return rebate.RateOne
	case r < 0.3:
		return 3333
	default:
		return rebate.Rate(g.rng.IntN(int(rebate.RateOne) + 1))
	}
}

func (g *gen) genRules() {
	// Whole seconds: a rule's effective_from may be stored with less
	// precision than events.
	ruleTime := func(lo, hi time.Time) time.Time { return g.between(lo, hi).Truncate(time.Second) }
	var rules []rebate.Rule
	for m := uint64(1); m <= uint64(g.cfg.Merchants); m++ {
		// Merchants 1 and 2 always get rules so small streams exercise them.
		if m > 2 && !g.chance(0.25) {
			continue
		}
		first := ruleTime(g.now.Add(-Span+24*time.Hour), g.now.Add(-2*24*time.Hour))
		rules = append(rules, rebate.Rule{MerchantID: m, EffectiveFrom: first, Share: g.share()})
		if m == 2 || g.chance(0.35) {
			second := ruleTime(first.Add(time.Hour), g.now.Add(-time.Hour))
			rules = append(rules, rebate.Rule{MerchantID: m, EffectiveFrom: second, Share: g.share()})
		}
	}
	rules = append(rules, rebate.Rule{MerchantID: 0,
		EffectiveFrom: ruleTime(g.now.Add(-Span+24*time.Hour), g.now.Add(-24*time.Hour)), Share: g.share()})
	if g.cfg.RichRules {
		rules = append(rules, g.richRules(ruleTime)...)
	}
	slices.SortStableFunc(rules, func(a, b rebate.Rule) int { return a.EffectiveFrom.Compare(b.EffectiveFrom) })
	for _, r := range rules {
		g.rulesOf[r.MerchantID] = append(g.rulesOf[r.MerchantID], r)
	}
	g.rules = append([]rebate.Rule{SeedRule()}, rules...)
}

// placedAt is when an order of merchant is placed.
func (g *gen) placedAt(merchant uint64) time.Time {
	switch r := g.rng.Float64(); {
	case r < 0.76:
		return g.anyTime()
	case r < 0.84:
		return g.recent(time.Hour)
	case r < 0.88:
		return g.recent(10 * time.Minute)
	case r < 0.94:
		return g.boundary()
	case r < 0.98:
		// On or just before a rule's start: effective_from is inclusive.
		rules := g.rulesOf[merchant]
		if len(rules) == 0 || g.chance(0.3) {
			rules = g.rulesOf[0]
		}
		r := rules[g.rng.IntN(len(rules))]
		return r.EffectiveFrom.Add(-time.Duration(g.rng.IntN(2)) * time.Millisecond)
	default:
		return g.afterNow()
	}
}

func (g *gen) amount(maxCents int64) rebate.Money {
	if g.chance(0.1) {
		return rebate.Money(1 + g.rng.Int64N(100))
	}
	return rebate.Money(1 + g.rng.Int64N(maxCents))
}

func (g *gen) commission(amount rebate.Money) rebate.Money {
	most := amount / 5
	switch r := g.rng.Float64(); {
	case r < 0.1:
		return 0
	case r < 0.2:
		// A few cents: the rebate floors to 0.00 or 0.01.
		return min(rebate.Money(1+g.rng.IntN(3)), most)
	default:
		return rebate.Money(g.rng.Int64N(int64(most) + 1))
	}
}

func (g *gen) productOf(merchant uint64) uint64 {
	if ps := g.merchantProducts[merchant]; len(ps) > 0 {
		return ps[g.rng.IntN(len(ps))]
	}
	return uint64(1 + g.rng.IntN(g.cfg.Products))
}

// orderID varies the prefix so that ties on placed_at are broken by byte
// order, not numeric or collated order ("o-1-10" < "o-1-9", "O" < "o" < "ö").
func (g *gen) orderID(i int) string {
	switch r := g.rng.Float64(); {
	case r < 0.05:
		return fmt.Sprintf("O-%d-%d", g.cfg.Seed, i)
	case r < 0.08:
		return fmt.Sprintf("ö-%d-%d", g.cfg.Seed, i)
	default:
		return fmt.Sprintf("o-%d-%d", g.cfg.Seed, i)
	}
}

// Order lifecycles, by the status events emitted.
var (
	paidOnly             = []rebate.EventType{rebate.OrderPaid}
	paidSettled          = []rebate.EventType{rebate.OrderPaid, rebate.OrderSettled}
	paidCancelled        = []rebate.EventType{rebate.OrderPaid, rebate.OrderCancelled}
	paidSettledReversed  = []rebate.EventType{rebate.OrderPaid, rebate.OrderSettled, rebate.OrderReversed}
	settledOnly          = []rebate.EventType{rebate.OrderSettled} // paid was lost
	paidSettledCancelled = []rebate.EventType{rebate.OrderPaid, rebate.OrderSettled, rebate.OrderCancelled}
)

func (g *gen) orderLifecycle(i int) []rebate.EventType {
	// The first orders cover the rare lifecycles so any stream has them.
	if forced := [][]rebate.EventType{paidSettledReversed, settledOnly, paidSettledCancelled, paidCancelled}; i < len(forced) {
		return forced[i]
	}
	switch r := g.rng.Float64(); {
	case r < 0.04:
		return settledOnly
	case r < 0.06:
		return paidSettledCancelled
	case r < 0.66:
		if g.chance(0.05) {
			return paidSettledReversed
		}
		return paidSettled
	case r < 0.81:
		return paidCancelled
	default:
		return paidOnly
	}
}

func (g *gen) genOrders() {
	for i := range g.cfg.Orders {
		user, merchant := g.users.pick(), g.merchants.pick()
		at := g.placedAt(merchant)
		if len(g.placedSoFar) > 0 && g.chance(0.03) {
			// The same user placing two orders in the same millisecond.
			prev := g.placedSoFar[g.rng.IntN(len(g.placedSoFar))]
			user, at = prev.user, prev.at
		}
		g.placedSoFar = append(g.placedSoFar, placed{user, at})
		amount := g.amount(500_000)
		o := rebate.Event{
			MerchantID: merchant,
			ProductID:  g.productOf(merchant),
			Amount:     amount,
			Commission: g.commission(amount),
			PlacedAt:   at,
		}
		lifecycle := g.orderLifecycle(i)
		if g.twins != nil && (i == 0 || g.chance(0.02)) {
			twinLifecycle := lifecycle
			if i == 0 { // order 0 is voided; the twins must rank
				twinLifecycle = paidSettled
			}
			for k, twin := range g.twins {
				o.UserID, o.OrderID = twin, fmt.Sprintf("o-%d-%d-twin%d", g.cfg.Seed, i, k)
				g.emitOrder(o, twinLifecycle)
			}
		}
		if g.zeroUser != 0 && (i == 0 || g.chance(0.005)) {
			zero := o
			zero.UserID, zero.OrderID, zero.Commission = g.zeroUser, fmt.Sprintf("o-%d-%d-zero", g.cfg.Seed, i), 0
			g.emitOrder(zero, paidSettled)
		}
		o.UserID, o.OrderID = user, g.orderID(i)
		g.emitOrder(o, lifecycle)
		if g.cfg.ConflictRate > 0 && g.chance(g.cfg.ConflictRate) {
			g.emitConflict(o)
		}
	}
}

// emitConflict emits a status event of order o that disagrees with it on
// the user, the merchant or the amount, as a buggy producer would.
func (g *gen) emitConflict(o rebate.Event) {
	bad := o
	switch g.rng.IntN(3) {
	case 0:
		bad.UserID = g.users.pick()
		if bad.UserID == o.UserID {
			bad.UserID = o.UserID%uint64(max(g.cfg.Users-3, 1)) + 1
		}
	case 1:
		bad.MerchantID = o.MerchantID%uint64(g.cfg.Merchants) + 1
	default:
		bad.Amount++
	}
	if bad == o { // a population of one: change the amount
		bad.Amount++
	}
	bad.Type = []rebate.EventType{rebate.OrderPaid, rebate.OrderSettled, rebate.OrderCancelled}[g.rng.IntN(3)]
	bad.TS = g.later(o.PlacedAt, 0, 10*24*time.Hour)
	g.emit(bad)
}

// emitOrder emits lifecycle's status events of order o, each repeating o's
// fields, at plausible times after it was placed.
func (g *gen) emitOrder(o rebate.Event, lifecycle []rebate.EventType) {
	var settledAt time.Time
	for _, typ := range lifecycle {
		e := o
		e.Type = typ
		switch typ {
		case rebate.OrderPaid:
			e.TS = g.later(o.PlacedAt, 0, time.Hour)
		case rebate.OrderSettled:
			e.TS = g.later(o.PlacedAt, 24*time.Hour, 10*24*time.Hour)
			settledAt = e.TS
		case rebate.OrderCancelled:
			e.TS = g.later(o.PlacedAt, time.Hour, 5*24*time.Hour)
		case rebate.OrderReversed:
			e.TS = g.later(settledAt, 24*time.Hour, 5*24*time.Hour)
		}
		g.emit(e)
	}
}

func (g *gen) genClicks() {
	for range g.cfg.Clicks {
		merchant := g.merchants.pick()
		g.emit(rebate.Event{Type: rebate.Click, TS: g.eventTime(),
			UserID: g.users.pick(), MerchantID: merchant, ProductID: g.productOf(merchant)})
	}
}

// Withdrawal lifecycles.
var (
	requestedOnly            = []rebate.EventType{rebate.WithdrawalRequested}
	requestedCompleted       = []rebate.EventType{rebate.WithdrawalRequested, rebate.WithdrawalCompleted}
	requestedFailed          = []rebate.EventType{rebate.WithdrawalRequested, rebate.WithdrawalFailed}
	completedOnly            = []rebate.EventType{rebate.WithdrawalCompleted} // request was lost
	requestedFailedCompleted = []rebate.EventType{rebate.WithdrawalRequested, rebate.WithdrawalFailed, rebate.WithdrawalCompleted}
)

func (g *gen) withdrawalLifecycle(i int) []rebate.EventType {
	if forced := [][]rebate.EventType{completedOnly, requestedOnly, requestedFailed, requestedCompleted, requestedFailedCompleted}; i < len(forced) {
		return forced[i]
	}
	switch r := g.rng.Float64(); {
	case r < 0.03:
		return completedOnly
	case r < 0.05:
		return requestedFailedCompleted
	case r < 0.62:
		return requestedCompleted
	case r < 0.81:
		return requestedFailed
	default:
		return requestedOnly
	}
}

func (g *gen) genWithdrawals() {
	for i := range g.cfg.Withdrawals {
		base := rebate.Event{
			WithdrawalID: fmt.Sprintf("w-%d-%d", g.cfg.Seed, i),
			UserID:       g.users.pick(),
			Amount:       g.amount(50_000),
		}
		requestedAt := g.eventTime()
		if g.cfg.ConflictRate > 0 && g.chance(g.cfg.ConflictRate) {
			bad := base
			bad.Type, bad.TS, bad.Amount = rebate.WithdrawalCompleted, g.later(requestedAt, time.Minute, 24*time.Hour), base.Amount+1
			g.emit(bad)
		}
		for _, typ := range g.withdrawalLifecycle(i) {
			e := base
			e.Type = typ
			switch typ {
			case rebate.WithdrawalRequested:
				e.TS = requestedAt
			case rebate.WithdrawalFailed:
				e.TS = g.later(requestedAt, time.Minute, 24*time.Hour)
			case rebate.WithdrawalCompleted:
				e.TS = g.later(requestedAt, time.Minute, 2*24*time.Hour)
			}
			g.emit(e)
		}
	}
}

func (g *gen) genProductUpdates() {
	var updates []rebate.Event
	nextProduct := 1 // give every product an update before repeating any
	for i := range g.cfg.ProductUpdates {
		var e rebate.Event
		switch {
		case i == 1 || i > 1 && g.chance(0.1):
			// Same product, same ts, another event: the greater event ID wins.
			prev := updates[0]
			if i > 1 {
				prev = updates[g.rng.IntN(len(updates))]
			}
			e.ProductID, e.TS = prev.ProductID, prev.TS
		case nextProduct <= g.cfg.Products:
			e.ProductID, e.TS = uint64(nextProduct), g.eventTime()
			nextProduct++
		default:
			e.ProductID, e.TS = uint64(1+g.rng.IntN(g.cfg.Products)), g.eventTime()
		}
		e.Type = rebate.ProductUpdated
		e.MerchantID = g.productMerchant[e.ProductID-1]
		if g.chance(0.05) { // the product moves: the latest update's merchant wins
			e.MerchantID = uint64(1 + g.rng.IntN(g.cfg.Merchants))
		}
		e.Price = rebate.Money(1 + g.rng.Int64N(100_000))
		if !g.chance(0.1) { // out of stock sometimes
			e.Stock = uint32(g.rng.IntN(1000))
		}
		e.CommissionRate = rebate.Rate(g.rng.IntN(3001))
		updates = append(updates, g.emit(e))
	}
}

// deliver shuffles the distinct events and adds exact copies of about
// DuplicateRate of them: right after the original (same batch), anywhere
// (possibly before it: the first copy delivered is the one that counts),
// later, or after everything (a redelivery after a restart).
func (g *gen) deliver() []rebate.Event {
	distinct := slices.Clone(g.events)
	g.rng.Shuffle(len(distinct), func(i, j int) { distinct[i], distinct[j] = distinct[j], distinct[i] })

	type slot struct {
		key float64
		e   rebate.Event
	}
	n := float64(len(distinct))
	slots := make([]slot, 0, len(distinct))
	for i, e := range distinct {
		slots = append(slots, slot{float64(i), e})
	}
	for i, e := range distinct {
		if g.cfg.ConflictRate > 0 && (e.Type == rebate.Click || e.Type == rebate.ProductUpdated) && g.chance(g.cfg.ConflictRate) {
			// The same event_id re-sent with another time, as a producer that
			// stamps ts at send time would: the key (user, product) is kept.
			bad := e
			bad.TS = e.TS.Add(time.Duration(1+g.rng.IntN(90)) * time.Minute)
			slots = append(slots, slot{float64(i) + g.rng.Float64()*(n-float64(i)), bad})
		}
		if !g.chance(g.cfg.DuplicateRate) {
			continue
		}
		copies := 1
		if g.chance(0.2) {
			copies = 2
		}
		for range copies {
			var key float64
			switch r := g.rng.Float64(); {
			case r < 0.25:
				key = float64(i) + 0.5
			case r < 0.60:
				key = g.rng.Float64() * n
			case r < 0.85:
				key = float64(i) + g.rng.Float64()*(n-float64(i))
			default:
				key = n + g.rng.Float64()
			}
			slots = append(slots, slot{key, e})
		}
	}
	// Stable: originals precede copies with the same key.
	slices.SortStableFunc(slots, func(a, b slot) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	})
	out := make([]rebate.Event, len(slots))
	for i, s := range slots {
		out[i] = s.e
	}
	return out
}

// Split cuts events into consecutive batches of 1..maxBatch events (a
// maxBatch below 1 counts as 1). The batches share events' backing array
// but cannot be appended into each other.
func Split(rng *rand.Rand, events []rebate.Event, maxBatch int) [][]rebate.Event {
	maxBatch = max(maxBatch, 1)
	var out [][]rebate.Event
	for len(events) > 0 {
		n := min(1+rng.IntN(maxBatch), len(events))
		out = append(out, events[:n:n])
		events = events[n:]
	}
	return out
}

// richRules are rules of every kind issue 14 brought: for a tier, of a
// merchant and of the default; promotions starting and ending inside the
// stream (some ending before now, some after); caps low enough to bind;
// referral shares. A rule may start anywhere in the span: the store takes
// history as given (InsertRules).
func (g *gen) richRules(ruleTime func(lo, hi time.Time) time.Time) []rebate.Rule {
	var out []rebate.Rule
	at := func() time.Time { return ruleTime(g.now.Add(-Span+time.Hour), g.now.Add(-time.Hour)) }
	decorate := func(r rebate.Rule) rebate.Rule {
		if g.chance(0.4) {
			r.HasCap, r.Cap = true, rebate.Money(g.rng.IntN(2000)) // 0.00 to 19.99
		}
		if g.chance(0.6) {
			r.ReferralShare = rebate.Rate(g.rng.IntN(2001))
		}
		return r
	}
	for _, m := range []uint64{0, 1, 2} {
		if m > uint64(g.cfg.Merchants) {
			continue
		}
		for range 2 {
			r := rebate.Rule{MerchantID: m, HasTier: true, Tier: uint8(g.rng.IntN(4)), EffectiveFrom: at(), Share: g.share()}
			out = append(out, decorate(r))
		}
		// A promotion: a few hours to a few days, inside the span.
		from := at()
		p := rebate.Rule{MerchantID: m, EffectiveFrom: from, EffectiveTo: from.Add(time.Duration(2+g.rng.IntN(96)) * time.Hour).Truncate(time.Second),
			Share: g.share()}
		if g.chance(0.5) {
			p.HasTier, p.Tier = true, uint8(g.rng.IntN(4))
		}
		out = append(out, decorate(p))
	}
	// The default rule earns referrals too, so most invited orders count.
	out = append(out, decorate(rebate.Rule{MerchantID: 0, EffectiveFrom: at(), Share: g.share(), ReferralShare: 1000}))
	return out
}

// genMembers makes users join, most of them before their first orders, a
// share invited by an earlier member (so invitation trees form and an
// inviter has inviters of their own), some twice with the same inviter
// (another event_id), and, with ConflictRate, some again naming another.
func (g *gen) genMembers() {
	var joinedAt []time.Time
	var members []uint64
	for i := range g.cfg.Members {
		user := uint64(1 + i%max(g.cfg.Users, 1))
		if slices.Contains(members, user) {
			continue
		}
		e := rebate.Event{Type: rebate.UserJoined, UserID: user, TS: g.between(g.now.Add(-Span), g.now.Add(-time.Hour))}
		if len(members) > 0 && g.chance(0.7) {
			j := g.rng.IntN(len(members))
			e.InviterID = members[j]
			if !e.TS.After(joinedAt[j]) { // an inviter joined first
				e.TS = joinedAt[j].Add(time.Duration(1+g.rng.IntN(3600)) * time.Second)
			}
		}
		members, joinedAt = append(members, user), append(joinedAt, e.TS)
		g.emit(e)
		if g.chance(0.05) { // joined again, the same inviter: not a conflict
			again := e
			again.TS = e.TS.Add(time.Minute)
			g.emit(again)
		}
		if g.cfg.ConflictRate > 0 && g.chance(g.cfg.ConflictRate) {
			bad := e
			bad.TS = e.TS.Add(time.Hour)
			bad.InviterID = e.InviterID%uint64(max(g.cfg.Users, 2)) + 1
			if bad.InviterID == bad.UserID {
				bad.InviterID = 0
			}
			g.emit(bad)
		}
	}
}

// genTiers moves users between tiers at times around their orders: on a
// placed_at exactly, just before or after it, two changes at one instant
// (the greater event_id wins), and anywhere.
func (g *gen) genTiers() {
	for range g.cfg.TierChanges {
		e := rebate.Event{Type: rebate.UserTierChanged, UserID: g.users.pick(), Tier: uint8(g.rng.IntN(rebate.MaxTier + 1))}
		switch r := g.rng.Float64(); {
		case r < 0.3 && len(g.placedSoFar) > 0:
			p := g.placedSoFar[g.rng.IntN(len(g.placedSoFar))]
			e.UserID, e.TS = p.user, p.at.Add(time.Duration(g.rng.IntN(3)-1)*time.Millisecond)
		default:
			e.TS = g.anyTime()
		}
		g.emit(e)
		if g.chance(0.05) { // another change at the same instant
			tie := e
			tie.Tier = uint8(g.rng.IntN(rebate.MaxTier + 1))
			g.emit(tie)
		}
	}
}
