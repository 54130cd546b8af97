package chlocal

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestPoolObservesWaits: a statement that finds a connection free is
// observed as no wait; one that finds every connection running a statement
// is observed for as long as it queued, including when it gives up; each
// under what the connection was for.
func TestPoolObservesWaits(t *testing.T) {
	p := &pool{idle: make(chan *session, 1)}
	type wait struct {
		kind string
		d    time.Duration
	}
	var waits []wait
	p.waited = func(kind string, d time.Duration) { waits = append(waits, wait{kind, d}) }
	p.idle <- &session{}
	held, err := p.acquire(context.Background(), "insert")
	if err != nil {
		t.Fatal(err)
	}
	// The only connection is held and never given back: the next statement
	// queues until its context ends.
	const patience = 30 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if _, err := p.acquire(ctx, "select"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire with every connection held: %v, want the context's deadline", err)
	}
	p.release(held)
	if _, err := p.acquire(context.Background(), "check"); err != nil {
		t.Fatal(err)
	}
	// The deadline's clock starts a moment before the wait's: a tenth of slack.
	if len(waits) != 3 || waits[0] != (wait{"insert", 0}) || waits[1].kind != "select" || waits[1].d < patience*9/10 ||
		waits[2] != (wait{"check", 0}) {
		t.Errorf("waits observed %v, want [{insert 0} {select at least %s} {check 0}]", waits, patience*9/10)
	}
}
