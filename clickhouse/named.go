package clickhouse

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

	"github.com/rebatehq/rebate"
)

// NamedQueries lists the read-only queries analysts may run by name: the
// files of queries/, then the endpoints published at run time.
func (s *Store) NamedQueries(ctx context.Context) ([]rebate.NamedQuery, error) {
	var out []rebate.NamedQuery
	for _, q := range s.queries.All() {
		if q.ReadOnly && !q.Internal {
			out = append(out, q.named())
		}
	}
	pub, err := s.published(ctx)
	if err != nil {
		return nil, err
	}
	for _, q := range pub.list {
		out = append(out, q.named())
	}
	return out, nil
}

// NamedQuery is one of NamedQueries, by name.
func (s *Store) NamedQuery(ctx context.Context, name string) (rebate.NamedQuery, error) {
	q, err := s.runnable(ctx, name)
	if err != nil {
		return rebate.NamedQuery{}, err
	}
	return q.named(), nil
}

// runnable finds a query analysts may run: a file of queries/ first (their
// names cannot be published), then a published endpoint.
func (s *Store) runnable(ctx context.Context, name string) (*Query, error) {
	if q, ok := s.queries.Get(name); ok {
		if q.ReadOnly && !q.Internal {
			return q, nil
		}
	} else {
		pub, err := s.published(ctx)
		if err != nil {
			return nil, err
		}
		if q, ok := pub.byName[name]; ok {
			return q, nil
		}
	}
	return nil, rebate.Errorf(rebate.ENOTFOUND, "name", "no named query %q (GET /v1/queries lists them)", name)
}

// RunNamed runs a named query with its arguments as text, each checked in
// Go against its parameter's type, allowed values and bounds. The server
// binds them, with readonly=1, a time limit, a row cap and the limits on
// bytes read and memory, whatever the caller's rights.
func (s *Store) RunNamed(ctx context.Context, name string, args map[string]string, lim rebate.QueryLimits) (*rebate.QueryResult, error) {
	q, err := s.runnable(ctx, name)
	if err != nil {
		return nil, err
	}
	params, err := bindArgs(q, args)
	if err != nil {
		return nil, err
	}
	ctx, cancel := noDeadline(ctx) // the limit is max_execution_time's, not clickhouse-go's
	defer cancel()
	ctx = ch.Context(ctx, ch.WithParameters(params), ch.WithSettings(q.settings(limitSettings(lim, ch.Settings{
		"max_result_rows":      lim.MaxRows + 1,
		"result_overflow_mode": "break",
	}))))
	rows, err := s.db.read(ctx, q.SQL)
	if err != nil {
		return nil, namedError(name, err, lim)
	}
	defer rows.Close()
	res := &rebate.QueryResult{}
	types := rows.ColumnTypes()
	scales := make([]int, len(types))
	for i, ct := range types {
		res.Columns = append(res.Columns, rebate.QueryColumn{Name: ct.Name(), Type: ct.DatabaseTypeName()})
		scales[i] = decimalScale(ct.DatabaseTypeName())
	}
	for rows.Next() {
		if len(res.Rows) == lim.MaxRows {
			res.Truncated = true
			break
		}
		dest := make([]any, len(types))
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, domainError(name, err)
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			row[i] = jsonValue(reflect.ValueOf(d).Elem().Interface(), scales[i])
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, namedError(name, err, lim)
	}
	return res, nil
}

// bindArgs checks a named query's arguments and returns them as the server
// binds them. Every error names the parameter.
func bindArgs(q *Query, args map[string]string) (ch.Parameters, error) {
	declared := make([]string, 0, len(q.Params))
	for _, p := range q.Params {
		declared = append(declared, p.Name)
	}
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	slices.Sort(names) // the same one first every time
	for _, k := range names {
		if !slices.Contains(declared, k) {
			return nil, rebate.Errorf(rebate.EINVALID, k, "unknown parameter of %s (it takes %s)", q.Name, strings.Join(declared, ", "))
		}
	}
	params := ch.Parameters{}
	for _, p := range q.Params {
		pt, err := parseParamType(p.Type)
		if err != nil {
			return nil, rebate.Errorf(rebate.EINVALID, p.Name, "%v", err)
		}
		v, ok := args[p.Name]
		if !ok {
			if p.Default == nil {
				return nil, rebate.Errorf(rebate.EINVALID, p.Name, "required parameter (%s)", p.Type)
			}
			v = *p.Default
		}
		bound, err := checkArg(p, pt, v)
		if err != nil {
			return nil, rebate.Errorf(rebate.EINVALID, p.Name, "%v (want %s)", err, p.Type)
		}
		params[p.Name] = bound
	}
	return params, nil
}

// limitSettings are ClickHouse's settings for lim, with extra: the engine
// enforces them, and with readonly=1 the statement cannot change them.
func limitSettings(lim rebate.QueryLimits, extra ch.Settings) ch.Settings {
	out := ch.Settings{
		"readonly":           1,
		"max_execution_time": max(1, int(math.Ceil(lim.Timeout.Seconds()))),
	}
	if lim.MaxBytesRead > 0 {
		out["max_bytes_to_read"] = lim.MaxBytesRead
	}
	if lim.MaxMemory > 0 {
		out["max_memory_usage"] = lim.MaxMemory
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

var queryParamRe = regexp.MustCompile(`query parameter '([^']+)'`)

func namedError(name string, err error, lim rebate.QueryLimits) error {
	switch exceptionCode(err) {
	case codeBadQueryParameter, codeUnknownQueryParameter:
		field := ""
		if m := queryParamRe.FindStringSubmatch(exceptionMessage(err)); m != nil {
			field = m[1]
		}
		return &rebate.Error{Code: rebate.EINVALID, Field: field, Message: exceptionMessage(err), Err: err}
	}
	if le := limitError(err, lim); le != nil {
		return le
	}
	return domainError(name, err)
}

// jsonValue makes a scanned value JSON-friendly: decimals as text with
// their column's scale (Decimal(38, 2) gives "57975.80", never "57975.8"),
// times as text, nil for NULL. scale is -1 for a column that is no decimal.
func jsonValue(v any, scale int) any {
	switch x := v.(type) {
	case decimal.Decimal:
		if scale < 0 {
			return x.String()
		}
		return x.StringFixed(int32(scale))
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
		return jsonValue(rv.Elem().Interface(), scale)
	case reflect.Slice:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = jsonValue(rv.Index(i).Interface(), scale)
		}
		return out
	}
	return v
}

var decimalTypeScaleRe = regexp.MustCompile(`Decimal(?:\(\d+,\s*(\d+)\)|(?:32|64|128|256)\((\d+)\))`)

// decimalScale is the scale of a column of decimals (also inside Nullable
// or Array), -1 for other columns.
func decimalScale(typ string) int {
	m := decimalTypeScaleRe.FindStringSubmatch(typ)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1] + m[2])
	return n
}

var decimalRe = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

var enumValueRe = regexp.MustCompile(`'((?:[^'\\]|\\.)*)'\s*=`)

// enumValues lists the names of an Enum8(...) or Enum16(...) type.
func enumValues(typ string) []string {
	var out []string
	for _, m := range enumValueRe.FindAllStringSubmatch(typ, -1) {
		out = append(out, m[1])
	}
	return out
}

func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"} {
		if at, err := time.Parse(layout, v); err == nil {
			return at, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time like 2026-11-21T10:00:00Z", v)
}
