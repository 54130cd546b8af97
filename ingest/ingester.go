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
	// MaterializeFigures works out again the figures stored events changed
	// (prices, buckets); MaterializeSignals, after it, their fraud signals,
	// for the changes of several batches at once. Doing either twice
	// changes nothing.
	MaterializeFigures(ctx context.Context, c rebate.Changes) error
	MaterializeSignals(ctx context.Context, c rebate.Changes) error
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
//
// Two goroutines share the work (pipeline.go): the loop of Run polls and
// decodes records into the filling batch, and the flusher stores the
// sealed batch before it (guard, dead letters, insert, commit), so
// decoding the next batch overlaps inserting the last one. At most one
// batch is sealed at a time, and batches are stored in the order they were
// sealed, so commits follow storage in order per partition.
type Ingester struct {
	cfg   Config
	cl    *kgo.Client
	sink  Sink
	log   *slog.Logger
	m     *metrics
	hooks Hooks

	// mu guards the batches and the state the loop, the flusher and the
	// rebalance callbacks share.
	mu        sync.Mutex
	b         *batch    // filling: the loop adds records to it
	pending   *batch    // sealed, being stored by the flusher; nil when it is idle
	spare     *batch    // the last stored batch, emptied: the next filling one
	lastSeal  time.Time // when the last batch was sealed (its insert began)
	restUntil time.Time // the flusher rests: no batch is sealed by time before this (Config.FlushBusy)
	revoking  bool      // a revoke callback is storing or dropping: nothing is sealed
	paused    bool
	stopped   bool   // after a crash hook or a fatal error: nothing more is stored or committed
	failure   error  // why the flusher stopped; Run returns it
	wake      func() // ends the loop's poll or wait, to look at the batches again
	sealed    chan struct{}

	// flushMu makes flush attempts one at a time: the flusher's, a revoke
	// callback's, the shutdown's. A batch is changed (records dropped) only
	// under it, and so is owed.
	flushMu sync.Mutex
	owed    owed // the signals and the commit of the batches stored since the last settle

	filling   atomic.Int64        // record bytes of the filling batch, for rebate_ingest_buffered_bytes
	guard     *guard              // the rules of identity; it has its own lock
	warmUntil map[partition]int64 // below it, a partition's records only fill the guard's window; under mu
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
	in := &Ingester{cfg: cfg, sink: sink, log: log, m: m, hooks: hooks, b: newBatch(), spare: newBatch(), sealed: make(chan struct{}, 1),
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
		"batch_bytes", in.cfg.BatchBytes, "flush_interval", in.cfg.FlushInterval, "flush_busy", in.cfg.FlushBusy,
		"max_flush_interval", in.cfg.MaxFlushInterval)
	in.learnDeadLetterLimit(ctx)
	lagCtx, stopLag := context.WithCancel(ctx)
	lagDone := make(chan struct{})
	go func() { defer close(lagDone); in.watchLag(lagCtx) }()
	// Stopped before the client closes (it uses the client).
	in.stopLag = sync.OnceFunc(func() { stopLag(); <-lagDone })
	defer in.stopLag()
	in.mu.Lock()
	in.lastSeal = time.Now() // the first batch waits like any other
	in.mu.Unlock()
	flushCtx, stopFlusher := context.WithCancel(ctx)
	flusherDone := make(chan struct{})
	go func() { defer close(flusherDone); in.flusher(flushCtx) }()
	stopFlushing := func() { stopFlusher(); <-flusherDone }
	defer stopFlushing()
	for {
		if ctx.Err() != nil {
			stopFlushing()
			return in.shutdown()
		}
		in.mu.Lock()
		if err := in.failure; err != nil {
			in.mu.Unlock()
			stopFlushing()
			in.close()
			return err
		}
		// Wait for records, for the batch to fall due, or for the flusher
		// to be done with the batch before it (wake).
		in.seal(time.Now())
		var pctx context.Context
		var cancel context.CancelFunc
		if due, ok := in.due(); ok {
			pctx, cancel = context.WithDeadline(ctx, due)
		} else {
			pctx, cancel = context.WithCancel(ctx)
		}
		in.wake = cancel
		room := in.cfg.BatchRows - in.b.records()
		in.mu.Unlock()
		var fetches kgo.Fetches
		if room > 0 {
			fetches = in.cl.PollRecords(pctx, room)
		} else {
			<-pctx.Done() // full: the flusher wakes the loop when it can take it
		}
		in.mu.Lock()
		in.wake = nil
		in.mu.Unlock()
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
		in.take(fetches)
		in.mu.Lock()
		in.seal(time.Now())
		in.setBuffered()
		in.mu.Unlock()
		in.cl.AllowRebalance()
	}
}

