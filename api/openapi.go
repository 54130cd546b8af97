package api

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

var (
	idSchema     = schema{"type": "integer", "minimum": 1}
	moneySchema  = schema{"type": "string", "pattern": `^-?[0-9]+\.[0-9]{2}$`, "example": "12.30"}
	rateSchema   = schema{"type": "string", "pattern": `^[01]\.[0-9]{4}$`, "example": "0.3500"}
	tsSchema     = schema{"type": "string", "format": "date-time"}
	asOfSchema   = schema{"type": "string", "format": "date-time", "nullable": true, "description": "newest event time the answer includes"}
	windowSchema = schema{"type": "string", "enum": []string{"1h", "24h", "7d", "30d", "all"}, "default": "24h"}
	countSchema  = schema{"type": "integer", "minimum": 0}
)

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
			"frozen": moneySchema, "available": moneySchema, "as_of": asOfSchema,
			"orders": obj(schema{"paid": countSchema, "settled": countSchema, "void": countSchema}, "paid", "settled", "void")},
			"user_id", "pending", "confirmed", "withdrawn", "frozen", "available", "orders", "as_of"),
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
		"Rule": obj(schema{"merchant_id": countSchema, "share": rateSchema, "effective_from": tsSchema}, "merchant_id", "share", "effective_from"),
		"QueryInfo": obj(schema{"name": schema{"type": "string"}, "description": schema{"type": "string"},
			"params": schema{"type": "array", "items": obj(schema{"name": schema{"type": "string"}, "type": schema{"type": "string"}}, "name", "type")}},
			"name", "description", "params"),
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

// Spec is the OpenAPI 3 document of every route.
func (s *Server) Spec() schema {
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
	return schema{
		"openapi": "3.0.3",
		"info": schema{"title": "rebate API", "version": "1",
			"description": "Balances and leaderboards for the app, named SQL for analysts, event collection. Money is a decimal string, times are RFC 3339 UTC, and every data answer carries as_of and X-Data-As-Of: the newest event time it includes."},
		"paths":      paths,
		"components": schema{"schemas": components(), "securitySchemes": schema{"bearer": schema{"type": "http", "scheme": "bearer"}}},
	}
}

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
		o["requestBody"] = schema{"required": true, "content": schema{"application/json": schema{"schema": r.op.body}}}
	}
	ok := schema{"description": "success", "content": schema{"application/json": schema{"schema": r.op.resp}}}
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
	case "getProduct", "runQuery":
		responses["404"] = errResp("not found")
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

func (s *Server) openapi(c echo.Context) error { return c.JSON(http.StatusOK, s.Spec()) }
