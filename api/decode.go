package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

// decodeJSON reads one small JSON object, refusing unknown fields.
func decodeJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &ute):
			return rebate.Errorf(rebate.EINVALID, ute.Field, "wrong type: %v", err)
		case errors.As(err, &mbe):
			return rebate.Errorf(rebate.ETOOLARGE, "", "body larger than 64 KiB")
		case errors.Is(err, io.EOF):
			return rebate.Errorf(rebate.EINVALID, "body", "a JSON object is required")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return rebate.Errorf(rebate.EINVALID, strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
		}
		// Share and money fields report their own parse errors.
		return rebate.Errorf(rebate.EINVALID, "body", "%v", err)
	}
	return nil
}

func parseRFC3339(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, rebate.Errorf(rebate.EINVALID, field, "required: an RFC 3339 time like 2026-12-01T00:00:00Z")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, rebate.Errorf(rebate.EINVALID, field, "%q is not an RFC 3339 time like 2026-12-01T00:00:00Z", s)
	}
	return t.UTC().Truncate(time.Millisecond), nil
}