// take decodes polled records into the filling batch: an event or a
// reject each. It runs without mu, so the flusher is never kept waiting
// by decoding: until AllowRebalance the filling batch is the loop's alone
// (the rebalance callbacks wait for it; the flusher never touches it).
func (in *Ingester) take(fetches kgo.Fetches) {
	in.mu.Lock()
	b, warm := in.b, len(in.warmUntil) > 0
	in.mu.Unlock()
	n := 0
	fetches.EachRecord(func(r *kgo.Record) {
		if warm && in.warming(r) {
			return
		}
		n++
		e, err := rebate.Decode(r.Value)
		if err != nil {
			b.reject(r, err.Error(), rebate.ErrorField(err))
			return
		}
		b.add(r, e)
	})
	in.m.consumed.Add(float64(n))
	in.filling.Store(int64(b.bytes))
}

// onRevoked stores and commits what the member holds before its partitions
// move, so their next owner starts after it: the sealed batch, then the
// filling one, in that order, then the signals owed. If that fails, the records of the revoked
// partitions are dropped from both: the next owner reads them again.
func (in *Ingester) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	in.flushMu.Lock() // the flusher is between attempts
	defer in.flushMu.Unlock()
	in.mu.Lock()
	if in.stopped {
		in.forgetPartitions(revoked)
		in.mu.Unlock()
		return
	}
	in.revoking = true
	// The filling batch is taken from the loop while it is stored: the loop
	// still looks at in.b between polls, and a flush changes the batch it
	// stores. No record is added meanwhile (a poll waits for the
	// rebalance), so the loop sees an empty batch until it is given back.
	sealed, filling := in.pending, in.b
	in.b = newBatch()
	in.mu.Unlock()
	var err error
	if sealed != nil {
		err = in.storeSealed(ctx, sealed, "revoke")
	}
	stored := false
	if err == nil && !filling.empty() {
		err = in.flushOnce(ctx, filling, "revoke")
		stored = err == nil
	}
	if err == nil {
		// Their next owner starts from the commit: the signals owed are
		// worked out now.
		err = in.settle(ctx)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if err != nil {
		in.log.Warn("could not store the batch before a rebalance; the partitions' next owner reads it again",
			"revoked", revoked, "err", err)
		if in.pending != nil {
			in.pending.drop(revoked)
		}
		filling.drop(revoked)
		in.owed.drop(revoked)
		var crash errCrash
		if errors.As(err, &crash) {
			in.failLocked(err)
		}
	}
	if !in.b.empty() {
		// Cannot happen (see above); were it to, stopping without storing
		// or committing anything more loses nothing.
		in.failLocked(errors.New("ingest: records polled while a revoke callback ran"))
	}
	switch {
	case stored:
	case filling.started():
		// Part of it is stored (sent to the dead-letter topic, inserted):
		// a retry skips those steps, so it must take no new record, which
		// would be committed without being stored. Sealed, it goes to the
		// flusher, which finishes it. No batch is pending: the filling one
		// is tried only once the sealed one is stored.
		in.handOff(filling, "revoke")
	default:
		in.b = filling
	}
	in.forgetPartitions(revoked)
	in.revoking = false
	in.filling.Store(int64(in.b.bytes))
	in.setBuffered()
	in.wakeLocked()
}

// onLost drops what the member held of partitions it lost without a
// rebalance (its session expired): it may no longer commit for them.
func (in *Ingester) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	in.flushMu.Lock()
	defer in.flushMu.Unlock()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.log.Warn("partitions lost; their next owner reads them again", "lost", lost)
	if in.pending != nil {
		in.pending.drop(lost)
	}
	in.b.drop(lost)
	in.owed.drop(lost)
	in.forgetPartitions(lost)
	in.filling.Store(int64(in.b.bytes))
	in.setBuffered()
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

// shutdown stores what the member holds, the sealed batch then the filling
// one, once, within ShutdownTimeout; works out the signals owed; commits;
// and leaves the group. The
// flusher has stopped.
func (in *Ingester) shutdown() error {
	in.stopLag()
	ctx, cancel := context.WithTimeout(context.Background(), in.cfg.ShutdownTimeout)
	defer cancel()
	in.flushMu.Lock()
	in.mu.Lock()
	sealed, filling := in.pending, in.b
	in.mu.Unlock()
	var err error
	if sealed != nil {
		err = in.storeSealed(ctx, sealed, sealed.reason)
	}
	if err == nil {
		if err = in.flushOnce(ctx, filling, "shutdown"); err == nil {
			in.mu.Lock()
			in.b = newBatch()
			in.mu.Unlock()
		}
	}
	// What was stored before a batch that failed is settled all the same:
	// its offsets come before that batch's.
	if serr := in.settle(ctx); err == nil {
		err = serr
	}
	in.flushMu.Unlock()
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
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.paused {
		in.cl.PauseFetchTopics(in.cfg.Topics.Events)
		in.paused = true
		in.m.paused.Set(1)
	}
}

func (in *Ingester) resume() {
	in.mu.Lock()
	defer in.mu.Unlock()
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
