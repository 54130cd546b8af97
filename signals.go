package rebate

import (
	"fmt"
	"time"
)

// Fraud signals (docs/events.md, Fraud signals) flag behaviour an analyst
// should look at, each with the evidence that raised it. They are worked out
// as events arrive, from the facts as they stand, so one that no longer
// holds (a late click, clean orders after a bad streak) is withdrawn. They
// never change a money figure.

// SignalKind is what a signal flags. Its values match the Enum8 of
// risk_signals.
type SignalKind uint8

const (
	// NoClick: an order with no click by its user on its product in the
	// ClickWindow before its placed_at (both ends included).
	NoClick SignalKind = 1
	// CancelRate: a user with at least CancelMinOrders orders placed in the
	// CancelWindow up to their latest placed_at, more than CancelShare of
	// them void (cancelled or reversed).
	CancelRate SignalKind = 2
	// Velocity: a user with more than OrdersPerHour orders placed within
	// one VelocityWindow [t, t + 1 h).
	Velocity SignalKind = 3
	// InviteFarm: an inviter with at least FarmInvitees invitees and not one
	// settled order among them.
	InviteFarm SignalKind = 4
)

// The windows of the signals; the thresholds are settings
// (SignalThresholds).
const (
	ClickWindow    = 24 * time.Hour
	CancelWindow   = 30 * 24 * time.Hour
	VelocityWindow = time.Hour
)

var signalNames = [...]string{NoClick: "no_click", CancelRate: "cancel_rate", Velocity: "velocity", InviteFarm: "invite_farm"}

// SignalKinds lists every kind, in Enum order.
func SignalKinds() []SignalKind { return []SignalKind{NoClick, CancelRate, Velocity, InviteFarm} }

func (k SignalKind) String() string {
	if int(k) < len(signalNames) && signalNames[k] != "" {
		return signalNames[k]
	}
	return fmt.Sprintf("SignalKind(%d)", uint8(k))
}

// ParseSignalKind reads a kind's name.
func ParseSignalKind(s string) (SignalKind, error) {
	for _, k := range SignalKinds() {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, Errorf(EINVALID, "signal", "%q: want no_click, cancel_rate, velocity or invite_farm", s)
}

// SignalThresholds are what raises the signals: settings
// (REBATE_SIGNAL_*), bound as parameters when signals are worked out.
type SignalThresholds struct {
	CancelShare     Rate   // CancelRate: more than this share of orders void
	CancelMinOrders uint32 // CancelRate: and at least this many orders
	OrdersPerHour   uint32 // Velocity: more than this many orders in an hour
	FarmInvitees    uint32 // InviteFarm: at least this many invitees
}

// DefaultSignalThresholds are the settings' defaults; the migration that
// works out the signals of what was stored before them assumes them too.
func DefaultSignalThresholds() SignalThresholds {
	return SignalThresholds{CancelShare: 7000, CancelMinOrders: 10, OrdersPerHour: 10, FarmInvitees: 10}
}

// Signal is one raised signal and its evidence. Fields its kind does not
// use are zero.
type Signal struct {
	Kind   SignalKind
	UserID uint64 // the user flagged: the order's user, or the inviter
	// At is when the behaviour happened: NoClick, the order's placed_at;
	// CancelRate, the user's latest placed_at (the window's end); Velocity,
	// the start of the busiest hour; InviteFarm, the latest invitee's join.
	At time.Time
	// The window the evidence covers: NoClick [placed_at - 24 h,
	// placed_at]; CancelRate [At - 30 days, At]; Velocity [At, At + 1 h);
	// InviteFarm, the first and the latest invitee's join.
	WindowStart, WindowEnd time.Time

	// NoClick: the order, and the user's latest click on its product at or
	// before placed_at (zero: none ever).
	OrderID               string
	MerchantID, ProductID uint64
	LastClick             time.Time

	Orders   uint32 // CancelRate: orders in the window; Velocity: in the hour; InviteFarm: the invitees' orders
	Voided   uint32 // CancelRate: of those, cancelled or reversed
	Invitees uint32 // InviteFarm
	Settled  uint32 // InviteFarm: the invitees' settled orders (0 when raised)

	// DetectedAt is when the service last worked the signal out; not part
	// of the evidence (a replay works it out again later).
	DetectedAt time.Time
}

// SignalCursor is where a page of signals ends: signals come newest At
// first, ties by kind, user and order, all descending, and a page starts
// after its cursor.
type SignalCursor struct {
	At      time.Time
	Kind    SignalKind
	UserID  uint64
	OrderID string
}

// SignalQuery selects raised signals: of Kind (0: every kind) with At at or
// after Since, after the cursor (nil: from the newest), at most Limit.
type SignalQuery struct {
	Kind  SignalKind
	Since time.Time
	After *SignalCursor
	Limit uint32
}

// Cursor is where a page ending with s ends.
func (s Signal) Cursor() SignalCursor {
	return SignalCursor{At: s.At, Kind: s.Kind, UserID: s.UserID, OrderID: s.OrderID}
}

// SignalCounts are how many signals of each kind are raised.
type SignalCounts map[SignalKind]uint64
