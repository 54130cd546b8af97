package rebate

import (
	"reflect"
	"slices"
	"strconv"
	"time"
)

// The event contract (docs/events.md) in one place: every field with its
// JSON name, which is also its column in the events table, its kind, and
// where it lives in an Event; and which fields each type carries, in the
// order the decoder checks them. Decode, AppendJSON and the insert columns
// of the clickhouse package are all driven by this table, and a test checks
// it against the migrations and the doc.

// FieldKind is how a field is written in JSON and stored.
type FieldKind uint8

const (
	KindText      FieldKind = iota + 1 // a JSON string of 1-128 characters, no control characters
	KindTextOrInt                      // the same, or a JSON integer (IDs producers may send as numbers)
	KindType                           // the event type's name
	KindID                             // an integer >= 1, as a number or a digit string
	KindTime                           // RFC 3339 or epoch milliseconds
	KindMoney                          // a decimal with at most 2 places
	KindRate                           // a decimal from 0 to 1 with at most 4 places
	KindStock                          // an integer from 0 to 4294967295
	KindTier                           // a member tier, an integer from 0 to MaxTier
)

// Field is one field of the contract.
type Field struct {
	Name   string    // JSON name and column name
	Kind   FieldKind //
	Column string    // ClickHouse type of its column in events
	// ptr points into e: *string, *EventType, *uint64, *time.Time, *Money,
	// *Rate, *uint32 or *uint8, by Kind.
	ptr   func(e *Event) any
	index int // place in Fields
}

// maxFields bounds the contract, so the decoder's table of raw values is an
// array.
const maxFields = 32

func init() {
	if len(Fields) > maxFields {
		panic("rebate: more contract fields than maxFields")
	}
	for i, f := range Fields {
		f.index = i
	}
}

// Value is the field's value in e, as its Go type.
func (f *Field) Value(e *Event) any {
	switch p := f.ptr(e).(type) {
	case *string:
		return *p
	case *EventType:
		return *p
	case *uint64:
		return *p
	case *time.Time:
		return *p
	case *Money:
		return *p
	case *Rate:
		return *p
	case *uint32:
		return *p
	case *uint8:
		return *p
	}
	panic("rebate: field " + f.Name + " of unknown Go type")
}

// The contract's fields.
var (
	FieldEventID        = newField("event_id", KindText, "String", func(e *Event) any { return &e.ID })
	FieldType           = newField("type", KindType, typeColumn(), func(e *Event) any { return &e.Type })
	FieldTS             = newField("ts", KindTime, "DateTime64(3, 'UTC')", func(e *Event) any { return &e.TS })
	FieldUserID         = newField("user_id", KindID, "UInt64", func(e *Event) any { return &e.UserID })
	FieldMerchantID     = newField("merchant_id", KindID, "UInt64", func(e *Event) any { return &e.MerchantID })
	FieldProductID      = newField("product_id", KindID, "UInt64", func(e *Event) any { return &e.ProductID })
	FieldOrderID        = newField("order_id", KindTextOrInt, "String", func(e *Event) any { return &e.OrderID })
	FieldWithdrawalID   = newField("withdrawal_id", KindTextOrInt, "String", func(e *Event) any { return &e.WithdrawalID })
	FieldAmount         = newField("amount", KindMoney, "Decimal(18, 2)", func(e *Event) any { return &e.Amount })
	FieldCommission     = newField("commission", KindMoney, "Decimal(18, 2)", func(e *Event) any { return &e.Commission })
	FieldPlacedAt       = newField("placed_at", KindTime, "DateTime64(3, 'UTC')", func(e *Event) any { return &e.PlacedAt })
	FieldPrice          = newField("price", KindMoney, "Decimal(18, 2)", func(e *Event) any { return &e.Price })
	FieldStock          = newField("stock", KindStock, "UInt32", func(e *Event) any { return &e.Stock })
	FieldCommissionRate = newField("commission_rate", KindRate, "Decimal(9, 4)", func(e *Event) any { return &e.CommissionRate })
	FieldInviterID      = newField("inviter_id", KindID, "UInt64", func(e *Event) any { return &e.InviterID })
	FieldTier           = newField("tier", KindTier, "UInt8", func(e *Event) any { return &e.Tier })
)

// Fields lists every field of the contract, in the column order of the
// events table.
var Fields = []*Field{FieldEventID, FieldType, FieldTS, FieldUserID, FieldMerchantID, FieldProductID, FieldOrderID,
	FieldWithdrawalID, FieldAmount, FieldCommission, FieldPlacedAt, FieldPrice, FieldStock, FieldCommissionRate,
	FieldInviterID, FieldTier}

// commonFields are carried by every event, checked first.
var commonFields = []*Field{FieldEventID, FieldType, FieldTS}

// typeFields are the fields each type carries besides the common ones, in
// the order the decoder checks them (docs/events.md lists them so).
var typeFields = func() [len(eventTypeNames)][]*Field {
	var out [len(eventTypeNames)][]*Field
	order := []*Field{FieldOrderID, FieldUserID, FieldMerchantID, FieldProductID, FieldAmount, FieldCommission, FieldPlacedAt}
	withdrawal := []*Field{FieldWithdrawalID, FieldUserID, FieldAmount}
	out[Click] = []*Field{FieldUserID, FieldMerchantID, FieldProductID}
	out[OrderPaid], out[OrderSettled], out[OrderCancelled], out[OrderReversed] = order, order, order, order
	out[WithdrawalRequested], out[WithdrawalCompleted], out[WithdrawalFailed] = withdrawal, withdrawal, withdrawal
	out[ProductUpdated] = []*Field{FieldProductID, FieldMerchantID, FieldPrice, FieldStock, FieldCommissionRate}
	out[UserJoined] = []*Field{FieldUserID, FieldInviterID}
	out[UserTierChanged] = []*Field{FieldUserID, FieldTier}
	return out
}()

// optional fields may be absent or null; their zero value then means none.
var optional = map[EventType][]*Field{UserJoined: {FieldInviterID}}

// Optional reports whether field may be left out of an event of type t.
func Optional(t EventType, field *Field) bool { return slices.Contains(optional[t], field) }

// FieldsOf lists the fields an event of type t carries besides event_id,
// type and ts, in the order the decoder checks them.
func FieldsOf(t EventType) []*Field {
	if int(t) < len(typeFields) {
		return typeFields[t]
	}
	return nil
}

// typeColumn is the Enum8 of the type column: each type's name and number.
func typeColumn() string {
	s := "Enum8("
	for i, t := range EventTypes() {
		if i > 0 {
			s += ", "
		}
		s += "'" + t.String() + "' = " + strconv.Itoa(int(t))
	}
	return s + ")"
}

func newField(name string, kind FieldKind, column string, ptr func(e *Event) any) *Field {
	return &Field{Name: name, Kind: kind, Column: column, ptr: ptr}
}

// IsZero reports whether the field is unset in e.
func (f *Field) IsZero(e *Event) bool { return reflect.ValueOf(f.ptr(e)).Elem().IsZero() }
