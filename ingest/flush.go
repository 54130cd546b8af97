package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rebatehq/rebate"
)

// errKafka marks a failure to produce dead letters: Kafka is the store of
// record, so it is always worth waiting for.
type errKafka struct{ err error }

func (e errKafka) Error() string { return e.err.Error() }
func (e errKafka) Unwrap() error { return e.err }

// materializeBudget is how long Materialize may take for a batch of n
// events: InsertTimeout for each 5,000 (a statement's worth of orders), so a
// full batch on a slow engine finishes instead of timing out on every retry
// (a stall no wait fixes), while a hung engine is still given up on.
func materializeBudget(insertTimeout time.Duration, n int) time.Duration {
	return insertTimeout * time.Duration(1+n/5000)
}

// errInsertTimeout marks an insert that did not answer within
// Config.InsertTimeout: ClickHouse is hung or overloaded, so it is retried.
type errInsertTimeout struct {
	events int
	after  time.Duration
	err    error
}

func (e errInsertTimeout) Error() string {
	return fmt.Sprintf("insert %d events: no answer within %s: %v", e.events, e.after, e.err)
}
func (e errInsertTimeout) Unwrap() error { return e.err }

// flushRetrying stores the sealed batch b until it works. While it does
// not, fetching is paused (memory stays bounded by two batches and the
// client's buffer) and rebalances proceed (the loop allows them; a revoke
// callback stores or drops what the member holds between attempts). It
// returns an error for a fatal failure, a crash hook, or ctx ending; the
// batch is then not committed.
func (in *Ingester) flushRetrying(ctx context.Context, b *batch) error {
	return in.retrying(ctx, func() error { return in.attempt(ctx, b) })
}

// retrying makes attempts until one works, backing off between them, as
// flushRetrying says.
func (in *Ingester) retrying(ctx context.Context, attempt func() error) error {
	backoff := in.cfg.RetryMin
	unknowns := 0
	for n := 1; ; n++ {
		err := attempt()
		if err == nil {
			in.resume()
			return nil
		}
		var crash errCrash
		if errors.As(err, &crash) || ctx.Err() != nil {
			return err
		}
		c := classify(err)
		var ke errKafka
		var te errInsertTimeout
		if errors.As(err, &te) {
			c = retryable
		} else if errors.As(err, &ke) {
			c = retryable
			if tooLarge(err) {
				// Even a dead letter cut to minDeadLetterLimit is refused:
				// a broker configuration no retry fixes.
				c = fatal
			}
		}
		if c == unknown {
			if unknowns++; unknowns > in.cfg.UnknownRetries {
				c = fatal
			}
		}
		if c == fatal {
			in.m.fatal.Inc()
			in.log.Error("cannot store events; stopping without committing (nothing is lost: the records stay in Kafka)",
				"err", err, "attempts", n)
			return fmt.Errorf("ingest: fatal error storing events: %w", err)
		}
		in.m.retries.WithLabelValues(c.String()).Inc()
		in.log.Warn("flush failed; retrying", "class", c.String(), "attempt", n, "backoff", backoff, "err", err)
		in.pause()
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, in.cfg.RetryMax)
	}
}

// flushOnce sends the batch's rejects to the dead-letter topic, stores its
// events and works out their figures, then owes their signals and the
// commit of its offsets (owed.go), settled at once when due. Each step is
// recorded, so a retry after
// a failure redoes only what is left; a retried insert carries the same
// deduplication token, so ClickHouse keeps one copy. Under flushMu: one
// attempt at a time, and nothing else changes the batch meanwhile.
func (in *Ingester) flushOnce(ctx context.Context, b *batch, reason string) error {
	if b.empty() {
		return nil
	}
	if !b.guarded {
		// Decided once: a retry sends the same events, with the same token.
		if err := in.keepConflictsOut(ctx, b); err != nil {
			return err
		}
		b.guarded = true
	}
	if !b.dlqDone {
		if err := in.deadLetter(ctx, b.rejects); err != nil {
			return err
		}
		b.dlqDone = true
	}
	if !b.inserted && len(b.events) > 0 {
		t0 := time.Now()
		refused, err := in.insert(ctx, b, 0, len(b.events), b.token())
		if err != nil {
			return err
		}
		if err := in.deadLetter(ctx, refused); err != nil {
			return err
		}
		b.inserted = true
		stored, origins := storedEvents(b, refused)
		in.guard.remember(stored, partitionsOf(origins))
		b.stored.AddAll(stored)
		in.m.insertSecs.Observe(time.Since(t0).Seconds())
		in.m.inserted.Add(float64(len(b.events) - len(refused)))
		in.m.batchRows.Observe(float64(len(b.events)))
		if !b.oldest.IsZero() {
			in.m.freshness.Observe(time.Since(b.oldest).Seconds())
		}
	}
	if !b.materialized && !b.stored.Empty() {
		// Before the commit: a crash here reads the records again, whose
		// insert ClickHouse drops as a repeat, and works this out again.
		t0 := time.Now()
		mctx, cancel := context.WithTimeout(ctx, materializeBudget(in.cfg.InsertTimeout, len(b.events)))
		err := in.sink.MaterializeFigures(mctx, b.stored)
		cancel()
		if err != nil {
			return fmt.Errorf("work out the figures of %d stored events: %w", len(b.events), err)
		}
		b.materialized = true
		in.m.materializeSecs.Observe(time.Since(t0).Seconds())
	}
	if in.hooks.AfterInsert != nil {
		if err := in.hooks.AfterInsert(len(b.events)); err != nil {
			return errCrash{err}
		}
	}
	if err := in.owe(ctx, b); err != nil {
		return err
	}
	in.m.flushes.WithLabelValues(reason).Inc()
	in.m.batchBytes.Observe(float64(b.bytes))
	return nil
}

