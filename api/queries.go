package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

// QueryInfoJSON is a named query as GET /v1/queries lists it.
type QueryInfoJSON struct {
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Params      []rebate.QueryParam `json:"params"`
	Published   bool                `json:"published"`
	// Of a published query only.
	Version         uint32  `json:"version,omitempty"`
	SQL             string  `json:"sql,omitempty"`
	CacheTTLSeconds float64 `json:"cache_ttl_seconds,omitempty"`
	Author          string  `json:"author,omitempty"`
	PublishedAt     string  `json:"published_at,omitempty"`
	Deleted         bool    `json:"deleted,omitempty"` // in a history: this version ended the endpoint
}

func queryInfo(q rebate.NamedQuery) QueryInfoJSON {
	params := q.Params
	if params == nil {
		params = []rebate.QueryParam{}
	}
	out := QueryInfoJSON{Name: q.Name, Description: q.Description, Params: params, Published: q.Published,
		Version: q.Version, SQL: q.SQL, CacheTTLSeconds: q.CacheTTL.Seconds(), Author: q.Author, Deleted: q.Deleted}
	if !q.At.IsZero() {
		out.PublishedAt = stamp(q.At)
	}
	return out
}

func (s *Server) listQueries(c echo.Context) error {
	qs, err := s.store.NamedQueries(c.Request().Context())
	if err != nil {
		return err
	}
	out := []QueryInfoJSON{}
	for _, q := range qs {
		out = append(out, queryInfo(q))
	}
	return c.JSON(http.StatusOK, map[string]any{"queries": out})
}

// runQuery runs a named query: parameters are the URL's query parameters,
// checked against the query's declaration and bound by the server. A
// published query with a cache TTL answers from this process's cache
// while its answer is younger than that (X-Cache says which).
func (s *Server) runQuery(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("name")
	args := map[string]string{}
	for k, v := range c.QueryParams() {
		args[k] = v[len(v)-1]
	}
	q, err := s.store.NamedQuery(ctx, name)
	if err != nil {
		return err
	}
	var res *rebate.QueryResult
	var key string
	hit := false
	if q.CacheTTL > 0 {
		key = cacheKey(q, args)
		res, hit = s.cache.get(key, time.Now())
		c.Response().Header().Set("X-Cache", map[bool]string{true: "hit", false: "miss"}[hit])
	}
	if !hit {
		if res, err = s.store.RunNamed(ctx, name, args, s.cfg.queryLimits(role(c))); err != nil {
			return err
		}
		if q.CacheTTL > 0 {
			s.cache.put(key, res, q.CacheTTL, time.Now())
		}
	}
	if strings.Contains(c.Request().Header.Get("Accept"), "text/csv") {
		return writeCSV(c, res)
	}
	rows := res.Rows
	if rows == nil {
		rows = [][]any{}
	}
	return c.JSON(http.StatusOK, map[string]any{"name": name, "columns": res.Columns, "rows": rows, "truncated": res.Truncated})
}

// cacheKey names an answer: the query's version and its arguments.
func cacheKey(q rebate.NamedQuery, args map[string]string) string {
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%d", q.Name, q.Version)
	for _, k := range names {
		b.WriteString("\x00" + k + "=" + args[k])
	}
	return b.String()
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

// publishBody is PUT /v1/queries/{name}'s body.
type publishBody struct {
	SQL             string              `json:"sql"`
	Description     string              `json:"description"`
	Params          []rebate.QueryParam `json:"params"`
	CacheTTLSeconds float64             `json:"cache_ttl_seconds"`
}

// publishQuery stores a query as an endpoint's next version, once the store
// has checked it against the schema and the readers' fence.
func (s *Server) publishQuery(c echo.Context) error {
	var body publishBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	ttl := time.Duration(body.CacheTTLSeconds * float64(time.Second))
	q, err := s.store.Publish(c.Request().Context(), rebate.NamedQuery{Name: c.Param("name"), SQL: body.SQL,
		Description: body.Description, Params: body.Params, CacheTTL: ttl.Round(time.Millisecond), Author: keyOf(c)})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, queryInfo(q))
}

func (s *Server) unpublishQuery(c echo.Context) error {
	if err := s.store.Unpublish(c.Request().Context(), c.Param("name"), keyOf(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) queryVersions(c echo.Context) error {
	vs, err := s.store.QueryVersions(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	out := make([]QueryInfoJSON, 0, len(vs))
	for _, v := range vs {
		out = append(out, queryInfo(v))
	}
	return c.JSON(http.StatusOK, map[string]any{"name": c.Param("name"), "versions": out})
}

func (s *Server) getSchema(c echo.Context) error {
	sc, err := s.store.Schema(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sc)
}

// role is the caller's role (admin when the API is open).
func role(c echo.Context) Role {
	r, _ := c.Get(keyRole).(Role)
	return r
}

// keyOf names the caller's key, for a published query's history.
func keyOf(c echo.Context) string {
	if k, ok := c.Get(keyName).(string); ok {
		return k
	}
	return "(open)"
}
