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

// NamedQueries lists the read-only queries analysts may run by name.
func (s *Store) NamedQueries() []rebate.NamedQuery {
	var out []rebate.NamedQuery
	for _, q := range s.queries.All() {
		if q.ReadOnly && !q.Internal {
			out = append(out, rebate.NamedQuery{Name: q.Name, Description: q.Description, Params: q.Params})
		}
	}
	return out
}

// RunNamed runs a read-only query from queries/ with its arguments as text,
// each checked against the type its file declares. The server binds them,
// with readonly=1, a time limit and a row cap whatever the caller's rights.
func (s *Store) RunNamed(ctx context.Context, name string, args map[string]string, lim rebate.QueryLimits) (*rebate.QueryResult, error) {
	q, ok := s.queries.Get(name)
	if !ok || !q.ReadOnly || q.Internal {
		return nil, rebate.Errorf(rebate.ENOTFOUND, "name", "no named query %q (GET /v1/queries lists them)", name)
	}
	declared := map[string]string{}
	for _, p := range q.Params {
		declared[p.Name] = p.Type
	}
	for k := range args {
		if _, ok := declared[k]; !ok {
			return nil, rebate.Errorf(rebate.EINVALID, k, "unknown parameter of %s", name)
		}
	}
	params := ch.Parameters{}
	for _, p := range q.Params {
		v, ok := args[p.Name]
		if !ok {
			return nil, rebate.Errorf(rebate.EINVALID, p.Name, "required parameter (%s)", p.Type)
		}
		bound, err := checkParam(p.Type, v)
		if err != nil {
			return nil, rebate.Errorf(rebate.EINVALID, p.Name, "%v (want %s)", err, p.Type)
		}
		params[p.Name] = bound
	}
	secs := max(1, int(math.Ceil(lim.Timeout.Seconds())))
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs+2)*time.Second)
	defer cancel()
	ctx = ch.Context(ctx, ch.WithParameters(params), ch.WithSettings(q.settings(ch.Settings{
		"readonly":             1,
		"max_execution_time":   secs,
		"max_result_rows":      lim.MaxRows + 1,
		"result_overflow_mode": "break",
	})))
	rows, err := s.db.conn.Query(ctx, q.SQL)
	if err != nil {
		return nil, namedError(name, err, lim)
	}
	defer rows.Close()
	res := &rebate.QueryResult{}
	types := rows.ColumnTypes()
	for _, ct := range types {
		res.Columns = append(res.Columns, rebate.QueryColumn{Name: ct.Name(), Type: ct.DatabaseTypeName()})
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
			row[i] = jsonValue(reflect.ValueOf(d).Elem().Interface())
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, namedError(name, err, lim)
	}
	return res, nil
}

var paramNameRe = regexp.MustCompile(`query parameter '([^']+)'`)

func namedError(name string, err error, lim rebate.QueryLimits) error {
	switch exceptionCode(err) {
	case codeBadQueryParameter, codeUnknownQueryParameter:
		field := ""
		if m := paramNameRe.FindStringSubmatch(exceptionMessage(err)); m != nil {
			field = m[1]
		}
		return &rebate.Error{Code: rebate.EINVALID, Field: field, Message: exceptionMessage(err), Err: err}
	case codeTimeoutExceeded, codeQueryWasCancelled:
		return &rebate.Error{Code: rebate.EUNAVAIL, Message: fmt.Sprintf("%s exceeded its time limit of %s", name, lim.Timeout), Err: err}
	}
	return domainError(name, err)
}

// jsonValue makes a scanned value JSON-friendly: exact decimals and times
// as text, nil for NULL.
func jsonValue(v any) any {
	switch x := v.(type) {
	case decimal.Decimal:
		return x.String()
	case *decimal.Decimal:
		if x == nil {
			return nil
		}
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case *time.Time:
		if x == nil {
			return nil
		}
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		return jsonValue(rv.Elem().Interface())
	}
	return v
}

var decimalRe = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// checkParam parses v as ClickHouse type typ and returns it in the form the
// server binds; types it does not know are left for the server to check.
func checkParam(typ, v string) (string, error) {
	t := strings.TrimSpace(typ)
	base, _, _ := strings.Cut(t, "(")
	switch base {
	case "UInt8", "UInt16", "UInt32", "UInt64":
		bits, _ := strconv.Atoi(strings.TrimPrefix(base, "UInt"))
		if _, err := strconv.ParseUint(v, 10, bits); err != nil {
			return "", fmt.Errorf("%q is not an integer in range", v)
		}
	case "Int8", "Int16", "Int32", "Int64":
		bits, _ := strconv.Atoi(strings.TrimPrefix(base, "Int"))
		if _, err := strconv.ParseInt(v, 10, bits); err != nil {
			return "", fmt.Errorf("%q is not an integer in range", v)
		}
	case "Float32", "Float64":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "", fmt.Errorf("%q is not a number", v)
		}
	case "Decimal":
		if !decimalRe.MatchString(v) {
			return "", fmt.Errorf("%q is not a decimal number", v)
		}
	case "Date":
		if _, err := time.Parse("2006-01-02", v); err != nil {
			return "", fmt.Errorf("%q is not a date like 2026-11-21", v)
		}
	case "DateTime", "DateTime64":
		at, err := parseTime(v)
		if err != nil {
			return "", err
		}
		return at.UTC().Format("2006-01-02 15:04:05.000"), nil
	case "Enum8", "Enum16":
		allowed := enumValues(t)
		if !slices.Contains(allowed, v) {
			return "", fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
		}
		return escapeParam(v), nil
	case "String", "LowCardinality", "FixedString":
		return escapeParam(v), nil
	}
	return v, nil
}

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