// insert stores events [lo, hi) of the batch. A row ClickHouse refuses
// (poison) is found by halving and returned as a reject, so one bad row
// never blocks a partition; any other error fails the whole insert.
func (in *Ingester) insert(ctx context.Context, b *batch, lo, hi int, token string) ([]reject, error) {
	ictx, cancel := context.WithTimeout(ctx, in.cfg.InsertTimeout)
	err := in.sink.InsertEvents(ictx, b.events[lo:hi], sources(b.origins[lo:hi]), token)
	timedOut := err != nil && errors.Is(ictx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	cancel()
	if err == nil {
		return nil, nil
	}
	if timedOut {
		in.m.insertTimeouts.Inc()
		in.log.Warn("ClickHouse did not answer an insert in time; pausing fetching and retrying it with the same token",
			"events", hi-lo, "insert_timeout", in.cfg.InsertTimeout, "token", token)
		return nil, errInsertTimeout{events: hi - lo, after: in.cfg.InsertTimeout, err: err}
	}
	if classify(err) != poison {
		return nil, fmt.Errorf("insert %d events: %w", hi-lo, err)
	}
	if hi-lo == 1 {
		in.log.Warn("ClickHouse refused an event; sending it to the dead-letter topic", "event_id", b.events[lo].ID, "err", err)
		return []reject{{rec: b.record(lo), reason: "clickhouse: " + err.Error(), field: "clickhouse", event: lo}}, nil
	}
	mid := lo + (hi-lo)/2
	left, err := in.insert(ctx, b, lo, mid, token+"/l")
	if err != nil {
		return nil, err
	}
	right, err := in.insert(ctx, b, mid, hi, token+"/r")
	return append(left, right...), err
}

// keepConflictsOut moves the events that break the rules of identity from
// the batch to its rejects, and drops identical copies within it.
func (in *Ingester) keepConflictsOut(ctx context.Context, b *batch) error {
	keep, conflicts, err := in.guard.check(ctx, b.events, partitionsOf(b.origins), in.sink.Identities)
	if err != nil {
		return fmt.Errorf("look up identities: %w", err)
	}
	if len(keep) == len(b.events) {
		return nil
	}
	for i, c := range conflicts {
		b.rejects = append(b.rejects, reject{rec: b.record(i), reason: c.Error(), field: c.Field, event: -1})
		in.m.conflicts.WithLabelValues(c.Field).Inc()
	}
	// In place (keep is in order), so the batch's room is kept for the next.
	for k, i := range keep {
		b.events[k], b.origins[k] = b.events[i], b.origins[i]
	}
	b.truncate(len(keep))
	b.tok = ""
	return nil
}

// storedEvents are the batch's events, and their origins, but those
// ClickHouse refused.
func storedEvents(b *batch, refused []reject) ([]rebate.Event, []origin) {
	if len(refused) == 0 {
		return b.events, b.origins
	}
	out := make(map[int]bool, len(refused))
	for _, r := range refused {
		out[r.event] = true
	}
	var events []rebate.Event
	var origins []origin
	for i, e := range b.events {
		if !out[i] {
			events, origins = append(events, e), append(origins, b.origins[i])
		}
	}
	return events, origins
}

func partitionsOf(origins []origin) []int32 {
	out := make([]int32, len(origins))
	for i, o := range origins {
		out[i] = o.part
	}
	return out
}
