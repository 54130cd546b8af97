package api

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

var (
	idSchema     = schema{"type": "integer", "minimum": 1}
	moneySchema  = schema{"type": "string", "pattern": `^-?[0-9]+\.[0-9]{2}$`, "example": "12.30"}
	rateSchema   = schema{"type": "string", "pattern": `^[01]\.[0-9]{4}$`, "example": "0.3500"}
	tsSchema     = schema{"type": "string", "format": "date-time"}
	asOfSchema   = schema{"type": "string", "format": "date-time", "nullable": true, "description": "newest event time the answer includes"}
	windowSchema = schema{"type": "string", "enum": []string{"1h", "24h", "7d", "30d", "all"}, "default": "24h"}
	countSchema  = schema{"type": "integer", "minimum": 0}
	// nameSchema is a query's name: a file's verb_noun or a published name.
	nameSchema      = schema{"type": "string", "pattern": `^[a-z][a-z0-9_]{0,62}$`}
	sqlFormatSchema = schema{"type": "string", "enum": []string{"JSON", "JSONEachRow", "CSV", "TSVWithNames", "Parquet"}, "default": "JSON"}
	paramSchema     = obj(schema{"name": schema{"type": "string"}, "type": schema{"type": "string", "example": "UInt64"},
		"description": schema{"type": "string"}, "default": schema{"type": "string"},
		"allowed": schema{"type": "array", "items": schema{"type": "string"}}, "min": schema{"type": "string"}, "max": schema{"type": "string"}},
		"name", "type")
)

// tierSchema is a member tier, null for every tier.
var tierSchema = schema{"type": "integer", "minimum": 0, "maximum": 9, "nullable": true, "description": "a member tier; null: every tier"}

func nullable(s schema, desc string) schema {
	out := maps.Clone(s)
	out["nullable"], out["description"] = true, desc
	return out
}

func intSchema(lo, hi int) schema { return schema{"type": "integer", "minimum": lo, "maximum": hi} }

func ref(name string) schema { return schema{"$ref": "#/components/schemas/" + name} }

