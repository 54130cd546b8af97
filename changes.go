package rebate

import (
	"maps"
	"time"
)

// Changes say which figures stored events change, so that only those are
// worked out again (clickhouse.Materialize): the orders to price again, and
// through them the buckets that hold them (per merchant and minute, per user
// and day, per user of all time), and the click buckets. An order is priced
// again when an event of its own arrives, when its user's tier changes at or
// before its placed_at, and when its user joins (the join names the inviter
// and starts the referral window). The fraud signals are worked out again
// for the orders and users these touch, and for the orders a click may
// clear (Clicks).
type Changes struct {
	Orders       map[OrderKey]bool
	ClickMinutes map[MerchantMinute]bool
	Clicks       map[UserProduct]bool // who clicked what: the no-click signals of those orders
	FirstClick   time.Time            // the earliest click of Clicks: it may change orders placed from then on
	TierChanges  map[uint64]time.Time // users whose tier changed, from the earliest change
	Joins        map[uint64]bool      // users who joined
}

// UserProduct is a user and a product they clicked.
type UserProduct struct {
	UserID    uint64
	ProductID uint64
}

// OrderKey finds an order where its facts are kept (merchant, placed_at,
// order id), with its user.
type OrderKey struct {
	MerchantID uint64
	PlacedAt   time.Time
	OrderID    string
	UserID     uint64
}

// MerchantMinute is one merchant's minute (UTC).
type MerchantMinute struct {
	MerchantID uint64
	Minute     time.Time
}

// UserDay is one user's day (UTC).
type UserDay struct {
	UserID uint64
	Day    time.Time
}

// Add notes what e changes.
func (c *Changes) Add(e *Event) {
	switch {
	case e.Type.IsOrder():
		set(&c.Orders, OrderKey{e.MerchantID, e.PlacedAt.UTC(), e.OrderID, e.UserID})
	case e.Type == Click:
		set(&c.ClickMinutes, MerchantMinute{e.MerchantID, e.TS.UTC().Truncate(time.Minute)})
		set(&c.Clicks, UserProduct{e.UserID, e.ProductID})
		earliest(&c.FirstClick, e.TS.UTC())
	case e.Type == UserTierChanged:
		earliestOf(&c.TierChanges, e.UserID, e.TS.UTC())
	case e.Type == UserJoined:
		set(&c.Joins, e.UserID)
	}
}

// AddAll notes what each event changes.
func (c *Changes) AddAll(events []Event) {
	for i := range events {
		c.Add(&events[i])
	}
}

// Merge notes what o changes too: the union of both, each user's earliest
// tier change and the earliest first click kept.
func (c *Changes) Merge(o Changes) {
	union(&c.Orders, o.Orders)
	union(&c.ClickMinutes, o.ClickMinutes)
	union(&c.Clicks, o.Clicks)
	earliest(&c.FirstClick, o.FirstClick)
	for u, t := range o.TierChanges {
		earliestOf(&c.TierChanges, u, t)
	}
	union(&c.Joins, o.Joins)
}

// union adds o's keys to *m. Into an empty set it copies o whole, sized
// once, where a map grown key by key allocates about twice what it keeps.
// A copy, never o itself: whoever merges into c later must not change o.
func union[K comparable](m *map[K]bool, o map[K]bool) {
	if len(*m) == 0 {
		if len(o) > 0 {
			*m = maps.Clone(o)
		}
		return
	}
	for k := range o {
		(*m)[k] = true
	}
}

// Empty reports whether nothing changed.
func (c *Changes) Empty() bool {
	return len(c.Orders) == 0 && len(c.ClickMinutes) == 0 && len(c.Clicks) == 0 && len(c.TierChanges) == 0 && len(c.Joins) == 0
}

// earliest keeps in *t the earlier of it and u; zero is none.
func earliest(t *time.Time, u time.Time) {
	if !u.IsZero() && (t.IsZero() || u.Before(*t)) {
		*t = u
	}
}

// earliestOf keeps in (*m)[k] the earlier of it and t.
func earliestOf(m *map[uint64]time.Time, k uint64, t time.Time) {
	if *m == nil {
		*m = map[uint64]time.Time{}
	}
	if was, ok := (*m)[k]; !ok || t.Before(was) {
		(*m)[k] = t
	}
}

func set[K comparable](m *map[K]bool, k K) {
	if *m == nil {
		*m = map[K]bool{}
	}
	(*m)[k] = true
}
