package ingest

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
)

// TestSealPolicy: when the loop hands the filling batch to the flusher. At
// light traffic a record after a quiet spell goes at once; steady traffic
// is inserted once per FlushInterval; a full batch goes as soon as the
// flusher is free; nothing is sealed while a batch is being stored, so the
// next one grows meanwhile.
func TestSealPolicy(t *testing.T) {
	in := sealingIngester(t, Config{BatchRows: 10, BatchBytes: 1 << 20, FlushInterval: 300 * time.Millisecond,
		FlushBusy: 1, MaxFlushInterval: time.Second})
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

// TestSealPacedByRest: after the flusher worked for d, a batch is not
// sealed by time until it has rested d*(1-FlushBusy)/FlushBusy (the
// flusher works at most FlushBusy of the time), however long since the
// last seal; never later than MaxFlushInterval after it; a full batch does
// not wait; and at FlushBusy 1 nothing rests (the ingester as before).
func TestSealPacedByRest(t *testing.T) {
	in := sealingIngester(t, Config{BatchRows: 10, BatchBytes: 1 << 20, FlushInterval: 250 * time.Millisecond,
		FlushBusy: 0.5, MaxFlushInterval: time.Second})
	m := in.m
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	off := int64(0)
	add := func(n int) {
		for range n {
			in.b.add(&kgo.Record{Topic: "t", Offset: off, Value: []byte("{}")}, rebate.Event{})
			off++
		}
	}
	sealedAt := func(now time.Duration) bool {
		t.Helper()
		in.seal(at(now))
		if in.pending == nil {
			return false
		}
		in.pending = nil // stored
		return true
	}

	// Sealed at 0, stored in 300 ms: at half the time busy it rests 300 ms
	// more, so the next batch is due at 600 ms, not at the interval's 250.
	in.lastSeal = at(0)
	in.rest(300*time.Millisecond, at(300*time.Millisecond))
	if got := gaugeValue(t, m.rest); got != 0.3 {
		t.Errorf("rest gauge %v, want 0.3", got)
	}
	add(1)
	if sealedAt(300 * time.Millisecond) {
		t.Fatal("sealed as the flush ended: no rest")
	}
	if due, ok := in.due(); !ok || !due.Equal(at(600*time.Millisecond)) {
		t.Fatalf("due %v %v, want the rest's end at %v", due, ok, at(600*time.Millisecond))
	}
	if sealedAt(599 * time.Millisecond) {
		t.Fatal("sealed before the rest ended")
	}
	if !sealedAt(600 * time.Millisecond) {
		t.Fatal("not sealed when the rest ended")
	}
	// A long flush: the rest would end 2.6 s after the seal, but a record
	// waits at most MaxFlushInterval after the last seal.
	in.rest(1300*time.Millisecond, at(1900*time.Millisecond))
	add(1)
	if due, _ := in.due(); !due.Equal(at(1600 * time.Millisecond)) {
		t.Fatalf("due %v, want MaxFlushInterval after the last seal, %v", due, at(1600*time.Millisecond))
	}
	if !sealedAt(1900 * time.Millisecond) {
		t.Fatal("the rest held a batch past MaxFlushInterval")
	}
	// A full batch does not wait for the rest.
	in.rest(400*time.Millisecond, at(2300*time.Millisecond))
	add(10)
	in.seal(at(2300 * time.Millisecond))
	if in.pending == nil || in.pending.reason != "rows" {
		t.Fatal("a full batch waited for the flusher's rest")
	}
	in.pending = nil
	// A shorter rest does not cut a longer one short.
	in.lastSeal = at(3 * time.Second)
	in.rest(time.Second, at(4*time.Second))
	in.rest(10*time.Millisecond, at(4*time.Second))
	add(1)
	if due, _ := in.due(); !due.Equal(at(4 * time.Second)) {
		t.Fatalf("due %v, want MaxFlushInterval after the last seal (the longer rest), %v", due, at(4*time.Second))
	}

	// At FlushBusy 1 the flusher does not rest: FlushInterval alone.
	in.cfg.FlushBusy = 1
	in.pending, in.b, in.rested = nil, newBatch(), time.Time{}
	in.lastSeal = at(10 * time.Second)
	in.rest(2*time.Second, at(12*time.Second))
	if got := gaugeValue(t, m.rest); got != 0 {
		t.Errorf("rest gauge %v at FlushBusy 1, want 0", got)
	}
	add(1)
	if !sealedAt(12 * time.Second) {
		t.Fatal("rested at FlushBusy 1")
	}
}

// gaugeValue reads a gauge's value.
func gaugeValue(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var out dto.Metric
	if err := g.Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.GetGauge().GetValue()
}

// sealingIngester is an ingester with cfg as it is (no defaults), enough
// for the loop's sealing decisions alone.
func sealingIngester(t *testing.T, cfg Config) *Ingester {
	t.Helper()
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return &Ingester{cfg: cfg, b: newBatch(), spare: newBatch(), sealed: make(chan struct{}, 1), m: m}
}
