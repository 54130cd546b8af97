package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/internal/apiclient"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current answers")

// apiFigures reads figures through the API; leaderboards refresh in the store.
type apiFigures struct {
	*apiclient.Client
	refresh func(context.Context) error
}

func (f apiFigures) RefreshLeaderboard(ctx context.Context) error { return f.refresh(ctx) }

// TestFiguresThroughAPIMatchOracle: every figure the API serves for a random
// stream equals the oracle's, to the cent: referral earnings and tiers in
// balances, and every user's referrals paged with the cursor, included.
func TestFiguresThroughAPIMatchOracle(t *testing.T) {
	e := newEnv(t, api.Config{RatePerKey: 1e6, Burst: 1e6}, nil)
	e.now = time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 7, Users: 55, Merchants: 6, Products: 15, Orders: 400,
		Clicks: 800, Withdrawals: 80, ProductUpdates: 60, DuplicateRate: 0.1, Members: 45, TierChanges: 60, RichRules: true, Now: e.now})
	if err := e.db.InsertRules(context.Background(), stream.Rules); err != nil {
		t.Fatal(err)
	}
	e.insert(t, stream.Events...)
	clickhousetest.CompareFigures(t, apiFigures{e.client, e.st.RefreshLeaderboard}, oracle.New(stream.Events, stream.Rules), e.now, rand.New(rand.NewPCG(7, 7)))
}

// goldenData is a small, hand-made world the golden answers describe.
func goldenData(now time.Time) []rebate.Event {
	at := func(d time.Duration) time.Time { return now.Add(-d) }
	order := func(id string, typ rebate.EventType, order string, user uint64, commission rebate.Money, placed, ts time.Duration) rebate.Event {
		return rebate.Event{ID: id, Type: typ, TS: at(ts), OrderID: order, UserID: user, MerchantID: 7, ProductID: 9,
			Amount: commission * 10, Commission: commission, PlacedAt: at(placed)}
	}
	return []rebate.Event{
		order("e1", rebate.OrderPaid, "o1", 1, 1000, 30*time.Minute, 29*time.Minute),
		order("e2", rebate.OrderPaid, "o2", 1, 2000, 2*time.Hour, 2*time.Hour),
		order("e3", rebate.OrderSettled, "o2", 1, 2000, 2*time.Hour, 90*time.Minute),
		order("e4", rebate.OrderPaid, "o3", 1, 500, 3*time.Hour, 3*time.Hour),
		order("e5", rebate.OrderCancelled, "o3", 1, 500, 3*time.Hour, 150*time.Minute),
		order("e6", rebate.OrderSettled, "o4", 2, 3000, 10*time.Minute, 5*time.Minute),
		{ID: "w1", Type: rebate.WithdrawalRequested, TS: at(20 * time.Minute), WithdrawalID: "wd1", UserID: 1, Amount: 300},
		{ID: "w2", Type: rebate.WithdrawalCompleted, TS: at(15 * time.Minute), WithdrawalID: "wd1", UserID: 1, Amount: 300},
		{ID: "w3", Type: rebate.WithdrawalRequested, TS: at(4 * time.Minute), WithdrawalID: "wd2", UserID: 1, Amount: 100},
		{ID: "c1", Type: rebate.Click, TS: at(2 * time.Minute), UserID: 1, MerchantID: 7, ProductID: 9},
		{ID: "c2", Type: rebate.Click, TS: at(90 * time.Second), UserID: 2, MerchantID: 7, ProductID: 9},
		{ID: "c3", Type: rebate.Click, TS: at(30 * time.Second), UserID: 3, MerchantID: 7, ProductID: 9},
		{ID: "p1", Type: rebate.ProductUpdated, TS: at(time.Hour), ProductID: 9, MerchantID: 7, Price: 25900, Stock: 1200, CommissionRate: 500},
		// User 1 invited users 2 and 3, and moved to tier 2.
		{ID: "j1", Type: rebate.UserJoined, TS: at(72 * time.Hour), UserID: 1},
		{ID: "j2", Type: rebate.UserJoined, TS: at(48 * time.Hour), UserID: 2, InviterID: 1},
		{ID: "j3", Type: rebate.UserJoined, TS: at(47 * time.Hour), UserID: 3, InviterID: 1},
		{ID: "t1", Type: rebate.UserTierChanged, TS: at(70 * time.Hour), UserID: 1, Tier: 2},
	}
}

