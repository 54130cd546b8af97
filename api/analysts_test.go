package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
)

var analystKeys = "bi:analyst:analyst-secret-0123456789,pub:publisher:publisher-secret-0123456789," +
	"ops:admin:admin-secret-0123456789,mobile:app:app-secret-0123456789"

func bearer(k string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + k, "Content-Type": "text/plain"}
}

const (
	analystKey   = "analyst-secret-0123456789"
	publisherKey = "publisher-secret-0123456789"
	adminKey     = "admin-secret-0123456789"
	appKey       = "app-secret-0123456789"
)

func keyed(t *testing.T, cfg api.Config) api.Config {
	t.Helper()
	keys, err := api.ParseKeys(analystKeys)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Keys, cfg.RatePerKey, cfg.Burst = keys, 1e6, 1e6
	return cfg
}

// TestSQLEndpoint: POST /v1/sql streams an analyst's read in the format
// asked for, money with 2 decimals, with as_of and what it cost in headers;
// refusals are 403, the engine's errors 400 with its code, limits 422
// naming the limit, each role with its own limits.
func TestSQLEndpoint(t *testing.T) {
	cfg := keyed(t, api.Config{})
	cfg.SQLMaxRows = api.PerRole[int]{All: 3, By: map[api.Role]int{api.RoleAdmin: 1000}}
	e := newEnv(t, cfg, nil)
	e.insert(t, goldenData(e.now)...)
	sql := "SELECT user_id, sum(commission) AS commission FROM events FINAL WHERE type = 'order_settled' AND user_id <= {max:UInt64} " +
		"GROUP BY user_id ORDER BY user_id"
	a := e.do(t, "POST", "/v1/sql?format=CSV&param_max=2", sql, bearer(analystKey))
	if a.status != 200 || string(a.body) != "1,20.00\n2,30.00\n" || !strings.HasPrefix(a.header.Get("Content-Type"), "text/csv") {
		t.Errorf("CSV: %d %q %v", a.status, a.body, a.header)
	}
	if _, err := time.Parse(time.RFC3339, a.header.Get("X-Data-As-Of")); err != nil || a.header.Get("X-Read-Bytes") == "" ||
		a.header.Get("X-Read-Rows") == "" || a.header.Get("X-Elapsed-Ms") == "" || a.header.Get("X-ClickHouse-Summary") == "" {
		t.Errorf("headers: %v", a.header)
	}
	a = e.do(t, "POST", "/v1/sql?param_max=2", sql, bearer(analystKey))
	var doc struct {
		Data []map[string]any `json:"data"`
		Rows int              `json:"rows"`
	}
	if err := json.Unmarshal(a.body, &doc); err != nil || a.status != 200 || doc.Rows != 2 || doc.Data[1]["commission"] != "30.00" {
		t.Errorf("JSON: %d %s", a.status, a.body)
	}
	for format, ctype := range map[string]string{"JSONEachRow": "application/x-ndjson", "TSVWithNames": "text/tab-separated-values",
		"Parquet": "application/vnd.apache.parquet"} {
		if a := e.do(t, "POST", "/v1/sql?format="+format, "SELECT 1 AS one", bearer(analystKey)); a.status != 200 ||
			!strings.HasPrefix(a.header.Get("Content-Type"), ctype) || len(a.body) == 0 {
			t.Errorf("%s: %d %v", format, a.status, a.header)
		}
	}
	for _, c := range []struct {
		key, path, sql string
		status         int
		code, field    string
	}{
		{analystKey, "/v1/sql", "DROP TABLE events", 403, "forbidden", "sql"},
		{analystKey, "/v1/sql", "INSERT INTO rebate_rules SELECT 1, now64(3), 1, now64(3)", 403, "forbidden", "sql"},
		{analystKey, "/v1/sql", "SELECT * FROM system.users", 403, "forbidden", "sql"},
		{analystKey, "/v1/sql", "SELECT * FROM url('http://127.0.0.1:1/x', 'CSV', 'a String')", 403, "forbidden", "sql"},
		{analystKey, "/v1/sql", "SELECT 1 SETTINGS max_result_rows = 100000", 403, "forbidden", "sql"},
		{analystKey, "/v1/sql", "SELECT nope FROM events", 400, "invalid", "sql"},
		{analystKey, "/v1/sql", "SELEC 1", 400, "invalid", "sql"},
		{analystKey, "/v1/sql", "", 400, "invalid", "sql"},
		{analystKey, "/v1/sql?param_max=x", sql, 400, "invalid", "param_max"},
		{analystKey, "/v1/sql", sql, 400, "invalid", "param_max"},
		{analystKey, "/v1/sql?format=XML", "SELECT 1", 400, "invalid", "format"},
		{analystKey, "/v1/sql?limit=1", "SELECT 1", 400, "invalid", "limit"},
		{analystKey, "/v1/sql", "SELECT number FROM numbers(10)", 422, "limit", "max_result_rows"},
		{analystKey, "/v1/sql", strings.Repeat("-- padding\n", 7000) + "SELECT 1", 413, "too_large", "sql"},
		{appKey, "/v1/sql", "SELECT 1", 403, "forbidden", ""},
		{adminKey, "/v1/sql", "SELECT number FROM numbers(10)", 200, "", ""},
	} {
		a := e.do(t, "POST", c.path, c.sql, bearer(c.key))
		if a.status != c.status {
			t.Errorf("%s %.60q: %d, want %d: %s", c.path, c.sql, a.status, c.status, a.body)
			continue
		}
		if c.status == 200 {
			continue
		}
		if code, field := a.errorOf(t); code != c.code || field != c.field {
			t.Errorf("%s %.60q: %s %q, want %s %q: %s", c.path, c.sql, code, field, c.code, c.field, a.body)
		}
	}
	// The engine's own error keeps its code.
	a = e.do(t, "POST", "/v1/sql", "SELECT nope FROM events", bearer(analystKey))
	var body api.ErrorBody
	_ = json.Unmarshal(a.body, &body)
	if body.Error.Upstream == nil || body.Error.Upstream.Code != 47 || body.Error.Upstream.Name != "UNKNOWN_IDENTIFIER" {
		t.Errorf("upstream: %s", a.body)
	}
}

