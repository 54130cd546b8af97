package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

// maxSQLBytes bounds a statement's text.
const maxSQLBytes = 64 << 10

// sqlParamPrefix marks a query parameter that is a value of the statement's
// own {name:Type} placeholder, as ClickHouse's HTTP interface names them.
const sqlParamPrefix = "param_"

// runSQL answers POST /v1/sql: the body is one read-only statement, run with
// the caller's role's limits; the answer streams in ?format= as ClickHouse
// encodes it. X-Data-As-Of is when the query started (it reads the data
// stored by then); X-ClickHouse-Summary and X-Read-Rows, X-Read-Bytes,
// X-Elapsed-Ms say what it read and how long it took.
func (s *Server) runSQL(c echo.Context) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxSQLBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return rebate.Errorf(rebate.ETOOLARGE, "sql", "a statement of at most %d bytes", maxSQLBytes)
	case err != nil:
		return rebate.Errorf(rebate.EINVALID, "sql", "reading the statement: %v", err)
	case strings.TrimSpace(string(body)) == "":
		return rebate.Errorf(rebate.EINVALID, "sql", "the body is the statement: one SELECT, SHOW, DESCRIBE or EXPLAIN")
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "JSON"
	}
	args := map[string]string{}
	for k, v := range c.QueryParams() {
		if name, ok := strings.CutPrefix(k, sqlParamPrefix); ok {
			args[name] = v[0]
		}
	}
	ans, err := s.store.SQL(c.Request().Context(), rebate.SQLRequest{SQL: string(body), Args: args, Format: format,
		Limits: s.cfg.sqlLimits(role(c))})
	if err != nil {
		return prefixParamField(err)
	}
	defer ans.Body.Close()
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, rebate.SQLFormats[format])
	h.Set("X-Data-As-Of", stamp(ans.AsOf))
	if ans.Summary != "" {
		h.Set("X-ClickHouse-Summary", ans.Summary)
		var sum map[string]string
		if json.Unmarshal([]byte(ans.Summary), &sum) == nil {
			h.Set("X-Read-Rows", sum["read_rows"])
			h.Set("X-Read-Bytes", sum["read_bytes"])
			h.Set("X-Result-Rows", sum["result_rows"])
			if ns, err := strconv.ParseInt(sum["elapsed_ns"], 10, 64); err == nil {
				h.Set("X-Elapsed-Ms", strconv.FormatFloat(float64(ns)/1e6, 'f', 1, 64))
			}
		}
	}
	c.Response().WriteHeader(http.StatusOK)
	if _, err := io.Copy(c.Response(), ans.Body); err != nil {
		// The status is sent; a client reading a cut answer must see it
		// fail, not end: abort the connection.
		s.log.Warn("ad-hoc SQL answer cut short", "err", err, "request_id", h.Get(echo.HeaderXRequestID))
		panic(http.ErrAbortHandler)
	}
	return nil
}

// prefixParamField names a statement's parameter as the caller gave it
// (param_x), leaving other fields as they are.
func prefixParamField(err error) error {
	var de *rebate.Error
	if errors.As(err, &de) && de.Code == rebate.EINVALID && de.Field != "" && de.Field != "sql" && de.Field != "format" {
		cp := *de
		cp.Field = sqlParamPrefix + de.Field
		return &cp
	}
	return err
}
