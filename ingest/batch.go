package ingest

import (
	"bytes"
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
	epoch       int32 // the leader epoch of the record at last, for its commit
}

// reject is a record bound for the dead-letter topic.
type reject struct {
	rec    *kgo.Record // rebuilt from the batch's copy (keep): never a record of the client's fetches
	reason string
	field  string // the contract field; "clickhouse" for a row ClickHouse refused
	event  int    // the index of a refused row in the batch's events
}

// origin is where a kept record (an event's, or a reject's) came from, and
// where its key and value are in the batch's raw bytes (the value right
// after the key).
type origin struct {
	topic      string
	off        int64
	at         int // the key's start in batch.raw
	part       int32
	klen, vlen int32 // the key's and the value's length; klen -1: a null key
	hdrs       int32 // 1 + the index of the record's headers in batch.hdrs; 0 for none
}

// batch is what the ingester holds between flushes.
//
// It keeps no *kgo.Record of the client's: each points into a slab of
// records and a buffer of decompressed bytes that franz-go allocates per
// record batch, so holding one record keeps hundreds alive, and holding
// all of them kept every fetched byte twice over (the records and their
// buffers were half the ingester's live heap in bulk, measured). The raw
// bytes a batch still needs, the key and value of each event for its
// content token and for a dead letter of a row refused at flush (a conflict,
// a row ClickHouse refuses), and those of each record rejected as it came,
// are copied into raw (keep), one buffer kept from batch to batch.
type batch struct {
	events  []rebate.Event
	origins []origin             // the record of each event
	raw     []byte               // the kept records' keys and values, back to back
	hdrs    [][]kgo.RecordHeader // the headers of the kept records that have some
	rejects []reject
	spans   map[partition]*span
	bytes   int
	oldest  time.Time // the oldest Kafka timestamp, for freshness
	reason  string    // why it was sealed, for rebate_ingest_flushes_total

	// What a flush already did, so a retry redoes only what failed (owed
	// implies guarded: the first step of every flush).
	guarded, dlqDone, inserted, materialized, owed bool
	stored                                         rebate.Changes // what the stored events change
	tok                                            string         // the content token, once computed; drop resets it
}

func newBatch() *batch { return &batch{spans: map[partition]*span{}} }

// reset empties b for reuse, keeping its slices' room: a batch of 100,000
// events is ~17 MB of events, ~5 MB of origins and its raw bytes, which
// growing anew for every batch allocated twice over (measured: a third of
// the ingester's allocations). The strings of the old events are cleared so
// that they are not kept alive.
func (b *batch) reset() {
	clear(b.events[:cap(b.events)])
	clear(b.origins[:cap(b.origins)])
	clear(b.hdrs)
	clear(b.spans)
	*b = batch{events: b.events[:0], origins: b.origins[:0], raw: b.raw[:0], hdrs: b.hdrs[:0], spans: b.spans}
}

func (b *batch) empty() bool { return len(b.spans) == 0 }

// started reports whether a flush did a step of b's: a retry skips it.
func (b *batch) started() bool { return b.guarded || b.dlqDone || b.inserted || b.materialized }

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
	s.last, s.epoch = r.Offset, r.LeaderEpoch
	b.bytes += len(r.Value)
}

// add appends the event decoded from r; r itself is not kept (keep).
func (b *batch) add(r *kgo.Record, e rebate.Event) {
	b.note(r)
	b.events = append(b.events, e)
	b.origins = append(b.origins, b.keep(r))
}

// reject keeps r for the dead-letter topic, as add keeps an event's record.
func (b *batch) reject(r *kgo.Record, reason, field string) {
	b.note(r)
	o := b.keep(r)
	b.rejects = append(b.rejects, reject{rec: b.rebuild(&o), reason: reason, field: field, event: -1})
}

// keep copies r's key and value into b.raw, and its headers, and says
// where they are.
func (b *batch) keep(r *kgo.Record) origin {
	o := origin{topic: r.Topic, part: r.Partition, off: r.Offset, at: len(b.raw), klen: int32(len(r.Key)), vlen: int32(len(r.Value))}
	if r.Key == nil {
		o.klen = -1 // Kafka tells a null key from an empty one, and so must a dead letter
	}
	b.raw = append(append(b.raw, r.Key...), r.Value...)
	if len(r.Headers) > 0 {
		b.hdrs = append(b.hdrs, cloneHeaders(r.Headers))
		o.hdrs = int32(len(b.hdrs))
	}
	return o
}

