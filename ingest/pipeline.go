package ingest

import (
	"context"
	"errors"
	"time"
)

// The pipeline: the loop of Run fills a batch while the flusher stores the
// one sealed before it. Sealing hands the filling batch to the flusher; it
// happens only when the flusher is idle, so there is at most one sealed
// batch and batches are stored in the order they were sealed.
//
// When to seal (docs/delivery.md, "The loop"): an insert and its figures
// cost ClickHouse about the same whatever the batch's size up to thousands
// of rows (parts of ~10 files for the events table and each view's, a
// dozen statements planned), so inserts are spaced by FlushInterval: a
// batch is sealed once FlushInterval has passed since the last one was, at
// once if traffic was idle that long. After each flush the flusher rests in
// proportion to how long it worked (FlushBusy), so light traffic does not
// keep it storing small batches back to back; the rest never holds a batch
// past MaxFlushInterval since the last seal. While an insert runs the next
// batch keeps filling, so under heavy traffic batches grow with the
// insert's duration, up to BatchRows or BatchBytes, where they are sealed
// as soon as the flusher is free, rest or not. A record waits for its
// insert to begin at most MaxFlushInterval, or while the flusher is still
// storing the batch before it or working out signals.

// seal hands the filling batch to the flusher if it is due. Under mu.
func (in *Ingester) seal(now time.Time) {
	if in.pending != nil || in.revoking || in.stopped {
		return
	}
	reason := in.sealReason(now)
	if reason == "" {
		return
	}
	in.handOff(in.b, reason)
	in.b, in.spare = in.spare, newBatch()
	in.filling.Store(0)
	in.lastSeal = now
}

// handOff makes b the sealed batch and tells the flusher. Under mu, with no
// sealed batch pending.
func (in *Ingester) handOff(b *batch, reason string) {
	in.pending = b
	b.reason = reason
	in.wakeFlusher()
}

// wakeFlusher makes the flusher look again at the sealed batch and at what
// is owed. One wake stands for any number: the flusher looks at both.
func (in *Ingester) wakeFlusher() {
	select {
	case in.sealed <- struct{}{}:
	default: // the flusher has been told already
	}
}

// sealReason says why the filling batch is due now, or "". Under mu.
func (in *Ingester) sealReason(now time.Time) string {
	b := in.b
	switch {
	case b.empty():
		return ""
	case b.records() >= in.cfg.BatchRows:
		return "rows"
	case b.bytes >= in.cfg.BatchBytes:
		return "bytes"
	case !now.Before(in.sealAt()):
		return "interval"
	}
	return ""
}

// sealAt is when the filling batch falls due by time: FlushInterval after
// the last seal, or when the flusher's rest ends if later, but no later
// than MaxFlushInterval after the last seal. Under mu.
func (in *Ingester) sealAt() time.Time {
	at := in.lastSeal.Add(in.cfg.FlushInterval)
	if r := in.restEnd(); r.After(at) {
		at = r // no later than MaxFlushInterval, which is at least FlushInterval
	}
	return at
}

// restEnd is when the flusher's rest stops holding a batch: its end, or
// MaxFlushInterval after the last seal if sooner. Under mu.
func (in *Ingester) restEnd() time.Time {
	if latest := in.lastSeal.Add(in.cfg.MaxFlushInterval); in.restUntil.After(latest) {
		return latest
	}
	return in.restUntil
}

// rest makes the flusher rest after working for d, until end: no batch is
// sealed by time until it has rested d*(1-FlushBusy)/FlushBusy, so that it
// works at most FlushBusy of the time, up to MaxFlushInterval after the last
// seal (past that, flushes that take longer go back to back, as at
// FlushBusy 1). Under mu.
func (in *Ingester) rest(d time.Duration, end time.Time) {
	if b := in.cfg.FlushBusy; b > 0 && b < 1 {
		// In floats, cut at MaxFlushInterval (no rest holds a batch longer):
		// a long flush over a tiny share would overflow a Duration.
		r := time.Duration(min(float64(d)*(1-b)/b, float64(in.cfg.MaxFlushInterval)))
		if until := end.Add(r); until.After(in.restUntil) {
			in.restUntil = until
		}
	}
	in.m.rest.Set(max(0, in.restEnd().Sub(end)).Seconds()) // as sealAt applies it
}

