package rebate_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
)

// Merging what two lists of events change is what their concatenation
// changes, whatever the events: the ingester works the fraud signals of
// several batches out at once from their merged changes.
func TestChangesMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	types := []rebate.EventType{rebate.Click, rebate.OrderPaid, rebate.OrderSettled, rebate.UserTierChanged, rebate.UserJoined, rebate.WithdrawalRequested}
	event := func() rebate.Event {
		return rebate.Event{Type: types[rng.IntN(len(types))], UserID: rng.Uint64N(5), MerchantID: rng.Uint64N(3), ProductID: rng.Uint64N(4),
			OrderID: string(rune('a' + rng.IntN(5))), TS: base.Add(time.Duration(rng.IntN(1000)) * time.Minute),
			PlacedAt: base.Add(time.Duration(rng.IntN(100)) * time.Minute)}
	}
	for range 500 {
		var a, b []rebate.Event
		for range rng.IntN(6) {
			a = append(a, event())
		}
		for range rng.IntN(6) {
			b = append(b, event())
		}
		var want, got, other rebate.Changes
		want.AddAll(append(append([]rebate.Event{}, a...), b...))
		got.AddAll(a)
		other.AddAll(b)
		got.Merge(other)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("merged %+v\nwant   %+v\nof %v and %v", got, want, a, b)
		}
		// What is merged stays its own: more merged into got later (the
		// signals owed) never changes other (its batch's changes).
		var again, more rebate.Changes
		again.AddAll(b)
		more.AddAll([]rebate.Event{event(), event(), event()})
		got.Merge(more)
		if !reflect.DeepEqual(other, again) {
			t.Fatalf("merged from %+v, which became %+v", again, other)
		}
	}
}
