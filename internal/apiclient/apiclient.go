package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
)

// Client calls the API and returns domain values.
type Client struct {
	BaseURL string
	Key     string
	HTTP    *http.Client
}

// Error is a non-2xx answer.
type Error struct {
	Status int
	Code   string
	Field  string
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s (field %q)", e.Status, e.Code, e.Msg, e.Field)
}

// Get calls path with query and decodes the JSON answer into v; it returns
// the X-Data-As-Of header.
func (c *Client) Get(ctx context.Context, path string, query url.Values, v any) (string, error) {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		var eb api.ErrorBody
		_ = json.Unmarshal(body, &eb)
		return "", &Error{Status: resp.StatusCode, Code: eb.Error.Code, Field: eb.Error.Field, Msg: eb.Error.Message}
	}
	return resp.Header.Get("X-Data-As-Of"), json.Unmarshal(body, v)
}

func parseAsOf(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, *s)
	return t.UTC()
}

// Balance is GET /v1/users/{id}/balance.
func (c *Client) Balance(ctx context.Context, user uint64) (rebate.Balance, error) {
	var b api.BalanceJSON
	if _, err := c.Get(ctx, fmt.Sprintf("/v1/users/%d/balance", user), nil, &b); err != nil {
		return rebate.Balance{}, err
	}
	return fromBalance(b), nil
}

func fromBalance(b api.BalanceJSON) rebate.Balance {
	return rebate.Balance{UserID: b.UserID, Pending: b.Pending, Confirmed: b.Confirmed, Withdrawn: b.Withdrawn,
		Frozen: b.Frozen, Available: b.Available, AsOf: parseAsOf(b.AsOf), Orders: fromCounts(b.Orders),
		Referral: fromEarnings(b.Referral), Tier: b.Tier}
}

func fromCounts(c api.CountsJSON) rebate.OrderCounts {
	return rebate.OrderCounts{Paid: c.Paid, Settled: c.Settled, Void: c.Void}
}

func fromEarnings(e api.EarningsJSON) rebate.Earnings {
	return rebate.Earnings{Pending: e.Pending, Confirmed: e.Confirmed, Void: e.Void}
}

// AllReferrals pages through GET /v1/users/{id}/referrals.
func (c *Client) AllReferrals(ctx context.Context, user uint64, page uint32) ([]rebate.Referral, error) {
	var out []rebate.Referral
	q := url.Values{"limit": {strconv.Itoa(int(page))}}
	for {
		var r api.ReferralsJSON
		if _, err := c.Get(ctx, fmt.Sprintf("/v1/users/%d/referrals", user), q, &r); err != nil {
			return nil, err
		}
		for _, x := range r.Referrals {
			joined, _ := time.Parse(time.RFC3339Nano, x.JoinedAt)
			out = append(out, rebate.Referral{InviteeID: x.InviteeID, JoinedAt: joined.UTC(),
				Orders: fromCounts(x.Orders), Earnings: fromEarnings(x.Earnings)})
		}
		if r.NextCursor == nil {
			return out, nil
		}
		q.Set("cursor", *r.NextCursor)
	}
}

// AllOrders pages through GET /v1/users/{id}/orders.
func (c *Client) AllOrders(ctx context.Context, user uint64, page uint32) ([]rebate.Order, error) {
	var out []rebate.Order
	q := url.Values{"limit": {strconv.Itoa(int(page))}}
	for {
		var o api.OrdersJSON
		if _, err := c.Get(ctx, fmt.Sprintf("/v1/users/%d/orders", user), q, &o); err != nil {
			return nil, err
		}
		for _, x := range o.Orders {
			placed, _ := time.Parse(time.RFC3339Nano, x.PlacedAt)
			state := map[string]rebate.OrderState{"paid": rebate.StatePaid, "settled": rebate.StateSettled, "void": rebate.StateVoid}[x.State]
			out = append(out, rebate.Order{OrderID: x.OrderID, UserID: user, MerchantID: x.MerchantID, ProductID: x.ProductID,
				State: state, Amount: x.Amount, Commission: x.Commission, Rebate: x.Rebate, PlacedAt: placed.UTC()})
		}
		if o.NextCursor == nil {
			return out, nil
		}
		q.Set("cursor", *o.NextCursor)
	}
}

