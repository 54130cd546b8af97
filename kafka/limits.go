package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FallbackMaxMessageBytes is the size a record batch is kept under when the
// cluster will not say what a topic takes: 1 MiB, just under Kafka's
// default max.message.bytes (1048588).
const FallbackMaxMessageBytes = 1 << 20

// MaxMessageBytes asks the cluster the largest record batch topic takes.
// A topic's own max.message.bytes (a topic override) is the answer. Without
// one, the broker's message.max.bytes applies; where a broker reports both,
// not always consistently (kfake reports the topic default even when the
// broker's limit is lower), the smaller is the safe answer. An error means
// the cluster said neither (no DescribeConfigs permission, say): use
// FallbackMaxMessageBytes.
func MaxMessageBytes(ctx context.Context, cl *kgo.Client, topic string) (int, error) {
	adm := kadm.NewClient(cl)
	var errs []error
	limit := 0
	smaller := func(v int) {
		if v > 0 && (limit == 0 || v < limit) {
			limit = v
		}
	}
	topics, err := adm.DescribeTopicConfigs(ctx, topic)
	if err == nil {
		var rc kadm.ResourceConfig
		if rc, err = topics.On(topic, nil); err == nil {
			err = rc.Err
		}
		for _, c := range rc.Configs {
			if c.Key != "max.message.bytes" {
				continue
			}
			v, _ := strconv.Atoi(c.MaybeValue())
			if c.Source == kmsg.ConfigSourceDynamicTopicConfig && v > 0 {
				return v, nil // set for this topic: it overrides the broker's
			}
			smaller(v)
		}
	}
	errs = append(errs, err)
	brokers, err := adm.DescribeBrokerConfigs(ctx)
	for _, rc := range brokers {
		for _, c := range rc.Configs {
			if c.Key == "message.max.bytes" {
				v, _ := strconv.Atoi(c.MaybeValue())
				smaller(v)
			}
		}
	}
	errs = append(errs, err)
	if limit == 0 {
		return 0, fmt.Errorf("kafka: max.message.bytes of %s: %w", topic, errors.Join(append(errs, errors.New("not reported"))...))
	}
	return limit, nil
}
