package rebate

import "fmt"

// Difference is a figure the service serves that disagrees with the same
// figure worked out again from the event log (rebate reconcile): a row lost
// from a state table, a view with a bug, a conflicting copy of an event_id
// that slipped past the ingester's window.
type Difference struct {
	Check      string // the reconciliation that found it: queries/reconcile_<check>.sql
	Figure     string // pending, clicks, rank, orders_by_time, ...
	UserID     uint64 // 0 when the figure is not a user's
	MerchantID uint64 // 0 when it is not a merchant's
	Detail     string // what else says which figure: an order, a product, a minute, a rank
	Expected   string // from the event log; "" when the log has no such figure
	Found      string // in the state tables; "" when they miss it
}

// Key identifies the figure a Difference is about, whatever its values.
func (d Difference) Key() string {
	return fmt.Sprintf("%s\x00%s\x00%d\x00%d\x00%s", d.Check, d.Figure, d.UserID, d.MerchantID, d.Detail)
}
