package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
)

// TestIdentities: the ingester's lookup returns the identity each order and
// withdrawal was first stored with, whatever its id holds, and nothing for
// ids never stored.
func TestIdentities(t *testing.T) {
	db, _ := openStore(t, migrated(t))
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	ids := []string{`a\b`, "it's", `z\\`, "plain", "ö-9"}
	var events []rebate.Event
	for i, id := range ids {
		events = append(events,
			rebate.Event{ID: "o" + id, Type: rebate.OrderPaid, TS: at, OrderID: id, UserID: uint64(i + 1), MerchantID: 2,
				ProductID: 3, Amount: 1000, Commission: 100, PlacedAt: at},
			rebate.Event{ID: "w" + id, Type: rebate.WithdrawalRequested, TS: at, WithdrawalID: id, UserID: uint64(i + 1), Amount: 500})
	}
	if err := db.InsertEvents(ctx, events, nil, ""); err != nil {
		t.Fatal(err)
	}
	orders, err := db.Identities(ctx, rebate.EntityOrder, append(ids, "never"))
	if err != nil {
		t.Fatal(err)
	}
	withdrawals, err := db.Identities(ctx, rebate.EntityWithdrawal, append(ids, "never"))
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != len(ids) || len(withdrawals) != len(ids) {
		t.Fatalf("%d orders and %d withdrawals found, want %d each", len(orders), len(withdrawals), len(ids))
	}
	for i, id := range ids {
		o, w := orders[id], withdrawals[id]
		_, _, fields := events[2*i].Entity()
		if o.ID != "o"+id || rebate.Differs(&o, &events[2*i], fields) != nil {
			t.Errorf("order %q: %+v", id, o)
		}
		_, _, fields = events[2*i+1].Entity()
		if w.ID != "w"+id || rebate.Differs(&w, &events[2*i+1], fields) != nil {
			t.Errorf("withdrawal %q: %+v", id, w)
		}
	}
}
