package simulate_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/oracle"
	"github.com/rebatehq/rebate/internal/simulate"
)

func records(t *testing.T, cfg simulate.Config, n int) [][]byte {
	t.Helper()
	s, err := simulate.New(cfg, time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for range n / 100 {
		for _, r := range s.Next(100) {
			out = append(out, r.Value)
		}
	}
	for _, r := range s.Drain() {
		out = append(out, r.Value)
	}
	return out
}

func TestDeterministicForASeed(t *testing.T) {
	cfg := simulate.Config{Seed: 42, Rate: 500, BadRate: 0.01}
	a, b := records(t, cfg, 20_000), records(t, cfg, 20_000)
	if len(a) != len(b) {
		t.Fatalf("%d vs %d records", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("record %d differs:\n%s\n%s", i, a[i], b[i])
		}
	}
	cfg.Seed = 43
	if c := records(t, cfg, 20_000); bytes.Equal(bytes.Join(a, nil), bytes.Join(c, nil)) {
		t.Fatal("another seed made the same stream")
	}
}

// TestRealistic checks the shape of the traffic: every record but the
// malformed ones decodes, orders follow clicks and get outcomes, copies and
// late deliveries happen, and no user withdraws more than they earned.
func TestRealistic(t *testing.T) {
	recs := records(t, simulate.Config{Seed: 1, Rate: 200, BadRate: 0.02}, 300_000)
	count := map[rebate.EventType]int{}
	seen := map[string]bool{}
	dups, bad, late := 0, 0, 0
	var lastTS time.Time
	earned := map[uint64]rebate.Money{}
	withdrawn := map[uint64]rebate.Money{}
	orders := map[string]rebate.Event{}
	outcomes := map[string]bool{}
	for _, v := range recs {
		e, err := rebate.Decode(v)
		if err != nil {
			bad++
			continue
		}
		if seen[e.ID] {
			dups++
			continue
		}
		seen[e.ID] = true
		count[e.Type]++
		if e.TS.Before(lastTS) {
			late++
		}
		lastTS = e.TS
		switch e.Type {
		case rebate.OrderPaid:
			orders[e.OrderID] = e
		case rebate.OrderSettled:
			earned[e.UserID] += rebate.Rebate(e.Commission, rebate.RateOne/2)
		case rebate.WithdrawalRequested:
			withdrawn[e.UserID] += e.Amount
		case rebate.WithdrawalFailed: // the money goes back
			withdrawn[e.UserID] -= e.Amount
		}
		if e.Type == rebate.OrderSettled || e.Type == rebate.OrderCancelled {
			outcomes[e.OrderID] = true
		}
	}
	total := float64(len(recs))
	if f := float64(bad) / total; f < 0.01 || f > 0.03 {
		t.Errorf("malformed share %.3f, want about 0.02", f)
	}
	if dups == 0 || late == 0 {
		t.Errorf("%d duplicates, %d late deliveries: want some of each", dups, late)
	}
	clicks, paid := count[rebate.Click], count[rebate.OrderPaid]
	if conv := float64(paid) / float64(clicks); conv < 0.04 || conv > 0.12 {
		t.Errorf("conversion %.3f, want about 0.08", conv)
	}
	for _, typ := range []rebate.EventType{rebate.OrderSettled, rebate.OrderCancelled, rebate.OrderReversed,
		rebate.WithdrawalRequested, rebate.WithdrawalCompleted, rebate.WithdrawalFailed, rebate.ProductUpdated} {
		if count[typ] == 0 {
			t.Errorf("no %s events", typ)
		}
	}
	for u, w := range withdrawn {
		if w > earned[u] {
			t.Errorf("user %d withdrew %s of %s earned", u, w, earned[u])
		}
	}
	// Orders paid long enough before the end have had their outcome:
	// settled (80%) or cancelled (15%).
	old, decided := 0, 0
	for id, o := range orders {
		if o.TS.Before(lastTS.Add(-6 * 90 * time.Second)) { // beyond the longest outcome delay (6 means)
			old++
			if outcomes[id] {
				decided++
			}
		}
	}
	if old == 0 || float64(decided)/float64(old) < 0.9 {
		t.Errorf("%d of %d older orders have an outcome", decided, old)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []simulate.Config{{BadRate: 1.5}, {Users: 1}, {Rate: -1}, {DuplicateRate: -0.1}} {
		if _, err := simulate.New(cfg, time.Now()); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// events decodes the records a simulator makes over n actions, copies
// dropped.
func events(t *testing.T, cfg simulate.Config, n int) []rebate.Event {
	t.Helper()
	seen := map[string]bool{}
	var out []rebate.Event
	for _, v := range records(t, cfg, n) {
		e, err := rebate.Decode(v)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	return out
}

func signalKinds(events []rebate.Event, rules []rebate.Rule) map[rebate.SignalKind]int {
	kinds := map[rebate.SignalKind]int{}
	for _, s := range oracle.New(events, rules).Signals(rebate.DefaultSignalThresholds()) {
		kinds[s.Kind]++
	}
	return kinds
}

// TestAbuseRaisesEverySignal: a few simulated minutes at the default rate
// (what rebate up sends) raise every signal at the default thresholds, and
// the stream has joins with invitation trees and tier changes.
func TestAbuseRaisesEverySignal(t *testing.T) {
	evs := events(t, simulate.Config{Seed: 7, Rate: 200}, 150_000)
	kinds := signalKinds(evs, simulate.Rules(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)))
	t.Logf("signals raised over %d events: %v", len(evs), kinds)
	for _, k := range rebate.SignalKinds() {
		if kinds[k] == 0 {
			t.Errorf("no %s signal", k)
		}
	}
	invitedBy := map[uint64]uint64{}
	tiers := 0
	for _, e := range evs {
		switch e.Type {
		case rebate.UserJoined:
			invitedBy[e.UserID] = e.InviterID
		case rebate.UserTierChanged:
			tiers++
		}
	}
	chains := 0 // invitees whose inviter was invited too
	for _, inviter := range invitedBy {
		if inviter != 0 && invitedBy[inviter] != 0 {
			chains++
		}
	}
	if len(invitedBy) == 0 || chains == 0 || tiers == 0 {
		t.Errorf("%d joins, %d invitees of invitees, %d tier changes: want some of each", len(invitedBy), chains, tiers)
	}
}

// TestCleanTrafficRaisesNoSignal: without abuse, a day of traffic over a
// small population (each user orders often enough to be judged on 30 days'
// share of voids and on velocity) raises no signal at the defaults.
func TestCleanTrafficRaisesNoSignal(t *testing.T) {
	evs := events(t, simulate.Config{Seed: 8, Rate: 2, Users: 300, Clean: true}, 200_000)
	perUser := map[uint64]int{}
	for _, e := range evs {
		if e.Type == rebate.OrderPaid {
			perUser[e.UserID]++
		}
	}
	judged := 0
	for _, n := range perUser {
		if n >= int(rebate.DefaultSignalThresholds().CancelMinOrders) {
			judged++
		}
	}
	if judged < 100 {
		t.Fatalf("only %d users ordered %d times or more: the test judges too few", judged, rebate.DefaultSignalThresholds().CancelMinOrders)
	}
	if kinds := signalKinds(evs, nil); len(kinds) > 0 {
		t.Errorf("clean traffic raised %v", kinds)
	}
}
