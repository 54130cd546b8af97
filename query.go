package rebate

import "time"

// OrderCursor is where a page of a user's orders ends: the next page starts
// after it (newest placed_at first, order_id descending on ties).
type OrderCursor struct {
	PlacedAt time.Time
	OrderID  string
}

// FirstPage starts before every order.
var FirstPage = OrderCursor{PlacedAt: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}

// NamedQuery is a read-only query analysts run by name, with typed parameters.
type NamedQuery struct {
	Name        string
	Description string
	Params      []QueryParam
}

// QueryParam is a query's parameter: its name and ClickHouse type.
type QueryParam struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// QueryLimits bound what an analyst's query may do, whatever it asks.
type QueryLimits struct {
	Timeout time.Duration // whole seconds, at least 1
	MaxRows int           // rows returned at most; more sets Truncated
}

// QueryResult is a query's answer: decimals and times as text, numbers as
// numbers, NULL as nil.
type QueryResult struct {
	Columns   []QueryColumn
	Rows      [][]any
	Truncated bool
}

// QueryColumn is a result column: its name and ClickHouse type.
type QueryColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}
