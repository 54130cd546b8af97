package ingest

import (
	"bytes"
	"runtime"
	"slices"
	"testing"
	"time"
	"weak"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
)

// TestTokenNamesContent: the deduplication token of a batch is the same for
// the same records however the fetches interleaved their partitions, and
// differs as soon as one value or key at the same offsets differs (a topic
// re-created, a cluster moved, a broker reset).
func TestTokenNamesContent(t *testing.T) {
	rec := func(p int32, off int64, key, val string) *kgo.Record {
		return &kgo.Record{Topic: "t", Partition: p, Offset: off, Key: []byte(key), Value: []byte(val)}
	}
	token := func(recs ...*kgo.Record) string {
		b := newBatch()
		for _, r := range recs {
			b.add(r, rebate.Event{})
		}
		return b.token()
	}
	base := token(rec(0, 0, "k", "x"), rec(1, 0, "k", "y"), rec(0, 1, "k", "z"))
	if got := token(rec(1, 0, "k", "y"), rec(0, 0, "k", "x"), rec(0, 1, "k", "z")); got != base {
		t.Error("the same records fetched in another partition order have another token")
	}
	for name, other := range map[string]string{
		"value": token(rec(0, 0, "k", "x"), rec(1, 0, "k", "y"), rec(0, 1, "k", "Z")),
		"key":   token(rec(0, 0, "k", "x"), rec(1, 0, "k", "y"), rec(0, 1, "K", "z")),
		// Length prefixes: moving a byte from the key to the value is a change.
		"split": token(rec(0, 0, "k", "x"), rec(1, 0, "k", "y"), rec(0, 1, "kz", "")),
	} {
		if other == base {
			t.Errorf("another %s at the same offsets has the same token", name)
		}
	}
	b := newBatch()
	for _, r := range []*kgo.Record{rec(0, 0, "k", "x"), rec(1, 0, "k", "y")} {
		b.add(r, rebate.Event{})
	}
	whole := b.token()
	b.drop(map[string][]int32{"t": {1}})
	if b.token() == whole {
		t.Error("dropping a partition's records kept the token of the whole batch")
	}
}

// TestBatchKeepsNoFetchedRecord: a batch copies what it needs of each
// record (its place, key, value and headers) and keeps no reference to the
// record or its bytes. franz-go allocates records, and the bytes they point
// into, per fetched record batch: one record kept holds the whole fetch
// alive, and batches that kept theirs held every fetched byte twice over
// (issue 15: the ingester's peak RSS). What the batch copied still makes
// the dead letter of a row refused at flush, byte for byte, and the commit.
func TestBatchKeepsNoFetchedRecord(t *testing.T) {
	b := newBatch()
	value := []byte(`{"event_id":"e-1"}`)
	r := &kgo.Record{Topic: "t", Partition: 2, Offset: 7, LeaderEpoch: 3, Key: []byte("k"), Value: value,
		Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}}
	bad := &kgo.Record{Topic: "t", Partition: 2, Offset: 8, LeaderEpoch: 3, Value: []byte("not json")}
	want := &kgo.Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: slices.Clone(r.Key),
		Value: slices.Clone(r.Value), Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}}
	record, badRecord, bytesOf := weak.Make(r), weak.Make(bad), weak.Make(&value[0])
	b.add(r, rebate.Event{ID: "e-1"})
	b.reject(bad, "not valid JSON", "")
	tok := b.token()
	r, bad, value = nil, nil, nil
	runtime.GC()
	if record.Value() != nil || badRecord.Value() != nil || bytesOf.Value() != nil {
		t.Fatal("the batch keeps a fetched record, or its bytes, alive")
	}
	got := b.record(0)
	if got.Topic != want.Topic || got.Partition != want.Partition || got.Offset != want.Offset ||
		!bytes.Equal(got.Key, want.Key) || !bytes.Equal(got.Value, want.Value) || len(got.Headers) != 1 ||
		got.Headers[0].Key != "h" || string(got.Headers[0].Value) != "v" {
		t.Errorf("the event's record for a dead letter: %+v, want %+v", got, want)
	}
	if rej := b.rejects[0].rec; rej.Offset != 8 || string(rej.Value) != "not json" {
		t.Errorf("the reject's record: %+v", rej)
	}
	b.tok = ""
	if b.token() != tok {
		t.Error("the token changed once the records were gone")
	}
	if c := b.commits(); len(c) != 1 || c[0].Topic != "t" || c[0].Partition != 2 || c[0].Offset != 8 || c[0].LeaderEpoch != 3 {
		t.Errorf("commits %+v, want t/2 at offset 8, epoch 3", c)
	}
}

// TestBatchRecordKeepsNullKeys: Kafka tells a null key from an empty one,
// and so does the dead letter of an event refused at flush.
func TestBatchRecordKeepsNullKeys(t *testing.T) {
	b := newBatch()
	b.add(&kgo.Record{Topic: "t", Offset: 1, Value: []byte("a")}, rebate.Event{ID: "a"})
	b.add(&kgo.Record{Topic: "t", Offset: 2, Key: []byte{}, Value: []byte("bb")}, rebate.Event{ID: "b"})
	b.add(&kgo.Record{Topic: "t", Offset: 3, Key: []byte("k"), Value: []byte("ccc")}, rebate.Event{ID: "c"})
	for i, want := range []struct {
		key   []byte
		value string
	}{{nil, "a"}, {[]byte{}, "bb"}, {[]byte("k"), "ccc"}} {
		r := b.record(i)
		if (r.Key == nil) != (want.key == nil) || !bytes.Equal(r.Key, want.key) || string(r.Value) != want.value {
			t.Errorf("record %d: key %q (null %v), value %q; want key %q (null %v), value %q",
				i, r.Key, r.Key == nil, r.Value, want.key, want.key == nil, want.value)
		}
	}
}

// TestDropKeepsProgressOnlyWithRecords: a batch partly stored keeps its
// progress through a drop of some partitions (what was done for the kept
// records was done), and forgets it once nothing is left: a revoke gives
// such a batch back to the loop, and records added to it then must be
// stored, not skipped as already inserted and committed.
func TestDropKeepsProgressOnlyWithRecords(t *testing.T) {
	b := newBatch()
	b.add(&kgo.Record{Topic: "t", Partition: 1, Offset: 1, Value: []byte("a")}, rebate.Event{ID: "a"})
	b.add(&kgo.Record{Topic: "t", Partition: 2, Offset: 1, Value: []byte("b")}, rebate.Event{ID: "b"})
	b.guarded, b.dlqDone, b.inserted = true, true, true
	b.drop(map[string][]int32{"t": {1}})
	if !b.started() || len(b.events) != 1 || b.events[0].ID != "b" {
		t.Fatalf("after dropping partition 1: started %v, events %+v", b.started(), b.events)
	}
	b.drop(map[string][]int32{"t": {2}})
	if b.started() || !b.empty() {
		t.Fatalf("after dropping every partition: started %v, empty %v", b.started(), b.empty())
	}
}

// TestMaterializeBudgetGrowsWithTheBatch: a full batch gets the time of the
// statements it needs (a fixed limit made a 100,000-event batch on a loaded
// engine time out on every retry, stalling ingestion).
func TestMaterializeBudgetGrowsWithTheBatch(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, 30 * time.Second}, {4999, 30 * time.Second}, {5000, 60 * time.Second}, {100_000, 21 * 30 * time.Second}} {
		if got := materializeBudget(30*time.Second, tc.n); got != tc.want {
			t.Errorf("%d events: %s, want %s", tc.n, got, tc.want)
		}
	}
}
