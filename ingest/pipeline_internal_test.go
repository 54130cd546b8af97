package ingest

import (
	"context"
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
	restGauge := func() float64 { return MetricValue(t, in.reg, "rebate_ingest_flush_rest_seconds") }
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
	// sealsAt: the filling batch falls due at want, for why: not sealed a
	// millisecond before, sealed then.
	sealsAt := func(want time.Duration, why string) {
		t.Helper()
		if due, ok := in.due(); !ok || !due.Equal(at(want)) {
			t.Fatalf("due %v %v, want %v: %s", due, ok, at(want), why)
		}
		if sealedAt(want-time.Millisecond) || !sealedAt(want) {
			t.Fatalf("not sealed exactly at %v: %s", at(want), why)
		}
	}

	// Sealed at 0, stored in 300 ms: at half the time busy it rests 300 ms
	// more, so the next batch is due at 600 ms, not at the interval's 250.
	in.lastSeal = at(0)
	in.rest(300*time.Millisecond, at(300*time.Millisecond))
	if got := restGauge(); got != 0.3 {
		t.Errorf("rest gauge %v, want 0.3", got)
	}
	add(1)
	if sealedAt(300 * time.Millisecond) {
		t.Fatal("sealed as the flush ended: no rest")
	}
	sealsAt(600*time.Millisecond, "the rest's end")
	// A long flush: the rest would end 2.6 s after the seal, but a record
	// waits at most MaxFlushInterval after the last seal.
	in.rest(1300*time.Millisecond, at(1300*time.Millisecond))
	add(1)
	sealsAt(1600*time.Millisecond, "MaxFlushInterval after the last seal, however long the rest")
	// A full batch does not wait for the rest.
	in.rest(400*time.Millisecond, at(2000*time.Millisecond))
	add(10)
	in.seal(at(2000 * time.Millisecond))
	if in.pending == nil || in.pending.reason != "rows" {
		t.Fatal("a full batch waited for the flusher's rest")
	}
	in.pending = nil
	// A shorter rest does not cut a longer one short.
	in.lastSeal = at(3 * time.Second)
	in.rest(200*time.Millisecond, at(3200*time.Millisecond))
	in.rest(10*time.Millisecond, at(3200*time.Millisecond))
	add(1)
	sealsAt(3400*time.Millisecond, "the longer rest's end")
	// The gauge says what the next seal waits, as applied: a 3 s flush at
	// busy 0.5 would rest 3 s, but the seal waits only up to
	// MaxFlushInterval after the last one (at 4.4 s): 0.4 s.
	in.rest(3*time.Second, at(4*time.Second))
	if got := restGauge(); got < 0.399 || got > 0.401 {
		t.Errorf("rest gauge %v, want the applied 0.4", got)
	}
	// A long flush over a tiny share overflows no Duration: the rest is
	// cut at MaxFlushInterval, never negative (which would be no rest).
	in.cfg.FlushBusy = 1e-9
	in.lastSeal, in.restUntil = at(5*time.Second), time.Time{}
	in.rest(10*time.Minute, at(5*time.Second))
	if got := restGauge(); got != 1 {
		t.Errorf("rest gauge %v after a 10-minute flush at busy 1e-9, want MaxFlushInterval's 1", got)
	}
	add(1)
	sealsAt(6*time.Second, "a tiny share's long rest, cut at MaxFlushInterval after the last seal")

	// At FlushBusy 1 the flusher does not rest: FlushInterval alone.
	in.cfg.FlushBusy = 1
	in.pending, in.b, in.restUntil = nil, newBatch(), time.Time{}
	in.lastSeal = at(10 * time.Second)
	in.rest(100*time.Millisecond, at(10100*time.Millisecond))
	if got := restGauge(); got != 0 {
		t.Errorf("rest gauge %v at FlushBusy 1, want 0", got)
	}
	add(1)
	sealsAt(10250*time.Millisecond, "FlushInterval after the last seal: no rest at FlushBusy 1")
}

// TestFlushesRest: storing a batch and settling what is owed each make
// the flusher rest, set before the loop looks at the batches again.
func TestFlushesRest(t *testing.T) {
	in := sealingIngester(t, Config{BatchRows: 10, BatchBytes: 1 << 20, FlushInterval: 250 * time.Millisecond,
		FlushBusy: 0.5, MaxFlushInterval: time.Second, SignalInterval: time.Second})
	ctx := context.Background()
	t0 := time.Now()
	in.lastSeal = t0
	b := newBatch()
	in.pending = b
	in.wake = func() {
		if in.restUntil.Before(t0) {
			t.Error("the loop was woken before the rest was set")
		}
	}
	if err := in.storeSealed(ctx, b, "interval"); err != nil {
		t.Fatal(err)
	}
	if in.pending != nil || in.restUntil.Before(t0) {
		t.Fatalf("storing a batch set no rest (rest until %v, flush began %v)", in.restUntil, t0)
	}
	in.restUntil = time.Time{}
	in.owed.since = t0.Add(-time.Hour) // owed and due, nothing to work out or commit
	if err := in.settleDue(ctx); err != nil {
		t.Fatal(err)
	}
	if in.restUntil.Before(t0) {
		t.Fatal("settling what was owed set no rest")
	}
}

// MetricValue sums the counter or gauge name over its labels in g (the
// external tests' metricValue reads through it).
func MetricValue(t testing.TB, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// sealingIngester is an ingester with cfg as it is (no defaults), enough
// for the loop's sealing decisions alone.
func sealingIngester(t *testing.T, cfg Config) sealing {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return sealing{&Ingester{cfg: cfg, b: newBatch(), spare: newBatch(), sealed: make(chan struct{}, 1), m: m}, reg}
}

// sealing is an ingester for the sealing tests, with its metrics' registry.
type sealing struct {
	*Ingester
	reg *prometheus.Registry
}