var refreshAsOf = regexp.MustCompile(`"as_of": "[^"]+"`)

func TestGoldenAnswers(t *testing.T) {
	e := newEnv(t, api.Config{}, nil)
	e.insert(t, goldenData(e.now)...)
	if err := e.st.RefreshLeaderboard(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		// refreshed answers end at the refresh's clock, not the pinned one.
		refreshed bool
	}{
		{"balance", "/v1/users/1/balance", false},
		{"balance_unknown_user", "/v1/users/404/balance", false},
		{"orders_page1", "/v1/users/1/orders?limit=2", false},
		{"referrals_page1", "/v1/users/1/referrals?limit=1", false},
		{"leaderboard", "/v1/leaderboard?window=all&limit=10", true},
		{"rank", "/v1/users/2/rank?window=all&neighbors=1", true},
		{"merchant_stats", "/v1/merchants/7/stats?window=1h", false},
		{"product", "/v1/products/9", false},
		{"minutely", "/v1/stats/minutely?minutes=3", false},
		{"rules", "/v1/rules", false},
		{"queries", "/v1/queries", false},
		{"query_get_balance", "/v1/queries/get_balance?user_id=1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := e.get(t, tc.path)
			if a.status != http.StatusOK {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, a.body, "", "  "); err != nil {
				t.Fatal(err)
			}
			got := pretty.String() + "\n"
			if tc.refreshed {
				got = refreshAsOf.ReplaceAllString(got, `"as_of": "<refresh time>"`)
			}
			file := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./api -run TestGoldenAnswers -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", tc.path, file, got)
			}
		})
	}
	// Freshness travels as a header too.
	if a := e.get(t, "/v1/users/1/balance"); a.header.Get("X-Data-As-Of") != "2026-11-01T11:56:00.000Z" {
		t.Errorf("X-Data-As-Of %q", a.header.Get("X-Data-As-Of"))
	}
	if a := e.get(t, "/v1/users/1/referrals"); a.header.Get("X-Data-As-Of") != "2026-11-01T11:55:00.000Z" {
		t.Errorf("referrals' X-Data-As-Of %q", a.header.Get("X-Data-As-Of"))
	}
}

