package clickhouse

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rebatehq/rebate"
)

// paramValue renders a Go value as a server-side parameter value. The server
// reads parameters in its escaped text form, where a backslash, a tab or a
// line break would be taken as syntax, so strings are escaped.
func paramValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return escapeParam(x), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint8:
		return strconv.FormatUint(uint64(x), 10), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case time.Time:
		return timeParam(x), nil
	case rebate.Money:
		return x.String(), nil
	case rebate.Rate:
		return x.String(), nil
	case rebate.Window:
		return string(x), nil
	case nullParam:
		return `\N`, nil
	}
	return "", fmt.Errorf("no parameter form for %T", v)
}

// nullParam binds NULL to a Nullable parameter.
type nullParam struct{}

var paramEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`, "\x00", `\0`)

func escapeParam(s string) string { return paramEscaper.Replace(s) }
