package ingest

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
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
	oldest  time.Time // the oldest Kafka timestamp, for freshness
	reason  string    // why it was sealed, for rebate_ingest_flushes_total

	// What a flush already did, so a retry redoes only what failed.
	guarded, dlqDone, inserted, materialized bool
	stored                                   rebate.Changes // what the stored events change
	tok                                      string         // the content token, once computed; drop resets it
}

func newBatch() *batch { return &batch{spans: map[partition]*span{}} }

// reset empties b for reuse, keeping its slices' room: a batch of 100,000
// events is ~17 MB of events and ~1 MB of record pointers, which growing
// anew for every batch allocated twice over (measured: a third of the
// ingester's allocations). The pointers are cleared so that the records
// and strings of the old batch are not kept alive.
func (b *batch) reset() {
	clear(b.events[:cap(b.events)])
	clear(b.recs[:cap(b.recs)])
	clear(b.spans)
	*b = batch{events: b.events[:0], recs: b.recs[:0], spans: b.spans}
}

func (b *batch) empty() bool { return len(b.spans) == 0 }

func (b *batch) records() int { return len(b.events) + len(b.rejects) }

func (b *batch) note(r *kgo.Record) {
	if b.empty() {
		b.oldest = r.Timestamp
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

func (b *batch) add(r *kgo.Record, e rebate.Event) {
	b.note(r)
	b.events = append(b.events, e)
	b.recs = append(b.recs, r)
}

func (b *batch) reject(r *kgo.Record, reason, field string) {
	b.note(r)
	b.rejects = append(b.rejects, reject{rec: r, reason: reason, field: field})
}

func sources(recs []*kgo.Record) []rebate.Source {
	out := make([]rebate.Source, len(recs))
	for i, r := range recs {
		out[i] = rebate.Source{Partition: r.Partition, Offset: r.Offset}
	}
	return out
}

// token names the batch by its content: the topic, partition, offset, key
// and value of every event's record, in partition and offset order. A retry
// of the same batch, or a replay of the same records, carries the same token,
// so ClickHouse drops the blocks it already stored (insert_deduplication_token).
// Offsets alone are not enough: after a topic is re-created, a move to
// another cluster or a broker's data reset, offsets start again at 0, and
// new records at old offsets would be dropped as repeats (stored nowhere,
// yet committed). Hashing ~32 MiB costs ~20 ms, once per batch.
func (b *batch) token() string {
	if b.tok != "" {
		return b.tok
	}
	order := make([]int, len(b.recs))
	for i := range order {
		order[i] = i
	}
	// One order whatever the interleaving of partitions in the fetches.
	slices.SortStableFunc(order, func(i, j int) int {
		x, y := b.recs[i], b.recs[j]
		if c := strings.Compare(x.Topic, y.Topic); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Partition, y.Partition); c != 0 {
			return c
		}
		return cmp.Compare(x.Offset, y.Offset)
	})
	h := sha256.New()
	var num [8]byte
	field := func(p []byte) { // length-prefixed, so no two records read alike
		binary.BigEndian.PutUint64(num[:], uint64(len(p)))
		h.Write(num[:])
		h.Write(p)
	}
	for _, i := range order {
		r := b.recs[i]
		field([]byte(r.Topic))
		binary.BigEndian.PutUint64(num[:], uint64(r.Partition))
		h.Write(num[:])
		binary.BigEndian.PutUint64(num[:], uint64(r.Offset))
		h.Write(num[:])
		field(r.Key)
		field(r.Value)
	}
	b.tok = hex.EncodeToString(h.Sum(nil)[:16])
	return b.tok
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
	// The content changed, so does its token.
	b.tok = ""
	b.bytes = 0
	for _, r := range b.recs {
		b.bytes += len(r.Value)
	}
	for _, r := range b.rejects {
		b.bytes += len(r.rec.Value)
	}
}
