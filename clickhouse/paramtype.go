package clickhouse

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/rebatehq/rebate"
)

// Parameters are checked in Go, fully, before a value reaches ClickHouse:
// its type (the {name:Type} of the SQL), then, for a published query, the
// values its publisher allowed and its bounds. A type the checks do not know
// is refused, never passed through for the server to judge: the error must
// name the parameter, and the server's would not always.

// paramType is a parameter's ClickHouse type as the checks know it.
type paramType struct {
	name  string   // as declared, spaces normalised
	base  string   // UInt64, Decimal, DateTime64, Enum8, String, ...
	bits  int      // integers
	prec  int      // Decimal: digits in all
	scale int      // Decimal: digits after the point
	size  int      // FixedString(N)
	enum  []string // Enum8/Enum16 names
}

var (
	decimalTypeRe = regexp.MustCompile(`^Decimal(32|64|128|256)?\((\d+)(?:,\s*(\d+))?\)$`)
	fixedTypeRe   = regexp.MustCompile(`^FixedString\((\d+)\)$`)
	timeTypeRe    = regexp.MustCompile(`^(DateTime64\(\d(?:,\s*'[A-Za-z0-9_/+-]+')?\)|DateTime(?:\('[A-Za-z0-9_/+-]+'\))?)$`)
	enumTypeRe    = regexp.MustCompile(`^Enum(8|16)\((\s*'(?:[^'\\]|\\.)*'\s*=\s*-?\d+\s*)(,\s*'(?:[^'\\]|\\.)*'\s*=\s*-?\d+\s*)*\)$`)
)

// paramTypes lists the types a parameter may have, for messages.
const paramTypes = "UInt8..UInt64, Int8..Int64, Float32, Float64, Decimal(P, S), Bool, Date, Date32, DateTime, " +
	"DateTime64(p[, 'tz']), Enum8/Enum16, String, FixedString(N), LowCardinality(String)"

// parseParamType reads a parameter's type; one the checks do not know is an error.
func parseParamType(typ string) (*paramType, error) {
	t := strings.Join(strings.Fields(typ), " ")
	pt := &paramType{name: t}
	switch t {
	case "UInt8", "UInt16", "UInt32", "UInt64", "Int8", "Int16", "Int32", "Int64":
		pt.base = strings.TrimRight(t, "0123456789")
		pt.bits, _ = strconv.Atoi(strings.TrimLeft(t, "UInt"))
		return pt, nil
	case "Float32", "Float64", "Bool", "Date", "Date32", "String":
		pt.base = t
		return pt, nil
	case "LowCardinality(String)":
		pt.base = "String"
		return pt, nil
	}
	if m := decimalTypeRe.FindStringSubmatch(t); m != nil {
		pt.base = "Decimal"
		a, _ := strconv.Atoi(m[2])
		if m[1] == "" { // Decimal(P[, S])
			pt.prec = a
			pt.scale, _ = strconv.Atoi(m[3])
		} else { // Decimal32(S)
			if m[3] != "" {
				return nil, fmt.Errorf("type %s: Decimal%s takes a scale only", t, m[1])
			}
			pt.prec, pt.scale = map[string]int{"32": 9, "64": 18, "128": 38, "256": 76}[m[1]], a
		}
		if pt.prec < 1 || pt.prec > 76 || pt.scale > pt.prec {
			return nil, fmt.Errorf("type %s: precision 1..76 and a scale at most the precision", t)
		}
		return pt, nil
	}
	if m := fixedTypeRe.FindStringSubmatch(t); m != nil {
		pt.base = "FixedString"
		pt.size, _ = strconv.Atoi(m[1])
		if pt.size < 1 || pt.size > 1<<16 {
			return nil, fmt.Errorf("type %s: a size of 1..65536", t)
		}
		return pt, nil
	}
	if timeTypeRe.MatchString(t) {
		pt.base, _, _ = strings.Cut(t, "(")
		return pt, nil
	}
	if enumTypeRe.MatchString(t) {
		pt.base = "Enum"
		pt.enum = enumValues(t)
		return pt, nil
	}
	return nil, fmt.Errorf("a parameter of type %s is not supported (types: %s)", t, paramTypes)
}

// ordered reports whether min and max mean something for the type.
func (pt *paramType) ordered() bool {
	switch pt.base {
	case "UInt", "Int", "Float32", "Float64", "Decimal", "Date", "Date32", "DateTime", "DateTime64":
		return true
	}
	return false
}

