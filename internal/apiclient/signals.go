package apiclient

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
)

// Signals is one page of GET /v1/risk/signals. The API's cursor is opaque,
// so a page after q.After is found by paging from the first, the page size
// q.Limit, up to the one that ends with q.After.
func (c *Client) Signals(ctx context.Context, q rebate.SignalQuery) ([]rebate.Signal, error) {
	cursor := ""
	for {
		page, next, err := c.SignalsPage(ctx, q, cursor)
		if err != nil {
			return nil, err
		}
		if q.After == nil {
			return page, nil
		}
		if len(page) == 0 || next == "" {
			return nil, fmt.Errorf("cursor %+v is on no page", *q.After)
		}
		if page[len(page)-1].Cursor() == *q.After {
			q.After = nil
		}
		cursor = next
	}
}

// SignalsPage is GET /v1/risk/signals from cursor ("": the first page);
// next is "" on the last page.
func (c *Client) SignalsPage(ctx context.Context, q rebate.SignalQuery, cursor string) (sigs []rebate.Signal, next string, err error) {
	v := url.Values{"limit": {strconv.FormatUint(uint64(q.Limit), 10)}}
	if q.Kind != 0 {
		v.Set("signal", q.Kind.String())
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	var out api.SignalsJSON
	if _, err := c.Get(ctx, "/v1/risk/signals", v, &out); err != nil {
		return nil, "", err
	}
	for _, s := range out.Signals {
		sig, err := fromSignal(s)
		if err != nil {
			return nil, "", err
		}
		sigs = append(sigs, sig)
	}
	if out.NextCursor != nil {
		next = *out.NextCursor
	}
	return sigs, next, nil
}

func fromSignal(s api.SignalJSON) (rebate.Signal, error) {
	kind, err := rebate.ParseSignalKind(s.Signal)
	if err != nil {
		return rebate.Signal{}, err
	}
	sig := rebate.Signal{Kind: kind, UserID: s.UserID}
	for _, t := range []struct {
		dst *time.Time
		src string
	}{{&sig.At, s.At}, {&sig.WindowStart, s.WindowStart}, {&sig.WindowEnd, s.WindowEnd}, {&sig.DetectedAt, s.DetectedAt}} {
		if *t.dst, err = time.Parse(time.RFC3339Nano, t.src); err != nil {
			return rebate.Signal{}, err
		}
		*t.dst = t.dst.UTC()
	}
	if s.OrderID != nil {
		sig.OrderID = *s.OrderID
	}
	ev := s.Evidence
	for _, f := range []struct {
		dst *uint64
		src *uint64
	}{{&sig.MerchantID, ev.MerchantID}, {&sig.ProductID, ev.ProductID}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	for _, f := range []struct {
		dst *uint32
		src *uint32
	}{{&sig.Orders, ev.Orders}, {&sig.Voided, ev.Voided}, {&sig.Invitees, ev.Invitees}, {&sig.Settled, ev.Settled}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if ev.LastClick != nil && *ev.LastClick != nil {
		sig.LastClick = parseAsOf(*ev.LastClick)
	}
	return sig, nil
}
