package api_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
)

// TestSignalsThroughAPIMatchOracle: the raised signals the API lists, page
// by page, each kind alone and since a time, are the oracle's with their
// evidence; the counts add up.
func TestSignalsThroughAPIMatchOracle(t *testing.T) {
	e := newEnv(t, api.Config{RatePerKey: 1e6, Burst: 1e6}, nil)
	e.now = time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 11, Users: 30, Merchants: 4, Products: 8, Orders: 150, Clicks: 200,
		Members: 25, Now: e.now, Abuse: true})
	sc := clickhouse.SignalConfig{CancelShare: 5000, CancelMinOrders: 4, OrdersPerHour: 4, FarmInvitees: 4}
	if err := e.db.SetSignals(sc); err != nil {
		t.Fatal(err)
	}
	e.insert(t, stream.Events...)
	want := oracle.New(stream.Events, nil).Signals(sc.Thresholds())
	kinds := map[rebate.SignalKind]int{}
	for _, s := range want {
		kinds[s.Kind]++
	}
	if len(kinds) != len(rebate.SignalKinds()) {
		t.Fatalf("the stream raises %v: want every kind", kinds)
	}
	clickhousetest.CompareSignals(t, e.client, want, rand.New(rand.NewPCG(11, 11)))

	a := e.get(t, "/v1/risk/signals/counts")
	if a.status != http.StatusOK {
		t.Fatalf("counts: %d %s", a.status, a.body)
	}
	counts := a.json(t)["signals"].(map[string]any)
	for _, k := range rebate.SignalKinds() {
		n := 0
		for _, s := range want {
			if s.Kind == k {
				n++
			}
		}
		if got, ok := counts[k.String()].(float64); !ok || int(got) != n {
			t.Errorf("count of %s: %v, want %d", k, counts[k.String()], n)
		}
	}
}

// TestSignalsAPIRefusesBadParameters: a clear 400 naming the parameter.
func TestSignalsAPIRefusesBadParameters(t *testing.T) {
	e := newEnv(t, api.Config{}, nil)
	for _, c := range []struct{ query, field string }{
		{"signal=fraud", "signal"},
		{"signal=NO_CLICK", "signal"},
		{"since=yesterday", "since"},
		{"since=2026-11-01", "since"},
		{"since=1999-12-31T23:59:59Z", "since"},
		{"limit=0", "limit"},
		{"limit=1001", "limit"},
		{"limit=ten", "limit"},
		{"cursor=bm90LWEtY3Vyc29y", "cursor"},
		{"cursor=%%%", "query"},
		{"sinse=2026-11-01T00:00:00Z", "sinse"},
		{"limit=1&limit=2", "limit"},
	} {
		a := e.get(t, "/v1/risk/signals?"+c.query)
		code, field := "", ""
		if a.status == http.StatusBadRequest {
			code, field = a.errorOf(t)
		}
		if a.status != http.StatusBadRequest || code != rebate.EINVALID || field != c.field {
			t.Errorf("?%s: %d %s, want 400 naming %s", c.query, a.status, a.body, c.field)
		}
	}
	if a := e.get(t, "/v1/risk/signals/counts?since=soon"); a.status != http.StatusBadRequest {
		t.Errorf("counts?since=soon: %d", a.status)
	}
	for _, q := range []string{"", "signal=velocity&since=2026-11-01T00:00:00.5%2B08:00&limit=1000"} {
		if a := e.get(t, "/v1/risk/signals?"+q); a.status != http.StatusOK || string(a.body) != `{"signals":[],"next_cursor":null}`+"\n" {
			t.Errorf("?%s on no data: %d %s", q, a.status, a.body)
		}
	}
}

// TestSignalsForAnalystsOnly: the app's key may not read them.
func TestSignalsForAnalystsOnly(t *testing.T) {
	keys, err := api.ParseKeys("mobile:app:app-secret-0123456789,bi:analyst:analyst-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, api.Config{Keys: keys}, nil)
	for _, path := range []string{"/v1/risk/signals", "/v1/risk/signals/counts"} {
		for key, want := range map[string]int{"": 401, "app-secret-0123456789": 403, "analyst-secret-0123456789": 200} {
			h := map[string]string{}
			if key != "" {
				h["Authorization"] = "Bearer " + key
			}
			if a := e.do(t, http.MethodGet, path, "", h); a.status != want {
				t.Errorf("%s with %q: %d, want %d", path, key, a.status, want)
			}
		}
	}
}

// TestReferralTotalsMatchOracle: the platform's referral earnings since a
// time, by state, as the live page shows them, are the oracle's.
func TestReferralTotalsMatchOracle(t *testing.T) {
	e := newEnv(t, api.Config{RatePerKey: 1e6, Burst: 1e6}, nil)
	e.now = time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 12, Users: 40, Merchants: 4, Products: 8, Orders: 300, Clicks: 50,
		Members: 35, TierChanges: 20, RichRules: true, Now: e.now})
	if err := e.db.InsertRules(context.Background(), stream.Rules); err != nil {
		t.Fatal(err)
	}
	e.insert(t, stream.Events...)
	want := oracle.New(stream.Events, stream.Rules)
	for _, since := range []time.Time{{}, e.now.Add(-10 * 24 * time.Hour), e.now.Add(time.Hour)} {
		q := ""
		if !since.IsZero() {
			q = "?since=" + url.QueryEscape(since.Format(time.RFC3339Nano))
		}
		a := e.get(t, "/v1/stats/referrals"+q)
		var got api.ReferralTotalsJSON
		if a.status != http.StatusOK || json.Unmarshal(a.body, &got) != nil {
			t.Fatalf("%s: %d %s", q, a.status, a.body)
		}
		exp := want.ReferralTotals(since)
		if got.Pending != exp.Earnings.Pending || got.Confirmed != exp.Earnings.Confirmed || got.Void != exp.Earnings.Void ||
			got.Orders != exp.Orders || got.Inviters != exp.Inviters {
			t.Errorf("since %v:\n got %s\nwant %+v", since, a.body, exp)
		}
		if since.IsZero() && (exp.Orders == 0 || exp.Earnings.Confirmed == 0) {
			t.Errorf("the stream earns no referrals: %+v", exp)
		}
	}
	if a := e.get(t, "/v1/stats/referrals?since=today"); a.status != http.StatusBadRequest {
		t.Errorf("since=today: %d", a.status)
	}
}