func obj(props schema, required ...string) schema {
	s := schema{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func components() schema {
	entry := obj(schema{"rank": countSchema, "user_id": idSchema, "rebate": moneySchema}, "rank", "user_id", "rebate")
	return schema{
		"Balance": obj(schema{"user_id": idSchema, "pending": moneySchema, "confirmed": moneySchema, "withdrawn": moneySchema,
			"frozen": moneySchema, "available": moneySchema, "as_of": asOfSchema, "orders": ref("Counts"),
			"referral": ref("Earnings"), "tier": intSchema(0, 9)},
			"user_id", "pending", "confirmed", "withdrawn", "frozen", "available", "orders", "referral", "tier", "as_of"),
		"Counts":   obj(schema{"paid": countSchema, "settled": countSchema, "void": countSchema}, "paid", "settled", "void"),
		"Earnings": obj(schema{"pending": moneySchema, "confirmed": moneySchema, "void": moneySchema}, "pending", "confirmed", "void"),
		"Referral": obj(schema{"invitee_id": idSchema, "joined_at": tsSchema, "orders": ref("Counts"), "earnings": ref("Earnings")},
			"invitee_id", "joined_at", "orders", "earnings"),
		"Referrals": obj(schema{"user_id": idSchema, "referrals": schema{"type": "array", "items": ref("Referral")},
			"next_cursor": schema{"type": "string", "nullable": true}, "as_of": asOfSchema}, "user_id", "referrals", "next_cursor", "as_of"),
		"Order": obj(schema{"order_id": schema{"type": "string"}, "state": schema{"type": "string", "enum": []string{"paid", "settled", "void"}},
			"amount": moneySchema, "commission": moneySchema, "rebate": moneySchema, "placed_at": tsSchema,
			"merchant_id": idSchema, "product_id": idSchema}, "order_id", "state", "amount", "commission", "rebate", "placed_at"),
		"Orders": obj(schema{"user_id": idSchema, "orders": schema{"type": "array", "items": ref("Order")},
			"next_cursor": schema{"type": "string", "nullable": true}, "as_of": asOfSchema}, "user_id", "orders", "next_cursor", "as_of"),
		"Entry":       entry,
		"Leaderboard": obj(schema{"window": windowSchema, "entries": schema{"type": "array", "items": ref("Entry")}, "as_of": asOfSchema}, "window", "entries", "as_of"),
		"Rank": obj(schema{"window": windowSchema, "user_id": idSchema, "rank": schema{"type": "integer", "nullable": true},
			"entries": schema{"type": "array", "items": ref("Entry")}, "as_of": asOfSchema}, "window", "user_id", "rank", "entries", "as_of"),
		"MerchantStats": obj(schema{"merchant_id": idSchema, "window": windowSchema, "clicks": countSchema, "orders": countSchema,
			"gmv": moneySchema, "commission": moneySchema, "rebate": moneySchema, "conversion": schema{"type": "number"}, "as_of": asOfSchema},
			"merchant_id", "window", "clicks", "orders", "gmv", "commission", "rebate", "conversion", "as_of"),
		"Minute": obj(schema{"minute": tsSchema, "clicks": countSchema, "orders": countSchema, "gmv": moneySchema,
			"commission": moneySchema, "rebate": moneySchema}, "minute", "clicks", "orders", "gmv", "commission", "rebate"),
		"Product": obj(schema{"product_id": idSchema, "merchant_id": idSchema, "price": moneySchema, "stock": countSchema,
			"commission_rate": rateSchema, "updated_at": tsSchema, "as_of": asOfSchema}, "product_id", "merchant_id", "price", "stock", "commission_rate", "updated_at"),
		"Rule": obj(schema{"merchant_id": countSchema, "tier": tierSchema, "share": rateSchema, "effective_from": tsSchema,
			"effective_to": nullable(tsSchema, "exclusive end of a promotion; null for a standing rule"),
			"cap":          nullable(moneySchema, "the largest rebate of one order; null for none"), "referral_share": rateSchema},
			"merchant_id", "tier", "share", "effective_from", "effective_to", "cap", "referral_share"),
		"QueryInfo": obj(schema{"name": schema{"type": "string"}, "description": schema{"type": "string"},
			"params": schema{"type": "array", "items": paramSchema}, "published": schema{"type": "boolean"},
			"version": countSchema, "sql": schema{"type": "string"}, "cache_ttl_seconds": schema{"type": "number"},
			"author": schema{"type": "string"}, "published_at": tsSchema, "deleted": schema{"type": "boolean"}},
			"name", "description", "params", "published"),
		"Publish": obj(schema{"sql": schema{"type": "string", "description": "one SELECT with {name:Type} placeholders"},
			"description": schema{"type": "string"}, "params": schema{"type": "array", "items": paramSchema},
			"cache_ttl_seconds": schema{"type": "number", "minimum": 0, "maximum": 3600}}, "sql"),
		"Schema": obj(schema{"database": schema{"type": "string"}, "tables": schema{"type": "array", "items": obj(schema{
			"name": schema{"type": "string"}, "engine": schema{"type": "string"}, "comment": schema{"type": "string"},
			"read":   schema{"type": "string", "description": "FINAL, -Merge or empty: how to count its rows exactly"},
			"target": schema{"type": "string"},
			"columns": schema{"type": "array", "items": obj(schema{"name": schema{"type": "string"}, "type": schema{"type": "string"},
				"comment": schema{"type": "string"}}, "name", "type", "comment")}}, "name", "engine", "comment", "read", "columns")}},
			"database", "tables"),
		"QueryResult": obj(schema{"name": schema{"type": "string"},
			"columns":   schema{"type": "array", "items": obj(schema{"name": schema{"type": "string"}, "type": schema{"type": "string"}}, "name", "type")},
			"rows":      schema{"type": "array", "items": schema{"type": "array", "items": schema{}}},
			"truncated": schema{"type": "boolean"}}, "name", "columns", "rows", "truncated"),
		"Collected": obj(schema{"accepted": countSchema, "rejected": schema{"type": "array", "items": obj(schema{
			"index": countSchema, "field": schema{"type": "string"}, "reason": schema{"type": "string"}}, "index", "reason")}}, "accepted", "rejected"),
		"DeadLetter": obj(schema{"partition": countSchema, "offset": countSchema, "time": tsSchema, "reason": schema{"type": "string"},
			"field": schema{"type": "string"}, "key": schema{"type": "string"}, "value": schema{"type": "string"}, "value_base64": schema{"type": "string"},
			"source":    obj(schema{"topic": schema{"type": "string"}, "partition": countSchema, "offset": countSchema}, "topic", "partition", "offset"),
			"truncated": schema{"type": "string"}, "original_size": countSchema, "original_sha256": schema{"type": "string"},
			"headers": schema{"type": "object", "additionalProperties": schema{"type": "string"}}},
			"partition", "offset", "time", "reason", "field", "source", "key", "headers"),
		"Replay": obj(schema{"dry_run": schema{"type": "boolean"}, "selected": countSchema, "replayed": countSchema,
			"skipped": schema{"type": "array", "items": obj(schema{"partition": countSchema, "offset": countSchema, "why": schema{"type": "string"}}, "partition", "offset", "why")}},
			"dry_run", "selected", "replayed", "skipped"),
		"Ready": obj(schema{"status": schema{"type": "string"}, "checks": schema{"type": "object", "additionalProperties": schema{"type": "string"}}}, "status", "checks"),
		"Error": obj(schema{"error": obj(schema{"code": schema{"type": "string"}, "message": schema{"type": "string"},
			"field": schema{"type": "string"}, "request_id": schema{"type": "string"}}, "code", "message")}, "error"),
	}
}

var pathParamRe = regexp.MustCompile(`:([a-z_]+)`)

// OpenAPIPath turns an Echo path into an OpenAPI one (:id becomes {id}).
func OpenAPIPath(p string) string { return pathParamRe.ReplaceAllString(p, "{$1}") }

// Spec is the OpenAPI 3 document of every route, and of every named query
// as it stands (published ones appear as they are published).
func (s *Server) Spec(ctx context.Context) schema {
	paths := schema{}
	for _, r := range s.routes() {
		p := OpenAPIPath(r.path)
		item, _ := paths[p].(schema)
		if item == nil {
			item = schema{}
			paths[p] = item
		}
		item[strings.ToLower(r.method)] = operation(r)
	}
	// The named queries' own paths need ClickHouse (published ones live
	// there); without it the document still describes every route.
	qctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	qs, err := s.store.NamedQueries(qctx)
	if err != nil {
		s.log.Warn("OpenAPI document without the named queries' paths", "err", err)
	}
	for _, q := range qs {
		paths["/v1/queries/"+q.Name] = schema{"get": queryOperation(q)}
	}
	return schema{
		"openapi": "3.0.3",
		"info": schema{"title": "rebate API", "version": "1",
			"description": "Balances and leaderboards for the app, SQL and published endpoints for analysts, event collection. Money is a decimal string, times are RFC 3339 UTC, and every data answer carries as_of and X-Data-As-Of: the newest event time it includes."},
		"paths":      paths,
		"components": schema{"schemas": components(), "securitySchemes": schema{"bearer": schema{"type": "http", "scheme": "bearer"}}},
	}
}

// queryOperation documents one named query as its own path: its parameters
// with their types, allowed values, bounds and defaults.
func queryOperation(q rebate.NamedQuery) schema {
	kind := "A query of queries/"
	if q.Published {
		kind = fmt.Sprintf("Published (version %d)", q.Version)
	}
	params := []schema{}
	for _, p := range q.Params {
		desc := p.Description
		if desc == "" {
			desc = p.Type
		}
		params = append(params, schema{"name": p.Name, "in": "query", "description": desc, "required": p.Default == nil,
			"schema": paramOpenAPI(p)})
	}
	return schema{"operationId": "query_" + q.Name, "summary": kind + ": " + q.Description, "tags": []string{"queries"},
		"parameters": params, "security": []schema{{"bearer": []string{}}},
		"x-clickhouse-published": q.Published,
		"responses": schema{
			"200": schema{"description": "success", "content": schema{"application/json": schema{"schema": ref("QueryResult")},
				"text/csv": schema{"schema": schema{"type": "string"}}}},
			"400": schema{"description": "a parameter breaks its type, allowed values or bounds; field names it",
				"content": schema{"application/json": schema{"schema": ref("Error")}}},
		}}
}

// paramOpenAPI is a parameter's schema from its ClickHouse type and what
// its publisher declared.
func paramOpenAPI(p rebate.QueryParam) schema {
	t := p.Type
	out := schema{"type": "string", "x-clickhouse-type": t}
	switch {
	case strings.HasPrefix(t, "UInt"), strings.HasPrefix(t, "Int"):
		out["type"] = "integer"
		if strings.HasPrefix(t, "UInt") {
			out["minimum"] = 0
		}
	case strings.HasPrefix(t, "Float"):
		out["type"] = "number"
	case strings.HasPrefix(t, "DateTime"):
		out["format"] = "date-time"
	case strings.HasPrefix(t, "Date"):
		out["format"] = "date"
	case strings.HasPrefix(t, "Enum"):
		var names []string
		for _, m := range enumNameRe.FindAllStringSubmatch(t, -1) {
			names = append(names, m[1])
		}
		out["enum"] = names
	}
	// Values in the schema's own type: numbers for numbers.
	typed := func(v string) any {
		if out["type"] != "string" {
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				return n
			}
		}
		return v
	}
	if len(p.Allowed) > 0 {
		var enum []any
		for _, v := range p.Allowed {
			enum = append(enum, typed(v))
		}
		out["enum"] = enum
	}
	for k, v := range map[string]*string{"minimum": p.Min, "maximum": p.Max} {
		if v == nil {
			continue
		}
		if out["type"] != "string" {
			out[k] = typed(*v)
		} else {
			out["x-"+k] = *v // a date's or a time's bound
		}
	}
	if p.Default != nil {
		out["default"] = typed(*p.Default)
	}
	return out
}

var enumNameRe = regexp.MustCompile(`'((?:[^'\\]|\\.)*)'\s*=`)

func operation(r route) schema {
	o := schema{"operationId": r.op.id, "summary": r.op.summary, "tags": []string{r.op.tag}}
	var params []schema
	for _, p := range r.op.params {
		params = append(params, schema{"name": p.name, "in": p.in, "description": p.desc, "required": p.required, "schema": p.schema})
	}
	if params != nil {
		o["parameters"] = params
	}
	if r.op.body != nil {
		media := r.op.bodyType
		if media == "" {
			media = "application/json"
		}
		o["requestBody"] = schema{"required": true, "content": schema{media: schema{"schema": r.op.body}}}
	}
	ok := schema{"description": "success", "content": schema{"application/json": schema{"schema": r.op.resp}}}
	if r.op.status == http.StatusNoContent {
		ok = schema{"description": "done"}
	}
	if r.op.id == "runSQL" {
		content := schema{}
		for _, media := range rebate.SQLFormats {
			content[strings.TrimSuffix(media, "; charset=utf-8")] = schema{"schema": schema{"type": "string"}}
		}
		ok["content"] = content
	}
	if r.op.stream {
		// OpenAPI 3.0 cannot type the events; the description says what each
		// carries and the schema is that of their data.
		ok = schema{"description": "text/event-stream: \"event: balance\" events whose data is a Balance, comment lines " +
			"to keep the connection open, and \"event: end\" when the server shuts down",
			"content": schema{"text/event-stream": schema{"schema": r.op.resp}}}
	}
	if r.op.fresh {
		ok["headers"] = schema{"X-Data-As-Of": schema{"description": "newest event time the answer includes",
			"schema": schema{"type": "string", "format": "date-time"}}}
	}
	errResp := func(desc string) schema {
		return schema{"description": desc, "content": schema{"application/json": schema{"schema": ref("Error")}}}
	}
	responses := schema{strconv.Itoa(r.op.status): ok, "500": errResp("internal error")}
	if r.roles != nil {
		o["security"] = []schema{{"bearer": []string{}}}
		responses["400"] = errResp("a bad id, window, limit, cursor, parameter or body; field names it")
		responses["401"] = errResp("no or unknown API key")
		responses["403"] = errResp("the key's role may not call this")
		responses["429"] = errResp("over the key's rate limit")
		responses["503"] = errResp("ClickHouse or Kafka unavailable, or a time limit hit")
	}
	switch r.op.id {
	case "getProduct", "runQuery", "queryVersions":
		responses["404"] = errResp("not found")
	case "publishQuery", "unpublishQuery":
		responses["404"] = errResp("not published")
		responses["409"] = errResp("a built-in query of queries/: read-only")
	case "runSQL":
		responses["403"] = errResp("the statement is refused: not a read, another database, a table function reaching files, processes or the network, or a SETTINGS clause")
		responses["413"] = errResp("a statement over 64 KiB")
		responses["422"] = errResp("a limit of the role was hit; field names it (max_result_rows, max_bytes_to_read, max_execution_time, max_memory_usage)")
	case "streamBalance":
		responses["403"] = errResp("the key's role may not call this, or a browser page of another site opened it")
		responses["429"] = errResp("over the key's rate limit, or as many streams open as the key may hold")
	case "putRule":
		responses["409"] = errResp("effective_from is in the past")
	case "postEvents":
		responses["413"] = errResp("over the size or count limit")
		responses["422"] = schema{"description": "some events were rejected; the valid ones were produced",
			"content": schema{"application/json": schema{"schema": ref("Collected")}}}
	case "readyz":
		responses["503"] = schema{"description": "a dependency does not answer", "content": schema{"application/json": schema{"schema": ref("Ready")}}}
	}
	o["responses"] = responses
	return o
}

func (s *Server) openapi(c echo.Context) error {
	return c.JSON(http.StatusOK, s.Spec(c.Request().Context()))
}
