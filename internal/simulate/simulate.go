// Package simulate makes realistic traffic for the events topic: users and
// merchants with skewed popularity who join (some invited by earlier
// members: invitation trees) and move between tiers, clicks that sometimes
// convert, order lifecycles with delays, withdrawals against the balance
// users have, product updates, a small share of abusive behaviour (orders
// without clicks, users who cancel most orders, bursts of orders,
// invitation farms: what the fraud signals look for), and a small share of
// duplicates, late deliveries and, on request, malformed records.
//
// The content depends only on the seed and the rate: a logical clock
// (one event per 1/rate seconds) drives every choice and delay, and the
// wall clock only paces the sending.
package simulate

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/defaults"
	"github.com/rebatehq/rebate/internal/settings"
	"github.com/rebatehq/rebate/kafka"
)

// Config shapes the traffic. Zero values take the defaults noted.
type Config struct {
	Seed          uint64
	Rate          float64 // events/s; 0 sends nothing (the flag defaults to 200)
	Users         int     // default 50,000
	Merchants     int     // default 60
	Products      int     // default 2,000
	Conversion    float64 // share of clicks that become an order (default 0.08)
	DuplicateRate float64 // share of events sent twice (default 0.01)
	LateRate      float64 // share of events delivered seconds late (default 0.02)
	BadRate       float64 // share of malformed records (0; the flag defaults to 0.01)
	// AbuseRate is the share of actions that are abusive (default 0.001),
	// each one of: an order without a click, an order of a user who cancels
	// most (a few such users), a burst of orders, an invitation farm. Clean
	// makes none.
	AbuseRate float64
	Clean     bool
	// A user orders at most once per MinOrderGap (default 10 minutes): a
	// click of a user who ordered since does not convert. Shoppers do not
	// order faster than that; faster is what the velocity signal flags.
	MinOrderGap time.Duration
	// Delays in simulated time, between a click and its order and between
	// an order and its outcome: minutes, not days, so a demo shows them.
	ConvertAfter time.Duration // default 20s
	SettleAfter  time.Duration // default 90s
	Topic        string        // default rebate-events
	// Duration is how long Run sends; 0 until it is stopped.
	Duration time.Duration
}

// RegisterFlags binds the settings a user chooses to their flags and
// variables. prefix names the rate and duration flags: "" for rebate
// simulate (--rate, --duration), "simulate-" for rebate up, where they sit
// beside the settings of every other part.
func (c *Config) RegisterFlags(f *settings.Flags, prefix string) {
	f.Float(&c.Rate, prefix+"rate", "REBATE_SIMULATE_RATE", 200, "events/s the simulator sends (rebate up: 0 runs without it)",
		settings.NonNegativeFloat)
	f.Uint64(&c.Seed, "seed", "REBATE_SIMULATE_SEED", 0, "simulator seed; the same seed and rate make the same events (0: from the clock)")
	f.Float(&c.BadRate, "bad-rate", "REBATE_SIMULATE_BAD_RATE", 0.01, "share of malformed records, 0..1", settings.Fraction)
	f.Duration(&c.Duration, prefix+"duration", "REBATE_SIMULATE_DURATION", 0, "how long to send (0: until stopped)", settings.NonNegative)
}

// SeedOrClock is the configured seed, or one from the clock when it is 0
// (print it, so the run can be repeated).
func (c Config) SeedOrClock(now time.Time) uint64 {
	if c.Seed != 0 {
		return c.Seed
	}
	return uint64(now.UnixNano()%1_000_000_000) + 1
}

func (c *Config) setDefaults() error {
	defaults.Set(&c.Users, 50_000)
	defaults.Set(&c.Merchants, 60)
	defaults.Set(&c.Products, 2000)
	defaults.Set(&c.Conversion, 0.08)
	defaults.Set(&c.DuplicateRate, 0.01)
	defaults.Set(&c.LateRate, 0.02)
	defaults.Set(&c.AbuseRate, 0.001)
	defaults.Set(&c.MinOrderGap, 10*time.Minute)
	defaults.Set(&c.ConvertAfter, 20*time.Second)
	defaults.Set(&c.SettleAfter, 90*time.Second)
	defaults.Set(&c.Topic, kafka.DefaultTopic)
	for _, r := range []struct {
		name string
		v    float64
	}{{"Conversion", c.Conversion}, {"DuplicateRate", c.DuplicateRate}, {"LateRate", c.LateRate}, {"BadRate", c.BadRate},
		{"AbuseRate", c.AbuseRate}} {
		if r.v < 0 || r.v > 1 {
			return fmt.Errorf("simulate config: %s=%g: want 0..1", r.name, r.v)
		}
	}
	if c.Rate < 0 || c.Users < 2 || c.Merchants < 2 || c.Products < 1 {
		return fmt.Errorf("simulate config: Rate=%g Users=%d Merchants=%d Products=%d: want rate >= 0 and at least 2 users and merchants",
			c.Rate, c.Users, c.Merchants, c.Products)
	}
	return nil
}

