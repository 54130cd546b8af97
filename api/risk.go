package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

// The fraud signals for analysts (docs/api.md, Risk): the raised signals
// with their evidence, and how many of each kind are raised.

// SignalsJSON is a page of raised signals.
type SignalsJSON struct {
	Signals    []SignalJSON `json:"signals"`
	NextCursor *string      `json:"next_cursor"` // null on the last page
}

// SignalJSON is one raised signal. Evidence holds the fields of its kind.
type SignalJSON struct {
	Signal      string       `json:"signal"`
	UserID      uint64       `json:"user_id"`
	OrderID     *string      `json:"order_id"` // no_click; null otherwise
	At          string       `json:"at"`
	WindowStart string       `json:"window_start"`
	WindowEnd   string       `json:"window_end"`
	Evidence    EvidenceJSON `json:"evidence"`
	DetectedAt  string       `json:"detected_at"`
}

// EvidenceJSON is what raised a signal; the fields of other kinds are
// left out.
type EvidenceJSON struct {
	MerchantID *uint64  `json:"merchant_id,omitempty"` // no_click
	ProductID  *uint64  `json:"product_id,omitempty"`  // no_click
	LastClick  **string `json:"last_click,omitempty"`  // no_click: null when the user never clicked the product before
	Orders     *uint32  `json:"orders,omitempty"`      // cancel_rate, velocity, invite_farm
	Voided     *uint32  `json:"voided,omitempty"`      // cancel_rate
	Invitees   *uint32  `json:"invitees,omitempty"`    // invite_farm
	Settled    *uint32  `json:"settled,omitempty"`     // invite_farm
}

// SignalCountsJSON counts the raised signals of each kind.
type SignalCountsJSON struct {
	Since   *string           `json:"since"` // null: all time
	Signals map[string]uint64 `json:"signals"`
}

var (
	signalKindSchema = schema{"type": "string", "enum": []string{"no_click", "cancel_rate", "velocity", "invite_farm"}}
	sinceParam       = param{"since", "query", "only signals whose at is at or after this RFC 3339 time (default: all)", tsSchema, false}
	signalsSchema    = obj(schema{
		"signals": schema{"type": "array", "items": obj(schema{
			"signal": signalKindSchema, "user_id": idSchema, "order_id": schema{"type": "string", "nullable": true},
			"at": tsSchema, "window_start": tsSchema, "window_end": tsSchema, "detected_at": tsSchema,
			"evidence": schema{"type": "object", "description": "no_click: merchant_id, product_id, last_click (null: none); " +
				"cancel_rate: orders, voided; velocity: orders; invite_farm: invitees, orders, settled",
				"properties": schema{"merchant_id": idSchema, "product_id": idSchema,
					"last_click": schema{"type": "string", "format": "date-time", "nullable": true},
					"orders":     countSchema, "voided": countSchema, "invitees": countSchema, "settled": countSchema}},
		}, "signal", "user_id", "order_id", "at", "window_start", "window_end", "evidence", "detected_at")},
		"next_cursor": schema{"type": "string", "nullable": true}}, "signals", "next_cursor")
	signalCountsSchema = obj(schema{"since": schema{"type": "string", "format": "date-time", "nullable": true},
		"signals": obj(schema{"no_click": countSchema, "cancel_rate": countSchema, "velocity": countSchema, "invite_farm": countSchema},
			"no_click", "cancel_rate", "velocity", "invite_farm")}, "since", "signals")
)

