package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/rebatehq/rebate"
)

// hub reads each watched user's balance once per poll for all the streams
// of that user: a thousand phones open on one wallet cost one query a tick,
// not a thousand.
type hub struct {
	load  func(context.Context, uint64) (rebate.Balance, error)
	every time.Duration
	limit time.Duration // one poll's deadline: a hung query must not stall the user's streams forever
	log   *slog.Logger
	m     *metrics

	// ctx ends every poller and stream: the server is shutting down.
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu      sync.Mutex
	watches map[uint64]*watch
}

// watch is one user's poller and its latest answer.
type watch struct {
	refs   int // streams on it; guarded by hub.mu
	cancel context.CancelFunc

	mu      sync.Mutex
	version uint64 // balances published; 0: none yet
	balance rebate.Balance
	err     error         // the poll's error while no balance has been published
	changed chan struct{} // closed and replaced at each news: a broadcast that never blocks the poller
}

func newHub(load func(context.Context, uint64) (rebate.Balance, error), every, limit time.Duration, log *slog.Logger, m *metrics) *hub {
	ctx, stop := context.WithCancel(context.Background())
	return &hub{load: load, every: every, limit: limit, log: log, m: m, ctx: ctx, stop: stop, watches: map[uint64]*watch{}}
}

// watch joins the user's watch, starting its poller if it is the first.
func (h *hub) watch(user uint64) (*watch, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ctx.Err() != nil {
		return nil, rebate.Errorf(rebate.EUNAVAIL, "", "the server is shutting down")
	}
	w := h.watches[user]
	if w == nil {
		ctx, cancel := context.WithCancel(h.ctx)
		w = &watch{cancel: cancel, changed: make(chan struct{})}
		h.watches[user] = w
		h.m.watched.Inc()
		h.wg.Add(1)
		go h.poll(ctx, user, w)
	}
	w.refs++
	return w, nil
}

// leave drops a stream from the watch; the last one out stops the poller.
func (h *hub) leave(user uint64, w *watch) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if w.refs--; w.refs == 0 {
		w.cancel()
		delete(h.watches, user)
		h.m.watched.Dec()
	}
}

// close ends every poller and, through ctx, every stream, and waits for
// the pollers.
func (h *hub) close() {
	h.mu.Lock() // no watch may start a poller (wg.Add) once Wait may be running
	h.stop()
	h.mu.Unlock()
	h.wg.Wait()
}

func (h *hub) poll(ctx context.Context, user uint64, w *watch) {
	defer h.wg.Done()
	tick := time.NewTicker(h.every)
	defer tick.Stop()
	for {
		qctx, cancel := context.WithTimeout(ctx, h.limit)
		b, err := h.load(qctx, user)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			h.m.polls.WithLabelValues("error").Inc()
			h.log.Warn("balance stream poll failed", "user_id", user, "err", err)
		} else {
			h.m.polls.WithLabelValues("ok").Inc()
		}
		w.publish(b, err)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// publish makes a poll's answer news when it differs from the last one. An
// error is news only before the first balance: a stream that is open keeps
// its last balance (its as_of says how old) until the store answers again.
func (w *watch) publish(b rebate.Balance, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err != nil && w.version > 0:
		return
	case err != nil:
		w.err = err
	case w.version > 0 && sameBalance(b, w.balance):
		return
	default:
		w.balance, w.err = b, nil
		w.version++
	}
	close(w.changed)
	w.changed = make(chan struct{})
}

// news is a watch's latest answer: version 0 has no balance yet, and err
// may say why.
type news struct {
	balance rebate.Balance
	version uint64
	err     error
}

// latest is the watch's news and a channel closed at the next.
func (w *watch) latest() (news, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return news{w.balance, w.version, w.err}, w.changed
}

// sameBalance compares every figure and as_of (time.Time's == would compare
// locations too).
func sameBalance(a, b rebate.Balance) bool {
	if !a.AsOf.Equal(b.AsOf) {
		return false
	}
	a.AsOf, b.AsOf = time.Time{}, time.Time{}
	return a == b
}

// slots counts the open streams of each caller.
type slots struct {
	mu   sync.Mutex
	open map[string]int
}

// take claims one of who's max slots; false when all are taken.
func (s *slots) take(who string, max int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		s.open = map[string]int{}
	}
	if s.open[who] >= max {
		return false
	}
	s.open[who]++
	return true
}

func (s *slots) give(who string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[who]--; s.open[who] <= 0 {
		delete(s.open, who)
	}
}
