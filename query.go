package rebate

import (
	"io"
	"time"
)

// OrderCursor is where a page of a user's orders ends: the next page starts
// after it (newest placed_at first, order_id descending on ties).
type OrderCursor struct {
	PlacedAt time.Time
	OrderID  string
}

// FirstPage starts before every order.
var FirstPage = OrderCursor{PlacedAt: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}

// NamedQuery is a read-only query analysts run by name, with typed
// parameters: a file of queries/ (built in, read-only), or an endpoint a
// publisher put at run time.
type NamedQuery struct {
	Name        string
	Description string
	Params      []QueryParam
	Published   bool          // put at run time (PUT /v1/queries/{name}), not a file of queries/
	Version     uint32        // a published query's version, from 1
	CacheTTL    time.Duration // answers are kept this long; 0: never
	SQL         string        // a published query's statement
	Author      string        // the key that published this version
	At          time.Time     // when this version was published
	Deleted     bool          // this version ended the endpoint (in a history)
}

// QueryParam is a query's parameter: its name and ClickHouse type and, for
// a published query, what its publisher declared of it. Bounds and values
// are text in the type's form ("10", "2026-01-01", "24h").
type QueryParam struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Description string   `json:"description,omitempty"`
	Default     *string  `json:"default,omitempty"` // taken when the parameter is not given; nil: required
	Allowed     []string `json:"allowed,omitempty"` // the only values it may take; none: any of its type
	Min         *string  `json:"min,omitempty"`     // least value (numbers, dates, times)
	Max         *string  `json:"max,omitempty"`     // greatest value
}

// QueryLimits bound what an analyst's query may do, whatever it asks. The
// engine enforces them (ClickHouse's own settings); a query past one fails
// with ELIMIT naming the setting, except rows of a named query, which are
// cut (Truncated) at MaxRows.
type QueryLimits struct {
	Timeout      time.Duration // max_execution_time, whole seconds, at least 1
	MaxRows      int           // max_result_rows
	MaxBytesRead int64         // max_bytes_to_read; 0: none
	MaxMemory    int64         // max_memory_usage; 0: the server's
	// Overflow is what ad-hoc SQL does past MaxRows: "throw" (an error) or
	// "break" (the rows so far, at a block's end, so a few more may come).
	Overflow string
}

// QueryResult is a query's answer: decimals (to their type's scale) and
// times as text, numbers as numbers, NULL as nil.
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

// SQLRequest is an analyst's ad-hoc statement: its text, its {name:Type}
// parameters' values as text, the format of the answer and the limits of
// the analyst's role.
type SQLRequest struct {
	SQL    string
	Args   map[string]string
	Format string // JSON, JSONEachRow, CSV, TSVWithNames or Parquet
	Limits QueryLimits
}

// SQLFormats are the formats ad-hoc SQL answers in, with their media types.
var SQLFormats = map[string]string{
	"JSON":         "application/json; charset=utf-8",
	"JSONEachRow":  "application/x-ndjson; charset=utf-8",
	"CSV":          "text/csv; charset=utf-8",
	"TSVWithNames": "text/tab-separated-values; charset=utf-8",
	"Parquet":      "application/vnd.apache.parquet",
}

// SQLAnswer is an ad-hoc statement's answer as the engine encoded it, read
// as it arrives: the caller must Close Body.
type SQLAnswer struct {
	Body io.ReadCloser
	// Summary is the engine's account of the query (ClickHouse's
	// X-ClickHouse-Summary: read_rows, read_bytes, result_rows, elapsed_ns).
	Summary string
	// AsOf is when the query started: it reads the data stored by then
	// (ClickHouse reads a snapshot of the parts that exist when it starts).
	AsOf time.Time
}

// Schema is the service's database as analysts read it: every table and
// view, its columns, and what they mean (from their comments).
type Schema struct {
	Database string        `json:"database"`
	Tables   []SchemaTable `json:"tables"`
}

// SchemaTable is a table or a view of the schema.
type SchemaTable struct {
	Name    string `json:"name"`
	Engine  string `json:"engine"`
	Comment string `json:"comment"`
	// Read says how to count its rows exactly: "FINAL" (a Replacing engine
	// folds duplicates only when parts merge), "-Merge" (aggregate states),
	// "" (read as stored).
	Read    string         `json:"read"`
	Target  string         `json:"target,omitempty"`  // a materialized view: the table it writes
	Sources []string       `json:"sources,omitempty"` // a materialized view: the tables whose inserts it reads
	Columns []SchemaColumn `json:"columns"`
}

// SchemaColumn is a column and its meaning.
type SchemaColumn struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Comment string `json:"comment"`
}