// TestPublishedEndpoints: a publisher publishes a query; it appears in
// /v1/queries and /openapi.json, another API process over the same
// database serves it, its answers are kept for its cache TTL, and a query
// that does not plan is refused when published.
func TestPublishedEndpoints(t *testing.T) {
	a := newEnv(t, keyed(t, api.Config{}), nil)
	b := newEnvOn(t, a.chcfg, keyed(t, api.Config{}), nil) // a second API replica
	b.st.PublishedRefresh = 0
	a.insert(t, goldenData(a.now)...)
	body := `{"sql": "SELECT user_id, count() AS orders FROM events FINAL WHERE toUInt8(type) IN {types:Array(UInt8)} GROUP BY user_id", "params": []}`
	if r := a.do(t, "PUT", "/v1/queries/orders_by_types", body, bearer(publisherKey)); r.status != 400 {
		t.Errorf("an Array parameter: %d %s", r.status, r.body)
	}
	body = `{"sql": "SELECT user_id, count() AS orders, sum(commission) AS commission FROM events FINAL WHERE type = {type:String} AND user_id <= {max_user:UInt64} GROUP BY user_id ORDER BY user_id",
		"description": "Order events and their commission per user, of one type",
		"params": [{"name": "type", "type": "String", "description": "the events' type", "allowed": ["order_paid", "order_settled", "order_cancelled"], "default": "order_paid"},
			{"name": "max_user", "type": "UInt64", "description": "users up to this id", "min": "1", "default": "1000"}],
		"cache_ttl_seconds": 60}`
	for key, status := range map[string]int{analystKey: 403, appKey: 403} {
		if r := a.do(t, "PUT", "/v1/queries/rebate_by_user", body, bearer(key)); r.status != status {
			t.Errorf("PUT with %s: %d, want %d", key, r.status, status)
		}
	}
	// Ending an endpoint and reading its history are roles' rights too.
	if r := a.do(t, "DELETE", "/v1/queries/rebate_by_user", "", bearer(analystKey)); r.status != 403 {
		t.Errorf("DELETE by an analyst: %d", r.status)
	}
	if r := a.do(t, "GET", "/v1/queries/rebate_by_user/versions", "", bearer(appKey)); r.status != 403 {
		t.Errorf("versions for the app: %d", r.status)
	}
	r := a.do(t, "PUT", "/v1/queries/rebate_by_user", body, bearer(publisherKey))
	if r.status != 200 || r.json(t)["version"] != 1.0 || r.json(t)["author"] != "pub" {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	// Listed, documented, served by the other replica.
	if r := b.do(t, "GET", "/v1/queries", "", bearer(analystKey)); !strings.Contains(string(r.body), `"name":"rebate_by_user"`) {
		t.Errorf("not listed: %s", r.body)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b.get(t, "/openapi.json").body)
	if err == nil {
		err = doc.Validate(context.Background())
	}
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	if op := doc.Paths.Find("/v1/queries/rebate_by_user"); op == nil || op.Get == nil ||
		len(op.Get.Parameters.GetByInAndName("query", "type").Schema.Value.Enum) != 3 {
		t.Errorf("not documented: %+v", op)
	}
	r = b.do(t, "GET", "/v1/queries/rebate_by_user?type=order_settled", "", bearer(analystKey))
	if r.status != 200 || !strings.Contains(string(r.body), `[[1,1,"20.00"],[2,1,"30.00"]]`) || r.header.Get("X-Cache") != "miss" {
		t.Errorf("served by the other replica: %d %s %v", r.status, r.body, r.header)
	}
	for q, field := range map[string]string{"type=click": "type", "max_user=x": "max_user", "max_user=0": "max_user", "other=1": "other",
		"type=order_paid&type=order_settled": "type"} {
		if r := b.do(t, "GET", "/v1/queries/rebate_by_user?"+q, "", bearer(analystKey)); r.status != 400 {
			t.Errorf("%s: %d", q, r.status)
		} else if _, f := r.errorOf(t); f != field {
			t.Errorf("%s: field %q", q, f)
		}
	}
	// Within its TTL the answer is the cached one, though the data changed.
	b.insert(t, rebate.Event{ID: "late", Type: rebate.OrderSettled, TS: b.now, OrderID: "o9", UserID: 1, MerchantID: 7, ProductID: 9,
		Amount: 100, Commission: 1000, PlacedAt: b.now})
	r = b.do(t, "GET", "/v1/queries/rebate_by_user?type=order_settled", "", bearer(analystKey))
	if r.header.Get("X-Cache") != "hit" || !strings.Contains(string(r.body), `[[1,1,"20.00"],[2,1,"30.00"]]`) {
		t.Errorf("cached: %v %s", r.header, r.body)
	}
	// A query that does not plan is refused when published; built-in names are read-only.
	if r := a.do(t, "PUT", "/v1/queries/broken", `{"sql": "SELECT no_such_column FROM events"}`, bearer(publisherKey)); r.status != 400 ||
		!strings.Contains(string(r.body), "no_such_column") {
		t.Errorf("unknown column: %d %s", r.status, r.body)
	}
	if r := a.do(t, "PUT", "/v1/queries/get_balance", `{"sql": "SELECT 1"}`, bearer(adminKey)); r.status != 409 {
		t.Errorf("a built-in name: %d %s", r.status, r.body)
	}
	// Version 2, the history, and the end.
	if r := a.do(t, "PUT", "/v1/queries/rebate_by_user", `{"sql": "SELECT 2 AS two"}`, bearer(publisherKey)); r.status != 200 || r.json(t)["version"] != 2.0 {
		t.Errorf("version 2: %d %s", r.status, r.body)
	}
	if r := a.do(t, "DELETE", "/v1/queries/rebate_by_user", "", bearer(publisherKey)); r.status != 204 {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	if r := b.do(t, "GET", "/v1/queries/rebate_by_user", "", bearer(analystKey)); r.status != 404 {
		t.Errorf("after delete: %d %s", r.status, r.body)
	}
	r = b.do(t, "GET", "/v1/queries/rebate_by_user/versions", "", bearer(analystKey))
	var hist struct {
		Versions []api.QueryInfoJSON `json:"versions"`
	}
	_ = json.Unmarshal(r.body, &hist)
	if r.status != 200 || len(hist.Versions) != 3 || !hist.Versions[2].Deleted || hist.Versions[0].Params[0].Default == nil {
		t.Errorf("history: %d %s", r.status, r.body)
	}
}

// TestParameterErrorsOnEveryRoute: every parameter of every route in the
// OpenAPI document (the route table's), and of every named query, refuses
// a value its schema or type refuses with a 400 naming it, as it does an
// unknown parameter and a repeated one.
func TestParameterErrorsOnEveryRoute(t *testing.T) {
	e := newEnv(t, api.Config{RatePerKey: 1e6, Burst: 1e6}, nil)
	doc, err := openapi3.NewLoader().LoadFromData(e.get(t, "/openapi.json").body)
	if err != nil {
		t.Fatal(err)
	}
	valid := map[string]string{"user_id": "1", "merchant_id": "1", "product_id": "1", "name": "get_balance"}
	checked := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			base := path
			for name, v := range valid {
				base = strings.ReplaceAll(base, "{"+name+"}", v)
			}
			if strings.HasPrefix(path, "/v1/queries/") && !strings.Contains(path, "{") {
				continue // a named query's own path: below
			}
			try := func(p, wantField string) {
				t.Helper()
				a := e.do(t, method, p, "SELECT 1", map[string]string{"Content-Type": "text/plain"})
				if a.status != http.StatusBadRequest {
					t.Errorf("%s %s: %d, want 400: %s", method, p, a.status, a.body)
					return
				}
				if _, field := a.errorOf(t); field != wantField {
					t.Errorf("%s %s: field %q, want %q", method, p, field, wantField)
				}
				checked++
			}
			if path != "/v1/queries/{name}" { // a named query's parameters are its own: below
				try(base+"?bogus_param=1", "bogus_param")
			}
			for _, pr := range op.Parameters {
				p := pr.Value
				for _, bad := range badValues(p.Schema.Value) {
					if p.In == "path" {
						try(strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(bad)), p.Name)
						continue
					}
					if strings.Contains(p.Name, "<") {
						continue // param_<name>: the statement's, below
					}
					try(base+"?"+p.Name+"="+url.QueryEscape(bad), p.Name)
				}
				if p.In == "query" && !strings.Contains(p.Name, "<") {
					try(base+"?"+p.Name+"=1&"+p.Name+"=2", p.Name)
				}
			}
		}
	}
	// Every named query's parameters, each with a value its type refuses,
	// and each left out.
	qs, err := e.st.NamedQueries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		good := url.Values{}
		for _, p := range q.Params {
			good.Set(p.Name, goodValue(p.Type))
		}
		if a := e.get(t, "/v1/queries/"+q.Name+"?"+good.Encode()); a.status != 200 {
			t.Errorf("%s with %s: %d %s", q.Name, good.Encode(), a.status, a.body)
		}
		for _, p := range q.Params {
			for _, bad := range []string{"not a value", "\x00"} {
				if strings.HasPrefix(p.Type, "String") && bad == "not a value" {
					continue // every text is a String
				}
				v := url.Values{}
				for k := range good {
					v.Set(k, good.Get(k))
				}
				v.Set(p.Name, bad)
				if p.Type == "String" {
					v.Del(p.Name) // a String's only bad value: none
				}
				a := e.get(t, "/v1/queries/"+q.Name+"?"+v.Encode())
				if _, field := a.errorOf(t); a.status != 400 || field != p.Name {
					t.Errorf("%s %s=%q: %d field %q", q.Name, p.Name, bad, a.status, field)
				}
				checked++
			}
		}
		if a := e.get(t, "/v1/queries/"+q.Name+"?"+good.Encode()+"&bogus=1"); a.status != 400 {
			t.Errorf("%s with an unknown parameter: %d", q.Name, a.status)
		}
	}
	// The statement's own parameters.
	a := e.do(t, "POST", "/v1/sql?param_n=x", "SELECT {n:UInt8}", map[string]string{"Content-Type": "text/plain"})
	if _, field := a.errorOf(t); a.status != 400 || field != "param_n" {
		t.Errorf("param_n: %d %s", a.status, a.body)
	}
	if checked < 60 {
		t.Errorf("only %d parameter errors checked", checked)
	}
}

