package ingest_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/kafka"
)

// TestConflictingEventsAreKeptOut: the two miscounts of issue 10.3. An
// order whose user changes between order_paid and order_settled counted in
// both users' balances, and an event_id sent twice with different ts was
// two clicks. Each later event goes to the dead-letter topic with the field
// that disagrees, counts nowhere, and is counted by the conflicts metric;
// across a restart too (the window is read again from Kafka).
func TestConflictingEventsAreKeptOut(t *testing.T) {
	kc := newCluster(t)
	db, st := clickhousetest.OpenStore(t, clickhousetest.Migrated(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	placed := now.Add(-time.Hour)
	order := func(id string, typ rebate.EventType, user uint64) rebate.Event {
		return rebate.Event{ID: id, Type: typ, TS: now, OrderID: "o-42", UserID: user, MerchantID: 5, ProductID: 6,
			Amount: 10000, Commission: 1000, PlacedAt: placed}
	}
	click := func(ts time.Time) rebate.Event {
		return rebate.Event{ID: "click-1", Type: rebate.Click, TS: ts, UserID: 1, MerchantID: 5, ProductID: 6}
	}
	cfg := ingest.Config{BatchRows: 1000, FlushInterval: 20 * time.Millisecond}

	// Clicks of other users and merchants put records in every partition,
	// so that waitCommitted can see each one committed.
	var filler []rebate.Event
	for u := uint64(100); u < 140; u++ {
		filler = append(filler, rebate.Event{ID: "filler-" + time.Duration(u).String(), Type: rebate.Click, TS: now, UserID: u, MerchantID: 9, ProductID: 6})
	}
	// First the originals, stored and committed by one ingester...
	produce(t, kc, records(append(filler, order("paid", rebate.OrderPaid, 1), click(now.Add(-time.Minute)))))
	first := start(t, kc, db, cfg, ingest.Hooks{})
	waitCommitted(t, kc, 60*time.Second)
	first.stop()
	if err := first.wait(t, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	// ...then the conflicting events, read by the next one.
	conflicting := records([]rebate.Event{order("settled", rebate.OrderSettled, 2), click(now.Add(-10 * time.Minute))})
	conflicting[1].Headers = []kgo.RecordHeader{{Key: "trace", Value: []byte("t-1")}}
	produce(t, kc, conflicting)
	r := start(t, kc, db, cfg, ingest.Hooks{})
	waitCommitted(t, kc, 60*time.Second)

	ctx := context.Background()
	if b, err := st.Balance(ctx, 2); err != nil || b.Orders != (rebate.OrderCounts{}) || b.Confirmed != 0 {
		t.Errorf("user 2: %+v %v; the order is user 1's", b, err)
	}
	if b, err := st.Balance(ctx, 1); err != nil || b.Orders != (rebate.OrderCounts{Paid: 1}) || b.Pending != 500 {
		t.Errorf("user 1: %+v %v; want the order pending", b, err)
	}
	if s, err := st.MerchantStats(ctx, 5, rebate.WindowDay, now); err != nil || s.Clicks != 1 || s.Orders != 1 {
		t.Errorf("merchant 5: %+v %v; want one click and one order", s, err)
	}
	dls := deadLetters(t, kc, 2)
	fields := map[string]string{}
	for _, d := range dls {
		fields[kafka.Header(d, kafka.HeaderField)] = kafka.Header(d, kafka.HeaderError)
	}
	// A copy caught against an earlier batch is named by its event_id (the
	// window keeps a hash of each event, not the event).
	if !strings.Contains(fields["user_id"], "conflict") || !strings.Contains(fields["event_id"], "conflict") {
		t.Errorf("dead letters %v: want a conflict on user_id and one on event_id", fields)
	}
	// Each dead letter is its record byte for byte, headers too, though the
	// batch no longer holds the records it decoded (it keeps copies).
	for _, d := range dls {
		i := slices.IndexFunc(conflicting, func(c *kgo.Record) bool { return bytes.Equal(c.Value, d.Value) && bytes.Equal(c.Key, d.Key) })
		switch {
		case i < 0:
			t.Errorf("dead letter %q (key %q) is none of the conflicting records", d.Value, d.Key)
		case i == 1 && kafka.Header(d, "trace") != "t-1":
			t.Errorf("the click's dead letter lost its record's header: %v", d.Headers)
		}
	}
	if got := metricValue(t, r, "rebate_ingest_conflicts_total"); got != 2 {
		t.Errorf("conflicts metric %v, want 2", got)
	}
}
