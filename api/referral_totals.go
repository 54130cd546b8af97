package api

import (
	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

// ReferralTotalsJSON is what invitees' orders placed since a time earn
// their inviters, platform-wide.
type ReferralTotalsJSON struct {
	Since     *string      `json:"since"` // null: all time
	Pending   rebate.Money `json:"pending"`
	Confirmed rebate.Money `json:"confirmed"`
	Void      rebate.Money `json:"void"`
	Orders    uint64       `json:"orders"`
	Inviters  uint64       `json:"inviters"`
	AsOf      *string      `json:"as_of"`
}

var referralTotalsSchema = obj(schema{"since": schema{"type": "string", "format": "date-time", "nullable": true},
	"pending": moneySchema, "confirmed": moneySchema, "void": moneySchema, "orders": countSchema, "inviters": countSchema,
	"as_of": asOfSchema}, "since", "pending", "confirmed", "void", "orders", "inviters", "as_of")

func (s *Server) getReferralTotals(c echo.Context) error {
	since, err := querySince(c)
	if err != nil {
		return err
	}
	t, err := s.store.ReferralTotals(c.Request().Context(), since)
	if err != nil {
		return err
	}
	out := ReferralTotalsJSON{Pending: t.Earnings.Pending, Confirmed: t.Earnings.Confirmed, Void: t.Earnings.Void,
		Orders: t.Orders, Inviters: t.Inviters, AsOf: asOf(t.AsOf)}
	if !since.IsZero() {
		out.Since = asOf(since)
	}
	return fresh(c, t.AsOf, out)
}
