package chlocal

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestPoolObservesWaits: a statement that finds a connection free is
// observed as no wait; one that finds every connection running a statement
// is observed for as long as it queued, including when it gives up.
func TestPoolObservesWaits(t *testing.T) {
	p := &pool{idle: make(chan *session, 1)}
	var waits []time.Duration
	p.waited = func(d time.Duration) { waits = append(waits, d) }
	p.idle <- &session{}
	held, err := p.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The only connection is held and never given back: the next statement
	// queues until its context ends.
	const patience = 30 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if _, err := p.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire with every connection held: %v, want the context's deadline", err)
	}
	p.release(held)
	if _, err := p.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 3 || waits[0] != 0 || waits[1] < patience || waits[2] != 0 {
		t.Errorf("waits observed %v, want [0, at least %s, 0]", waits, patience)
	}
}