// due is when the filling batch falls due, if it holds records and the
// flusher is free to take it then. Under mu.
func (in *Ingester) due() (time.Time, bool) {
	if in.b.empty() || in.pending != nil || in.revoking {
		return time.Time{}, false
	}
	return in.sealAt(), true
}

// wakeLocked makes the loop look at the batches again. Under mu.
func (in *Ingester) wakeLocked() {
	if in.wake != nil {
		in.wake()
	}
}

// failLocked stops the ingester for err: nothing more is stored or
// committed, and Run returns err. Under mu.
func (in *Ingester) failLocked(err error) {
	if in.failure == nil {
		in.failure = err
	}
	in.stopped = true
	in.wakeLocked()
}

// recycle keeps a stored batch, emptied, as the next filling batch. Under mu.
func (in *Ingester) recycle(b *batch) {
	b.reset()
	in.spare = b
}

// setBuffered reports the record bytes held, sealed and filling. Under mu.
func (in *Ingester) setBuffered() {
	n := in.filling.Load()
	if in.pending != nil {
		n += int64(in.pending.bytes)
	}
	in.m.buffered.Set(float64(n))
}

// flusher stores each sealed batch, retrying until it is stored, and
// settles what is owed (owed.go) when it falls due with no batch to store,
// until ctx ends (the shutdown stores what is left) or an error stops the
// ingester.
func (in *Ingester) flusher(ctx context.Context) {
	for {
		in.flushMu.Lock()
		at, owing := in.owed.due(in.cfg.SignalInterval)
		in.flushMu.Unlock()
		var due <-chan time.Time
		stop := func() bool { return false }
		if owing {
			t := time.NewTimer(time.Until(at))
			due, stop = t.C, t.Stop
		}
		select {
		case <-in.sealed:
		case <-due:
		case <-ctx.Done():
			stop()
			return
		}
		stop()
		in.mu.Lock()
		b := in.pending
		in.mu.Unlock()
		var err error
		if b != nil {
			err = in.flushRetrying(ctx, b)
		} else {
			err = in.retrying(ctx, func() error { return in.settleDue(ctx) })
		}
		if err != nil {
			var crash errCrash
			if ctx.Err() != nil && !errors.As(err, &crash) {
				return
			}
			in.mu.Lock()
			in.failLocked(err)
			in.mu.Unlock()
			return
		}
	}
}

// settleDue settles what is owed if it is due (a revoke callback may have
// settled it meanwhile) and the ingester has not stopped.
func (in *Ingester) settleDue(ctx context.Context) error {
	in.flushMu.Lock()
	defer in.flushMu.Unlock()
	in.mu.Lock()
	stopped := in.stopped
	in.mu.Unlock()
	if stopped || !in.owed.isDue(in.cfg.SignalInterval) {
		return nil
	}
	t0 := time.Now()
	err := in.settle(ctx)
	if err == nil {
		end := time.Now()
		in.mu.Lock()
		in.rest(end.Sub(t0), end)
		in.mu.Unlock()
	}
	return err
}

// attempt makes one attempt to store b, if it is still the sealed batch (a
// revoke callback may have stored it meanwhile); stored, it leaves the
// pipeline and the loop may seal the next.
func (in *Ingester) attempt(ctx context.Context, b *batch) error {
	in.flushMu.Lock()
	defer in.flushMu.Unlock()
	in.mu.Lock()
	current := in.pending == b && !in.stopped
	in.mu.Unlock()
	if !current {
		return nil
	}
	return in.storeSealed(ctx, b, b.reason)
}

// storeSealed makes one attempt to store the sealed batch b (the flusher's,
// a revoke callback's, the shutdown's). Stored, it leaves the pipeline,
// emptied for reuse, and the loop may seal the next. Under flushMu.
func (in *Ingester) storeSealed(ctx context.Context, b *batch, reason string) error {
	t0 := time.Now()
	err := in.flushOnce(ctx, b, reason)
	if err == nil {
		end := time.Now()
		in.mu.Lock()
		in.pending = nil
		in.recycle(b)
		in.setBuffered()
		in.rest(end.Sub(t0), end) // before the loop looks again
		in.wakeLocked()
		in.mu.Unlock()
	}
	return err
}
