package simulate

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Run sends the simulator's records through cl at its rate until ctx ends or,
// when its Duration > 0, that has passed, then waits for Kafka to have them all. It writes
// progress to progress every interval (nil: never).
func Run(ctx context.Context, s *Simulator, cl *kgo.Client, progress io.Writer, interval time.Duration) error {
	d := s.cfg.Duration
	if s.cfg.Rate == 0 {
		return nil
	}
	var failed atomic.Int64
	var firstErr atomic.Value
	sent := int64(0)
	onDone := func(_ *kgo.Record, err error) {
		if err != nil && failed.Add(1) == 1 {
			firstErr.Store(err)
		}
	}
	start := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	lastReport, owed := start, 0.0
	var end <-chan time.Time
	if d > 0 {
		end = time.After(d)
	}
	last := start
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-end:
			break loop
		case now := <-tick.C:
			owed += s.cfg.Rate * now.Sub(last).Seconds()
			last = now
			n := int(owed)
			owed -= float64(n)
			for _, r := range s.Next(n) {
				cl.Produce(context.Background(), r, onDone)
				sent++
			}
			if progress != nil && now.Sub(lastReport) >= interval {
				lastReport = now
				report(progress, "", sent, now.Sub(start), s.Stats, failed.Load())
			}
		}
	}
	for _, r := range s.Drain() {
		cl.Produce(context.Background(), r, onDone)
		sent++
	}
	fctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.Flush(fctx); err != nil {
		return fmt.Errorf("simulate: flush: %w", err)
	}
	if progress != nil {
		report(progress, "finished: ", sent, time.Since(start), s.Stats, failed.Load())
	}
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("simulate: %d of %d records not produced: %v", n, sent, firstErr.Load())
	}
	return nil
}

func report(w io.Writer, prefix string, sent int64, el time.Duration, st Stats, failed int64) {
	fmt.Fprintf(w, "simulate: %s%d records in %.0fs (%.0f/s); %d duplicates, %d late, %d malformed, %d failed\n",
		prefix, sent, el.Seconds(), float64(sent)/el.Seconds(), st.Duplicates, st.Late, st.Malformed, failed)
}