// TestBadRequests: every bad input is a 400 (or the documented 4xx) with a
// JSON error naming the field, never a 500.
func TestBadRequests(t *testing.T) {
	e := newEnv(t, api.Config{MaxEventsBytes: 4096, MaxEvents: 3}, nil)
	for _, tc := range []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"GET", "/v1/users/0/balance", "", 400, "user_id"},
		{"GET", "/v1/users/-1/balance", "", 400, "user_id"},
		{"GET", "/v1/users/abc/balance", "", 400, "user_id"},
		{"GET", "/v1/users/99999999999999999999999/balance", "", 400, "user_id"},
		{"GET", "/v1/users/1/orders?limit=0", "", 400, "limit"},
		{"GET", "/v1/users/1/orders?limit=101", "", 400, "limit"},
		{"GET", "/v1/users/1/orders?limit=x", "", 400, "limit"},
		{"GET", "/v1/users/1/orders?cursor=%%%", "", 400, "query"},
		{"GET", "/v1/users/1/orders?cursor=bm90IGpzb24", "", 400, "cursor"},
		// {"p":9223372036854775807,"o":"x"}: a time no order has.
		{"GET", "/v1/users/1/orders?cursor=eyJwIjo5MjIzMzcyMDM2ODU0Nzc1ODA3LCJvIjoieCJ9", "", 400, "cursor"},
		{"GET", "/v1/users/0/referrals", "", 400, "user_id"},
		{"GET", "/v1/users/1/referrals?limit=101", "", 400, "limit"},
		{"GET", "/v1/users/1/referrals?cursor=bm90IGpzb24", "", 400, "cursor"},
		// An orders cursor is not a referrals cursor.
		{"GET", "/v1/users/1/referrals?cursor=eyJwIjo5MjIzMzcyMDM2ODU0Nzc1ODA3LCJvIjoieCJ9", "", 400, "cursor"},
		{"GET", "/v1/users/0/balance/stream", "", 400, "user_id"},
		{"GET", "/v1/users/1/balance/stream?window=1h", "", 400, "window"},
		{"GET", "/v1/users/1/rank?window=2h", "", 400, "window"},
		{"GET", "/v1/users/1/rank?neighbors=51", "", 400, "neighbors"},
		{"GET", "/v1/leaderboard?window=forever", "", 400, "window"},
		{"GET", "/v1/leaderboard?limit=0", "", 400, "limit"},
		{"GET", "/v1/leaderboard?limit=1001", "", 400, "limit"},
		// Misspelt and repeated parameters were once silently ignored.
		{"GET", "/v1/leaderboard?lmit=5", "", 400, "lmit"},
		{"GET", "/v1/leaderboard?limit=5&limit=6", "", 400, "limit"},
		{"GET", "/v1/users/1/balance?window=1h", "", 400, "window"},
		{"GET", "/v1/queries/get_balance?user_id=1&user_id=2", "", 400, "user_id"},
		{"GET", "/v1/merchants/x/stats", "", 400, "merchant_id"},
		{"GET", "/v1/merchants/1/stats?window=1y", "", 400, "window"},
		{"GET", "/v1/products/0", "", 400, "product_id"},
		{"GET", "/v1/products/12345", "", 404, "product_id"},
		{"GET", "/v1/stats/minutely?minutes=0", "", 400, "minutes"},
		{"GET", "/v1/stats/minutely?minutes=1441", "", 400, "minutes"},
		{"PUT", "/v1/rules/x", `{"share":"0.1","effective_from":"2030-01-01T00:00:00Z"}`, 400, "merchant_id"},
		{"PUT", "/v1/rules/5", `{"effective_from":"2030-01-01T00:00:00Z"}`, 400, "share"},
		{"PUT", "/v1/rules/5", `{"share":"1.5","effective_from":"2030-01-01T00:00:00Z"}`, 400, "body"},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"tomorrow"}`, 400, "effective_from"},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2020-01-01T00:00:00Z"}`, 409, "effective_from"},
		// Once echoed as 9999 but stored as 2299: what cannot be stored is refused.
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"9999-12-31T00:00:00Z"}`, 400, "effective_from"},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2030-01-01T00:00:00Z","extra":1}`, 400, "extra"},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2030-01-01T00:00:00Z","tier":10}`, 400, "tier"},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2030-01-01T00:00:00Z","tier":-1}`, 400, "tier"},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2030-01-01T00:00:00Z","tier":"gold"}`, 400, "tier"},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2030-01-01T00:00:00Z","effective_to":"2030-01-01T00:00:00Z"}`, 400, "effective_to"},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2030-01-01T00:00:00Z","effective_to":"soon"}`, 400, "effective_to"},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2030-01-01T00:00:00Z","cap":"-1.00"}`, 400, "cap"},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2030-01-01T00:00:00Z","referral_share":"2"}`, 400, "body"},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2020-01-01T00:00:00Z","effective_to":"2020-02-01T00:00:00Z"}`, 409, "effective_from"},
		{"PUT", "/v1/rules/5", `not json`, 400, "body"},
		{"PUT", "/v1/rules/5", ``, 400, "body"},
		{"GET", "/v1/queries/no_such_query", "", 404, "name"},
		{"GET", "/v1/queries/put_rule?merchant_id=1", "", 404, "name"},
		{"GET", "/v1/queries/get_balance", "", 400, "user_id"},
		{"GET", "/v1/queries/get_balance?user_id=1&extra=2", "", 400, "extra"},
		{"GET", "/v1/queries/get_balance?user_id=x", "", 400, "user_id"},
		// A value its type refuses: once ClickHouse's 691 answered as a 500.
		{"GET", "/v1/queries/get_leaderboard?window=2h&limit=5", "", 400, "window"},
		{"GET", "/v1/queries/list_user_orders?user_id=1&before_placed_at=noon&before_order_id=a&limit=1", "", 400, "before_placed_at"},
		{"POST", "/v1/events", ``, 400, "body"},
		{"POST", "/v1/events", `[1,`, 400, "body"},
		{"POST", "/v1/events", `{}` + "\n" + `{}` + "\n" + `{}` + "\n" + `{}`, 413, ""},
		{"POST", "/v1/events", strings.Repeat("x", 5000), 413, ""},
		{"GET", "/v1/no/such/route", "", 404, ""},
		{"DELETE", "/v1/leaderboard", "", 405, ""},
	} {
		a := e.do(t, tc.method, tc.path, tc.body, map[string]string{"Content-Type": "application/json"})
		if a.status != tc.status {
			t.Errorf("%s %s: status %d, want %d: %s", tc.method, tc.path, a.status, tc.status, a.body)
			continue
		}
		_, field := a.errorOf(t)
		if field != tc.field {
			t.Errorf("%s %s: field %q, want %q (%s)", tc.method, tc.path, field, tc.field, a.body)
		}
	}
}

// TestSQLInjection: string inputs reach ClickHouse only as bound values.
func TestSQLInjection(t *testing.T) {
	e := newEnv(t, api.Config{}, nil)
	e.insert(t, goldenData(e.now)...)
	ctx := context.Background()
	if err := e.db.Conn().Exec(ctx, "CREATE TABLE victim (x UInt8) ENGINE = MergeTree ORDER BY x"); err != nil {
		t.Fatal(err)
	}
	attacks := []string{"'; DROP TABLE victim; --", "o1' OR '1'='1", `\'; DROP TABLE victim; --`, "1) OR (1=1", "{user_id:UInt64}"}
	// o1 was placed at exactly this time: the string alone decides whether
	// o1 is before the cursor, by byte order, as a value must.
	o1 := e.now.Add(-30 * time.Minute).Format(time.RFC3339Nano)
	for _, a := range attacks {
		q := "?user_id=1&before_placed_at=" + urlEscape(o1) + "&limit=100&before_order_id=" + urlEscape(a)
		ans := e.get(t, "/v1/queries/list_user_orders"+q)
		if ans.status != http.StatusOK {
			t.Errorf("%q: status %d %s", a, ans.status, ans.body)
			continue
		}
		got := map[string]bool{}
		for _, r := range ans.json(t)["rows"].([]any) {
			got[r.([]any)[0].(string)] = true
		}
		if want := "o1" < a; got["o1"] != want || !got["o2"] || !got["o3"] || len(got) != 2+map[bool]int{true: 1}[want] {
			t.Errorf("%q: rows %v; o1 included should be %v", a, got, want)
		}
		for _, path := range []string{"/v1/leaderboard?window=" + urlEscape(a), "/v1/users/" + urlEscape(a) + "/balance",
			"/v1/users/1/orders?cursor=" + urlEscape(a), "/v1/queries/get_balance?user_id=" + urlEscape(a)} {
			if s := e.get(t, path).status; s != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", path, s)
			}
		}
	}
	var n uint64
	if err := e.db.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'victim'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("victim table gone (%d, %v)", n, err)
	}
}

