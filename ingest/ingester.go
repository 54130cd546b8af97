package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/kafka"
)

// Sink stores events; *clickhouse.DB is one. Its errors are *rebate.Error:
// EUNAVAIL is retried, EINVALID means a row it refuses, EMISCONFIG stops
// the ingester.
type Sink interface {
	InsertEvents(ctx context.Context, events []rebate.Event, sources []rebate.Source, dedupToken string) error
	// Identities returns the identity the first stored event of each order
	// or withdrawal (kind rebate.EntityOrder or EntityWithdrawal) fixed.
	Identities(ctx context.Context, kind string, ids []string) (map[string]rebate.Event, error)
	// Materialize works out again the figures stored events changed
	// (prices, buckets); doing so twice changes nothing.
	Materialize(ctx context.Context, c rebate.Changes) error
}

// Hooks let tests stop the ingester where a crash could: an error from a hook
// ends Run at once, with nothing more stored or committed.
type Hooks struct {
	AfterInsert func(events int) error // stored, offsets not committed yet
	AfterCommit func(events int) error
}

// errCrash marks an error from a hook.
type errCrash struct{ err error }

func (e errCrash) Error() string { return "stopped by hook: " + e.err.Error() }
func (e errCrash) Unwrap() error { return e.err }

// Ingester consumes the events topic into a Sink.
type Ingester struct {
	cfg   Config
	cl    *kgo.Client
	sink  Sink
	log   *slog.Logger
	m     *metrics
	hooks Hooks

	// mu guards the batch, which the rebalance callbacks flush or trim.
	mu      sync.Mutex
	b       *batch
	paused  bool
	stopped bool // after a crash hook: callbacks must not store or commit

	guard     *guard              // the rules of identity; used under mu
	warmUntil map[partition]int64 // below it, a partition's records only fill the guard's window
	dlqLimit  atomic.Int32        // bytes of a record batch the dead-letter topic takes
	stopLag   func()              // ends watchLag; set by Run
}

// New builds an ingester; Run starts it.
func New(cfg Config, kcfg kafka.Config, sink Sink, log *slog.Logger, reg prometheus.Registerer, hooks Hooks) (*Ingester, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	in := &Ingester{cfg: cfg, sink: sink, log: log, m: m, hooks: hooks, b: newBatch(),
		guard: newGuard(cfg.ConflictWindow, cfg.IdentityCache), warmUntil: map[partition]int64{}}
	in.dlqLimit.Store(kafka.FallbackMaxMessageBytes)
	in.stopLag = func() {}
	opts, err := kcfg.Opts()
	if err != nil {
		return nil, err
	}
	if cfg.InstanceID != "" {
		// A static member: see Config.InstanceID, and leaveGroup for why a
		// graceful stop still leaves.
		opts = append(opts, kgo.InstanceID(cfg.InstanceID))
	}
	opts = append(opts,
		kgo.ConsumerGroup(cfg.Group),
		kgo.SessionTimeout(cfg.SessionTimeout),
		kgo.ConsumeTopics(cfg.Topics.Events),
		// Offsets are committed by hand, after ClickHouse took the batch.
		kgo.DisableAutoCommit(),
		// A rebalance waits while polled records are processed, so the
		// revoke callback sees every record this member holds.
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsRevoked(in.onRevoked),
		kgo.OnPartitionsLost(in.onLost),
		kgo.AdjustFetchOffsetsFn(in.warmOffsets),
		// A new group starts from the oldest record: nothing is skipped.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(cfg.FetchMaxBytes),
		kgo.MaxConcurrentFetches(2),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		// Dead letters: never a batch past what the topic takes (one past
		// it is refused whole, good dead letters with the bad). The limit
		// is learnt at start (learnDeadLetterLimit), before any produce.
		kgo.ProducerBatchMaxBytesFn(func(string) int32 { return in.dlqLimit.Load() }),
		kgo.WithLogger(kgoLogger{log}),
	)
	if in.cl, err = kgo.NewClient(opts...); err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return in, nil
}

