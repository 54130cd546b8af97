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
	"github.com/rebatehq/rebate/internal/settings"
	"github.com/rebatehq/rebate/kafka"
)

// Config tunes the ingester. Zero values take the defaults of RegisterFlags
// and of setDefaults.
type Config struct {
	Topics kafka.Topics // default rebate-events, rebate-events-dlq
	Group  string       // default rebate-app-group

	// InstanceID makes the ingester a static member of the group: when it
	// restarts with the same id after a crash, it gets its partitions back
	// at once, where a dynamic member (InstanceID "") waits for the old
	// member's session to time out. Two running ingesters must never share
	// one (the second fences the first). The commands fill it when empty:
	// rebate ingest with rebate-ingest-<host name>, rebate up with rebate-up.
	InstanceID string
	// SessionTimeout is how long the group waits for a silent member before
	// giving its partitions to others: a crashed member that does not come
	// back stalls its partitions this long.
	SessionTimeout time.Duration

	// A batch is sealed for insert once FlushInterval has passed since the
	// last one was (at once after a quiet spell), or as soon as it holds
	// BatchRows events or BatchBytes of record values; never while the batch
	// before it is still being stored, so under heavy traffic batches grow
	// with the insert's duration (docs/delivery.md, "The loop").
	BatchRows     int
	BatchBytes    int
	FlushInterval time.Duration
	// FlushBusy paces the seals by time: after storing a batch (or working
	// out signals) for d, the flusher rests d*(1-FlushBusy)/FlushBusy before
	// the next batch is sealed by time, so it works at most this share of
	// the time, up to MaxFlushInterval after the last seal (past that, slow
	// flushes go back to back as before); a full batch does not wait. What a
	// batch costs is mostly fixed, whatever its events (docs/benchmarks.md,
	// "Adaptive flushing"), so at light traffic back-to-back batches cost
	// the most CPU for the least gain. 1: no rest.
	FlushBusy        float64
	MaxFlushInterval time.Duration

	// SignalInterval spaces the work on fraud signals: the signals of the
	// batches stored meanwhile are worked out together, at most once per
	// SignalInterval, and their offsets committed after (owed.go). Figures
	// do not wait for it; a signal waits at most this long more.
	SignalInterval time.Duration

	// Retries of a failed flush back off from RetryMin to RetryMax. Errors
	// known to pass (network, timeouts, too many parts) are retried forever:
	// the data waits in Kafka. Unknown errors give up after UnknownRetries.
	RetryMin       time.Duration // default 100ms
	RetryMax       time.Duration
	UnknownRetries int // default 10

	// InsertTimeout bounds one insert. A hung ClickHouse (connections
	// accepted, nothing answered) would otherwise hold the batch for the
	// client's read timeout (300 s) with no sign; a timed-out insert is
	// retried like any unavailability (fetching paused), with the same
	// content token, so a late success of the first attempt stores nothing
	// twice.
	InsertTimeout time.Duration

	// FetchMaxBytes bounds what the client buffers ahead of the batch.
	FetchMaxBytes int32 // default 16 MiB

	// LagInterval is how often the consumer lag is measured from the broker.
	LagInterval time.Duration // default 5s

	// ShutdownTimeout bounds the last flush when stopping.
	ShutdownTimeout time.Duration // default 30s

	// ConflictWindow is how many recent events of each partition a copy of
	// an event_id is compared with (the rules of identity, guard.go);
	// IdentityCache how many
	// order and withdrawal identities are kept between lookups.
	ConflictWindow int
	IdentityCache  int // default 200,000
}