// Stats count what was made.
type Stats struct {
	Events, Duplicates, Late, Malformed int64
}

// due is something to send at a simulated time.
type due struct {
	at  time.Duration
	seq int
	rec *kgo.Record
	run func() // or an action to take, such as an order's outcome
}

type queue []due

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(due)) }
func (q *queue) Pop() any     { old := *q; x := old[len(old)-1]; *q = old[:len(old)-1]; return x }
func (q queue) peek() *due    { return &q[0] }

// user is what the simulator knows of a user: their money, to withdraw only
// what they have (confirmed rebates at the default share minus
// withdrawals), whether they joined, how many they invited, and when they
// last ordered.
type user struct {
	available rebate.Money
	joined    bool
	invited   int
	ordered   time.Duration // simulated time of their last order; -1: never
}

// Simulator makes events on a logical clock.
type Simulator struct {
	cfg        Config
	rng        *rand.Rand
	users      *rand.Zipf
	merchants  *rand.Zipf
	start      time.Time // wall time of simulated zero, for timestamps
	clock      time.Duration
	seq        int
	ids        int
	pending    queue
	people     map[uint64]*user
	members    []uint64 // users who joined, in join order: inviters to pick from
	abusers    int      // users made for abuse so far, above Users
	cancellers []uint64 // the few users who cancel most orders
	out        []*kgo.Record
	Stats      Stats
}

// New seeds a simulator whose simulated zero is start.
func New(cfg Config, start time.Time) (*Simulator, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))
	return &Simulator{
		cfg: cfg,
		rng: rng,
		// A flat head: the busiest user has about 0.02% of the orders, so
		// at the default rate clean users order no faster than shoppers do.
		users:     rand.NewZipf(rng, 1.07, 2000, uint64(cfg.Users-1)),
		merchants: rand.NewZipf(rng, 1.2, 3, uint64(cfg.Merchants-1)),
		start:     start.UTC(),
		people:    map[uint64]*user{},
	}, nil
}

// Next makes the next n actions and returns every record due by then.
func (s *Simulator) Next(n int) []*kgo.Record {
	s.out = s.out[:0]
	step := time.Duration(float64(time.Second) / s.cfg.Rate)
	for range n {
		s.clock += step
		s.flushDue()
		s.act()
	}
	s.flushDue()
	return s.out
}

// Drain returns every record still waiting (late deliveries and copies),
// without taking any pending action, so a stopping run sends what it owes.
func (s *Simulator) Drain() []*kgo.Record {
	var out []*kgo.Record
	for s.pending.Len() > 0 {
		if d := heap.Pop(&s.pending).(due); d.rec != nil {
			out = append(out, d.rec)
		}
	}
	return out
}

func (s *Simulator) flushDue() {
	for s.pending.Len() > 0 && s.pending.peek().at <= s.clock {
		d := heap.Pop(&s.pending).(due)
		if d.run != nil {
			d.run()
		} else {
			s.out = append(s.out, d.rec)
		}
	}
}

func (s *Simulator) later(after time.Duration, rec *kgo.Record, run func()) {
	s.seq++
	heap.Push(&s.pending, due{at: s.clock + after, seq: s.seq, rec: rec, run: run})
}

func (s *Simulator) now() time.Time { return s.start.Add(s.clock).Truncate(time.Millisecond) }

func (s *Simulator) id(kind string) string {
	s.ids++
	return fmt.Sprintf("sim%d-%s-%d", s.cfg.Seed, kind, s.ids)
}