func urlEscape(s string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", "'", "%27", "&", "%26", "#", "%23", "+", "%2B", "{", "%7B", "}", "%7D", "\\", "%5C", "=", "%3D", ";", "%3B", "/", "%2F", "(", "%28", ")", "%29").Replace(s)
}

func TestAuthRolesAndRateLimit(t *testing.T) {
	keys, err := api.ParseKeys("mobile:app:app-secret-0123456789,bi:analyst:analyst-secret-0123456789,ops:admin:admin-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, api.Config{Keys: keys, RatePerKey: 1, Burst: 3}, nil)
	bearer := func(k string) map[string]string { return map[string]string{"Authorization": "Bearer " + k} }
	for _, tc := range []struct {
		method, path, body string
		header             map[string]string
		status             int
	}{
		{"GET", "/v1/leaderboard", "", nil, 401},
		{"GET", "/v1/leaderboard", "", bearer("wrong-key-0123456789"), 401},
		{"GET", "/v1/leaderboard", "", bearer("app-secret-0123456789"), 200},
		{"GET", "/v1/leaderboard", "", map[string]string{"X-API-Key": "analyst-secret-0123456789"}, 200},
		{"GET", "/v1/queries", "", bearer("app-secret-0123456789"), 403},
		{"GET", "/v1/queries", "", bearer("analyst-secret-0123456789"), 200},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2030-01-01T00:00:00Z"}`, bearer("analyst-secret-0123456789"), 403},
		{"PUT", "/v1/rules/5", `{"share":"0.5","effective_from":"2030-01-01T00:00:00Z"}`, bearer("admin-secret-0123456789"), 200},
		{"GET", "/healthz", "", nil, 200},
		{"GET", "/openapi.json", "", nil, 200},
	} {
		if a := e.do(t, tc.method, tc.path, tc.body, tc.header); a.status != tc.status {
			t.Errorf("%s %s with %v: %d, want %d: %s", tc.method, tc.path, tc.header, a.status, tc.status, a.body)
		}
	}
	// A burst of 3 at 1/s: the admin key has used 1; the next ones run out.
	limited := false
	for range 5 {
		if a := e.do(t, "GET", "/v1/rules", "", bearer("admin-secret-0123456789")); a.status == http.StatusTooManyRequests {
			limited = true
			if code, _ := a.errorOf(t); code != "rate_limited" {
				t.Errorf("429 code %q", code)
			}
		}
	}
	if !limited {
		t.Error("no 429 past the burst")
	}
	if _, err := api.New(api.Config{Listen: "0.0.0.0:8080"}, e.st, nil, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "REBATE_API_KEYS") {
		t.Errorf("open API beyond loopback: %v", err)
	}
	for _, bad := range []string{"x", "n:root:0123456789abcdef", "n:app:short", "::0123456789abcdef:", "n:0123456789abcdef"} {
		if _, err := api.ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q): no error", bad)
		} else if strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("ParseKeys(%q): the error shows the secret: %v", bad, err)
		}
	}
}