func fromEntries(w rebate.Window, es []api.EntryJSON, at *string) rebate.Leaderboard {
	lb := rebate.Leaderboard{Window: w, AsOf: parseAsOf(at)}
	for _, e := range es {
		lb.Entries = append(lb.Entries, rebate.LeaderboardEntry{Rank: e.Rank, UserID: e.UserID, Rebate: e.Rebate})
	}
	return lb
}

// Leaderboard is GET /v1/leaderboard.
func (c *Client) Leaderboard(ctx context.Context, w rebate.Window, limit uint32) (rebate.Leaderboard, error) {
	var lb api.LeaderboardJSON
	_, err := c.Get(ctx, "/v1/leaderboard", url.Values{"window": {string(w)}, "limit": {strconv.Itoa(int(limit))}}, &lb)
	return fromEntries(w, lb.Entries, lb.AsOf), err
}

// Rank is GET /v1/users/{id}/rank.
func (c *Client) Rank(ctx context.Context, user uint64, w rebate.Window, n uint32) (rebate.Leaderboard, error) {
	var r api.RankJSON
	_, err := c.Get(ctx, fmt.Sprintf("/v1/users/%d/rank", user), url.Values{"window": {string(w)}, "neighbors": {strconv.Itoa(int(n))}}, &r)
	return fromEntries(w, r.Entries, r.AsOf), err
}

// MerchantStats is GET /v1/merchants/{id}/stats; the server's clock ends the window.
func (c *Client) MerchantStats(ctx context.Context, m uint64, w rebate.Window, _ time.Time) (rebate.MerchantStats, error) {
	var s api.MerchantJSON
	if _, err := c.Get(ctx, fmt.Sprintf("/v1/merchants/%d/stats", m), url.Values{"window": {string(w)}}, &s); err != nil {
		return rebate.MerchantStats{}, err
	}
	return rebate.MerchantStats{MerchantID: s.MerchantID, Window: s.Window, Clicks: s.Clicks, Orders: s.Orders, GMV: s.GMV,
		Commission: s.Commission, Rebate: s.Rebate, AsOf: parseAsOf(s.AsOf)}, nil
}

// Minutely is GET /v1/stats/minutely; the server's clock ends the series.
func (c *Client) Minutely(ctx context.Context, _ time.Time, minutes uint16) (rebate.Minutely, error) {
	var ms []api.MinuteJSON
	at, err := c.Get(ctx, "/v1/stats/minutely", url.Values{"minutes": {strconv.Itoa(int(minutes))}}, &ms)
	if err != nil {
		return rebate.Minutely{}, err
	}
	out := rebate.Minutely{AsOf: parseAsOf(&at)}
	if at == "" {
		out.AsOf = time.Time{}
	}
	for _, m := range ms {
		t, _ := time.Parse(time.RFC3339Nano, m.Minute)
		out.Minutes = append(out.Minutes, rebate.MinuteKPI{Minute: t.UTC(), Clicks: m.Clicks, Orders: m.Orders, GMV: m.GMV, Commission: m.Commission, Rebate: m.Rebate})
	}
	return out, nil
}

// Product is GET /v1/products/{id}.
func (c *Client) Product(ctx context.Context, id uint64) (rebate.Product, error) {
	var p api.ProductJSON
	if _, err := c.Get(ctx, fmt.Sprintf("/v1/products/%d", id), nil, &p); err != nil {
		if e, ok := err.(*Error); ok && e.Status == http.StatusNotFound {
			return rebate.Product{}, rebate.Errorf(rebate.ENOTFOUND, "product_id", "%s", e.Msg)
		}
		return rebate.Product{}, err
	}
	t, _ := time.Parse(time.RFC3339Nano, p.UpdatedAt)
	return rebate.Product{ProductID: p.ProductID, MerchantID: p.MerchantID, Price: p.Price, Stock: p.Stock,
		CommissionRate: p.CommissionRate, UpdatedAt: t.UTC()}, nil
}
