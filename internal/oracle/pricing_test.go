package oracle

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
)

func joined(id string, user, inviter uint64, ts time.Time) rebate.Event {
	return rebate.Event{ID: id, Type: rebate.UserJoined, TS: ts, UserID: user, InviterID: inviter}
}

func tierEvent(id string, user uint64, tier uint8, ts time.Time) rebate.Event {
	return rebate.Event{ID: id, Type: rebate.UserTierChanged, TS: ts, UserID: user, Tier: tier}
}

var epoch = time.Unix(0, 0).UTC()

// TestRulePrecedence: each class beats the next, whatever the order rules
// were put in and however late their starts.
func TestRulePrecedence(t *testing.T) {
	p := ago(time.Hour)
	start := ago(48 * time.Hour)
	later := ago(24 * time.Hour) // a later start loses to a better class
	promo := func(r rebate.Rule) rebate.Rule { r.EffectiveTo = now; return r }
	tiered := func(r rebate.Rule) rebate.Rule { r.HasTier, r.Tier = true, 2; return r }
	classes := []rebate.Rule{ // best first
		promo(tiered(rebate.Rule{MerchantID: 5, EffectiveFrom: start, Share: 8000})),
		promo(rebate.Rule{MerchantID: 5, EffectiveFrom: later, Share: 7000}),
		promo(tiered(rebate.Rule{MerchantID: 0, EffectiveFrom: later, Share: 6000})),
		promo(rebate.Rule{MerchantID: 0, EffectiveFrom: later, Share: 5000}),
		tiered(rebate.Rule{MerchantID: 5, EffectiveFrom: start, Share: 4000}),
		{MerchantID: 5, EffectiveFrom: later, Share: 3000},
		tiered(rebate.Rule{MerchantID: 0, EffectiveFrom: later, Share: 2000}),
		{MerchantID: 0, EffectiveFrom: later, Share: 1000},
	}
	events := []rebate.Event{tierEvent("t", 7, 2, ago(72*time.Hour)), ord("e1", paid, "o-1", 7, 5, "100.00", "10.00", p)}
	for i := range classes {
		// Rules from class i on, put worst first.
		var rules []rebate.Rule
		for j := len(classes) - 1; j >= i; j-- {
			rules = append(rules, classes[j])
		}
		o := New(events, rules)
		if got, want := o.Orders(7)[0].Rebate, floorShare(1000, classes[i].Share); got != want {
			t.Errorf("with classes %d..: rebate %s, want %s (%s)", i, got, want, classes[i])
		}
		if r, ok := rebate.RuleFor(rules, 5, 2, p); !ok || r != classes[i] {
			t.Errorf("rebate.RuleFor with classes %d..: %s, want %s", i, r, classes[i])
		}
	}
}

// TestRuleForAgreesWithOracle: the domain's rule selection and the
// oracle's written-out one agree on random rule sets.
func TestRuleForAgreesWithOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 2000 {
		var rules []rebate.Rule
		for range 1 + rng.IntN(8) {
			r := rebate.Rule{MerchantID: uint64(rng.IntN(3)), EffectiveFrom: ago(time.Duration(rng.IntN(5)) * time.Hour),
				Share: rebate.Rate(rng.IntN(10001))}
			if rng.IntN(2) == 0 {
				r.HasTier, r.Tier = true, uint8(rng.IntN(3))
			}
			if rng.IntN(3) == 0 {
				r.EffectiveTo = r.EffectiveFrom.Add(time.Duration(1+rng.IntN(4)) * time.Hour)
			}
			rules = append(rules, r)
		}
		o := New(nil, rules)
		m, tier, at := uint64(1+rng.IntN(2)), uint8(rng.IntN(3)), ago(time.Duration(rng.IntN(300))*time.Minute)
		want, wok := o.ruleFor(m, tier, at)
		got, gok := rebate.RuleFor(rules, m, tier, at)
		if wok != gok || got != want {
			t.Fatalf("case %d: rebate.RuleFor = %s %v, oracle %s %v\nrules %v", n, got, gok, want, wok, rules)
		}
	}
}

func TestTiersCapsAndReferrals(t *testing.T) {
	placed := ago(time.Hour)
	rules := []rebate.Rule{
		{MerchantID: 0, EffectiveFrom: epoch, Share: 5000, ReferralShare: 1000},
		{MerchantID: 0, HasTier: true, Tier: 3, EffectiveFrom: epoch, Share: 8000, HasCap: true, Cap: money("5.00"), ReferralShare: 500},
	}
	events := []rebate.Event{
		ord("e1", settled, "o-1", 7, 1, "100.00", "10.00", placed),
		// Tier 3 from before the order, delivered after it; a later change
		// (after placed_at) does not count.
		tierEvent("t1", 7, 3, ago(2*time.Hour)),
		tierEvent("t2", 7, 1, ago(30*time.Minute)),
		joined("j7", 7, 9, ago(24*time.Hour)),
		joined("j7b", 7, 10, ago(20*time.Hour)), // another inviter: a conflict
		// An order of 8, invited by 7, placed before 8 joined: no referral.
		joined("j8", 8, 7, ago(10*time.Minute)),
		ord("e2", paid, "o-2", 8, 1, "100.00", "10.00", placed),
	}
	o := New(events, rules)
	if b := o.Balance(7); b.Confirmed != money("5.00") || b.Tier != 1 || b.Referral != (rebate.Earnings{}) {
		t.Errorf("user 7: %+v; want the tier-3 rule's 8.00 capped at 5.00, tier now 1", b)
	}
	if b := o.Balance(9); b.Referral.Confirmed != money("0.50") || b.Available != money("0.50") {
		t.Errorf("inviter 9: %+v; want 10.00 × 0.0500 confirmed", b)
	}
	if b := o.Balance(10); b.Referral != (rebate.Earnings{}) {
		t.Errorf("user 10 named by a conflicting join: %+v", b)
	}
	if b := o.Balance(7); b.Referral.Pending != 0 {
		t.Errorf("user 7 earns from 8's order placed before 8 joined: %+v", b)
	}
	if refs := o.Referrals(9); len(refs) != 1 || refs[0].InviteeID != 7 || refs[0].Earnings.Confirmed != money("0.50") {
		t.Errorf("referrals of 9: %+v", refs)
	}
	// One level: 7 invited 8, 9 invited 7; 9 earns nothing from 8.
	if b := o.Balance(9); b.Referral.Pending != 0 {
		t.Errorf("inviter of an inviter earns: %+v", b)
	}
	if len(o.Conflicts()) != 1 || o.Conflicts()[0].ID != "j7b" {
		t.Errorf("conflicts %v", o.Conflicts())
	}
	// The referral window ends 365 days after the join.
	late := []rebate.Event{joined("j", 2, 3, ago(400*24*time.Hour)), ord("e", paid, "o", 2, 1, "10.00", "10.00", ago(30*24*time.Hour))}
	if b := New(late, rules).Balance(3); b.Referral.Pending != 0 {
		t.Errorf("earnings after the window: %+v", b)
	}
	if b := NewWithWindow(late, rules, 400*24*time.Hour).Balance(3); b.Referral.Pending != money("1.00") {
		t.Errorf("earnings within a longer window: %+v", b)
	}
}
