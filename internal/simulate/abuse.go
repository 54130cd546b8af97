package simulate

import (
	"time"

	"github.com/rebatehq/rebate"
)

// abuse makes one abusive action, what the fraud signals look for
// (docs/events.md, Fraud signals), at the default thresholds:
//   - 30%: an order without a click: a user orders a product they did not
//     click;
//   - 40%: an order of one of three users who cancel 85% of what they order
//     (each after a click);
//   - 15%: a burst: a new user orders 11 to 20 clicked products within
//     minutes;
//   - 15%: an invitation farm: a new user whose 10 to 14 invitees join
//     within a minute, click and order, and never settle.
func (s *Simulator) abuse() {
	switch r := s.rng.Float64(); {
	case r < 0.3:
		u := s.users.Uint64() + 1
		s.join(u)
		m, p := s.merchantProduct()
		s.order(u, m, p, shopper)
	case r < 0.7:
		if len(s.cancellers) < 3 {
			u := s.abuser()
			s.join(u)
			s.cancellers = append(s.cancellers, u)
		}
		s.clickThenOrder(s.cancellers[s.rng.IntN(len(s.cancellers))], canceller)
	case r < 0.85:
		u := s.abuser()
		s.join(u)
		n := 11 + s.rng.IntN(10)
		for i := range n {
			s.later(time.Duration(i)*15*time.Second, nil, func() { s.clickThenOrder(u, shopper) })
		}
	default:
		inviter := s.abuser()
		s.join(inviter)
		n := 10 + s.rng.IntN(5)
		for i := range n {
			s.later(time.Duration(i)*5*time.Second, nil, func() {
				u := s.abuser()
				s.person(u).joined = true
				s.members = append(s.members, u)
				s.emit(rebate.Event{ID: s.id("j"), Type: rebate.UserJoined, TS: s.now(), UserID: u, InviterID: inviter})
				s.clickThenOrder(u, farmed)
			})
		}
	}
}

// abuser is a new user for abuse, above the clean population.
func (s *Simulator) abuser() uint64 {
	s.abusers++
	return uint64(s.cfg.Users + s.abusers)
}

// clickThenOrder has u click a product and order it seconds later.
func (s *Simulator) clickThenOrder(u uint64, f fate) {
	m, p := s.merchantProduct()
	s.emit(rebate.Event{ID: s.id("c"), Type: rebate.Click, TS: s.now(), UserID: u, MerchantID: m, ProductID: p})
	s.later(time.Duration(1+s.rng.IntN(10))*time.Second, nil, func() { s.order(u, m, p, f) })
}

// rulesAhead is how far ahead of now the rules of Rules start. They are put
// one after the other, each repricing, and a rule may not start in the
// past: with one second, a start on a busy machine was refused when the
// third put came 0.67 s after the first (rebate up stopped: "effective_from
// is in the past"). Until then the seeded default prices.
const rulesAhead = 5 * time.Second

// Rules are the rules a simulated run puts as it starts (rebate up), from
// rulesAhead on: a default with referral earnings, a richer share for tiers 2 and
// 3 (3 capped at 60.00: never below the default share of the simulator's
// commissions, so its users never withdraw more than they have), and a
// promotion: merchant 1 (the busiest) pays 0.9 of its commission from a
// minute after the others start for half an hour, so a demo sees it start
// and end.
func Rules(now time.Time) []rebate.Rule {
	from := now.UTC().Truncate(time.Second).Add(rulesAhead)
	promo := from.Add(time.Minute)
	return []rebate.Rule{
		{MerchantID: 0, EffectiveFrom: from, Share: 5000, ReferralShare: 1000},
		{MerchantID: 0, HasTier: true, Tier: 2, EffectiveFrom: from, Share: 6000, ReferralShare: 1000},
		{MerchantID: 0, HasTier: true, Tier: 3, EffectiveFrom: from, Share: 7000, HasCap: true, Cap: 6000, ReferralShare: 1500},
		{MerchantID: 1, EffectiveFrom: promo, EffectiveTo: promo.Add(30 * time.Minute), Share: 9000, ReferralShare: 1000},
	}
}