// jitter is a delay of mean d, exponentially distributed as waiting times
// between a click and a purchase are: most come soon, a few much later.
// A demo thus shows orders and settlements in its first seconds.
func (s *Simulator) jitter(d time.Duration) time.Duration {
	return time.Duration(min(s.rng.ExpFloat64(), 6) * float64(d))
}

// emit sends e now, or late, maybe twice.
func (s *Simulator) emit(e rebate.Event) {
	rec := kafka.Record(s.cfg.Topic, e)
	s.Stats.Events++
	if s.rng.Float64() < s.cfg.LateRate {
		s.Stats.Late++
		s.later(time.Duration(1+s.rng.IntN(8))*time.Second, rec, nil)
	} else {
		s.out = append(s.out, rec)
	}
	if s.rng.Float64() < s.cfg.DuplicateRate {
		s.Stats.Duplicates++
		s.later(time.Duration(s.rng.IntN(30))*time.Second, kafka.Record(s.cfg.Topic, e), nil)
	}
}

func (s *Simulator) act() {
	if s.cfg.BadRate > 0 && s.rng.Float64() < s.cfg.BadRate {
		s.Stats.Malformed++
		s.out = append(s.out, &kgo.Record{Topic: s.cfg.Topic, Value: malformed(s.rng, s.now())})
		return
	}
	if !s.cfg.Clean && s.rng.Float64() < s.cfg.AbuseRate {
		s.abuse()
		return
	}
	switch r := s.rng.Float64(); {
	case r < 0.03:
		if s.withdraw() {
			return
		}
	case r < 0.10:
		s.updateProduct()
		return
	case r < 0.103:
		if s.changeTier() {
			return
		}
	}
	s.click()
}

func (s *Simulator) merchantProduct() (uint64, uint64) {
	m := s.merchants.Uint64() + 1
	per := max(1, s.cfg.Products/s.cfg.Merchants)
	return m, (m-1)*uint64(per) + uint64(s.rng.IntN(per)) + 1
}

func (s *Simulator) click() {
	u := s.users.Uint64() + 1
	s.join(u)
	m, p := s.merchantProduct()
	s.emit(rebate.Event{ID: s.id("c"), Type: rebate.Click, TS: s.now(), UserID: u, MerchantID: m, ProductID: p})
	if s.rng.Float64() < s.cfg.Conversion {
		s.later(s.jitter(s.cfg.ConvertAfter), nil, func() {
			if who := s.person(u); who.ordered < 0 || s.clock-who.ordered >= s.cfg.MinOrderGap {
				s.order(u, m, p, shopper)
			}
		})
	}
}

// join has u join before their first event, invited by an earlier member
// about a third of the time (one who invited fewer than 5: clean invitation
// trees are small).
func (s *Simulator) join(u uint64) {
	p := s.person(u)
	if p.joined {
		return
	}
	p.joined = true
	e := rebate.Event{ID: s.id("j"), Type: rebate.UserJoined, TS: s.now(), UserID: u}
	if len(s.members) > 0 && s.rng.Float64() < 0.35 {
		inviter := s.members[s.rng.IntN(len(s.members))]
		if q := s.person(inviter); q.invited < 5 {
			q.invited++
			e.InviterID = inviter
		}
	}
	s.members = append(s.members, u)
	s.emit(e)
}

// changeTier moves a member to another tier (0 to 3).
func (s *Simulator) changeTier() bool {
	if len(s.members) == 0 {
		return false
	}
	u := s.members[s.rng.IntN(len(s.members))]
	s.emit(rebate.Event{ID: s.id("t"), Type: rebate.UserTierChanged, TS: s.now(), UserID: u, Tier: uint8(s.rng.IntN(4))})
	return true
}

// fate is how an order's outcome is drawn.
type fate uint8

const (
	shopper   fate = iota // settled 80%, cancelled 15%, else left paid
	canceller             // cancelled 85%, else settled
	farmed                // cancelled or left paid, never settled
)

