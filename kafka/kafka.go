// Package kafka holds the service's Kafka conventions and client set-up
// (franz-go): topic names, dead-letter records, connection options, topics.
package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Default names of the topics and the consumer group.
const (
	DefaultTopic    = "rebate-events"
	DefaultDLQTopic = "rebate-events-dlq"
	DefaultGroup    = "rebate-app-group"
)

// Config says how to reach Kafka.
type Config struct {
	Brokers       []string
	ClientID      string
	TLS           bool
	SASLMechanism string // "", "plain", "scram-sha-256" or "scram-sha-512"
	Username      string
	Password      string
}

// Opts are franz-go options for c.
func (c Config) Opts() ([]kgo.Opt, error) {
	if len(c.Brokers) == 0 {
		return nil, errors.New("kafka: no brokers")
	}
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...)}
	if c.ClientID != "" {
		opts = append(opts, kgo.ClientID(c.ClientID))
	}
	if c.TLS {
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	switch strings.ToLower(c.SASLMechanism) {
	case "":
	case "plain":
		opts = append(opts, kgo.SASL(plain.Auth{User: c.Username, Pass: c.Password}.AsMechanism()))
	case "scram-sha-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: c.Username, Pass: c.Password}.AsSha256Mechanism()))
	case "scram-sha-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: c.Username, Pass: c.Password}.AsSha512Mechanism()))
	default:
		return nil, fmt.Errorf("kafka: SASL mechanism %q: want plain, scram-sha-256 or scram-sha-512", c.SASLMechanism)
	}
	return opts, nil
}

// EnsureTopics creates the topics that do not exist yet.
func EnsureTopics(ctx context.Context, cl *kgo.Client, partitions int32, replication int16, topics ...string) error {
	resp, err := kadm.NewClient(cl).CreateTopics(ctx, partitions, replication, nil, topics...)
	if err != nil {
		return fmt.Errorf("create topics %v: %w", topics, err)
	}
	for _, r := range resp.Sorted() {
		if r.Err != nil && !errors.Is(r.Err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", r.Topic, r.Err)
		}
	}
	return nil
}

// Headers of a dead-letter record: why it was rejected and where it came from.
const (
	HeaderError     = "rebate-error"       // "field: reason", or just the reason
	HeaderField     = "rebate-error-field" // the contract field, empty for the whole record
	HeaderTopic     = "rebate-source-topic"
	HeaderPartition = "rebate-source-partition"
	HeaderOffset    = "rebate-source-offset"
)

// DeadLetter is the record that carries a rejected one to the dead-letter
// topic: its key and value byte for byte, the reason, and its origin.
func DeadLetter(topic string, src *kgo.Record, reason, field string) *kgo.Record {
	return &kgo.Record{
		Topic: topic,
		Key:   src.Key,
		Value: src.Value,
		Headers: append([]kgo.RecordHeader{
			{Key: HeaderError, Value: []byte(reason)},
			{Key: HeaderField, Value: []byte(field)},
			{Key: HeaderTopic, Value: []byte(src.Topic)},
			{Key: HeaderPartition, Value: []byte(strconv.Itoa(int(src.Partition)))},
			{Key: HeaderOffset, Value: []byte(strconv.FormatInt(src.Offset, 10))},
		}, src.Headers...),
	}
}

// Header returns the value of a record's header, or "".
func Header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
