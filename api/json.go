package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

// The answers' JSON: money as decimal strings, times as RFC 3339 UTC.

type OrdersJSON struct {
	UserID     uint64      `json:"user_id"`
	Orders     []OrderJSON `json:"orders"`
	NextCursor *string     `json:"next_cursor"`
	AsOf       *string     `json:"as_of"`
}

type OrderJSON struct {
	OrderID    string       `json:"order_id"`
	State      string       `json:"state"`
	Amount     rebate.Money `json:"amount"`
	Commission rebate.Money `json:"commission"`
	Rebate     rebate.Money `json:"rebate"`
	PlacedAt   string       `json:"placed_at"`
	MerchantID uint64       `json:"merchant_id"`
	ProductID  uint64       `json:"product_id"`
}

type BalanceJSON struct {
	UserID    uint64       `json:"user_id"`
	Pending   rebate.Money `json:"pending"`
	Confirmed rebate.Money `json:"confirmed"`
	Withdrawn rebate.Money `json:"withdrawn"`
	Frozen    rebate.Money `json:"frozen"`
	Available rebate.Money `json:"available"`
	Orders    CountsJSON   `json:"orders"`
	// Referral is what the user earned from the orders of users they
	// invited; its confirmed part counts in Available.
	Referral EarningsJSON `json:"referral"`
	Tier     uint8        `json:"tier"`
	AsOf     *string      `json:"as_of"`
}

// EarningsJSON is money by the state of the orders it comes from.
type EarningsJSON struct {
	Pending   rebate.Money `json:"pending"`
	Confirmed rebate.Money `json:"confirmed"`
	Void      rebate.Money `json:"void"`
}

type ReferralsJSON struct {
	UserID     uint64         `json:"user_id"`
	Referrals  []ReferralJSON `json:"referrals"`
	NextCursor *string        `json:"next_cursor"`
	AsOf       *string        `json:"as_of"`
}

type ReferralJSON struct {
	InviteeID uint64       `json:"invitee_id"`
	JoinedAt  string       `json:"joined_at"`
	Orders    CountsJSON   `json:"orders"`
	Earnings  EarningsJSON `json:"earnings"`
}

type CountsJSON struct {
	Paid    uint64 `json:"paid"`
	Settled uint64 `json:"settled"`
	Void    uint64 `json:"void"`
}

type EntryJSON struct {
	Rank   uint64       `json:"rank"`
	UserID uint64       `json:"user_id"`
	Rebate rebate.Money `json:"rebate"`
}

type LeaderboardJSON struct {
	Window  rebate.Window `json:"window"`
	Entries []EntryJSON   `json:"entries"`
	AsOf    *string       `json:"as_of"`
}

type RankJSON struct {
	Window  rebate.Window `json:"window"`
	UserID  uint64        `json:"user_id"`
	Rank    *uint64       `json:"rank"`
	Entries []EntryJSON   `json:"entries"`
	AsOf    *string       `json:"as_of"`
}

type MerchantJSON struct {
	MerchantID uint64        `json:"merchant_id"`
	Window     rebate.Window `json:"window"`
	Clicks     uint64        `json:"clicks"`
	Orders     uint64        `json:"orders"`
	GMV        rebate.Money  `json:"gmv"`
	Commission rebate.Money  `json:"commission"`
	Rebate     rebate.Money  `json:"rebate"`
	Conversion float64       `json:"conversion"`
	AsOf       *string       `json:"as_of"`
}

type MinuteJSON struct {
	Minute     string       `json:"minute"`
	Clicks     uint64       `json:"clicks"`
	Orders     uint64       `json:"orders"`
	GMV        rebate.Money `json:"gmv"`
	Commission rebate.Money `json:"commission"`
	Rebate     rebate.Money `json:"rebate"`
}

type ProductJSON struct {
	ProductID      uint64       `json:"product_id"`
	MerchantID     uint64       `json:"merchant_id"`
	Price          rebate.Money `json:"price"`
	Stock          uint32       `json:"stock"`
	CommissionRate rebate.Rate  `json:"commission_rate"`
	UpdatedAt      string       `json:"updated_at"`
	AsOf           *string      `json:"as_of"`
}

// RuleJSON is a rule; null tier, effective_to and cap mean every tier, no
// end (a standing rule, not a promotion) and no cap.
type RuleJSON struct {
	MerchantID    uint64        `json:"merchant_id"`
	Tier          *uint8        `json:"tier"`
	Share         rebate.Rate   `json:"share"`
	EffectiveFrom string        `json:"effective_from"`
	EffectiveTo   *string       `json:"effective_to"`
	Cap           *rebate.Money `json:"cap"`
	ReferralShare rebate.Rate   `json:"referral_share"`
}

func ruleJSON(r rebate.Rule) RuleJSON {
	out := RuleJSON{MerchantID: r.MerchantID, Share: r.Share, EffectiveFrom: stamp(r.EffectiveFrom), ReferralShare: r.ReferralShare}
	if r.HasTier {
		out.Tier = &r.Tier
	}
	if r.Promotion() {
		to := stamp(r.EffectiveTo)
		out.EffectiveTo = &to
	}
	if r.HasCap {
		out.Cap = &r.Cap
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// asOf is a freshness for JSON: null when the answer includes no event.
func asOf(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}

// fresh answers v with its freshness in X-Data-As-Of as well.
func fresh(c echo.Context, at time.Time, v any) error {
	if !at.IsZero() {
		c.Response().Header().Set("X-Data-As-Of", stamp(at))
	}
	return c.JSON(http.StatusOK, v)
}

func balanceJSON(b rebate.Balance) BalanceJSON {
	return BalanceJSON{UserID: b.UserID, Pending: b.Pending, Confirmed: b.Confirmed, Withdrawn: b.Withdrawn,
		Frozen: b.Frozen, Available: b.Available, AsOf: asOf(b.AsOf), Tier: b.Tier,
		Orders:   CountsJSON{Paid: b.Orders.Paid, Settled: b.Orders.Settled, Void: b.Orders.Void},
		Referral: earningsJSON(b.Referral)}
}

func earningsJSON(e rebate.Earnings) EarningsJSON {
	return EarningsJSON{Pending: e.Pending, Confirmed: e.Confirmed, Void: e.Void}
}

func entries(lb rebate.Leaderboard) []EntryJSON {
	out := make([]EntryJSON, 0, len(lb.Entries))
	for _, e := range lb.Entries {
		out = append(out, EntryJSON{Rank: e.Rank, UserID: e.UserID, Rebate: e.Rebate})
	}
	return out
}
