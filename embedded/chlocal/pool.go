package chlocal

import (
	"context"
	"fmt"
	"time"

	"github.com/rebatehq/rebate/embedded/chdb"
)

// session is one engine connection and the database it currently uses.
// Connections are sessions: a statement that changed one (SET, USE) would
// leak into the next request, so the endpoint never lets a client's SET or
// USE reach a pooled connection.
type session struct {
	conn *chdb.Conn
	db   string
}

func (s *session) use(db string) error {
	if db == "" {
		db = "default"
	}
	if s.db == db {
		return nil
	}
	r, err := s.conn.Query("USE "+quoteIdent(db), "TabSeparated")
	if err != nil {
		return err
	}
	r.Close()
	s.db = db
	return nil
}

type pool struct {
	idle    chan *session
	created int
	// waited observes how long each acquire waited for a connection (0
	// when one was free), by what the connection was for.
	waited func(kind string, d time.Duration)
}

// newPool opens size engine connections and runs init on each once; waited
// observes each wait for one of them.
func newPool(lib *chdb.Lib, path string, size int, args []string, waited func(kind string, d time.Duration), init ...string) (*pool, error) {
	p := &pool{idle: make(chan *session, size), waited: waited}
	for i := 0; i < size; i++ {
		c, err := lib.Connect(path, args...)
		if err != nil {
			_ = p.close(context.Background())
			return nil, fmt.Errorf("open engine connection %d of %d: %w", i+1, size, err)
		}
		p.created++
		p.idle <- &session{conn: c, db: "default"}
		for _, q := range init {
			r, err := c.Query(q, "TabSeparated")
			if err != nil {
				_ = p.close(context.Background())
				return nil, fmt.Errorf("prepare engine connection %d of %d (%s): %w", i+1, size, q, err)
			}
			r.Close()
		}
	}
	return p, nil
}

// acquire takes a connection for kind (a statement's kind, or "check" for
// the fence's parse), waiting while every one is running a statement.
func (p *pool) acquire(ctx context.Context, kind string) (*session, error) {
	select {
	case s := <-p.idle:
		p.waited(kind, 0)
		return s, nil
	default:
	}
	// Every connection is running a statement: this one queues behind them.
	t0 := time.Now()
	defer func() { p.waited(kind, time.Since(t0)) }()
	select {
	case s := <-p.idle:
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// take is acquire for a request: a wait its context ends is the engine's
// cancellation, as a server reports it.
func (p *pool) take(ctx context.Context, kind string) (*session, *Exception) {
	s, err := p.acquire(ctx, kind)
	if err != nil {
		return nil, newException(codeQueryWasCancelled, "wait for an engine connection: %v", err)
	}
	return s, nil
}

func (p *pool) release(s *session) { p.idle <- s }

// close waits for every session to come back, then closes them all.
func (p *pool) close(ctx context.Context) error {
	for ; p.created > 0; p.created-- {
		select {
		case s := <-p.idle:
			_ = s.conn.Close()
		case <-ctx.Done():
			return fmt.Errorf("close engine connections: %d still in use: %w", p.created, ctx.Err())
		}
	}
	return nil
}