func (s *Simulator) order(u, m, p uint64, f fate) {
	s.person(u).ordered = s.clock
	amount := rebate.Money(500 + s.rng.Int64N(80_000))
	commission := amount * rebate.Money(2+s.rng.IntN(12)) / 100
	o := rebate.Event{ID: s.id("op"), Type: rebate.OrderPaid, TS: s.now(), OrderID: s.id("o"), UserID: u, MerchantID: m,
		ProductID: p, Amount: amount, Commission: commission, PlacedAt: s.now()}
	s.emit(o)
	s.later(s.jitter(s.cfg.SettleAfter), nil, func() {
		r := s.rng.Float64()
		switch f {
		case canceller: // cancelled 85%, else settled
			if r < 0.85 {
				r = 0.9
			} else {
				r = 0
			}
		case farmed: // never settled: cancelled 75%, else left paid
			r = 0.80 + 0.20*r
		}
		switch {
		case r < 0.80:
			s.emit(outcome(o, rebate.OrderSettled, s.id("os"), s.now()))
			s.person(u).available += rebate.Rebate(commission, rebate.RateOne/2)
			if s.rng.Float64() < 0.03 { // a return weeks later, here minutes
				s.later(s.jitter(3*s.cfg.SettleAfter), nil, func() {
					s.emit(outcome(o, rebate.OrderReversed, s.id("or"), s.now()))
					s.person(u).available -= rebate.Rebate(commission, rebate.RateOne/2)
				})
			}
		case r < 0.95:
			s.emit(outcome(o, rebate.OrderCancelled, s.id("oc"), s.now()))
		}
	})
}

func outcome(o rebate.Event, t rebate.EventType, id string, at time.Time) rebate.Event {
	o.ID, o.Type, o.TS = id, t, at
	return o
}

func (s *Simulator) person(u uint64) *user {
	p := s.people[u]
	if p == nil {
		p = &user{ordered: -1}
		s.people[u] = p
	}
	return p
}

// withdraw has a user with money take part of it out.
func (s *Simulator) withdraw() bool {
	u := s.users.Uint64() + 1
	p := s.person(u)
	if p.available < 100 {
		return false
	}
	amount := 100 + rebate.Money(s.rng.Int64N(int64(p.available-99)))
	p.available -= amount
	w := rebate.Event{ID: s.id("wr"), Type: rebate.WithdrawalRequested, TS: s.now(), WithdrawalID: s.id("w"), UserID: u, Amount: amount}
	s.emit(w)
	s.later(s.jitter(s.cfg.SettleAfter/2), nil, func() {
		if s.rng.Float64() < 0.9 {
			s.emit(outcome(w, rebate.WithdrawalCompleted, s.id("wc"), s.now()))
			return
		}
		s.emit(outcome(w, rebate.WithdrawalFailed, s.id("wf"), s.now()))
		p.available += amount
	})
	return true
}

func (s *Simulator) updateProduct() {
	m, p := s.merchantProduct()
	s.emit(rebate.Event{ID: s.id("p"), Type: rebate.ProductUpdated, TS: s.now(), ProductID: p, MerchantID: m,
		Price: rebate.Money(100 + s.rng.Int64N(200_000)), Stock: uint32(s.rng.IntN(5000)),
		CommissionRate: rebate.Rate(100 + s.rng.IntN(1500))})
}

// malformed is a record that breaks the contract in one of the ways real
// producers do.
func malformed(rng *rand.Rand, at time.Time) []byte {
	ts := at.Format(time.RFC3339)
	switch rng.IntN(6) {
	case 0:
		return []byte(`{"event_id":"bad-` + ts + `","type":"click","ts":"` + ts) // cut short
	case 1:
		return []byte(`{"event_id":"bad","type":"click","ts":"` + ts + `","user_id":1,"merchant_id":1}`) // no product_id
	case 2:
		return []byte(`{"event_id":"bad","type":"withdrawal_requested","ts":"` + ts + `","withdrawal_id":"w","user_id":1,"amount":"-5.00"}`)
	case 3:
		return []byte(`{"event_id":"bad","type":"order_paid","ts":"` + ts + `","order_id":"o","user_id":1,"merchant_id":1,"product_id":1,"amount":0.30000000000000004,"commission":"0.01","placed_at":"` + ts + `"}`)
	case 4:
		return []byte(`{"event_id":"bad","type":"refund","ts":"` + ts + `"}`)
	}
	return []byte("{\"event_id\":\"bad\xff\",\"type\":\"click\"}") // not UTF-8
}

// Seed is the seed the traffic is made from.
func (s *Simulator) Seed() uint64 { return s.cfg.Seed }
