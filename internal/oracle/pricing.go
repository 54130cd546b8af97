package oracle

import (
	"cmp"
	"slices"
	"time"

	"github.com/rebatehq/rebate"
)

// ReferralWindow is how long after an invitee joins their orders earn their
// inviter referral earnings (REBATE_REFERRAL_WINDOW_DAYS's default).
const ReferralWindow = 365 * 24 * time.Hour

// member is a user's first join.
type member struct {
	inviter  uint64 // 0: nobody
	joinedAt time.Time
}

// tierChange is one user_tier_changed event.
type tierChange struct {
	at   time.Time
	id   string
	tier uint8
}

// tierAt is the user's tier at t: their latest change with ts <= t, ties
// by the greater event_id; 0 when none.
func (o *Oracle) tierAt(user uint64, t time.Time) uint8 {
	var best *tierChange
	for i, c := range o.tiers[user] {
		if c.at.After(t) {
			continue
		}
		if best == nil || c.at.After(best.at) || c.at.Equal(best.at) && c.id > best.id {
			best = &o.tiers[user][i]
		}
	}
	if best == nil {
		return 0
	}
	return best.tier
}

// latestTier is the tier of the user's latest change of all; 0 when none.
func (o *Oracle) latestTier(user uint64) uint8 {
	return o.tierAt(user, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
}

// ruleFor is the rule of an order, written out the way docs/events.md says
// it, independently of rebate.RuleFor: of the rules in force at placed
// whose merchant is the order's or 0 and whose tier is the order's or
// every tier, the first non-empty class of promotions, then of standing
// rules, each tried as (merchant, tier), (merchant, any), (default, tier),
// (default, any); within a class the latest effective_from, and of rules
// equal in every key the one put last.
func (o *Oracle) ruleFor(merchant uint64, tier uint8, placed time.Time) (rebate.Rule, bool) {
	type class struct {
		promotion bool
		merchant  uint64
		tiered    bool
	}
	var classes []class
	for _, promotion := range []bool{true, false} {
		for _, m := range []uint64{merchant, 0} {
			for _, tiered := range []bool{true, false} {
				classes = append(classes, class{promotion, m, tiered})
			}
		}
	}
	for _, c := range classes {
		var in []int // indexes of the rules in the class, in force at placed
		for i, r := range o.rules {
			inForce := !placed.Before(r.EffectiveFrom) && (!r.Promotion() || placed.Before(r.EffectiveTo))
			if r.Promotion() == c.promotion && r.MerchantID == c.merchant && r.HasTier == c.tiered &&
				(!r.HasTier || r.Tier == tier) && inForce {
				in = append(in, i)
			}
		}
		if len(in) == 0 {
			continue
		}
		best := in[0]
		for _, i := range in[1:] { // the latest start; a tie goes to the later put
			if !o.rules[i].EffectiveFrom.Before(o.rules[best].EffectiveFrom) {
				best = i
			}
		}
		return o.rules[best], true
	}
	return rebate.Rule{}, false
}

// price sets the order's rebate (min(floor(commission × share), cap)) and
// returns its inviter and referral earnings (floor(commission × referral
// share)) when the order counts for one.
func (o *Oracle) price(ord *rebate.Order) (inviter uint64, earning rebate.Money) {
	r, ok := o.ruleFor(ord.MerchantID, o.tierAt(ord.UserID, ord.PlacedAt), ord.PlacedAt)
	if !ok {
		ord.Rebate = 0
		return 0, 0
	}
	ord.Rebate = floorShare(ord.Commission, r.Share)
	if r.HasCap && ord.Rebate > r.Cap {
		ord.Rebate = r.Cap
	}
	m, joined := o.members[ord.UserID]
	if !joined || m.inviter == 0 || ord.PlacedAt.Before(m.joinedAt) || !ord.PlacedAt.Before(m.joinedAt.Add(o.window)) {
		return 0, 0
	}
	return m.inviter, floorShare(ord.Commission, r.ReferralShare)
}

// floorShare is floor(commission × share) to the cent: cents times
// ten-thousandths, divided down (both are non-negative).
func floorShare(commission rebate.Money, share rebate.Rate) rebate.Money {
	c, s := int64(commission), int64(share) // cents, ten-thousandths
	return rebate.Money(c * s / 10_000)
}

// Referrals are the users user invited, by user id, with what their orders
// earned user.
func (o *Oracle) Referrals(user uint64) []rebate.Referral {
	var out []rebate.Referral
	for invitee, m := range o.members {
		if m.inviter != user {
			continue
		}
		r := rebate.Referral{InviteeID: invitee, JoinedAt: m.joinedAt}
		for _, ord := range o.orders {
			if ord.UserID != invitee || o.earning[ord.OrderID].inviter != user {
				continue
			}
			addState(&r.Orders, &r.Earnings, ord.State, o.earning[ord.OrderID].amount)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b rebate.Referral) int { return cmp.Compare(a.InviteeID, b.InviteeID) })
	return out
}

func addState(n *rebate.OrderCounts, e *rebate.Earnings, s rebate.OrderState, m rebate.Money) {
	switch s {
	case rebate.StatePaid:
		n.Paid++
		e.Pending += m
	case rebate.StateSettled:
		n.Settled++
		e.Confirmed += m
	case rebate.StateVoid:
		n.Void++
		e.Void += m
	}
}
