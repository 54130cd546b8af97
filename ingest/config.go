// Package ingest is the bridge from the Kafka topic to ClickHouse: a group
// consumer that validates events, batches them, inserts each batch, sends
// rejects to the dead-letter topic, and commits offsets only after both
// succeeded. See docs/delivery.md for what guards against loss and double
// counting.
package ingest

import (
	"fmt"
	"time"

	"github.com/rebatehq/rebate/internal/defaults"
	"github.com/rebatehq/rebate/kafka"
)

// Config tunes the ingester. Zero values take the defaults below.
type Config struct {
	Topic    string // default rebate-events
	DLQTopic string // default rebate-events-dlq
	Group    string // default rebate-app-group

	// A batch is flushed when it holds BatchRows events or BatchBytes of
	// record values, or when its oldest record has waited FlushInterval. At a
	// high rate batches fill by size (about one insert a second per table at
	// 100,000 events/s); at a low rate nothing waits longer than FlushInterval.
	BatchRows     int           // default 100,000
	BatchBytes    int           // default 32 MiB
	FlushInterval time.Duration // default 250ms

	// Retries of a failed flush back off from RetryMin to RetryMax. Errors
	// known to pass (network, timeouts, too many parts) are retried forever:
	// the data waits in Kafka. Unknown errors give up after UnknownRetries.
	RetryMin       time.Duration // default 100ms
	RetryMax       time.Duration // default 10s
	UnknownRetries int           // default 10

	// FetchMaxBytes bounds what the client buffers ahead of the batch.
	FetchMaxBytes int32 // default 16 MiB

	// ShutdownTimeout bounds the last flush when stopping.
	ShutdownTimeout time.Duration // default 30s
}

func (c *Config) setDefaults() error {
	defaults.Set(&c.Topic, kafka.DefaultTopic)
	defaults.Set(&c.DLQTopic, kafka.DefaultDLQTopic)
	defaults.Set(&c.Group, kafka.DefaultGroup)
	defaults.Set(&c.BatchRows, 100_000)
	defaults.Set(&c.BatchBytes, 32<<20)
	defaults.Set(&c.FlushInterval, 250*time.Millisecond)
	defaults.Set(&c.RetryMin, 100*time.Millisecond)
	defaults.Set(&c.RetryMax, 10*time.Second)
	defaults.Set(&c.UnknownRetries, 10)
	defaults.Set(&c.FetchMaxBytes, 16<<20)
	defaults.Set(&c.ShutdownTimeout, 30*time.Second)
	switch {
	case c.Topic == c.DLQTopic:
		return fmt.Errorf("ingest config: DLQTopic %q must differ from Topic", c.DLQTopic)
	case c.BatchRows < 1:
		return fmt.Errorf("ingest config: BatchRows=%d: want at least 1", c.BatchRows)
	case c.BatchBytes < 1024:
		return fmt.Errorf("ingest config: BatchBytes=%d: want at least 1024", c.BatchBytes)
	case c.FlushInterval < time.Millisecond:
		return fmt.Errorf("ingest config: FlushInterval=%s: want at least 1ms", c.FlushInterval)
	case c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return fmt.Errorf("ingest config: RetryMin=%s RetryMax=%s: want 0 < min <= max", c.RetryMin, c.RetryMax)
	case c.FetchMaxBytes < 1024:
		return fmt.Errorf("ingest config: FetchMaxBytes=%d: want at least 1024", c.FetchMaxBytes)
	}
	return nil
}