func cloneHeaders(hs []kgo.RecordHeader) []kgo.RecordHeader {
	if len(hs) == 0 {
		return nil
	}
	out := make([]kgo.RecordHeader, len(hs))
	for i, h := range hs {
		out[i] = kgo.RecordHeader{Key: strings.Clone(h.Key), Value: bytes.Clone(h.Value)}
	}
	return out
}

func (o *origin) key(raw []byte) []byte {
	if o.klen < 0 {
		return nil
	}
	return raw[o.at : o.at+int(o.klen)]
}

func (o *origin) value(raw []byte) []byte {
	at := o.at + max(int(o.klen), 0)
	return raw[at : at+int(o.vlen)]
}

// record rebuilds the record of event i, for the dead-letter topic.
func (b *batch) record(i int) *kgo.Record { return b.rebuild(&b.origins[i]) }

// rebuild is the record kept at o: what a dead letter reads of it. Its key
// and value share b.raw: it is valid until b is reset.
func (b *batch) rebuild(o *origin) *kgo.Record {
	r := &kgo.Record{Topic: o.topic, Partition: o.part, Offset: o.off, Key: o.key(b.raw), Value: o.value(b.raw)}
	if o.hdrs > 0 {
		r.Headers = b.hdrs[o.hdrs-1]
	}
	return r
}

func sources(origins []origin) []rebate.Source {
	out := make([]rebate.Source, len(origins))
	for i, o := range origins {
		out[i] = rebate.Source{Partition: o.part, Offset: o.off}
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
	order := make([]int, len(b.origins))
	for i := range order {
		order[i] = i
	}
	// One order whatever the interleaving of partitions in the fetches.
	slices.SortStableFunc(order, func(i, j int) int {
		x, y := &b.origins[i], &b.origins[j]
		if c := strings.Compare(x.topic, y.topic); c != 0 {
			return c
		}
		if c := cmp.Compare(x.part, y.part); c != 0 {
			return c
		}
		return cmp.Compare(x.off, y.off)
	})
	h := sha256.New()
	var num [8]byte
	field := func(p []byte) { // length-prefixed, so no two records read alike
		binary.BigEndian.PutUint64(num[:], uint64(len(p)))
		h.Write(num[:])
		h.Write(p)
	}
	for _, i := range order {
		o := &b.origins[i]
		field([]byte(o.topic))
		binary.BigEndian.PutUint64(num[:], uint64(o.part))
		h.Write(num[:])
		binary.BigEndian.PutUint64(num[:], uint64(o.off))
		h.Write(num[:])
		field(o.key(b.raw))
		field(o.value(b.raw))
	}
	b.tok = hex.EncodeToString(h.Sum(nil)[:16])
	return b.tok
}

// commits lists the last record of each partition, as much of it as a
// commit reads.
func (b *batch) commits() []*kgo.Record {
	out := make([]*kgo.Record, 0, len(b.spans))
	for p, s := range b.spans {
		out = append(out, &kgo.Record{Topic: p.topic, Partition: p.part, Offset: s.last, LeaderEpoch: s.epoch})
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
	for i, o := range b.origins {
		if !gone[partition{o.topic, o.part}] {
			b.events[keep], b.origins[keep] = b.events[i], o
			keep++
		}
	}
	b.truncate(keep)
	b.rejects = slices.DeleteFunc(b.rejects, func(r reject) bool { return gone[partOf(r.rec)] })
	for p := range gone {
		delete(b.spans, p)
	}
	if b.empty() {
		// Nothing left of what its progress flags speak of: records added
		// later must go through every step.
		b.reset()
		return
	}
	// Progress flags stay: what was sent or stored for the kept records was.
	// The content changed, so does its token.
	b.tok = ""
	b.bytes = 0
	for _, o := range b.origins {
		b.bytes += int(o.vlen)
	}
	for _, r := range b.rejects {
		b.bytes += len(r.rec.Value)
	}
}

// truncate keeps the first n events, clearing the rest (their strings) so
// that the room kept for the next batch holds nothing alive. The raw bytes
// stay: the kept origins still point into them.
func (b *batch) truncate(n int) {
	clear(b.events[n:])
	b.events, b.origins = b.events[:n], b.origins[:n]
}
