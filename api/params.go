package api

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

// pathID reads a path ID: an integer >= 1.
func pathID(c echo.Context, name string) (uint64, error) { return pathUint(c, name, 1, "") }

// pathIDAllowZero reads a merchant id where 0 (the default rule) is allowed.
func pathIDAllowZero(c echo.Context, name string) (uint64, error) {
	return pathUint(c, name, 0, ", 0 for the default rule")
}

func pathUint(c echo.Context, name string, least uint64, note string) (uint64, error) {
	v, err := strconv.ParseUint(c.Param(name), 10, 64)
	if err != nil || v < least {
		return 0, rebate.Errorf(rebate.EINVALID, name, "%q is not an id (an integer >= %d%s)", c.Param(name), least, note)
	}
	return v, nil
}

// queryInt reads an optional integer query parameter within [lo, hi].
func queryInt(c echo.Context, name string, def, lo, hi int) (int, error) {
	s := c.QueryParam(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, rebate.Errorf(rebate.EINVALID, name, "%q: want an integer from %d to %d", s, lo, hi)
	}
	return v, nil
}

// queryWindow reads ?window=, 24h when absent.
func queryWindow(c echo.Context) (rebate.Window, error) {
	s := c.QueryParam("window")
	if s == "" {
		return rebate.WindowDay, nil
	}
	return rebate.ParseWindow(s)
}

// cursor is what an opaque page cursor holds.
type cursor struct {
	PlacedAt int64  `json:"p"` // Unix milliseconds
	OrderID  string `json:"o"`
}

func encodeCursor(o rebate.Order) string {
	b, _ := json.Marshal(cursor{PlacedAt: o.PlacedAt.UnixMilli(), OrderID: o.OrderID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (rebate.OrderCursor, error) {
	if s == "" {
		return rebate.FirstPage, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var cur cursor
	if err == nil {
		err = json.Unmarshal(b, &cur)
	}
	placed := time.UnixMilli(cur.PlacedAt).UTC()
	// Orders are placed within the contract's times; a cursor elsewhere was
	// not given out here (and would not bind as a ClickHouse time).
	if err != nil || cur.OrderID == "" || placed.Before(rebate.MinTime) || !placed.Before(rebate.MaxTime) {
		return rebate.OrderCursor{}, rebate.Errorf(rebate.EINVALID, "cursor", "not a cursor this API gave out")
	}
	return rebate.OrderCursor{PlacedAt: placed, OrderID: cur.OrderID}, nil
}
