package rebate

import (
	"time"
)

// Balance is a user's money, from their orders, their invitees' orders and
// their withdrawals.
type Balance struct {
	UserID    uint64
	Pending   Money // rebates of orders in state paid
	Confirmed Money // rebates of orders in state settled
	Withdrawn Money // completed withdrawals
	Frozen    Money // requested withdrawals neither completed nor failed
	// Available is Confirmed + Referral.Confirmed - Withdrawn - Frozen; it
	// may be negative.
	Available Money
	Orders    OrderCounts
	Referral  Earnings  // from the orders of the users they invited
	Tier      uint8     // the tier of the user's latest tier change; 0 if none
	AsOf      time.Time // newest event time the figures include; zero if none
}

// Earnings are money by the state of the orders it comes from: pending
// (paid), confirmed (settled), void (cancelled or reversed).
type Earnings struct{ Pending, Confirmed, Void Money }

// Referral is one user someone invited, and what the inviter earned from
// their orders.
type Referral struct {
	InviteeID uint64
	JoinedAt  time.Time
	Orders    OrderCounts // the invitee's orders within the referral window
	Earnings  Earnings
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
