package api

import (
	"encoding/base64"
	"encoding/json"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

func (s *Server) listReferrals(c echo.Context) error {
	user, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 20, 1, 100)
	if err != nil {
		return err
	}
	after, err := decodeReferralCursor(c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	refs, at, err := s.store.Referrals(c.Request().Context(), user, after, uint32(limit))
	if err != nil {
		return err
	}
	out := ReferralsJSON{UserID: user, Referrals: make([]ReferralJSON, 0, len(refs)), AsOf: asOf(at)}
	for _, r := range refs {
		out.Referrals = append(out.Referrals, ReferralJSON{InviteeID: r.InviteeID, JoinedAt: stamp(r.JoinedAt),
			Orders:   CountsJSON{Paid: r.Orders.Paid, Settled: r.Orders.Settled, Void: r.Orders.Void},
			Earnings: earningsJSON(r.Earnings)})
	}
	// A full page may be followed by more; the last, possibly empty, page
	// ends the listing, as with orders.
	if len(refs) == limit {
		next := encodeReferralCursor(refs[len(refs)-1].InviteeID)
		out.NextCursor = &next
	}
	return fresh(c, at, out)
}

// referralCursor is what a referrals page cursor holds: the last invitee
// listed. Opaque to clients, like the orders cursor, so the order of the
// listing can change without breaking them.
type referralCursor struct {
	InviteeID uint64 `json:"i"`
}

func encodeReferralCursor(invitee uint64) string {
	b, _ := json.Marshal(referralCursor{InviteeID: invitee})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeReferralCursor reads a cursor; "" is the first page (after user 0,
// which no one is).
func decodeReferralCursor(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var cur referralCursor
	if err == nil {
		err = json.Unmarshal(b, &cur)
	}
	if err != nil || cur.InviteeID == 0 {
		return 0, rebate.Errorf(rebate.EINVALID, "cursor", "not a cursor this API gave out")
	}
	return cur.InviteeID, nil
}
