package ingest

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
)

// TestSealPolicy: when the loop hands the filling batch to the flusher. At
// light traffic a record after a quiet spell goes at once; steady traffic
// is inserted once per FlushInterval; a full batch goes as soon as the
// flusher is free; nothing is sealed while a batch is being stored, so the
// next one grows meanwhile.
func TestSealPolicy(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	in := &Ingester{cfg: Config{BatchRows: 10, BatchBytes: 1 << 20, FlushInterval: 300 * time.Millisecond},
		b: newBatch(), spare: newBatch(), sealed: make(chan struct{}, 1), m: m}
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	in.lastSeal = t0
	off := int64(0)
	add := func(n int) {
		for range n {
			in.b.add(&kgo.Record{Topic: "t", Offset: off, Value: []byte("{}")}, rebate.Event{})
			off++
		}
	}
	done := func() { in.pending = nil } // the flusher stored the sealed batch
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	add(1)
	if in.seal(at(100 * time.Millisecond)); in.pending != nil {
		t.Fatal("sealed 100 ms after the last seal; want FlushInterval between inserts")
	}
	if due, ok := in.due(); !ok || !due.Equal(at(300*time.Millisecond)) {
		t.Fatalf("due %v %v, want %v", due, ok, at(300*time.Millisecond))
	}
	if in.seal(at(300 * time.Millisecond)); in.pending == nil || in.pending.reason != "interval" {
		t.Fatal("not sealed FlushInterval after the last seal")
	}
	done()
	// Quiet for a while: the next record goes at once.
	add(1)
	if in.seal(at(2 * time.Second)); in.pending == nil {
		t.Fatal("a record after a quiet spell was not sealed at once")
	}
	// While it is stored, the next batch fills past the interval, even past
	// BatchRows, and waits.
	add(15)
	if in.seal(at(3 * time.Second)); in.pending.records() != 1 {
		t.Fatal("sealed a second batch while the first is being stored")
	}
	if _, ok := in.due(); ok {
		t.Error("a due time while the flusher is busy: the loop would spin")
	}
	done()
	if in.seal(at(3 * time.Second)); in.pending == nil || in.pending.reason != "rows" || in.pending.records() != 15 {
		t.Fatalf("the grown batch was not sealed by rows once the flusher was free: %+v", in.pending)
	}
	done()
	// A full batch does not wait for the interval.
	add(10)
	if in.seal(at(3*time.Second + time.Millisecond)); in.pending == nil || in.pending.reason != "rows" {
		t.Fatal("a full batch waited for the interval")
	}
	done()
	// Nothing is sealed while a revoke callback works.
	add(1)
	in.revoking = true
	if in.seal(at(time.Hour)); in.pending != nil {
		t.Fatal("sealed during a revoke")
	}
}
