package ingest

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// watchLag sets rebate_ingest_consumer_lag every Config.LagInterval until
// ctx ends. The lag is the broker's view: per partition of the events
// topic, its high watermark minus the group's committed offset (minus the
// log start if the group never committed there). Measured at fetch time,
// as it once was, it read 0 through an outage: fetching is paused then, so
// nothing updated it while records piled up. Every member reports every
// partition, the same numbers; a dashboard takes max by (topic, partition)
// across members, then sums.
func (in *Ingester) watchLag(ctx context.Context) {
	adm := kadm.NewClient(in.cl)
	tick := time.NewTicker(in.cfg.LagInterval)
	defer tick.Stop()
	failing := false
	for {
		err := in.measureLag(ctx, adm)
		switch {
		case err != nil && !failing && ctx.Err() == nil && !errors.Is(err, kgo.ErrClientClosed):
			in.log.Warn("could not measure the consumer lag; the gauge keeps its last value", "err", err)
			failing = true
		case err == nil && failing:
			in.log.Info("measuring the consumer lag again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (in *Ingester) measureLag(ctx context.Context, adm *kadm.Client) error {
	ctx, cancel := context.WithTimeout(ctx, max(in.cfg.LagInterval, 5*time.Second))
	defer cancel()
	topic := in.cfg.Topics.Events
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return err
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return err
	}
	committed, err := adm.FetchOffsets(ctx, in.cfg.Group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		committed, err = nil, nil // a group that never committed (kfake says so)
	}
	if err != nil {
		return err
	}
	ends.Each(func(end kadm.ListedOffset) {
		if end.Err != nil {
			return
		}
		from := int64(0)
		if s, ok := starts.Lookup(topic, end.Partition); ok && s.Err == nil && s.Offset > 0 {
			from = s.Offset
		}
		// A commit below the log start counts from the start: what retention
		// removed is not there to read.
		if c, ok := committed.Lookup(topic, end.Partition); ok && c.Err == nil && c.At > from {
			from = c.At
		}
		in.m.lag.WithLabelValues(topic, strconv.Itoa(int(end.Partition))).Set(float64(max(0, end.Offset-from)))
	})
	return nil
}