// check parses v as the type and returns it in the form the server binds.
func (pt *paramType) check(v string) (string, error) {
	switch pt.base {
	case "UInt":
		if _, err := strconv.ParseUint(v, 10, pt.bits); err != nil {
			return "", fmt.Errorf("%q is not an integer from 0 to %d", v, uint64(1)<<pt.bits-1)
		}
	case "Int":
		if _, err := strconv.ParseInt(v, 10, pt.bits); err != nil {
			return "", fmt.Errorf("%q is not an integer from %d to %d", v, -(int64(1) << (pt.bits - 1)), int64(1)<<(pt.bits-1)-1)
		}
	case "Float32", "Float64":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f != f { // NaN: no bound compares with it
			return "", fmt.Errorf("%q is not a number", v)
		}
	case "Decimal":
		if !decimalRe.MatchString(v) {
			return "", fmt.Errorf("%q is not a decimal number", v)
		}
		whole, frac, _ := strings.Cut(strings.TrimPrefix(v, "-"), ".")
		if len(frac) > pt.scale || len(strings.TrimLeft(whole, "0")) > pt.prec-pt.scale {
			return "", fmt.Errorf("%q does not fit %s (at most %d digits before the point and %d after)", v, pt.name, pt.prec-pt.scale, pt.scale)
		}
	case "Bool":
		switch v {
		case "true", "false", "1", "0":
		default:
			return "", fmt.Errorf("%q is not true, false, 1 or 0", v)
		}
	case "Date", "Date32":
		if _, err := time.Parse("2006-01-02", v); err != nil {
			return "", fmt.Errorf("%q is not a date like 2026-11-21", v)
		}
	case "DateTime", "DateTime64":
		at, err := parseTime(v)
		if err != nil {
			return "", err
		}
		if at.Before(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)) || !at.Before(time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)) {
			return "", fmt.Errorf("%q is outside the times ClickHouse holds", v)
		}
		if pt.base == "DateTime" {
			return at.UTC().Format("2006-01-02 15:04:05"), nil
		}
		return at.UTC().Format("2006-01-02 15:04:05.000000000"), nil
	case "Enum":
		if !slices.Contains(pt.enum, v) {
			return "", fmt.Errorf("%q is not one of %s", v, strings.Join(pt.enum, ", "))
		}
		return escapeParam(v), nil
	case "FixedString":
		if len(v) > pt.size {
			return "", fmt.Errorf("%q is longer than %d bytes", v, pt.size)
		}
		return escapeParam(v), nil
	case "String":
		return escapeParam(v), nil
	}
	return v, nil
}

// compare orders two values of an ordered type, both already checked.
func (pt *paramType) compare(a, b string) int {
	switch pt.base {
	case "Date", "Date32", "DateTime", "DateTime64":
		ta, _ := parseTime(a)
		tb, _ := parseTime(b)
		return ta.Compare(tb)
	case "Float32", "Float64":
		fa, _ := strconv.ParseFloat(a, 64)
		fb, _ := strconv.ParseFloat(b, 64)
		return cmpFloat(fa, fb)
	}
	da, _ := decimal.NewFromString(a)
	db, _ := decimal.NewFromString(b)
	return da.Cmp(db)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkArg checks a value of parameter p: its type, its allowed values and
// its bounds; it returns the value as the server binds it.
func checkArg(p rebate.QueryParam, pt *paramType, v string) (string, error) {
	bound, err := pt.check(v)
	if err != nil {
		return "", err
	}
	if len(p.Allowed) > 0 && !slices.Contains(p.Allowed, v) {
		return "", fmt.Errorf("%q is not one of %s", v, strings.Join(p.Allowed, ", "))
	}
	if p.Min != nil && pt.compare(v, *p.Min) < 0 {
		return "", fmt.Errorf("%q is below the least value, %s", v, *p.Min)
	}
	if p.Max != nil && pt.compare(v, *p.Max) > 0 {
		return "", fmt.Errorf("%q is above the greatest value, %s", v, *p.Max)
	}
	return bound, nil
}

var paramNameRe = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// checkDecl checks what a publisher declares of a parameter: a known type,
// and a default, allowed values and bounds of that type that agree.
func checkDecl(p rebate.QueryParam) (*paramType, error) {
	if !paramNameRe.MatchString(p.Name) {
		return nil, fmt.Errorf("name %q: want lower case letters, digits and _", p.Name)
	}
	pt, err := parseParamType(p.Type)
	if err != nil {
		return nil, err
	}
	if len(p.Description) > 1000 || len(p.Allowed) > 1000 {
		return nil, fmt.Errorf("a description of at most 1,000 bytes and at most 1,000 allowed values")
	}
	for _, v := range p.Allowed {
		if _, err := pt.check(v); err != nil {
			return nil, fmt.Errorf("allowed value: %v", err)
		}
	}
	for _, b := range []*string{p.Min, p.Max} {
		if b == nil {
			continue
		}
		if !pt.ordered() {
			return nil, fmt.Errorf("min and max are for numbers, dates and times, not %s", pt.name)
		}
		if _, err := pt.check(*b); err != nil {
			return nil, fmt.Errorf("bound: %v", err)
		}
	}
	if p.Min != nil && p.Max != nil && pt.compare(*p.Min, *p.Max) > 0 {
		return nil, fmt.Errorf("min %s is above max %s", *p.Min, *p.Max)
	}
	if p.Default != nil {
		if _, err := checkArg(p, pt, *p.Default); err != nil {
			return nil, fmt.Errorf("default: %v", err)
		}
	}
	return pt, nil
}

// sampleArg is a value of p for planning a query: its default, else a value
// it allows, else a value of its type within its bounds.
func sampleArg(p rebate.QueryParam, pt *paramType) string {
	switch {
	case p.Default != nil:
		return *p.Default
	case len(p.Allowed) > 0:
		return p.Allowed[0]
	case p.Min != nil:
		return *p.Min
	case p.Max != nil:
		return *p.Max
	case pt.base == "Enum" && len(pt.enum) > 0:
		return pt.enum[0]
	}
	return sampleValue(pt.name)
}
