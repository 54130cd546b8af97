package rebate

import "time"

// ReferralTotals are what invitees' orders placed since a time earn their
// inviters, platform-wide, by the orders' state.
type ReferralTotals struct {
	Earnings Earnings
	Orders   uint64    // invitees' orders that earn their inviter
	Inviters uint64    // inviters they earn for
	AsOf     time.Time // newest event time included; zero if none
}