// TestOpenAPI: /openapi.json is a valid OpenAPI 3 document listing exactly
// the routes the server registers.
func TestOpenAPI(t *testing.T) {
	e := newEnv(t, api.Config{}, nil)
	a := e.get(t, "/openapi.json")
	doc, err := openapi3.NewLoader().LoadFromData(a.body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI: %v", err)
	}
	var documented, queryPaths []string
	for path, item := range doc.Paths.Map() {
		if name, ok := strings.CutPrefix(path, "/v1/queries/"); ok && !strings.Contains(name, "{") {
			queryPaths = append(queryPaths, name) // served by /v1/queries/{name}
			continue
		}
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	var registered []string
	for _, r := range e.srv.Routes() {
		if r.Path == "/metrics" || r.Path == "/" || r.Path == "/sql" || r.Path == "/wallet" || strings.HasPrefix(r.Path, "/assets/") {
			continue // Prometheus' own format; the pages
		}
		registered = append(registered, r.Method+" "+api.OpenAPIPath(r.Path))
	}
	sort.Strings(documented)
	sort.Strings(registered)
	if strings.Join(documented, "\n") != strings.Join(registered, "\n") {
		t.Errorf("documented:\n%s\nregistered:\n%s", strings.Join(documented, "\n"), strings.Join(registered, "\n"))
	}
	// Every named query has its own path, with its parameters.
	sort.Strings(queryPaths)
	if want := "get_balance get_leaderboard get_merchant_stats get_product get_referral_totals get_signal_counts get_user_rank list_minutely_kpis list_risk_signals list_rules list_user_orders list_user_referrals"; strings.Join(queryPaths, " ") != want {
		t.Errorf("query paths %v, want %s", queryPaths, want)
	}
	lb := doc.Paths.Find("/v1/queries/get_leaderboard").Get
	if lb == nil || len(lb.Parameters) != 2 || len(lb.Parameters.GetByInAndName("query", "window").Schema.Value.Enum) != 5 {
		t.Errorf("get_leaderboard's path: %+v", lb)
	}
}

func TestEventCollection(t *testing.T) {
	p := &fakeProducer{}
	e := newEnv(t, api.Config{}, p)
	good := goldenData(e.now)[:3]
	var ndjson strings.Builder
	for _, ev := range good {
		ndjson.Write(rebate.AppendJSON(nil, ev))
		ndjson.WriteString("\n")
	}
	a := e.do(t, "POST", "/v1/events", ndjson.String(), nil)
	if a.status != http.StatusAccepted || a.json(t)["accepted"].(float64) != 3 {
		t.Fatalf("all valid: %d %s", a.status, a.body)
	}
	arr := fmt.Sprintf(`[%s, {"event_id":"bad","type":"click"}, %s]`, rebate.AppendJSON(nil, good[0]), `{"event_id":"x","type":"click","ts":"2026-11-21T10:00:00Z","user_id":0,"merchant_id":1,"product_id":1}`)
	a = e.do(t, "POST", "/v1/events", arr, nil)
	if a.status != http.StatusUnprocessableEntity {
		t.Fatalf("some invalid: %d %s", a.status, a.body)
	}
	var got struct {
		Accepted int `json:"accepted"`
		Rejected []struct {
			Index int    `json:"index"`
			Field string `json:"field"`
		} `json:"rejected"`
	}
	_ = json.Unmarshal(a.body, &got)
	if got.Accepted != 1 || len(got.Rejected) != 2 || got.Rejected[0].Index != 1 || got.Rejected[0].Field != "ts" ||
		got.Rejected[1].Index != 2 || got.Rejected[1].Field != "user_id" {
		t.Errorf("reply %s", a.body)
	}
	if len(p.events) != 4 || p.events[3].ID != good[0].ID {
		t.Errorf("produced %d events", len(p.events))
	}
	p.err = fmt.Errorf("brokers down")
	if a := e.do(t, "POST", "/v1/events", ndjson.String(), nil); a.status != http.StatusServiceUnavailable {
		t.Errorf("Kafka down: %d %s", a.status, a.body)
	}
	if a := e.get(t, "/readyz"); a.status != http.StatusServiceUnavailable || !strings.Contains(string(a.body), "brokers down") {
		t.Errorf("readyz with Kafka down: %d %s", a.status, a.body)
	}
}

func TestNamedQueriesLimitsAndCSV(t *testing.T) {
	e := newEnv(t, api.Config{QueryMaxRows: 2}, nil)
	e.insert(t, goldenData(e.now)...)
	a := e.get(t, "/v1/queries/list_user_orders?user_id=1&before_placed_at=2100-01-01T00:00:00Z&before_order_id=&limit=10")
	v := a.json(t)
	if a.status != 200 || len(v["rows"].([]any)) != 2 || v["truncated"] != true {
		t.Errorf("row cap: %d %s", a.status, a.body)
	}
	a = e.do(t, "GET", "/v1/queries/get_balance?user_id=1", "", map[string]string{"Accept": "text/csv"})
	if a.status != 200 || !strings.HasPrefix(string(a.body), "user_id,pending,confirmed,withdrawn,frozen,available,paid,settled,void,"+
		"referral_pending,referral_confirmed,referral_void,tier,as_of\n1,5.00,10.00,3.00,1.00,6.00,1,1,1,0.00,0.00,0.00,2,") {
		t.Errorf("CSV: %d %q", a.status, a.body)
	}
}

func TestOperations(t *testing.T) {
	e := newEnv(t, api.Config{CORSOrigins: []string{"https://app.example"}}, nil)
	if a := e.get(t, "/healthz"); a.status != 200 {
		t.Errorf("healthz %d", a.status)
	}
	if a := e.get(t, "/readyz"); a.status != 200 {
		t.Errorf("readyz %d %s", a.status, a.body)
	}
	a := e.do(t, "GET", "/v1/leaderboard", "", map[string]string{"Origin": "https://app.example"})
	if a.header.Get("Access-Control-Allow-Origin") != "https://app.example" || a.header.Get("X-Request-Id") == "" {
		t.Errorf("CORS/request id headers: %v", a.header)
	}
	a = e.do(t, "GET", "/openapi.json", "", map[string]string{"Accept-Encoding": "gzip"})
	if a.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("no gzip on a large answer: %v", a.header)
	}
	// Enough series that the compressed answer passes the gzip threshold:
	// the exposition must still be compressed once, not twice.
	many := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "test_series_total", Help: "padding"}, []string{"n"})
	e.reg.MustRegister(many)
	for i := range 2000 {
		many.WithLabelValues(strconv.Itoa(i * 7919)).Add(float64(i))
	}
	m := e.get(t, "/metrics") // the client asks for gzip and undoes one layer
	if !bytes.Contains(m.body, []byte(`rebate_api_requests_total{method="GET",route="/v1/leaderboard",status="200"}`)) {
		t.Errorf("metrics lack the route counter, or are compressed twice: %q", m.body[:min(len(m.body), 40)])
	}
}

