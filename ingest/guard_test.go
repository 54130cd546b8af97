package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
)

func TestGuardKeepsConflictsOut(t *testing.T) {
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	order := func(id string, typ rebate.EventType, user uint64) rebate.Event {
		return rebate.Event{ID: id, Type: typ, TS: at, OrderID: "o-1", UserID: user, MerchantID: 2, ProductID: 3,
			Amount: 1000, Commission: 100, PlacedAt: at}
	}
	click := func(id string, ts time.Time) rebate.Event {
		return rebate.Event{ID: id, Type: rebate.Click, TS: ts, UserID: 1, MerchantID: 2, ProductID: 3}
	}
	stored := map[string]rebate.Event{}
	lookups := 0
	lookup := func(_ context.Context, kind string, ids []string) (map[string]rebate.Event, error) {
		lookups++
		out := map[string]rebate.Event{}
		for _, id := range ids {
			if e, ok := stored[kind+"/"+id]; ok {
				out[id] = e
			}
		}
		return out, nil
	}
	g := newGuard(2, 10)
	ctx := context.Background()

	// The paid event of another process's batch fixed the order's user.
	stored["order/o-1"] = order("e-paid", rebate.OrderPaid, 7)
	batch := []rebate.Event{
		order("e-settled", rebate.OrderSettled, 8), // another user: a conflict
		click("c-1", at),
		click("c-1", at.Add(time.Minute)), // the same event_id at another time: a conflict
		click("c-1", at),                  // an identical copy: kept, every table folds it
		order("e-void", rebate.OrderCancelled, 7),
	}
	keep, conflicts, err := g.check(ctx, batch, make([]int32, len(batch)), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if len(keep) != 3 || keep[0] != 1 || keep[1] != 3 || keep[2] != 4 {
		t.Errorf("kept %v, want the click, its identical copy and the cancellation", keep)
	}
	if c := conflicts[0]; c == nil || c.Field != "user_id" || !strings.Contains(c.Message, "e-paid") {
		t.Errorf("settled by another user: %v", c)
	}
	if c := conflicts[2]; c == nil || c.Field != "ts" {
		t.Errorf("a click's second copy at another time: %v", c)
	}
	if len(conflicts) != 2 {
		t.Errorf("conflicts %v", conflicts)
	}
	g.remember([]rebate.Event{batch[1], batch[4]}, []int32{0, 0})

	// Later batches: the click's copy is caught in the window, the order
	// comes from the cache without another lookup.
	before := lookups
	keep, conflicts, _ = g.check(ctx, []rebate.Event{click("c-1", at.Add(time.Hour)), order("e-x", rebate.OrderPaid, 9)}, []int32{0, 0}, lookup)
	if len(keep) != 0 || conflicts[0] == nil || conflicts[1] == nil || lookups != before {
		t.Errorf("kept %v, conflicts %v, %d lookups", keep, conflicts, lookups-before)
	}
	// The window holds two event ids: c-1 leaves it.
	g.remember([]rebate.Event{click("c-2", at), click("c-3", at)}, []int32{0, 0})
	if keep, _, _ = g.check(ctx, []rebate.Event{click("c-1", at.Add(time.Hour))}, []int32{0}, lookup); len(keep) != 1 {
		t.Errorf("after the window: kept %v", keep)
	}
}
