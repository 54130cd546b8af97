package rebate

import (
	"fmt"
	"time"
)

// MaxTier is the highest member tier.
const MaxTier = 9

// Rule says what share of an order's commission is paid back as rebate (and
// to the user's inviter as referral earnings), for orders placed from
// EffectiveFrom and, for a promotion, before EffectiveTo. Merchant 0 is the
// default for every merchant. docs/events.md ("Rebate") says which rule an
// order gets. The zero value of each optional part means none: every tier,
// no end, no cap, no referral earnings.
type Rule struct {
	MerchantID    uint64
	HasTier       bool  // for one tier only
	Tier          uint8 // 0..MaxTier, when HasTier
	EffectiveFrom time.Time
	EffectiveTo   time.Time // exclusive; zero for a standing rule, set for a promotion
	Share         Rate
	HasCap        bool
	Cap           Money // the largest rebate of one order, when HasCap
	ReferralShare Rate  // the inviter's share of the commission
}

// Promotion reports whether the rule has an end: a time-boxed promotion.
func (r Rule) Promotion() bool { return !r.EffectiveTo.IsZero() }

func (r Rule) String() string {
	s := fmt.Sprintf("merchant %d", r.MerchantID)
	if r.HasTier {
		s += fmt.Sprintf(" tier %d", r.Tier)
	}
	s += " from " + r.EffectiveFrom.Format(time.RFC3339)
	if r.Promotion() {
		s += " to " + r.EffectiveTo.Format(time.RFC3339)
	}
	s += ": " + r.Share.String()
	if r.HasCap {
		s += " capped at " + r.Cap.String()
	}
	if r.ReferralShare > 0 {
		s += ", referral " + r.ReferralShare.String()
	}
	return s
}

// Validate checks what a rule may hold: shares of at most 1, a tier of
// 0..9 or any, and times within those orders can be placed at (the
// contract's, which ClickHouse stores exactly; a later start could never
// apply, and past 2299 it would be stored as another date), an end after the
// start.
func (r Rule) Validate() error {
	switch {
	case r.Share > RateOne:
		return Errorf(EINVALID, "share", "share %s is above 1", r.Share)
	case r.ReferralShare > RateOne:
		return Errorf(EINVALID, "referral_share", "referral_share %s is above 1", r.ReferralShare)
	case r.HasTier && r.Tier > MaxTier:
		return Errorf(EINVALID, "tier", "tier %d: want 0 to %d, or none for every tier", r.Tier, MaxTier)
	case r.HasCap && (r.Cap < 0 || r.Cap > MaxMoney):
		return Errorf(EINVALID, "cap", "cap %s: want 0 to 1000000000000, or none", r.Cap)
	case r.EffectiveFrom.Before(MinTime) || !r.EffectiveFrom.Before(MaxTime):
		return Errorf(EINVALID, "effective_from", "%s is outside %s to %s, when orders can be placed",
			r.EffectiveFrom.Format(time.RFC3339Nano), MinTime.Format(time.RFC3339), MaxTime.Add(-time.Millisecond).Format(time.RFC3339Nano))
	case r.Promotion() && !r.EffectiveTo.After(r.EffectiveFrom):
		return Errorf(EINVALID, "effective_to", "effective_to %s is not after effective_from %s",
			r.EffectiveTo.Format(time.RFC3339Nano), r.EffectiveFrom.Format(time.RFC3339Nano))
	case r.Promotion() && r.EffectiveTo.After(MaxTime):
		return Errorf(EINVALID, "effective_to", "%s is after %s", r.EffectiveTo.Format(time.RFC3339Nano), MaxTime.Format(time.RFC3339))
	}
	return nil
}

// applies reports whether r can price an order of merchant, tier, placed at.
func (r Rule) applies(merchant uint64, tier uint8, at time.Time) bool {
	return (r.MerchantID == merchant || r.MerchantID == 0) &&
		(!r.HasTier || r.Tier == tier) &&
		!at.Before(r.EffectiveFrom) && (!r.Promotion() || at.Before(r.EffectiveTo))
}

// outranks reports whether r wins over o for an order of merchant: a
// promotion over a standing rule; then the merchant's over the default, a
// tier's over every tier's (merchant first: (merchant, tier) > (merchant,
// any) > (default, tier) > (default, any)); among equals the latest
// effective_from. Rules equal on all of that are one rule (re-putting one
// replaces it).
func (r Rule) outranks(o Rule, merchant uint64) bool {
	if r.Promotion() != o.Promotion() {
		return r.Promotion()
	}
	if rm, om := r.MerchantID == merchant && merchant != 0, o.MerchantID == merchant && merchant != 0; rm != om {
		return rm
	}
	if r.HasTier != o.HasTier {
		return r.HasTier
	}
	return r.EffectiveFrom.After(o.EffectiveFrom)
}

// RuleFor is the rule pricing an order of merchant, of a user of tier,
// placed at; ok is false when no rule applies (the rebate is then 0).
// Rules later in the slice replace earlier ones equal to them in every key
// (merchant, tier, effective_from, effective_to), as a later put does.
func RuleFor(rules []Rule, merchant uint64, tier uint8, at time.Time) (Rule, bool) {
	var best Rule
	found := false
	for _, r := range rules {
		if !r.applies(merchant, tier, at) {
			continue
		}
		if !found || r.outranks(best, merchant) || !best.outranks(r, merchant) {
			best, found = r, true
		}
	}
	return best, found
}

// Price is an order's rebate and its inviter's referral earnings under the
// rule: floor(commission × share) to the cent, capped; floor(commission ×
// referral share).
func (r Rule) Price(commission Money) (rebate, referral Money) {
	rebate = Rebate(commission, r.Share)
	if r.HasCap && rebate > r.Cap {
		rebate = r.Cap
	}
	return rebate, Rebate(commission, r.ReferralShare)
}
