package api

import (
	"fmt"
	"net/url"
	"slices"
	"sort"

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
// misspelt ?lmit=5 was once silently ignored) and parameters given more than
// once (which value would count?). A named query's parameters are its own:
// RunNamed checks their names.
func declaredParams(r route) echo.MiddlewareFunc {
	var known []string
	for _, p := range r.op.params {
		if p.in == "query" {
			known = append(known, p.name)
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
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
				if !r.op.anyParams && !slices.Contains(known, name) {
					return rebate.Errorf(rebate.EINVALID, name, "unknown parameter%s", suggest(name, known))
				}
			}
			return next(c)
		}
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