// TestLivePage: the pages (the live page and the wallet) and their assets
// are served from the binary, public even when the API needs keys, with a
// policy that loads nothing from elsewhere, and revalidated cheaply.
func TestLivePage(t *testing.T) {
	e := newEnv(t, api.Config{Keys: []api.Key{{Name: "app", Role: api.RoleApp, Secret: "0123456789abcdef0123"}}}, nil)
	for _, path := range []string{"/", "/wallet"} {
		checkPage(t, e, path)
	}
	if a := e.get(t, "/v1/leaderboard"); a.status != http.StatusUnauthorized {
		t.Errorf("data without a key: %d", a.status)
	}
}

func checkPage(t *testing.T, e *env, path string) {
	t.Helper()
	page := e.get(t, path)
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %v", path, page.status, page.header)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(page.body), -1)
	if len(refs) < 2 {
		t.Fatalf("the page loads no assets: %s", page.body)
	}
	for _, m := range refs {
		ref := m[1]
		if strings.Contains(ref, "//") {
			t.Errorf("the page loads %s from elsewhere", ref)
			continue
		}
		a := e.get(t, ref)
		if a.status != 200 || len(a.body) == 0 {
			t.Errorf("%s: %d", ref, a.status)
		}
		if !strings.HasPrefix(ref, "/assets/") {
			continue
		}
		again := e.do(t, "GET", ref, "", map[string]string{"If-None-Match": a.header.Get("ETag")})
		if again.status != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d, want 304", ref, again.status)
		}
	}
}

