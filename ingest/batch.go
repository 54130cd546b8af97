package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
)

type partition struct {
	topic string
	part  int32
}

func partOf(r *kgo.Record) partition { return partition{r.Topic, r.Partition} }

// span is the range of offsets a batch holds from one partition.
type span struct {
	first, last int64
	lastRecord  *kgo.Record // committing it commits the span
}

// reject is a record bound for the dead-letter topic.
type reject struct {
	rec    *kgo.Record
	reason string
	field  string // the contract field; "clickhouse" for a row ClickHouse refused
}

// batch is what the ingester holds between flushes.
type batch struct {
	events  []rebate.Event
	recs    []*kgo.Record // the record of each event
	rejects []reject
	spans   map[partition]*span
	bytes   int
	started time.Time // when the first record arrived
	oldest  time.Time // the oldest Kafka timestamp, for freshness

	// What a flush already did, so a retry redoes only what failed.
	dlqDone, inserted bool
}

func newBatch() *batch { return &batch{spans: map[partition]*span{}} }

func (b *batch) empty() bool { return len(b.spans) == 0 }

func (b *batch) records() int { return len(b.events) + len(b.rejects) }

func (b *batch) note(r *kgo.Record, now time.Time) {
	if b.empty() {
		b.started, b.oldest = now, r.Timestamp
	}
	if r.Timestamp.Before(b.oldest) {
		b.oldest = r.Timestamp
	}
	p := partOf(r)
	s := b.spans[p]
	if s == nil {
		s = &span{first: r.Offset}
		b.spans[p] = s
	}
	s.last, s.lastRecord = r.Offset, r
	b.bytes += len(r.Value)
}

func (b *batch) add(r *kgo.Record, e rebate.Event, now time.Time) {
	b.note(r, now)
	b.events = append(b.events, e)
	b.recs = append(b.recs, r)
}

func (b *batch) reject(r *kgo.Record, reason, field string, now time.Time) {
	b.note(r, now)
	b.rejects = append(b.rejects, reject{rec: r, reason: reason, field: field})
}

func sources(recs []*kgo.Record) []rebate.Source {
	out := make([]rebate.Source, len(recs))
	for i, r := range recs {
		out[i] = rebate.Source{Partition: r.Partition, Offset: r.Offset}
	}
	return out
}

// token names the batch by its offsets: a retry of the same batch carries the
// same token, so ClickHouse drops the blocks it already stored.
func (b *batch) token() string {
	keys := make([]partition, 0, len(b.spans))
	for p := range b.spans {
		keys = append(keys, p)
	}
	slices.SortFunc(keys, func(x, y partition) int {
		if x.topic != y.topic {
			if x.topic < y.topic {
				return -1
			}
			return 1
		}
		return int(x.part - y.part)
	})
	h := sha256.New()
	for _, p := range keys {
		s := b.spans[p]
		fmt.Fprintf(h, "%s/%d/%d-%d;", p.topic, p.part, s.first, s.last)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// commits lists the last record of each partition.
func (b *batch) commits() []*kgo.Record {
	out := make([]*kgo.Record, 0, len(b.spans))
	for _, s := range b.spans {
		out = append(out, s.lastRecord)
	}
	return out
}

// drop removes the records of partitions this member no longer owns: their
// new owner reads them again from the last commit.
func (b *batch) drop(lost map[string][]int32) {
	gone := map[partition]bool{}
	for t, ps := range lost {
		for _, p := range ps {
			gone[partition{t, p}] = true
		}
	}
	keep := 0
	for i, r := range b.recs {
		if !gone[partOf(r)] {
			b.events[keep], b.recs[keep] = b.events[i], r
			keep++
		}
	}
	b.events, b.recs = b.events[:keep], b.recs[:keep]
	b.rejects = slices.DeleteFunc(b.rejects, func(r reject) bool { return gone[partOf(r.rec)] })
	for p := range gone {
		delete(b.spans, p)
	}
	// Progress flags stay: what was sent or stored for the kept records was.
	b.bytes = 0
	for _, r := range b.recs {
		b.bytes += len(r.Value)
	}
	for _, r := range b.rejects {
		b.bytes += len(r.rec.Value)
	}
}
