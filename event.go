// Package rebate holds the domain of the rebate analytics service: the event
// contract (docs/events.md), money, and the figures the service computes.
// Packages named after a dependency (clickhouse, kafka, ...) implement it.
package rebate

import (
	"fmt"
	"time"
)

// EventType is what happened. Its values match the Enum8 in migrations/.
type EventType uint8

const (
	Click               EventType = 1
	OrderPaid           EventType = 2
	OrderSettled        EventType = 3
	OrderCancelled      EventType = 4
	OrderReversed       EventType = 5
	WithdrawalRequested EventType = 6
	WithdrawalCompleted EventType = 7
	WithdrawalFailed    EventType = 8
	ProductUpdated      EventType = 9
	UserJoined          EventType = 10
	UserTierChanged     EventType = 11
)

var eventTypeNames = [...]string{
	Click: "click", OrderPaid: "order_paid", OrderSettled: "order_settled",
	OrderCancelled: "order_cancelled", OrderReversed: "order_reversed",
	WithdrawalRequested: "withdrawal_requested", WithdrawalCompleted: "withdrawal_completed",
	WithdrawalFailed: "withdrawal_failed", ProductUpdated: "product_updated",
	UserJoined: "user_joined", UserTierChanged: "user_tier_changed",
}

// EventTypes lists every type, in Enum order.
func EventTypes() []EventType {
	return []EventType{Click, OrderPaid, OrderSettled, OrderCancelled, OrderReversed,
		WithdrawalRequested, WithdrawalCompleted, WithdrawalFailed, ProductUpdated, UserJoined, UserTierChanged}
}

func (t EventType) String() string {
	if int(t) < len(eventTypeNames) && eventTypeNames[t] != "" {
		return eventTypeNames[t]
	}
	return fmt.Sprintf("EventType(%d)", uint8(t))
}

// ParseEventType maps a contract name to its type.
func ParseEventType(s string) (EventType, bool) {
	for t, name := range eventTypeNames {
		if name != "" && name == s {
			return EventType(t), true
		}
	}
	return 0, false
}

// IsOrder reports whether t is a status event of an order.
func (t EventType) IsOrder() bool { return t >= OrderPaid && t <= OrderReversed }

// IsWithdrawal reports whether t is a status event of a withdrawal.
func (t EventType) IsWithdrawal() bool { return t >= WithdrawalRequested && t <= WithdrawalFailed }

// Event is one validated event. Fields a type does not carry are zero.
type Event struct {
	ID   string
	Type EventType
	TS   time.Time // UTC, millisecond precision

	UserID     uint64
	MerchantID uint64
	ProductID  uint64

	// Orders.
	OrderID    string
	Amount     Money // also the amount of a withdrawal
	Commission Money
	PlacedAt   time.Time

	// Withdrawals.
	WithdrawalID string

	// Products.
	Price          Money
	Stock          uint32
	CommissionRate Rate

	// Members.
	InviterID uint64 // who invited the user who joined; 0 for nobody
	Tier      uint8  // the member tier a user moved to, 0..MaxTier
}

// OrderState is an order's status, ranked: paid < settled < void. An order
// is in the highest-ranked state any of its events reported.
type OrderState uint8

const (
	StatePaid    OrderState = 1
	StateSettled OrderState = 2
	StateVoid    OrderState = 3 // cancelled or reversed
)

func (s OrderState) String() string {
	switch s {
	case StatePaid:
		return "paid"
	case StateSettled:
		return "settled"
	case StateVoid:
		return "void"
	}
	return fmt.Sprintf("OrderState(%d)", uint8(s))
}

// OrderStateOf is the state an order event reports.
func OrderStateOf(t EventType) OrderState {
	switch t {
	case OrderPaid:
		return StatePaid
	case OrderSettled:
		return StateSettled
	case OrderCancelled, OrderReversed:
		return StateVoid
	}
	return 0
}

// WithdrawalState is a withdrawal's status, ranked the same way: a withdrawal
// that completed stays completed even if a failure is reported for it too.
type WithdrawalState uint8

const (
	WithdrawalStateRequested WithdrawalState = 1
	WithdrawalStateFailed    WithdrawalState = 2
	WithdrawalStateCompleted WithdrawalState = 3
)

// WithdrawalStateOf is the state a withdrawal event reports.
func WithdrawalStateOf(t EventType) WithdrawalState {
	switch t {
	case WithdrawalRequested:
		return WithdrawalStateRequested
	case WithdrawalFailed:
		return WithdrawalStateFailed
	case WithdrawalCompleted:
		return WithdrawalStateCompleted
	}
	return 0
}

// Source is where an event came from: the Kafka partition and offset of its
// record, kept with it for audits.
type Source struct {
	Partition int32
	Offset    int64
}

// NoSource marks an event that did not come from Kafka.
var NoSource = Source{Partition: -1, Offset: -1}
