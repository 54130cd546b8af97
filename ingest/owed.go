package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
)

// What a stored batch still needs is worked out for several batches at
// once (docs/delivery.md, The loop, steps 3 and 4): its figures (prices and
// buckets) within FigureInterval of its insert, its fraud signals within
// SignalInterval, and its offsets are committed after both. A statement
// costs the engine about the same for one batch's keys as for four
// (docs/benchmarks.md): its planning, its parts and the views on them come
// per statement, not per row, so working out the batches of half a second
// together costs much less than batch by batch, and the events are visible
// as soon as they are inserted all the same. Figures are written whole
// from what is stored (docs/schema.md, How figures are kept), so the
// changes of several batches, merged, give the same rows as each batch's in
// turn. Offsets are committed only once the figures and the signals of
// every record they cover are worked out, so a crash in between reads the
// records again, and they are worked out again from them (an insert of a
// copy stores nothing new).

// owed is what the stored batches since the last settle still need: their
// figures, their signals and their commit. Under flushMu.
type owed struct {
	figures rebate.Changes            // of the batches whose figures are not worked out yet
	signals rebate.Changes            // of those whose figures are, and signals are not
	commits map[partition]*kgo.Record // the last record of each partition
	events  int                       // of every batch owed
	since   time.Time                 // when the oldest batch owed was stored; zero: nothing owed

	figureEvents int       // of the batches whose figures are owed
	figureStored int       // of those, stored (not refused)
	figureSince  time.Time // when the oldest of them was stored; zero: no figures owed
	figureOldest time.Time // the oldest Kafka timestamp of their records, for the figures' freshness
}

func (o *owed) empty() bool { return o.since.IsZero() }

// add owes b's figures, signals and commit.
func (o *owed) add(b *batch, now time.Time) {
	if o.figureSince.IsZero() {
		// The first batch's changes are taken, not copied (a bulk batch's
		// are 100,000 keys): a stored batch's changes are never changed
		// again, and its next use starts new ones (batch.reset).
		o.figureSince, o.figures, o.figureOldest = now, b.stored, b.oldest
	} else {
		o.figures.Merge(b.stored)
		if !b.oldest.IsZero() && (o.figureOldest.IsZero() || b.oldest.Before(o.figureOldest)) {
			o.figureOldest = b.oldest
		}
	}
	o.figureEvents += len(b.events)
	o.figureStored += b.storedN
	if o.empty() {
		o.since = now
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

// figuresDone moves the owed figures' changes to the signals owed.
func (o *owed) figuresDone() {
	if o.signals.Empty() {
		o.signals = o.figures // taken, as in add
	} else {
		o.signals.Merge(o.figures)
	}
	o.figures, o.figureEvents, o.figureStored, o.figureSince, o.figureOldest = rebate.Changes{}, 0, 0, time.Time{}, time.Time{}
}

// drop forgets the commits of partitions this member no longer owns: their
// next owner reads those records again. Their changes stay: working out a
// figure or a signal again changes nothing.
func (o *owed) drop(lost map[string][]int32) {
	for t, ps := range lost {
		for _, p := range ps {
			delete(o.commits, partition{t, p})
		}
	}
}

// due is when something owed must be worked out next, if anything is owed:
// the figures FigureInterval after the oldest batch owing them was stored,
// the signals and the commit SignalInterval after the oldest owing them.
// Under flushMu.
func (o *owed) due(cfg Config) (time.Time, bool) {
	if o.empty() {
		return time.Time{}, false
	}
	at := o.since.Add(cfg.SignalInterval)
	if f := o.figureSince.Add(cfg.FigureInterval); !o.figureSince.IsZero() && f.Before(at) {
		at = f
	}
	return at, true
}

// figuresDue and signalsDue report whether the figures, or the signals and
// the commit, are owed and due now. Under flushMu.
func (o *owed) figuresDue(cfg Config) bool {
	return !o.figureSince.IsZero() && !time.Now().Before(o.figureSince.Add(cfg.FigureInterval))
}

func (o *owed) signalsDue(cfg Config) bool {
	return !o.empty() && !time.Now().Before(o.since.Add(cfg.SignalInterval))
}

// owe adds the stored batch b to what is owed, once, and settles what of it
// is due; the flusher settles what falls due with no batch to store, a
// revoke or a shutdown everything at once. Under flushMu.
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
	return in.settleDueNow(ctx)
}

// settleDueNow settles what is owed and due: everything when the signals
// are, the figures alone when only they are. Under flushMu.
func (in *Ingester) settleDueNow(ctx context.Context) error {
	switch {
	case in.owed.signalsDue(in.cfg):
		return in.settle(ctx)
	case in.owed.figuresDue(in.cfg):
		return in.settleFigures(ctx)
	}
	return nil
}

// settleFigures works out the owed figures: the prices and buckets of the
// stored batches' changes, merged. On an error nothing is forgotten: a
// retry does it again. Under flushMu.
func (in *Ingester) settleFigures(ctx context.Context) error {
	o := &in.owed
	if o.figureSince.IsZero() {
		return nil
	}
	if !o.figures.Empty() {
		t0 := time.Now()
		mctx, cancel := context.WithTimeout(ctx, materializeBudget(in.cfg.InsertTimeout, o.figureEvents))
		err := in.sink.MaterializeFigures(mctx, o.figures)
		cancel()
		if err != nil {
			return fmt.Errorf("work out the figures of %d stored events: %w", o.figureEvents, err)
		}
		in.m.materializeSecs.Observe(time.Since(t0).Seconds())
		if !o.figureOldest.IsZero() {
			in.m.figureFreshness.Observe(time.Since(o.figureOldest).Seconds())
		}
	}
	in.m.figured.Add(float64(o.figureStored))
	o.figuresDone()
	return nil
}

// settle works out the owed figures, then the owed signals, then commits
// the owed offsets. On an error nothing is forgotten: a retry does what is
// left again. Under flushMu.
func (in *Ingester) settle(ctx context.Context) error {
	o := &in.owed
	if o.empty() {
		return nil
	}
	// The signals read the prices and the days the figures write.
	if err := in.settleFigures(ctx); err != nil {
		return err
	}
	if !o.signals.Empty() {
		t0 := time.Now()
		sctx, cancel := context.WithTimeout(ctx, materializeBudget(in.cfg.InsertTimeout, o.events))
		err := in.sink.MaterializeSignals(sctx, o.signals)
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
			// The events are stored and their figures and signals worked
			// out: the commit stays owed, tried again by the next settle
			// (due a signal interval from now, or a revoke, or the
			// shutdown; never in a tight loop). Were it never made, the
			// records would be read and stored again, which changes no
			// figure.
			in.log.Warn("could not commit offsets; trying again in a signal interval", "err", err)
			o.signals, o.since = rebate.Changes{}, time.Now()
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
