package api

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

// strictQuery refuses a malformed query string rather than reading it as
// if the broken parameters were absent.
func strictQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := url.ParseQuery(c.Request().URL.RawQuery); err != nil {
			return rebate.Errorf(rebate.EINVALID, "query", "malformed query string: %v", err)
		}
		return next(c)
	}
}

// declaredParams refuses query parameters the route does not declare (a
// misspelt ?lmit=5 was once silently ignored), parameters given more than
// once (which value would count?), and values their declared schema
// refuses: an integer out of its range, a value outside its enum or its
// pattern, for query and path parameters alike, before the handler runs.
// A named query's parameters are its own: RunNamed checks them, as it
// checks a published query's allowed values and bounds.
func declaredParams(r route) echo.MiddlewareFunc {
	var known []string
	checks := map[string]func(string) error{}
	var path []string
	for _, p := range r.op.params {
		if p.in == "query" {
			known = append(known, p.name)
		}
		if p.in == "path" {
			path = append(path, p.name)
		}
		checks[p.name] = valueCheck(p.schema)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			for _, name := range path {
				if err := checks[name](c.Param(name)); err != nil {
					return rebate.Errorf(rebate.EINVALID, name, "%v", err)
				}
			}
			q := c.QueryParams()
			names := make([]string, 0, len(q))
			for name := range q {
				names = append(names, name)
			}
			sort.Strings(names) // report the same one first every time
			for _, name := range names {
				if len(q[name]) > 1 {
					return rebate.Errorf(rebate.EINVALID, name, "given %d times; give it once", len(q[name]))
				}
				if r.op.anyParams || r.op.paramPrefix != "" && strings.HasPrefix(name, r.op.paramPrefix) {
					continue
				}
				check, ok := checks[name]
				if !ok || !slices.Contains(known, name) {
					return rebate.Errorf(rebate.EINVALID, name, "unknown parameter%s", suggest(name, known))
				}
				if err := check(q[name][0]); err != nil {
					return rebate.Errorf(rebate.EINVALID, name, "%v", err)
				}
			}
			return next(c)
		}
	}
}

// valueCheck checks a value against a parameter's schema: its type
// (integer), range, enum and pattern. A string without either is the
// handler's to read (a cursor).
func valueCheck(sc schema) func(string) error {
	var pattern *regexp.Regexp
	if p, ok := sc["pattern"].(string); ok {
		pattern = regexp.MustCompile(p)
	}
	enum, _ := sc["enum"].([]string)
	lo, hasLo := sc["minimum"].(int)
	hi, hasHi := sc["maximum"].(int)
	return func(v string) error {
		switch {
		case sc["type"] == "integer":
			n, err := strconv.ParseInt(v, 10, 64)
			if _, uerr := strconv.ParseUint(v, 10, 64); err != nil && uerr == nil && !hasHi {
				return nil // past int64 but a uint64 id: above any least value
			}
			if err != nil && !hasLo {
				return fmt.Errorf("%q is not an integer", v)
			}
			if err != nil || hasLo && n < int64(lo) || hasHi && n > int64(hi) {
				if hasHi {
					return fmt.Errorf("%q: want an integer from %d to %d", v, lo, hi)
				}
				return fmt.Errorf("%q: want an integer >= %d", v, lo)
			}
		case len(enum) > 0 && !slices.Contains(enum, v):
			return fmt.Errorf("%q: want one of %s", v, strings.Join(enum, ", "))
		case pattern != nil && !pattern.MatchString(v):
			return fmt.Errorf("%q does not match %s", v, pattern)
		}
		return nil
	}
}

// suggest names the declared parameter closest to a misspelt one.
func suggest(name string, known []string) string {
	best, bestDist := "", 3 // more than two edits away is not a typo
	for _, k := range known {
		if d := editDistance(name, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	switch {
	case best != "":
		return fmt.Sprintf(" (did you mean %q?)", best)
	case len(known) > 0:
		return fmt.Sprintf(" (this route takes %v)", known)
	}
	return " (this route takes none)"
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
