package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/rebatehq/rebate/internal/settings"
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

	// Dialer, if set, opens every connection to the brokers (a test cuts
	// them all to mimic a killed process). Not with TLS.
	Dialer func(ctx context.Context, network, host string) (net.Conn, error)
}

// RegisterFlags binds the connection settings to their flags and variables.
func (c *Config) RegisterFlags(f *settings.Flags) {
	f.List(&c.Brokers, "kafka-brokers", "REBATE_KAFKA_BROKERS", []string{"127.0.0.1:9092"}, "comma-separated Kafka brokers", settings.HostPorts)
	f.Bool(&c.TLS, "kafka-tls", "REBATE_KAFKA_TLS", false, "connect to Kafka with TLS")
	f.String(&c.SASLMechanism, "kafka-sasl-mechanism", "REBATE_KAFKA_SASL_MECHANISM", "", "empty, plain, scram-sha-256 or scram-sha-512",
		settings.OneOf("", "plain", "scram-sha-256", "scram-sha-512"))
	f.String(&c.Username, "kafka-user", "REBATE_KAFKA_USER", "", "SASL user")
	f.Secret(&c.Password, "kafka-password", "REBATE_KAFKA_PASSWORD", "SASL password (prefer the variable)")
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
	switch {
	case c.TLS && c.Dialer != nil:
		return nil, errors.New("kafka: a Dialer and TLS together: dial TLS in the Dialer")
	case c.TLS:
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
	case c.Dialer != nil:
		opts = append(opts, kgo.Dialer(c.Dialer))
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

// Topics names the events topic and its dead-letter topic.
type Topics struct {
	Events      string // default rebate-events
	DeadLetters string // default rebate-events-dlq
}

// RegisterFlags binds the topic names to their flags and variables.
func (t *Topics) RegisterFlags(f *settings.Flags) {
	f.String(&t.Events, "topic", "REBATE_KAFKA_TOPIC", DefaultTopic, "topic of the events", settings.NonEmpty)
	f.String(&t.DeadLetters, "dlq-topic", "REBATE_KAFKA_DLQ_TOPIC", DefaultDLQTopic, "dead-letter topic", settings.NonEmpty)
}

// RegisterEventsFlag binds the events topic alone, for a command that
// has no use for the dead-letter topic (backup).
func (t *Topics) RegisterEventsFlag(f *settings.Flags) {
	f.String(&t.Events, "topic", "REBATE_KAFKA_TOPIC", DefaultTopic, "topic of the events", settings.NonEmpty)
}

// RegisterGroupFlag binds the ingesters' consumer group, for a command
// that acts on the group without being in it (backup, restore).
func RegisterGroupFlag(f *settings.Flags, p *string) {
	f.String(p, "group", "REBATE_KAFKA_GROUP", DefaultGroup, "consumer group of the ingesters", settings.NonEmpty)
}

// Validate checks what no single setting can: the topics differ.
func (t Topics) Validate() error {
	if t.Events == t.DeadLetters {
		return fmt.Errorf("config: --dlq-topic (REBATE_KAFKA_DLQ_TOPIC) %q must differ from --topic (REBATE_KAFKA_TOPIC)", t.DeadLetters)
	}
	return nil
}
