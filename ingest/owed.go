package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
)

// The fraud signals of stored batches are worked out together, at most once
// per SignalInterval (docs/delivery.md, The loop, step 4): a statement
// costs the engine about the same for one batch's subjects as for four
// (docs/benchmarks.md), and the signals change no money figure. A batch's
// prices and buckets are still worked out before the next is taken; its
// signals and its offsets' commit are owed until then. Offsets are committed
// only once the signals of every record they cover are worked out, so a
// crash in between reads the records again, and the signals are worked out
// again from them (an insert of a copy stores nothing new).

// owed is what the stored batches since the last settle still need: their
// signals and their commit. Under flushMu.
type owed struct {
	changes rebate.Changes
	commits map[partition]*kgo.Record // the last record of each partition
	events  int
	since   time.Time // when the oldest batch of it was stored; zero: nothing owed
}

func (o *owed) empty() bool { return o.since.IsZero() }

// add owes b's signals and commit.
func (o *owed) add(b *batch, now time.Time) {
	if o.empty() {
		// The first batch's changes are taken, not copied (a bulk batch's
		// are 100,000 keys): a stored batch's changes are never changed
		// again, and its next use starts new ones (batch.reset).
		o.since, o.changes = now, b.stored
	} else {
		o.changes.Merge(b.stored)
	}
	if o.commits == nil {
		o.commits = map[partition]*kgo.Record{}
	}
	for _, r := range b.commits() {
		p := partOf(r)
		if was, ok := o.commits[p]; !ok || r.Offset > was.Offset {
			o.commits[p] = r
		}
	}
	o.events += len(b.events)
}

// drop forgets the commits of partitions this member no longer owns: their
// next owner reads those records again. Their changes stay: working out a
// signal again changes nothing.
func (o *owed) drop(lost map[string][]int32) {
	for t, ps := range lost {
		for _, p := range ps {
			delete(o.commits, partition{t, p})
		}
	}
}

// due is when the owed signals must be worked out, if any are owed. Under
// flushMu.
func (o *owed) due(interval time.Duration) (time.Time, bool) {
	if o.empty() {
		return time.Time{}, false
	}
	return o.since.Add(interval), true
}

// isDue reports whether something is owed and due now. Under flushMu.
func (o *owed) isDue(interval time.Duration) bool {
	at, owing := o.due(interval)
	return owing && !time.Now().Before(at)
}

// owe adds the stored batch b to what is owed, once, and settles it when
// it is due; the flusher settles it when it falls due with no batch to
// store, a revoke or a shutdown at once. Under flushMu.
func (in *Ingester) owe(ctx context.Context, b *batch) error {
	if !b.owed {
		if in.owed.empty() {
			// The flusher sets its timer for it, whoever stored b (a
			// revoke callback whose settle then fails leaves it owed).
			in.wakeFlusher()
		}
		in.owed.add(b, time.Now())
		b.owed = true
	}
	if !in.owed.isDue(in.cfg.SignalInterval) {
		return nil
	}
	return in.settle(ctx)
}

// settle works out the owed signals, then commits the owed offsets. On an
// error nothing is forgotten: a retry does it all again. Under flushMu.
func (in *Ingester) settle(ctx context.Context) error {
	o := &in.owed
	if o.empty() {
		return nil
	}
	if !o.changes.Empty() {
		t0 := time.Now()
		sctx, cancel := context.WithTimeout(ctx, materializeBudget(in.cfg.InsertTimeout, o.events))
		err := in.sink.MaterializeSignals(sctx, o.changes)
		cancel()
		if err != nil {
			return fmt.Errorf("work out the fraud signals of %d stored events: %w", o.events, err)
		}
		in.m.signalsSecs.Observe(time.Since(t0).Seconds())
	}
	commits := make([]*kgo.Record, 0, len(o.commits))
	for _, r := range o.commits {
		commits = append(commits, r)
	}
	if len(commits) > 0 {
		if err := in.cl.CommitRecords(ctx, commits...); err != nil {
			// The events are stored and their signals worked out: the
			// commit stays owed, tried again by the next settle (due a
			// signal interval from now, or a revoke, or the shutdown;
			// never in a tight loop). Were it never made,
			// the records would be read and stored again, which changes
			// no figure.
			in.log.Warn("could not commit offsets; trying again in a signal interval", "err", err)
			o.changes, o.since = rebate.Changes{}, time.Now()
			return nil
		}
	}
	events := o.events
	*o = owed{}
	if in.hooks.AfterCommit != nil {
		if err := in.hooks.AfterCommit(events); err != nil {
			return errCrash{err}
		}
	}
	return nil
}
