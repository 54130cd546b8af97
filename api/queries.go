package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rebatehq/rebate"
)

type queryInfoJSON struct {
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Params      []rebate.QueryParam `json:"params"`
}

func (s *Server) listQueries(c echo.Context) error {
	out := []queryInfoJSON{}
	for _, q := range s.store.NamedQueries() {
		params := q.Params
		if params == nil {
			params = []rebate.QueryParam{}
		}
		out = append(out, queryInfoJSON{Name: q.Name, Description: q.Description, Params: params})
	}
	return c.JSON(http.StatusOK, map[string]any{"queries": out})
}

// runQuery runs a named query: parameters are the URL's query parameters,
// bound by the server with the types the .sql file declares.
func (s *Server) runQuery(c echo.Context) error {
	args := map[string]string{}
	for k, v := range c.QueryParams() {
		args[k] = v[len(v)-1]
	}
	res, err := s.store.RunNamed(c.Request().Context(), c.Param("name"), args,
		rebate.QueryLimits{Timeout: s.cfg.QueryTimeout, MaxRows: s.cfg.QueryMaxRows})
	if err != nil {
		return err
	}
	if strings.Contains(c.Request().Header.Get("Accept"), "text/csv") {
		return writeCSV(c, res)
	}
	rows := res.Rows
	if rows == nil {
		rows = [][]any{}
	}
	return c.JSON(http.StatusOK, map[string]any{"name": c.Param("name"), "columns": res.Columns, "rows": rows, "truncated": res.Truncated})
}

func writeCSV(c echo.Context, res *rebate.QueryResult) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	if res.Truncated {
		h.Set("X-Truncated", "true")
	}
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	head := make([]string, len(res.Columns))
	for i, col := range res.Columns {
		head[i] = col.Name
	}
	_ = w.Write(head)
	rec := make([]string, len(res.Columns))
	for _, row := range res.Rows {
		for i, v := range row {
			if v == nil {
				rec[i] = ""
			} else {
				rec[i] = fmt.Sprint(v)
			}
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return w.Error()
}
