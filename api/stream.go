package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

// streamBalance is GET /v1/users/{id}/balance/stream, the app's live
// wallet: server-sent events, a "balance" event at once and another
// whenever the balance changes, comments in between so that proxies do not
// close a quiet connection, and an "end" event when the server shuts down.
func (s *Server) streamBalance(c echo.Context) error {
	user, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	if err := s.sameSite(c); err != nil {
		return err
	}
	who := caller(c)
	if !s.streams.take(who, s.cfg.StreamsPerKey) {
		return rebate.Errorf(rebate.ERATELIMITED, "", "this key has %d balance streams open, the most it may at once "+
			"(REBATE_API_STREAMS_PER_KEY); close one first", s.cfg.StreamsPerKey)
	}
	defer s.streams.give(who)
	w, err := s.hub.watch(user)
	if err != nil {
		return err
	}
	defer s.hub.leave(user, w)
	ctx := c.Request().Context()
	// Until the first balance nothing is written, so a store that cannot
	// answer is an error status like the plain balance's, not a stream
	// that opens and says nothing.
	n, changed, err := s.firstNews(ctx, w)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would hold events back otherwise
	if !n.balance.AsOf.IsZero() {
		h.Set("X-Data-As-Of", stamp(n.balance.AsOf))
	}
	c.Response().WriteHeader(http.StatusOK)
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()

	out := sse{c, s.cfg.RequestTimeout}
	sent := n.version
	if out.event("balance", balanceJSON(n.balance)) != nil {
		return nil // the client is gone: nothing to answer
	}
	s.metrics.streamEvents.Inc()
	beat := time.NewTicker(s.cfg.StreamHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done(): // the client went away
			return nil
		case <-s.hub.ctx.Done():
			_ = out.event("end", map[string]string{"reason": "the server is shutting down; reconnect later"})
			return nil
		case <-beat.C:
			if out.comment("keep-alive") != nil {
				return nil
			}
		case <-changed:
			n, changed = w.latest()
			if n.version == sent {
				continue
			}
			sent = n.version
			if out.event("balance", balanceJSON(n.balance)) != nil {
				return nil
			}
			s.metrics.streamEvents.Inc()
		}
	}
}

// firstNews waits, at most the request timeout, for the watch's first
// balance.
func (s *Server) firstNews(ctx context.Context, w *watch) (news, <-chan struct{}, error) {
	deadline := time.NewTimer(s.cfg.RequestTimeout)
	defer deadline.Stop()
	for {
		n, changed := w.latest()
		switch {
		case n.version > 0:
			return n, changed, nil
		case n.err != nil:
			return n, nil, n.err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return n, nil, rebate.Errorf(rebate.EUNAVAIL, "", "the client went away before the first balance")
		case <-s.hub.ctx.Done():
			return n, nil, rebate.Errorf(rebate.EUNAVAIL, "", "the server is shutting down")
		case <-deadline.C:
			return n, nil, rebate.Errorf(rebate.EUNAVAIL, "", "no balance within %s", s.cfg.RequestTimeout)
		}
	}
}

// sse writes server-sent events, each flushed at once. A client that does
// not take one within limit is dropped: a stalled write would otherwise
// hold its slot, and keep a shutdown waiting, for as long as the client
// stays silent.
type sse struct {
	c     echo.Context
	limit time.Duration
}

func (e sse) event(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return e.write(fmt.Sprintf("event: %s\ndata: %s\n\n", name, data))
}

// comment is a line clients ignore: it keeps the connection busy.
func (e sse) comment(text string) error { return e.write(": " + text + "\n\n") }

func (e sse) write(s string) error {
	rc := http.NewResponseController(e.c.Response())
	if err := rc.SetWriteDeadline(time.Now().Add(e.limit)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := e.c.Response().Write([]byte(s)); err != nil {
		return err
	}
	return rc.Flush()
}
