package rebate

import (
	"fmt"
	"time"
)

// Balance is a user's money, from their orders and withdrawals.
type Balance struct {
	UserID    uint64
	Pending   Money // rebates of orders in state paid
	Confirmed Money // rebates of orders in state settled
	Withdrawn Money // completed withdrawals
	Frozen    Money // requested withdrawals neither completed nor failed
	Available Money // Confirmed - Withdrawn - Frozen; may be negative
	Orders    OrderCounts
	AsOf      time.Time // newest event time the figures include; zero if none
}

// OrderCounts counts a user's orders by state.
type OrderCounts struct{ Paid, Settled, Void uint64 }

// Order is one order in its current state.
type Order struct {
	OrderID    string
	UserID     uint64
	MerchantID uint64
	ProductID  uint64
	State      OrderState
	Amount     Money
	Commission Money
	Rebate     Money
	PlacedAt   time.Time
}

// Window is a time range ending now.
type Window string

const (
	WindowHour  Window = "1h"
	WindowDay   Window = "24h"
	WindowWeek  Window = "7d"
	WindowMonth Window = "30d"
	WindowAll   Window = "all"
)

// Windows lists every window, shortest first.
func Windows() []Window { return []Window{WindowHour, WindowDay, WindowWeek, WindowMonth, WindowAll} }

// ParseWindow checks a window name.
func ParseWindow(s string) (Window, error) {
	for _, w := range Windows() {
		if string(w) == s {
			return w, nil
		}
	}
	return "", Errorf(EINVALID, "window", "unknown window %q: want 1h, 24h, 7d, 30d or all", s)
}

// Start is the window's first instant for a window ending at now: a time t
// is in the window when Start(now) <= t <= now. It is the zero time for all.
func (w Window) Start(now time.Time) time.Time {
	switch w {
	case WindowHour:
		return now.Add(-time.Hour)
	case WindowDay:
		return now.Add(-24 * time.Hour)
	case WindowWeek:
		return now.Add(-7 * 24 * time.Hour)
	case WindowMonth:
		return now.Add(-30 * 24 * time.Hour)
	}
	return time.Time{}
}

// Contains reports whether t is in the window ending at now.
func (w Window) Contains(t, now time.Time) bool {
	return !t.After(now) && !t.Before(w.Start(now))
}

// LeaderboardEntry is one ranked user. Users rank by the sum of rebates of
// their paid or settled orders placed in the window; ties by user_id.
type LeaderboardEntry struct {
	Rank   uint64
	UserID uint64
	Rebate Money
}

// Leaderboard is a window's ranking as of a moment.
type Leaderboard struct {
	Window  Window
	AsOf    time.Time // the "now" the windows end at
	Entries []LeaderboardEntry
}

// MerchantStats are a merchant's figures over a window.
type MerchantStats struct {
	MerchantID uint64
	Window     Window
	Clicks     uint64 // distinct click events with ts in the window
	Orders     uint64 // non-void orders placed in the window
	GMV        Money
	Commission Money
	Rebate     Money
	AsOf       time.Time // newest event time included; zero if none
}

// Conversion is orders per click, 0 without clicks.
func (s MerchantStats) Conversion() float64 {
	if s.Clicks == 0 {
		return 0
	}
	return float64(s.Orders) / float64(s.Clicks)
}

// MinuteKPI is one minute of activity: clicks by ts, non-void orders by placed_at.
type MinuteKPI struct {
	Minute     time.Time
	Clicks     uint64
	Orders     uint64
	GMV        Money
	Commission Money
	Rebate     Money
}

// Minutely is a series of minutes and how fresh it is.
type Minutely struct {
	Minutes []MinuteKPI
	AsOf    time.Time // newest event time included; zero if none
}

// Product is a product's latest update (by ts, ties by greater event_id).
type Product struct {
	ProductID      uint64
	MerchantID     uint64
	Price          Money
	Stock          uint32
	CommissionRate Rate
	UpdatedAt      time.Time
}

// Rule sets the share of commission paid back as rebate for a merchant's
// orders placed at or after EffectiveFrom, until a later rule. Merchant 0 is
// the default for merchants without a rule of their own.
type Rule struct {
	MerchantID    uint64
	EffectiveFrom time.Time
	Share         Rate
}

func (r Rule) String() string {
	return fmt.Sprintf("merchant %d from %s: %s", r.MerchantID, r.EffectiveFrom.Format(time.RFC3339), r.Share)
}

// Validate checks what a rule may hold: a share of at most 1, and a start
// within the times orders can be placed at (the contract's, which ClickHouse
// stores exactly; a later start could never apply, and past 2299 it would be
// stored as another date).
func (r Rule) Validate() error {
	if r.Share > RateOne {
		return Errorf(EINVALID, "share", "share %s is above 1", r.Share)
	}
	if r.EffectiveFrom.Before(MinTime) || !r.EffectiveFrom.Before(MaxTime) {
		return Errorf(EINVALID, "effective_from", "%s is outside %s to %s, when orders can be placed",
			r.EffectiveFrom.Format(time.RFC3339Nano), MinTime.Format(time.RFC3339), MaxTime.Add(-time.Millisecond).Format(time.RFC3339Nano))
	}
	return nil
}
