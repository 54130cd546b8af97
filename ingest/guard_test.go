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

// TestGuardWindowForgetsOldest: the window holds the last `window` event ids
// of a partition, the identity cache the last cacheSize identities; the
// oldest go first, and one never added twice.
func TestGuardWindowForgetsOldest(t *testing.T) {
	g := newGuard(3, 2)
	click := func(id string) *rebate.Event { return &rebate.Event{ID: id, Type: rebate.Click, UserID: 1} }
	for _, id := range []string{"a", "b", "a", "c", "d"} {
		g.add(0, click(id))
	}
	w := g.windowOf(0)
	for id, in := range map[string]bool{"a": false, "b": true, "c": true, "d": true} {
		if _, ok := w.m[g.idHash(id)]; ok != in {
			t.Errorf("%s in the window: %v, want %v", id, ok, in)
		}
	}
	if len(w.m) != 3 {
		t.Errorf("window of %d ids, want 3", len(w.m))
	}
	for _, k := range []string{"order/1", "order/2", "order/1", "order/3"} {
		g.cache(k, rebate.Event{})
	}
	if _, ok := g.identities["order/1"]; ok || len(g.identities) != 2 {
		t.Errorf("identity cache %v: want order/2 and order/3", g.identities)
	}
}

// TestContentHashCoversTheContract: two copies hash alike exactly when
// their canonical JSON agrees. For every type and every field it carries, a
// copy that differs in that field alone hashes differently; a copy sent
// in another form (numbers as strings, another time format) hashes alike.
func TestContentHashCoversTheContract(t *testing.T) {
	g := newGuard(10, 10)
	for _, typ := range rebate.EventTypes() {
		fields := append([]*rebate.Field{rebate.FieldEventID, rebate.FieldTS}, rebate.FieldsOf(typ)...)
		value := func(f *rebate.Field, alt bool) string {
			n := map[bool]string{false: "1", true: "2"}[alt]
			if f == rebate.FieldInviterID { // a user cannot invite themselves
				n = "3" + n
			}
			switch f.Kind {
			case rebate.KindText, rebate.KindTextOrInt:
				return `"x` + n + `"`
			case rebate.KindID, rebate.KindStock:
				return n
			case rebate.KindTime:
				return `"2026-05-01T10:00:0` + n + `Z"`
			case rebate.KindMoney:
				return `"` + n + `.50"`
			case rebate.KindRate:
				return `"0.` + n + `"`
			case rebate.KindTier:
				return n
			}
			t.Fatalf("field %s: kind %d unknown to this test", f.Name, f.Kind)
			return ""
		}
		event := func(changed *rebate.Field) rebate.Event {
			json := `{"type":"` + typ.String() + `"`
			for _, f := range fields {
				json += `,"` + f.Name + `":` + value(f, f == changed)
			}
			e, err := rebate.Decode([]byte(json + "}"))
			if err != nil {
				t.Fatalf("%s: %v", json, err)
			}
			return e
		}
		base := event(nil)
		for _, f := range fields {
			if other := event(f); g.contentHash(&other) == g.contentHash(&base) {
				t.Errorf("%s: a copy with another %s hashes alike", typ, f.Name)
			}
		}
		// The same content in another form: the canonical JSON, re-read.
		again, err := rebate.Decode(rebate.AppendJSON(nil, base))
		if err != nil {
			t.Fatal(err)
		}
		if g.contentHash(&again) != g.contentHash(&base) {
			t.Errorf("%s: the same content in its canonical form hashes differently", typ)
		}
	}
}

// TestIdentityKeepsTheRules: the cache's compact identity keeps every
// field the rules of identity compare, for every type that has an entity;
// the events carry every field of their type, each non-zero.
func TestIdentityKeepsTheRules(t *testing.T) {
	values := map[rebate.FieldKind]string{rebate.KindText: `"x"`, rebate.KindTextOrInt: `"o-1"`, rebate.KindID: "7",
		rebate.KindTime: `"2026-05-01T10:00:00.123Z"`, rebate.KindMoney: `"4.50"`, rebate.KindRate: `"0.25"`, rebate.KindStock: "9", rebate.KindTier: "3"}
	for _, typ := range rebate.EventTypes() {
		json := `{"event_id":"e-1","type":"` + typ.String() + `","ts":"2026-05-02T00:00:00Z"`
		for _, f := range rebate.FieldsOf(typ) {
			v, ok := values[f.Kind]
			if !ok {
				t.Fatalf("field %s: kind %d unknown to this test", f.Name, f.Kind)
			}
			if f == rebate.FieldInviterID { // a user cannot invite themselves
				v = "8"
			}
			json += `,"` + f.Name + `":` + v
		}
		e, err := rebate.Decode([]byte(json + "}"))
		if err != nil {
			t.Fatalf("%s: %v", json, err)
		}
		kind, _, fields := e.Entity()
		if kind == "" {
			continue
		}
		back := identityOf(&e).event()
		if f := rebate.Differs(&e, &back, fields); f != nil {
			t.Errorf("%s: the cached identity loses %s", typ, f.Name)
		}
		if back.ID != e.ID {
			t.Errorf("%s: the cached identity names event %q, want %q", typ, back.ID, e.ID)
		}
	}
}
