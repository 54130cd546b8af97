package apiclient

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
)

// BalanceStream reads GET /v1/users/{id}/balance/stream.
type BalanceStream struct {
	resp *http.Response
	r    *bufio.Reader
	AsOf string // the answer's X-Data-As-Of
}

// StreamEvent is one thing a stream sent: an event (Name, Data) or a
// comment (Name "").
type StreamEvent struct {
	Name, Data, Comment string
}

// StreamBalance opens a user's balance stream; header adds to the request
// (nil for none). An answer other than 200 is an *Error.
func (c *Client) StreamBalance(ctx context.Context, user uint64, header http.Header) (*BalanceStream, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/v1/users/%d/balance/stream", c.BaseURL, user), nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
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
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var eb api.ErrorBody
		_ = json.Unmarshal(body, &eb)
		return nil, &Error{Status: resp.StatusCode, Code: eb.Error.Code, Field: eb.Error.Field, Msg: eb.Error.Message}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		resp.Body.Close()
		return nil, fmt.Errorf("balance stream: Content-Type %q", ct)
	}
	return &BalanceStream{resp: resp, r: bufio.NewReader(resp.Body), AsOf: resp.Header.Get("X-Data-As-Of")}, nil
}

// Next reads the next event or comment; io.EOF when the server ended the
// stream.
func (s *BalanceStream) Next() (StreamEvent, error) {
	var ev StreamEvent
	var data []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.Name == "" && ev.Comment == "" && data == nil {
				continue
			}
			ev.Data = strings.Join(data, "\n")
			return ev, nil
		case strings.HasPrefix(line, ":"):
			ev.Comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event:"):
			ev.Name = strings.TrimSpace(line[len("event:"):])
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(line[len("data:"):], " "))
		}
	}
}

// NextBalance reads up to the next balance event, past comments; another
// event (end) is an error naming it.
func (s *BalanceStream) NextBalance() (rebate.Balance, error) {
	for {
		ev, err := s.Next()
		if err != nil {
			return rebate.Balance{}, err
		}
		switch ev.Name {
		case "":
			continue
		case "balance":
			var b api.BalanceJSON
			if err := json.Unmarshal([]byte(ev.Data), &b); err != nil {
				return rebate.Balance{}, fmt.Errorf("balance event %q: %w", ev.Data, err)
			}
			return fromBalance(b), nil
		}
		return rebate.Balance{}, fmt.Errorf("event %q: %s", ev.Name, ev.Data)
	}
}

// Close hangs up.
func (s *BalanceStream) Close() error { return s.resp.Body.Close() }