// badValues are values a parameter's schema refuses.
func badValues(s *openapi3.Schema) []string {
	var out []string
	switch {
	case s.Type.Is("integer"):
		out = append(out, "x", "1.5")
		if s.Min != nil {
			out = append(out, strconv.Itoa(int(*s.Min)-1))
		}
		if s.Max != nil {
			out = append(out, strconv.Itoa(int(*s.Max)+1))
		}
	case len(s.Enum) > 0:
		out = append(out, "no-such-value")
	case s.Pattern != "":
		out = append(out, "Not A-Match!")
	case s.MaxLength != nil:
		out = append(out, strings.Repeat("x", int(*s.MaxLength)+1)) // free text, bounded
	default:
		out = append(out, "!not-a-cursor!") // a free string: the handler reads it (the cursor)
	}
	return out
}

// goodValue is a value of a ClickHouse type that the named queries take.
func goodValue(typ string) string {
	switch {
	case strings.HasPrefix(typ, "DateTime"):
		return "2026-11-01T00:00:00Z"
	case strings.HasPrefix(typ, "Enum8"):
		return "24h"
	case strings.HasPrefix(typ, "String"):
		return "x"
	}
	return "1"
}

// TestSchemaEndpoint: GET /v1/schema lists the tables with what they mean,
// for analysts only.
func TestSchemaEndpoint(t *testing.T) {
	e := newEnv(t, keyed(t, api.Config{}), nil)
	a := e.do(t, "GET", "/v1/schema", "", bearer(analystKey))
	var sc rebate.Schema
	if err := json.Unmarshal(a.body, &sc); err != nil || a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	// The event log says how to read it and what its type numbers mean.
	found := false
	for _, tb := range sc.Tables {
		if tb.Name != "events" {
			continue
		}
		for _, c := range tb.Columns {
			if c.Name == "type" {
				found = tb.Read == "FINAL" && tb.Comment != "" && len(tb.Columns) > 5 && strings.Contains(c.Type, "'order_settled' = 3") &&
					strings.Contains(c.Comment, "order_settled")
			}
		}
	}
	if !found {
		t.Errorf("events missing or without meaning: %s", a.body)
	}
	if a := e.do(t, "GET", "/v1/schema", "", bearer(appKey)); a.status != 403 {
		t.Errorf("app: %d", a.status)
	}
}