// RegisterFlags binds the ingester's settings to their flags and variables.
// The topics are registered by the command (kafka.Topics), which shares them
// with the API and the simulator.
func (c *Config) RegisterFlags(f *settings.Flags) {
	f.String(&c.Group, "group", "REBATE_KAFKA_GROUP", kafka.DefaultGroup, "consumer group", settings.NonEmpty)
	f.String(&c.InstanceID, "instance-id", "REBATE_INGEST_INSTANCE_ID", "",
		"static group member id: restarted with the same id, the ingester resumes at once; unique per running ingester "+
			"(empty: rebate-ingest-<host name>; rebate up: rebate-up)", instanceID)
	f.Duration(&c.SessionTimeout, "session-timeout", "REBATE_KAFKA_SESSION_TIMEOUT", 10*time.Second,
		"how long the group waits for a silent member before moving its partitions", settings.DurationBetween(time.Second, 30*time.Minute))
	// Two batches are held at once (one filling while the other is stored),
	// ~400 bytes an event (decoded, its origin and a copy of its record):
	// at 100,000 events the ingester's live heap is ~155 MB in bulk, which
	// rebate ingest's soft memory limit keeps under 256 MB of RSS. Smaller
	// batches need less memory but cost the engine more: each is inserted
	// into every view and priced again (50,000: 219 MB, and 10-20% more CPU
	// per event in all; docs/benchmarks.md, issue 15).
	f.Int(&c.BatchRows, "batch-rows", "REBATE_INGEST_BATCH_ROWS", 100_000, "flush a batch at this many events", settings.Between(1, 10_000_000))
	f.Int(&c.BatchBytes, "batch-bytes", "REBATE_INGEST_BATCH_BYTES", 16<<20, "flush a batch at this many record bytes", settings.Between(1024, 1<<31-1))
	f.Duration(&c.FlushInterval, "flush-interval", "REBATE_INGEST_FLUSH_INTERVAL", 250*time.Millisecond,
		"seal a batch by time at most once per this interval (a full batch goes as soon as the ingester is free)", settings.Positive)
	f.Float(&c.FlushBusy, "flush-busy", "REBATE_INGEST_FLUSH_BUSY", 0.5,
		"the share of the time the ingester may spend storing batches: after each flush it rests in proportion before the next "+
			"batch is sealed by time, up to --max-flush-interval after the last seal (1: no rest, only --flush-interval spaces them); "+
			"full batches do not wait", settings.PositiveFloat, settings.Fraction)
	f.Duration(&c.MaxFlushInterval, "max-flush-interval", "REBATE_INGEST_MAX_FLUSH_INTERVAL", time.Second,
		"the rest (--flush-busy) never holds a batch longer than this after the last was sealed (taken as --flush-interval when "+
			"shorter): a record waits at most this long for its insert to begin, or while the ingester still stores the batch "+
			"before it or works out signals", settings.DurationBetween(time.Millisecond, time.Minute))
	f.Duration(&c.SignalInterval, "signal-interval", "REBATE_INGEST_SIGNAL_INTERVAL", time.Second,
		"work out the fraud signals of the batches stored meanwhile at most once per this interval, and commit their offsets after; figures do not wait for it",
		settings.DurationBetween(time.Millisecond, time.Minute))
	f.Duration(&c.InsertTimeout, "insert-timeout", "REBATE_INGEST_INSERT_TIMEOUT", 30*time.Second,
		"give up an insert after this long and retry it (same token: a late success is not stored twice)", settings.Positive)
	f.Duration(&c.RetryMax, "retry-max", "REBATE_INGEST_RETRY_MAX", 10*time.Second, "longest wait between retries of a failed flush", settings.Positive)
	f.Int(&c.ConflictWindow, "conflict-window", "REBATE_INGEST_CONFLICT_WINDOW", 50_000,
		"events of each partition a differing copy of an event_id is caught against; read again from Kafka when a partition is assigned (about 50 bytes each)",
		settings.Between(1, 10_000_000))
}

// instanceID accepts what Kafka takes as a group.instance.id, or nothing.
func instanceID(v string) error {
	if len(v) > 249 {
		return fmt.Errorf("at most 249 characters")
	}
	for i := range len(v) {
		if !idChar(v[i]) {
			return fmt.Errorf("want letters, digits, '.', '_' or '-'")
		}
	}
	return nil
}

func idChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// InstanceIDFor is a static member id for an ingester on this host: prefix
// and the host name, with what Kafka does not take in an id replaced by '-'.
func InstanceIDFor(prefix, host string) string {
	b := []byte(prefix + host)
	for i, c := range b {
		if !idChar(c) {
			b[i] = '-'
		}
	}
	return string(b[:min(len(b), 249)])
}

// setDefaults fills what the caller left zero and checks the result.
func (c *Config) setDefaults() error {
	settings.FillDefaults(c.Topics.RegisterFlags)
	settings.FillDefaults(c.RegisterFlags)
	defaults.Set(&c.RetryMin, 100*time.Millisecond)
	defaults.Set(&c.UnknownRetries, 10)
	defaults.Set(&c.FetchMaxBytes, 16<<20)
	defaults.Set(&c.ShutdownTimeout, 30*time.Second)
	defaults.Set(&c.LagInterval, 5*time.Second)
	defaults.Set(&c.IdentityCache, 200_000)
	if err := settings.Check(c.Topics.RegisterFlags); err != nil {
		return err
	}
	if err := settings.Check(c.RegisterFlags); err != nil {
		return err
	}
	// A --flush-interval set above the rest's bound (as before there was a
	// rest) keeps working: the bound is then the interval, and the rest adds
	// nothing to it.
	c.MaxFlushInterval = max(c.MaxFlushInterval, c.FlushInterval)
	switch {
	case c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return fmt.Errorf("ingest config: RetryMin=%s RetryMax=%s: want 0 < min <= max", c.RetryMin, c.RetryMax)
	case c.FetchMaxBytes < 1024:
		return fmt.Errorf("ingest config: FetchMaxBytes=%d: want at least 1024", c.FetchMaxBytes)
	}
	return c.Topics.Validate()
}
