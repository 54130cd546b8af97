package clickhouse

import (
	"strings"
	"testing"

	"github.com/rebatehq/rebate"
)

func TestParamTypes(t *testing.T) {
	for _, c := range []struct {
		typ, value string
		ok         bool
		bound      string
	}{
		{"UInt8", "255", true, "255"},
		{"UInt8", "256", false, ""},
		{"UInt64", "-1", false, ""},
		{"Int8", "-128", true, "-128"},
		{"Int16", "40000", false, ""},
		{"Float64", "1e3", true, "1e3"},
		{"Float64", "NaN", false, ""},
		{"Decimal(18, 2)", "12.30", true, "12.30"},
		{"Decimal(18, 2)", "12.345", false, ""},
		{"Decimal(4, 2)", "123.4", false, ""},
		{"Decimal64(4)", "-1.2345", true, "-1.2345"},
		{"Bool", "true", true, "true"},
		{"Bool", "yes", false, ""},
		{"Date", "2026-11-21", true, "2026-11-21"},
		{"Date", "2026-13-01", false, ""},
		{"DateTime", "2026-11-21T10:00:00Z", true, "2026-11-21 10:00:00"},
		{"DateTime64(3, 'UTC')", "2026-11-21T10:00:00.5+01:00", true, "2026-11-21 09:00:00.500000000"},
		{"DateTime64(3, 'UTC')", "0001-01-01T00:00:00Z", false, ""},
		{"Enum8('a' = 1, 'b c' = 2)", "b c", true, "b c"},
		{"Enum8('a' = 1, 'b c' = 2)", "c", false, ""},
		{"String", "a\tb\\c", true, `a\tb\\c`},
		{"LowCardinality(String)", "x", true, "x"},
		{"FixedString(2)", "abc", false, ""},
		{"Array(UInt8)", "[1]", false, ""},
		{"Identifier", "events", false, ""},
		{"Nullable(UInt8)", "1", false, ""},
		{"Decimal(77, 2)", "1", false, ""},
	} {
		pt, err := parseParamType(c.typ)
		var bound string
		if err == nil {
			bound, err = pt.check(c.value)
		}
		if (err == nil) != c.ok || bound != c.bound {
			t.Errorf("%s %q: %q, %v; want ok %v, %q", c.typ, c.value, bound, err, c.ok, c.bound)
		}
	}
	// Allowed values and bounds of a published parameter.
	lo, hi := "10", "20"
	p := rebate.QueryParam{Name: "n", Type: "UInt32", Min: &lo, Max: &hi}
	pt, _ := parseParamType(p.Type)
	for v, ok := range map[string]bool{"9": false, "10": true, "20": true, "21": false, "x": false} {
		if _, err := checkArg(p, pt, v); (err == nil) != ok {
			t.Errorf("n=%s within [10, 20]: %v", v, err)
		}
	}
	first := "2026-01-01"
	p = rebate.QueryParam{Name: "d", Type: "Date", Min: &first, Allowed: []string{"2025-12-31", "2026-02-01"}}
	if _, err := checkDecl(p); err != nil {
		t.Fatal(err)
	}
	pt, _ = parseParamType(p.Type)
	if _, err := checkArg(p, pt, "2025-12-31"); err == nil || !strings.Contains(err.Error(), "least") {
		t.Errorf("allowed but below min: %v", err)
	}
	if _, err := checkArg(p, pt, "2026-01-15"); err == nil || !strings.Contains(err.Error(), "one of") {
		t.Errorf("not allowed: %v", err)
	}
}

// FuzzParamType: a publisher's type and a caller's value, both untrusted,
// never panic; a value that passes binds as text the server reads back
// unchanged (no tab, line break or lone backslash left unescaped).
func FuzzParamType(f *testing.F) {
	for _, s := range []string{"UInt8", "Decimal(18, 2)", "Enum8('a' = 1, 'b\\'c' = 2)", "DateTime64(3, 'UTC')", "FixedString(3)", "Decimal128(40)"} {
		f.Add(s, "1")
	}
	f.Fuzz(func(t *testing.T, typ, value string) {
		pt, err := parseParamType(typ)
		if err != nil {
			return
		}
		bound, err := pt.check(value)
		if err != nil {
			return
		}
		if strings.ContainsAny(bound, "\t\n\r\x00") {
			t.Fatalf("%s %q bound as %q", typ, value, bound)
		}
		if pt.ordered() {
			_ = pt.compare(value, value)
		}
		lo := value
		_, _ = checkArg(rebate.QueryParam{Name: "x", Type: typ, Min: &lo, Allowed: []string{value}}, pt, value)
		// A publisher's whole declaration: default, bounds and allowed values.
		_, _ = checkDecl(rebate.QueryParam{Name: "x", Type: typ, Default: &value, Min: &lo, Max: &value, Allowed: []string{value, lo}})
	})
}

// FuzzSQLPlaceholders: an analyst's statement, untrusted, never panics the
// reading of its {name:Type} placeholders; each one found has a name the
// text holds and a type the checks read again the same.
func FuzzSQLPlaceholders(f *testing.F) {
	for _, s := range []string{"SELECT {n:UInt8}", "SELECT {a:String}, {a:String} -- {b:Date}\n", "SELECT {x:Enum8('a' = 1)}, {x:UInt16}",
		"SELECT { d : DateTime64(3, 'UTC') }", "SELECT {t:Identifier}", "SELECT '{s:String}'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		ps, err := sqlPlaceholders(sql)
		if err != nil {
			if rebate.ErrorCode(err) != rebate.EINVALID || rebate.ErrorField(err) == "" {
				t.Fatalf("%q: %v, want invalid naming a parameter", sql, err)
			}
			return
		}
		for name, typ := range ps {
			if !strings.Contains(sql, name) {
				t.Fatalf("%q: parameter %q not in the text", sql, name)
			}
			pt, err := parseParamType(typ)
			if err != nil || pt.name != typ {
				t.Fatalf("%q: type %q reads as %v, %v", sql, typ, pt, err)
			}
		}
	})
}
