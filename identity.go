package rebate

import (
	"fmt"
	"strconv"
	"time"
)

// The rules of identity (docs/events.md, Semantics):
//   - an event_id is one event: every copy of it must be identical;
//   - an order belongs to one user and one merchant: every status event of
//     an order repeats the same user, merchant, product, amount, commission
//     and placed_at; a withdrawal likewise belongs to one user, one amount;
//     a user has one inviter (or none), fixed by their first user_joined.
// The first copy of an event and the first event of an order or withdrawal
// to be stored fix them; a later one that disagrees is a conflict, kept out
// of every figure and sent to the dead-letter topic with the reason.

// Entity kinds whose events must agree on an identity.
const (
	EntityOrder      = "order"
	EntityWithdrawal = "withdrawal"
	EntityMember     = "member" // a user's inviter, fixed by their first user_joined
)

var (
	orderIdentity      = []*Field{FieldUserID, FieldMerchantID, FieldProductID, FieldAmount, FieldCommission, FieldPlacedAt}
	withdrawalIdentity = []*Field{FieldUserID, FieldAmount}
	memberIdentity     = []*Field{FieldInviterID}
)

// Entity names the entity an event is about when its events must agree on
// an identity: its kind ("" for none), its id and the fields that must agree.
func (e *Event) Entity() (kind, id string, fields []*Field) {
	switch {
	case e.Type.IsOrder():
		return EntityOrder, e.OrderID, orderIdentity
	case e.Type.IsWithdrawal():
		return EntityWithdrawal, e.WithdrawalID, withdrawalIdentity
	case e.Type == UserJoined:
		return EntityMember, strconv.FormatUint(e.UserID, 10), memberIdentity
	}
	return "", "", nil
}

// Differs is the first of fields on which a and b disagree, or nil.
func Differs(a, b *Event, fields []*Field) *Field {
	for _, f := range fields {
		va, vb := f.Value(a), f.Value(b)
		if ta, ok := va.(time.Time); ok {
			if !ta.Equal(vb.(time.Time)) {
				return f
			}
			continue
		}
		if va != vb {
			return f
		}
	}
	return nil
}

// CopyDiffers is the first field on which two copies of one event_id
// disagree (the type included), or nil when they are the same event.
func CopyDiffers(a, b *Event) *Field {
	if f := Differs(a, b, commonFields); f != nil {
		return f
	}
	return Differs(a, b, FieldsOf(a.Type))
}

// Conflict is why an event was kept out: it disagrees with what an earlier
// one fixed.
func Conflict(first, later *Event, f *Field) *Error {
	if later.ID == first.ID {
		return Errorf(EINVALID, f.Name, "conflict: event_id %s was first stored with %s %v; this copy says %v (an event_id is one event: copies must be identical)",
			later.ID, f.Name, display(f.Value(first)), display(f.Value(later)))
	}
	kind, id, _ := later.Entity()
	return Errorf(EINVALID, f.Name, "conflict: %s %s has %s %v (fixed by its first event %s); this event says %v",
		kind, id, f.Name, display(f.Value(first)), first.ID, display(f.Value(later)))
}

func display(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z")
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}
