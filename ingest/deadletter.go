package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate/kafka"
)

// minDeadLetterLimit is the smallest batch a dead letter is cut down to
// before a refusal for its size counts as fatal: a broker that takes less
// than this is misconfigured, not protecting itself from a big record.
const minDeadLetterLimit = 2048

// learnDeadLetterLimit asks the cluster, once at start, how big a record
// batch the dead-letter topic takes; dead letters are cut to fit it and the
// client never batches past it (kgo.ProducerBatchMaxBytesFn reads it when
// it first produces to the topic, which is after this).
func (in *Ingester) learnDeadLetterLimit(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	limit, err := kafka.MaxMessageBytes(ctx, in.cl, in.cfg.Topics.DeadLetters)
	if err != nil {
		limit = kafka.FallbackMaxMessageBytes
		in.log.Warn("the cluster did not say how big a record the dead-letter topic takes; assuming the fallback",
			"topic", in.cfg.Topics.DeadLetters, "bytes", limit, "err", err)
	} else {
		in.log.Info("dead letters are kept under the dead-letter topic's limit", "topic", in.cfg.Topics.DeadLetters, "bytes", limit)
	}
	in.dlqLimit.Store(int32(min(limit, 1<<30)))
}

// deadLetter produces rejects to the dead-letter topic and waits for every
// in-sync replica to have them. A reject too big for the topic is cut to
// fit (kafka.DeadLetterWithin); one the broker still refuses for its size
// is cut further and sent again, so a bad record never stops good ones.
func (in *Ingester) deadLetter(ctx context.Context, rejects []reject) error {
	if len(rejects) == 0 {
		return nil
	}
	limit := int(in.dlqLimit.Load())
	recs := make([]*kgo.Record, len(rejects))
	index := make(map[*kgo.Record]int, len(rejects))
	for i, r := range rejects {
		recs[i] = kafka.DeadLetterWithin(in.cfg.Topics.DeadLetters, r.rec, r.reason, r.field, limit)
		index[recs[i]] = i
	}
	var refused []int
	for _, res := range in.cl.ProduceSync(ctx, recs...) {
		switch {
		case res.Err == nil:
			in.deadLettered(rejects[index[res.Record]], res.Record)
		case tooLarge(res.Err):
			refused = append(refused, index[res.Record])
		default:
			return errKafka{fmt.Errorf("send %d records to %s: %w", len(recs), in.cfg.Topics.DeadLetters, res.Err)}
		}
	}
	// One at a time, so that no batch holds more than the record itself.
	for _, i := range refused {
		if err := in.deadLetterCut(ctx, rejects[i], limit/2); err != nil {
			return err
		}
	}
	return nil
}

// deadLetterCut sends one reject, halving the room it may take until the
// broker accepts it.
func (in *Ingester) deadLetterCut(ctx context.Context, r reject, limit int) error {
	for ; ; limit /= 2 {
		rec := kafka.DeadLetterWithin(in.cfg.Topics.DeadLetters, r.rec, r.reason, r.field, limit)
		err := in.cl.ProduceSync(ctx, rec).FirstErr()
		if err == nil {
			in.deadLettered(r, rec)
			return nil
		}
		if !tooLarge(err) || limit < minDeadLetterLimit {
			return errKafka{fmt.Errorf("send a record of %s/%d@%d to %s: %w", r.rec.Topic, r.rec.Partition, r.rec.Offset,
				in.cfg.Topics.DeadLetters, err)}
		}
		in.log.Warn("the dead-letter topic refused a record for its size; cutting it further", "source_partition", r.rec.Partition,
			"source_offset", r.rec.Offset, "tried_bytes", kafka.RecordBytes(rec), "next_limit", limit/2, "err", err)
	}
}

func (in *Ingester) deadLettered(r reject, sent *kgo.Record) {
	in.m.deadLetters.WithLabelValues(r.field).Inc()
	if kafka.Header(sent, kafka.HeaderTruncated) != "" {
		in.m.deadLettersCut.Inc()
		in.log.Warn("a dead letter was too big for its topic and was cut; the original stays in the source topic",
			"source_partition", r.rec.Partition, "source_offset", r.rec.Offset, "original_bytes", len(r.rec.Value),
			"kept_bytes", len(sent.Value), "cut", kafka.Header(sent, kafka.HeaderTruncated))
	}
}

func tooLarge(err error) bool {
	return errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.RecordListTooLarge)
}
