package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
)

// Headers a replayed record carries, besides the source headers of its
// dead letter: which dead letter it is and when it was replayed.
const (
	HeaderReplayPartition = "rebate-replay-partition" // of the dead letter, in the dead-letter topic
	HeaderReplayOffset    = "rebate-replay-offset"
	HeaderReplayedAt      = "rebate-replayed-at" // RFC 3339
)

// DeadLetters reads the dead-letter topic and replays its records into the
// events topic, after whatever refused them was fixed.
type DeadLetters struct {
	cfg    Config
	topics Topics
	// idle ends a read that gets nothing for this long before reaching
	// the end it set out for: a gap at the end of a partition (records
	// deleted by compaction, transaction markers) leaves nothing to read.
	idle time.Duration
}

// NewDeadLetters reads topics.DeadLetters and replays into topics.Events.
func NewDeadLetters(cfg Config, topics Topics) *DeadLetters {
	return &DeadLetters{cfg: cfg, topics: topics, idle: 5 * time.Second}
}

// List returns the dead letters f selects, oldest first.
func (d *DeadLetters) List(ctx context.Context, f rebate.DeadLetterFilter) ([]rebate.DeadLetter, error) {
	var out []rebate.DeadLetter
	err := d.scan(ctx, f.Since, nil, func(r *kgo.Record) error {
		if dl := Letter(r); f.Match(dl) {
			out = append(out, dl)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b rebate.DeadLetter) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.Offset - b.Offset)
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, err
}

// Get returns the dead letter at offset of partition; with partition -1,
// the one at offset in whichever partition has it (an error names them
// when several do).
func (d *DeadLetters) Get(ctx context.Context, partition int32, offset int64) (rebate.DeadLetter, error) {
	var found []rebate.DeadLetter
	err := d.scan(ctx, time.Time{}, func(p int32, start, end int64) (int64, int64, bool) {
		if (partition >= 0 && p != partition) || offset < start || offset >= end {
			return 0, 0, false
		}
		return offset, offset + 1, true
	}, func(r *kgo.Record) error {
		if r.Offset == offset {
			found = append(found, Letter(r))
		}
		return nil
	})
	switch {
	case err != nil:
		return rebate.DeadLetter{}, err
	case len(found) == 0:
		where := "any partition"
		if partition >= 0 {
			where = "partition " + strconv.Itoa(int(partition))
		}
		return rebate.DeadLetter{}, rebate.Errorf(rebate.ENOTFOUND, "offset", "no dead letter at offset %d of %s of %s (dlq list shows them as PARTITION:OFFSET)",
			offset, where, d.topics.DeadLetters)
	case len(found) > 1:
		var at []string
		for _, l := range found {
			at = append(at, fmt.Sprintf("%d:%d", l.Partition, l.Offset))
		}
		return rebate.DeadLetter{}, rebate.Errorf(rebate.EINVALID, "offset", "offset %d is in several partitions: say which, one of %v", offset, at)
	}
	return found[0], nil
}

// Replay produces the dead letters f selects back to the events topic,
// each with its key and value and headers naming it (HeaderReplay*) and
// the original's position (the dead letter's rebate-source-* headers).
// A dead letter that was cut cannot be replayed and is skipped, saying
// where its original is. Replaying the same letters twice is harmless:
// an event_id is one event. Dry, it only says what it would do.
func (d *DeadLetters) Replay(ctx context.Context, f rebate.DeadLetterFilter, dryRun bool) (rebate.Replay, error) {
	letters, err := d.List(ctx, f)
	out := rebate.Replay{DryRun: dryRun, Selected: len(letters)}
	if err != nil {
		return out, err
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	var recs []*kgo.Record
	for _, l := range letters {
		if l.Truncated != "" {
			out.Skipped = append(out.Skipped, rebate.SkippedLetter{Partition: l.Partition, Offset: l.Offset, Why: fmt.Sprintf(
				"cut to fit the dead-letter topic (%s cut; the original had %d bytes, sha256 %s): the original is at %s partition %d offset %d, while its retention keeps it",
				l.Truncated, l.OriginalSize, l.OriginalSHA256, l.SourceTopic, l.SourcePartition, l.SourceOffset)})
			continue
		}
		r := &kgo.Record{Topic: d.topics.Events, Key: l.Key, Value: l.Value, Headers: []kgo.RecordHeader{
			{Key: HeaderReplayPartition, Value: []byte(strconv.Itoa(int(l.Partition)))},
			{Key: HeaderReplayOffset, Value: []byte(strconv.FormatInt(l.Offset, 10))},
			{Key: HeaderReplayedAt, Value: []byte(now)},
			{Key: HeaderTopic, Value: []byte(l.SourceTopic)},
			{Key: HeaderPartition, Value: []byte(strconv.Itoa(int(l.SourcePartition)))},
			{Key: HeaderOffset, Value: []byte(strconv.FormatInt(l.SourceOffset, 10))},
		}}
		recs = append(recs, r)
	}
	out.Replayed = len(recs)
	if dryRun || len(recs) == 0 {
		return out, nil
	}
	opts, err := d.cfg.Opts()
	if err != nil {
		return out, err
	}
	cl, err := kgo.NewClient(append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))...)
	if err != nil {
		return out, fmt.Errorf("kafka producer: %w", err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		out.Replayed = 0
		return out, fmt.Errorf("replay %d dead letters to %s (some may have been produced; replaying again is harmless): %w", len(recs), d.topics.Events, err)
	}
	return out, nil
}

// Letter reads a dead-letter record.
func Letter(r *kgo.Record) rebate.DeadLetter {
	l := rebate.DeadLetter{Partition: r.Partition, Offset: r.Offset, Time: r.Timestamp.UTC(), Key: r.Key, Value: r.Value,
		Reason: Header(r, HeaderError), Field: Header(r, HeaderField), SourceTopic: Header(r, HeaderTopic),
		Truncated: Header(r, HeaderTruncated), OriginalSHA256: Header(r, HeaderOriginalSHA256)}
	p, _ := strconv.ParseInt(Header(r, HeaderPartition), 10, 32)
	l.SourcePartition = int32(p)
	l.SourceOffset, _ = strconv.ParseInt(Header(r, HeaderOffset), 10, 64)
	l.OriginalSize, _ = strconv.ParseInt(Header(r, HeaderOriginalSize), 10, 64)
	for _, h := range r.Headers {
		l.Headers = append(l.Headers, rebate.Header{Key: h.Key, Value: string(h.Value)})
	}
	return l
}

// span picks what to read of a partition holding [start, end): from..to,
// or nothing (ok false).
type span func(partition int32, start, end int64) (from, to int64, ok bool)

// scan reads the dead-letter topic from since (or the start) to the end
// each partition had when it began, calling fn for each record.
func (d *DeadLetters) scan(ctx context.Context, since time.Time, pick span, fn func(*kgo.Record) error) error {
	opts, err := d.cfg.Opts()
	if err != nil {
		return err
	}
	admCl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	topic := d.topics.DeadLetters
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return fmt.Errorf("read where %s starts: %w", topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return fmt.Errorf("read where %s ends: %w", topic, err)
	}
	from := starts
	if !since.IsZero() {
		if from, err = adm.ListOffsetsAfterMilli(ctx, since.UnixMilli(), topic); err == nil {
			err = from.Error()
		}
		if err != nil {
			return fmt.Errorf("find %s's records since %s: %w", topic, since.Format(time.RFC3339), err)
		}
	}
	want := map[int32]kgo.Offset{}
	until := map[int32]int64{}
	from.Each(func(o kadm.ListedOffset) {
		s, _ := starts.Lookup(topic, o.Partition)
		e, _ := ends.Lookup(topic, o.Partition)
		lo, hi := max(o.Offset, s.Offset), e.Offset
		if pick != nil {
			var ok bool
			if lo, hi, ok = pick(o.Partition, s.Offset, e.Offset); !ok {
				return
			}
		}
		if lo < hi {
			want[o.Partition] = kgo.NewOffset().At(lo)
			until[o.Partition] = hi
		}
	})
	if len(want) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: want}),
		kgo.FetchMaxWait(200*time.Millisecond))...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	lastNews := time.Now()
	for len(until) > 0 {
		if time.Since(lastNews) > d.idle {
			return nil
		}
		pctx, cancel := context.WithTimeout(ctx, d.idle)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ferr error
		fs.EachError(func(_ string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && ferr == nil {
				ferr = fmt.Errorf("read %s partition %d: %w", topic, p, err)
			}
		})
		if ferr != nil {
			return ferr
		}
		var cbErr error
		fs.EachRecord(func(r *kgo.Record) {
			end, open := until[r.Partition]
			if !open || r.Offset >= end || cbErr != nil {
				return
			}
			lastNews = time.Now()
			cbErr = fn(r)
			if r.Offset+1 >= end {
				delete(until, r.Partition)
			}
		})
		if cbErr != nil {
			return cbErr
		}
	}
	return nil
}