// TestPutPromotion: a tier's capped promotion with a referral share is
// stored as sent and listed with every part; absent parts list as null.
func TestPutPromotion(t *testing.T) {
	e := newEnv(t, api.Config{}, nil)
	body := `{"share":"0.6000","effective_from":"2031-01-01T00:00:00Z","effective_to":"2031-01-08T00:00:00Z","tier":3,"cap":"25.00","referral_share":"0.0500"}`
	if a := e.do(t, "PUT", "/v1/rules/7", body, nil); a.status != 200 {
		t.Fatalf("put: %d %s", a.status, a.body)
	}
	if a := e.do(t, "PUT", "/v1/rules/8", `{"share":"0.3000","effective_from":"2031-01-01T00:00:00Z"}`, nil); a.status != 200 {
		t.Fatalf("put: %d %s", a.status, a.body)
	}
	a := e.get(t, "/v1/rules")
	var got struct{ Rules []map[string]any }
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[float64]map[string]any{
		7: {"merchant_id": 7.0, "tier": 3.0, "share": "0.6000", "effective_from": "2031-01-01T00:00:00.000Z",
			"effective_to": "2031-01-08T00:00:00.000Z", "cap": "25.00", "referral_share": "0.0500"},
		8: {"merchant_id": 8.0, "tier": nil, "share": "0.3000", "effective_from": "2031-01-01T00:00:00.000Z",
			"effective_to": nil, "cap": nil, "referral_share": "0.0000"},
	}
	found := 0
	for _, r := range got.Rules {
		if w, ok := want[r["merchant_id"].(float64)]; ok {
			found++
			if !reflect.DeepEqual(r, w) {
				t.Errorf("rule %v:\n got %v\nwant %v", r["merchant_id"], r, w)
			}
		}
	}
	if found != 2 {
		t.Errorf("listed %d of the 2 rules put: %s", found, a.body)
	}
}