// Run consumes until ctx ends, then flushes what it holds, commits and
// leaves the group. It returns an error only when it had to stop for one
// (a fatal ClickHouse error); the records it had not committed stay in Kafka.
func (in *Ingester) Run(ctx context.Context) error {
	in.log.Info("ingester started", "topic", in.cfg.Topics.Events, "group", in.cfg.Group, "instance_id", in.cfg.InstanceID,
		"session_timeout", in.cfg.SessionTimeout, "batch_rows", in.cfg.BatchRows,
		"batch_bytes", in.cfg.BatchBytes, "flush_interval", in.cfg.FlushInterval)
	in.learnDeadLetterLimit(ctx)
	lagCtx, stopLag := context.WithCancel(ctx)
	lagDone := make(chan struct{})
	go func() { defer close(lagDone); in.watchLag(lagCtx) }()
	// Stopped before the client closes (it uses the client).
	in.stopLag = sync.OnceFunc(func() { stopLag(); <-lagDone })
	defer in.stopLag()
	for {
		if ctx.Err() != nil {
			return in.shutdown()
		}
		in.mu.Lock()
		room := max(1, in.cfg.BatchRows-in.b.records())
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if !in.b.empty() {
			pctx, cancel = context.WithDeadline(ctx, in.b.started.Add(in.cfg.FlushInterval))
		}
		in.mu.Unlock()
		fetches := in.cl.PollRecords(pctx, room)
		cancel()
		if fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			switch {
			case errors.Is(err, kerr.FencedInstanceID):
				// Two running ingesters with one --instance-id take the
				// membership from each other: an operator must give each its own.
				in.log.Error("another consumer of the group uses this instance id; give each ingester its own --instance-id",
					"instance_id", in.cfg.InstanceID, "err", err)
			case !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled):
				in.log.Warn("fetch failed; the client retries", "topic", topic, "partition", p, "err", err)
			}
		})
		now := time.Now()
		in.mu.Lock()
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			for _, r := range p.Records {
				in.take(r, now)
			}
		})
		reason := in.flushReason(time.Now())
		in.m.buffered.Set(float64(in.b.bytes))
		in.mu.Unlock()
		if reason != "" {
			if err := in.flushRetrying(ctx, reason); err != nil {
				var crash errCrash
				if errors.As(err, &crash) {
					in.close()
					return err
				}
				if ctx.Err() != nil {
					return in.shutdown()
				}
				in.close()
				return err
			}
		}
		in.cl.AllowRebalance()
	}
}

// take files one record: an event for the batch or a reject.
func (in *Ingester) take(r *kgo.Record, now time.Time) {
	if in.warming(r) {
		return
	}
	in.m.consumed.Inc()
	e, err := rebate.Decode(r.Value)
	if err != nil {
		in.b.reject(r, err.Error(), rebate.ErrorField(err), now)
		return
	}
	in.b.add(r, e, now)
}

func (in *Ingester) flushReason(now time.Time) string {
	switch {
	case in.b.empty():
		return ""
	case in.b.records() >= in.cfg.BatchRows:
		return "rows"
	case in.b.bytes >= in.cfg.BatchBytes:
		return "bytes"
	case now.Sub(in.b.started) >= in.cfg.FlushInterval:
		return "interval"
	}
	return ""
}

// onRevoked stores and commits what the member holds before its partitions
// move, so their next owner starts after it. If that fails, the records of
// the revoked partitions are dropped: the next owner reads them again.
func (in *Ingester) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	in.mu.Lock()
	defer in.mu.Unlock()
	defer in.forgetPartitions(revoked)
	if in.stopped || in.b.empty() {
		return
	}
	if err := in.flushLocked(ctx, "revoke"); err != nil {
		in.log.Warn("could not store the batch before a rebalance; the partitions' next owner reads it again",
			"revoked", revoked, "err", err)
		in.b.drop(revoked)
	}
}

// onLost drops what the member held of partitions it lost without a
// rebalance (its session expired): it may no longer commit for them.
func (in *Ingester) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.log.Warn("partitions lost; their next owner reads them again", "lost", lost)
	in.b.drop(lost)
	in.forgetPartitions(lost)
}

// forgetPartitions drops the guard's window and the warming of partitions
// this member no longer reads: if they come back, they are warmed anew.
func (in *Ingester) forgetPartitions(parts map[string][]int32) {
	for topic, ps := range parts {
		in.guard.forget(ps)
		for _, p := range ps {
			delete(in.warmUntil, partition{topic, p})
		}
	}
}

func (in *Ingester) shutdown() error {
	in.stopLag()
	ctx, cancel := context.WithTimeout(context.Background(), in.cfg.ShutdownTimeout)
	defer cancel()
	in.mu.Lock()
	err := in.flushLocked(ctx, "shutdown")
	in.mu.Unlock()
	if err != nil {
		in.log.Warn("could not store the last batch; Kafka keeps it for the next start", "err", err)
	}
	in.cl.AllowRebalance()
	in.leaveGroup(ctx)
	in.cl.Close()
	in.log.Info("ingester stopped")
	return nil
}

// close stops without storing or committing anything more. A dynamic
// member leaves the group (Close does it); a static one stays a member
// until it restarts or its session times out, as after a crash.
func (in *Ingester) close() {
	in.stopLag()
	in.mu.Lock()
	in.stopped = true
	in.mu.Unlock()
	in.cl.AllowRebalance()
	in.cl.Close()
}

func (in *Ingester) pause() {
	if !in.paused {
		in.cl.PauseFetchTopics(in.cfg.Topics.Events)
		in.paused = true
		in.m.paused.Set(1)
	}
}

func (in *Ingester) resume() {
	if in.paused {
		in.cl.ResumeFetchTopics(in.cfg.Topics.Events)
		in.paused = false
		in.m.paused.Set(0)
		in.log.Info("flushing works again; fetching resumed")
	}
}

// kgoLogger sends franz-go's warnings and errors to slog.
type kgoLogger struct{ log *slog.Logger }

func (l kgoLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (l kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelWarn
	if level == kgo.LogLevelError {
		lv = slog.LevelError
	}
	l.log.Log(context.Background(), lv, "kafka: "+msg, keyvals...)
}