func (s *Server) listSignals(c echo.Context) error {
	var q rebate.SignalQuery
	if name := c.QueryParam("signal"); name != "" {
		k, err := rebate.ParseSignalKind(name)
		if err != nil {
			return err
		}
		q.Kind = k
	}
	since, err := querySince(c)
	if err != nil {
		return err
	}
	q.Since = since
	limit, err := queryInt(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	q.Limit = uint32(limit)
	if q.After, err = decodeSignalCursor(c.QueryParam("cursor")); err != nil {
		return err
	}
	sigs, err := s.store.Signals(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := SignalsJSON{Signals: make([]SignalJSON, 0, len(sigs))}
	for _, sg := range sigs {
		out.Signals = append(out.Signals, signalJSON(sg))
	}
	if len(sigs) == limit {
		next := encodeSignalCursor(sigs[len(sigs)-1].Cursor())
		out.NextCursor = &next
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) countSignals(c echo.Context) error {
	since, err := querySince(c)
	if err != nil {
		return err
	}
	n, err := s.store.SignalCounts(c.Request().Context(), since)
	if err != nil {
		return err
	}
	out := SignalCountsJSON{Signals: map[string]uint64{}}
	if !since.IsZero() {
		out.Since = asOf(since)
	}
	for _, k := range rebate.SignalKinds() {
		out.Signals[k.String()] = n[k]
	}
	return c.JSON(http.StatusOK, out)
}

func signalJSON(sg rebate.Signal) SignalJSON {
	out := SignalJSON{Signal: sg.Kind.String(), UserID: sg.UserID, At: stamp(sg.At), WindowStart: stamp(sg.WindowStart),
		WindowEnd: stamp(sg.WindowEnd), DetectedAt: stamp(sg.DetectedAt)}
	ev := &out.Evidence
	switch sg.Kind {
	case rebate.NoClick:
		out.OrderID = &sg.OrderID
		ev.MerchantID, ev.ProductID = &sg.MerchantID, &sg.ProductID
		last := asOf(sg.LastClick)
		ev.LastClick = &last
	case rebate.CancelRate:
		ev.Orders, ev.Voided = &sg.Orders, &sg.Voided
	case rebate.Velocity:
		ev.Orders = &sg.Orders
	case rebate.InviteFarm:
		ev.Invitees, ev.Orders, ev.Settled = &sg.Invitees, &sg.Orders, &sg.Settled
	}
	return out
}

// querySince reads ?since=, an RFC 3339 time within the contract's; zero
// when absent.
func querySince(c echo.Context) (time.Time, error) {
	s := c.QueryParam("since")
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Before(rebate.MinTime) || !t.Before(rebate.MaxTime) {
		return time.Time{}, rebate.Errorf(rebate.EINVALID, "since", "%q: want an RFC 3339 time from %s to %s, like 2026-11-21T10:00:00Z",
			s, rebate.MinTime.Format(time.RFC3339), rebate.MaxTime.Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// signalCursor is what an opaque signals cursor holds.
type signalCursor struct {
	At     int64  `json:"a"` // Unix milliseconds
	Kind   uint8  `json:"k"`
	UserID uint64 `json:"u"`
	Order  string `json:"o,omitempty"`
}

func encodeSignalCursor(c rebate.SignalCursor) string {
	b, _ := json.Marshal(signalCursor{At: c.At.UnixMilli(), Kind: uint8(c.Kind), UserID: c.UserID, Order: c.OrderID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSignalCursor(s string) (*rebate.SignalCursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var cur signalCursor
	if err == nil {
		err = json.Unmarshal(b, &cur)
	}
	at := time.UnixMilli(cur.At).UTC()
	if err != nil || signalKindName(cur.Kind) == "" || at.Before(time.Unix(0, 0)) || !at.Before(rebate.MaxTime) {
		return nil, rebate.Errorf(rebate.EINVALID, "cursor", "not a cursor this API gave out")
	}
	return &rebate.SignalCursor{At: at, Kind: rebate.SignalKind(cur.Kind), UserID: cur.UserID, OrderID: cur.Order}, nil
}

// signalKindName is the name of a known kind, "" otherwise.
func signalKindName(k uint8) string {
	for _, kind := range rebate.SignalKinds() {
		if uint8(kind) == k {
			return kind.String()
		}
	}
	return ""
}
