package kafka

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
)

// Key is the record key an event gets, so that one entity's events share a
// partition (docs/events.md).
func Key(e rebate.Event) []byte {
	switch {
	case e.Type.IsOrder():
		return []byte(e.OrderID)
	case e.Type.IsWithdrawal():
		return []byte(e.WithdrawalID)
	case e.Type == rebate.ProductUpdated:
		return strconv.AppendUint(nil, e.ProductID, 10)
	}
	return strconv.AppendUint(nil, e.UserID, 10)
}

// Record is the record for an event, in the contract's canonical JSON.
func Record(topic string, e rebate.Event) *kgo.Record {
	return &kgo.Record{Topic: topic, Key: Key(e), Value: rebate.AppendJSON(nil, e)}
}

// Producer writes events to the events topic and waits until every in-sync
// replica has them.
type Producer struct {
	cl    *kgo.Client
	topic string
}

// NewProducer connects a producer for topic.
func NewProducer(cfg Config, topic string) (*Producer, error) {
	opts, err := cfg.Opts()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts,
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(2*time.Millisecond),
	)...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	return &Producer{cl: cl, topic: topic}, nil
}

// Produce sends events and returns once all are stored, or the first error.
func (p *Producer) Produce(ctx context.Context, events []rebate.Event) error {
	recs := make([]*kgo.Record, len(events))
	for i, e := range events {
		recs[i] = Record(p.topic, e)
	}
	if err := p.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("produce %d events to %s: %w", len(events), p.topic, err)
	}
	return nil
}

// Ping checks that a broker answers.
func (p *Producer) Ping(ctx context.Context) error { return p.cl.Ping(ctx) }

// Close flushes and disconnects.
func (p *Producer) Close() { p.cl.Close() }
