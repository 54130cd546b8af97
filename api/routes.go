package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// route is one endpoint: how it is served and how OpenAPI describes it.
type route struct {
	method, path string
	roles        []Role // nil: public, no key needed
	handler      echo.HandlerFunc
	op           op
}

type op struct {
	id, summary, tag string
	params           []param
	body             schema // request body, nil for none
	status           int    // success status
	resp             schema
	fresh            bool // answers carry X-Data-As-Of
	anyParams        bool // the query parameters are not the route's (a named query's own)
	// paramPrefix: query parameters starting with it are the statement's
	// own (POST /v1/sql's param_<name>), checked against its placeholders.
	paramPrefix string
	bodyType    string // the request body's media type, when not JSON
	stream      bool   // server-sent events (resp describes each event): no deadline, no compression
}

type param struct {
	name, in, desc string
	schema         schema
	required       bool
}

type schema = map[string]any

func (s *Server) routes() []route {
	app := []Role{RoleApp, RoleAnalyst, RolePublisher}
	analyst := []Role{RoleAnalyst, RolePublisher}
	publisher := []Role{RolePublisher}
	admin := []Role{RoleAdmin}
	queryName := param{"name", "path", "the query's name", nameSchema, true}
	userID := param{"user_id", "path", "a user id (an integer >= 1)", idSchema, true}
	window := param{"window", "query", "1h, 24h, 7d, 30d or all; ends now (default 24h)", windowSchema, false}
	return []route{
		{http.MethodGet, "/v1/users/:user_id/balance", app, s.getBalance, op{id: "getBalance", tag: "users",
			summary: "A user's pending, confirmed, withdrawn, frozen and available money, orders by state, referral earnings by state and tier; zeros for a user with no events",
			params:  []param{userID}, status: 200, resp: ref("Balance"), fresh: true}},
		{http.MethodGet, "/v1/users/:user_id/balance/stream", app, s.streamBalance, op{id: "streamBalance", tag: "users",
			summary: "The live wallet: server-sent events, a balance event (the Balance of getBalance) at once and at each change, " +
				"keep-alive comments, an end event when the server shuts down; at most REBATE_API_STREAMS_PER_KEY open per key (429 past it)",
			params: []param{userID}, status: 200, resp: ref("Balance"), fresh: true, stream: true}},
		{http.MethodGet, "/v1/users/:user_id/referrals", app, s.listReferrals, op{id: "listUserReferrals", tag: "users",
			summary: "The users this user invited, by user id, a page at a time: when each joined, their orders within the referral window by state, and what those earned this user by state",
			params: []param{userID, {"limit", "query", "invitees per page, 1..100 (default 20)", intSchema(1, 100), false},
				{"cursor", "query", "next_cursor of the previous page", schema{"type": "string"}, false}},
			status: 200, resp: ref("Referrals"), fresh: true}},
		{http.MethodGet, "/v1/users/:user_id/orders", app, s.listOrders, op{id: "listUserOrders", tag: "users",
			summary: "A user's orders, newest placed_at first, a page at a time",
			params: []param{userID, {"limit", "query", "orders per page, 1..100 (default 20)", intSchema(1, 100), false},
				{"cursor", "query", "next_cursor of the previous page", schema{"type": "string"}, false}},
			status: 200, resp: ref("Orders"), fresh: true}},
		{http.MethodGet, "/v1/users/:user_id/rank", app, s.getRank, op{id: "getUserRank", tag: "users",
			summary: "A user's rank in a window's leaderboard and their neighbours; rank is null when not ranked",
			params:  []param{userID, window, {"neighbors", "query", "users each side, 0..50 (default 5)", intSchema(0, 50), false}},
			status:  200, resp: ref("Rank"), fresh: true}},
		{http.MethodGet, "/v1/leaderboard", app, s.getLeaderboard, op{id: "getLeaderboard", tag: "leaderboard",
			summary: "Users ranked by the rebates of their paid or settled orders placed in the window; ties by user id",
			params:  []param{window, {"limit", "query", "entries, 1..1000 (default 10)", intSchema(1, 1000), false}},
			status:  200, resp: ref("Leaderboard"), fresh: true}},
		{http.MethodGet, "/v1/merchants/:merchant_id/stats", app, s.getMerchantStats, op{id: "getMerchantStats", tag: "merchants",
			summary: "A merchant's clicks, non-void orders, GMV, commission, rebate and conversion over a window",
			params:  []param{{"merchant_id", "path", "a merchant id (an integer >= 1)", idSchema, true}, window},
			status:  200, resp: ref("MerchantStats"), fresh: true}},
		{http.MethodGet, "/v1/products/:product_id", app, s.getProduct, op{id: "getProduct", tag: "products",
			summary: "A product's latest price, stock and commission rate; 404 if never updated",
			params:  []param{{"product_id", "path", "a product id (an integer >= 1)", idSchema, true}},
			status:  200, resp: ref("Product"), fresh: true}},
		{http.MethodGet, "/v1/stats/minutely", app, s.listMinutely, op{id: "listMinutely", tag: "stats",
			summary: "Per-minute clicks, orders, GMV, commission and rebate for the last N whole minutes, oldest first",
			params:  []param{{"minutes", "query", "1..1440 (default 60)", intSchema(1, 1440), false}},
			status:  200, resp: schema{"type": "array", "items": ref("Minute")}, fresh: true}},
		{http.MethodGet, "/v1/rules", analyst, s.listRules, op{id: "listRules", tag: "rules",
			summary: "Every rebate rule: merchant (0 is the default), tier, share, effective_from and effective_to, cap and referral share",
			status:  200, resp: obj(schema{"rules": schema{"type": "array", "items": ref("Rule")}}, "rules")}},
		{http.MethodPut, "/v1/rules/:merchant_id", admin, s.putRule, op{id: "putRule", tag: "rules",
			summary: "Store a merchant's rule (0: the default), for one tier or every tier, standing or a promotion (with effective_to), with an optional cap per order and a referral share; 409 when effective_from is in the past",
			params:  []param{{"merchant_id", "path", "a merchant id, 0 for the default rule", schema{"type": "integer", "minimum": 0}, true}},
			body: obj(schema{"share": rateSchema, "effective_from": tsSchema, "tier": tierSchema,
				"effective_to":   nullable(tsSchema, "exclusive end: a promotion; absent or null for a standing rule"),
				"cap":            nullable(moneySchema, "the largest rebate of one order; absent or null for none"),
				"referral_share": rateSchema}, "share", "effective_from"),
			status: 200, resp: ref("Rule")}},
		{http.MethodGet, "/v1/queries", analyst, s.listQueries, op{id: "listQueries", tag: "queries",
			summary: "The named queries: the files of queries/ and the endpoints published at run time, with their typed parameters",
			status:  200, resp: obj(schema{"queries": schema{"type": "array", "items": ref("QueryInfo")}}, "queries")}},
		{http.MethodGet, "/v1/queries/:name", analyst, s.runQuery, op{id: "runQuery", tag: "queries",
			summary: "Run a named query, read-only with a time limit and a row cap; parameters are the URL's query parameters (Accept: text/csv for CSV). Each published query has its own path below",
			params:  []param{queryName},
			status:  200, resp: ref("QueryResult"), anyParams: true}},
		{http.MethodPut, "/v1/queries/:name", publisher, s.publishQuery, op{id: "publishQuery", tag: "queries",
			summary: "Publish a SELECT as an endpoint (its next version), once planned against the schema and the readers' fence; 409 for a name of queries/",
			params:  []param{queryName}, body: ref("Publish"), status: 200, resp: ref("QueryInfo")}},
		{http.MethodDelete, "/v1/queries/:name", publisher, s.unpublishQuery, op{id: "unpublishQuery", tag: "queries",
			summary: "End a published endpoint (a version that deletes it: the history stays); 409 for a name of queries/",
			params:  []param{queryName}, status: 204}},
		{http.MethodGet, "/v1/queries/:name/versions", analyst, s.queryVersions, op{id: "queryVersions", tag: "queries",
			summary: "Every version of a published endpoint, oldest first, deletions included",
			params:  []param{queryName}, status: 200,
			resp: obj(schema{"name": schema{"type": "string"}, "versions": schema{"type": "array", "items": ref("QueryInfo")}}, "name", "versions")}},
		{http.MethodPost, "/v1/sql", analyst, s.runSQL, op{id: "runSQL", tag: "queries",
			summary: "Run one read-only statement (the body) over the service's database with the role's limits; the answer streams in ?format=; " +
				"X-Data-As-Of is when it started, X-Read-Rows, X-Read-Bytes and X-Elapsed-Ms what it cost",
			params: []param{{"format", "query", "JSON (default), JSONEachRow, CSV, TSVWithNames or Parquet", sqlFormatSchema, false},
				{"param_<name>", "query", "the value of the statement's {name:Type} placeholder", schema{"type": "string"}, false}},
			body: schema{"type": "string", "example": "SELECT type, uniqExact(event_id) AS events FROM events GROUP BY type"}, bodyType: "text/plain",
			status: 200, resp: schema{"type": "string"}, fresh: true, paramPrefix: sqlParamPrefix}},
		{http.MethodGet, "/v1/schema", analyst, s.getSchema, op{id: "getSchema", tag: "queries",
			summary: "Every table and view of the service's database, its columns and types, what they mean, and how to read them exactly (FINAL)",
			status:  200, resp: ref("Schema")}},
		{http.MethodPost, "/v1/events", []Role{RoleApp}, s.postEvents, op{id: "postEvents", tag: "events",
			summary: "Collect events (a JSON array or NDJSON): valid ones go to Kafka; 202 when all were accepted, 422 listing the rejected",
			body:    schema{"type": "array", "items": schema{"type": "object"}},
			status:  202, resp: ref("Collected")}},
		{http.MethodGet, "/v1/admin/dead-letters", admin, s.listDeadLetters, op{id: "listDeadLetters", tag: "admin",
			summary: "Records the ingester refused, oldest first, with the reason, the source record's position and, when cut to fit, the original's size and sha256",
			params: []param{{"reason", "query", "the field at fault (exactly), or any part of the reason", schema{"type": "string", "maxLength": maxReasonFilter}, false},
				{"since", "query", "dead-lettered since: RFC 3339, a date (2026-11-28) or a duration ago (24h, 7d)", schema{"type": "string"}, false},
				{"limit", "query", "at most, 1..1000 (default 100)", intSchema(1, 1000), false}},
			status: 200, resp: obj(schema{"dead_letters": schema{"type": "array", "items": ref("DeadLetter")}}, "dead_letters")}},
		{http.MethodPost, "/v1/admin/dead-letters/replay", admin, s.replayDeadLetters, op{id: "replayDeadLetters", tag: "admin",
			summary: "Produce the selected dead letters back to the events topic after a fix (a cut one is skipped); replaying twice counts nothing twice",
			body:    obj(schema{"reason": schema{"type": "string"}, "since": schema{"type": "string"}, "dry_run": schema{"type": "boolean"}}),
			status:  200, resp: ref("Replay")}},
		{http.MethodGet, "/healthz", nil, s.healthz, op{id: "healthz", tag: "operations", summary: "The process is up",
			status: 200, resp: obj(schema{"status": schema{"type": "string"}}, "status")}},
		{http.MethodGet, "/readyz", nil, s.readyz, op{id: "readyz", tag: "operations", summary: "ClickHouse and Kafka answer (503 otherwise)",
			status: 200, resp: ref("Ready")}},
		{http.MethodGet, "/openapi.json", nil, s.openapi, op{id: "openapi", tag: "operations", summary: "This document",
			status: 200, resp: schema{"type": "object"}}},
		{http.MethodGet, "/v1/risk/signals", analyst, s.listSignals, op{id: "listSignals", tag: "risk",
			summary: "Raised fraud signals with their evidence, newest at first, a page at a time; a signal that no longer holds is not listed",
			params: []param{{"signal", "query", "one kind: no_click, cancel_rate, velocity or invite_farm (default: every kind)", signalKindSchema, false},
				sinceParam, {"limit", "query", "signals per page, 1..1000 (default 100)", intSchema(1, 1000), false},
				{"cursor", "query", "next_cursor of the previous page", schema{"type": "string"}, false}},
			status: 200, resp: signalsSchema}},
		{http.MethodGet, "/v1/risk/signals/counts", analyst, s.countSignals, op{id: "countSignals", tag: "risk",
			summary: "How many fraud signals of each kind are raised",
			params:  []param{sinceParam}, status: 200, resp: signalCountsSchema}},
		{http.MethodGet, "/v1/stats/referrals", app, s.getReferralTotals, op{id: "getReferralTotals", tag: "stats",
			summary: "What invitees' orders placed since a time earn their inviters, platform-wide, by state (pending, confirmed, void)",
			params:  []param{{"since", "query", "orders placed at or after this RFC 3339 time (default: all)", tsSchema, false}},
			status:  200, resp: referralTotalsSchema, fresh: true}},
	}
}
