package api

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/settings"
)

// PerRole is a limit with a value for every role and, for some, their own:
// "100000" or "100000,admin:5000000" (a role:value item overrides the plain
// one for that role; without a plain one, the built-in default stays).
type PerRole[T comparable] struct {
	All T
	By  map[Role]T
}

// For is the value for role r.
func (p PerRole[T]) For(r Role) T {
	if v, ok := p.By[r]; ok {
		return v
	}
	return p.All
}

// perRole registers a PerRole setting whose values parse reads.
func perRole[T comparable](f *settings.Flags, p *PerRole[T], name, env string, def T, parse func(string) (T, error),
	format func(T) string, usage string) {
	settings.Var(f, p, name, env, PerRole[T]{All: def},
		func(s string) (PerRole[T], error) {
			out := PerRole[T]{All: def}
			for _, item := range strings.Split(s, ",") {
				item = strings.TrimSpace(item)
				role, val, scoped := strings.Cut(item, ":")
				if !scoped {
					val = item
				}
				v, err := parse(val)
				if err != nil {
					return out, fmt.Errorf("%q: %w", item, err)
				}
				if !scoped {
					out.All = v
					continue
				}
				if r := Role(role); !slices.Contains(roles, r) {
					return out, fmt.Errorf("%q: role %q: want one of %v", item, role, roles)
				} else {
					if out.By == nil {
						out.By = map[Role]T{}
					}
					out.By[r] = v
				}
			}
			return out, nil
		},
		func(v PerRole[T]) string {
			parts := []string{format(v.All)}
			for _, r := range roles {
				if x, ok := v.By[r]; ok {
					parts = append(parts, string(r)+":"+format(x))
				}
			}
			return strings.Join(parts, ",")
		}, usage)
}

func positiveInt(s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("want an integer >= 1")
	}
	return v, nil
}

func nonNegativeInt64(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("want an integer >= 0 (bytes; 0: none)")
	}
	return v, nil
}

func wholeSeconds(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second || d%time.Second != 0 {
		return 0, fmt.Errorf("want whole seconds, at least 1s")
	}
	return d, nil
}

func formatInt[T int | int64](v T) string { return strconv.FormatInt(int64(v), 10) }

// sqlLimits are the limits of ad-hoc SQL for role r.
func (c *Config) sqlLimits(r Role) rebate.QueryLimits {
	return rebate.QueryLimits{Timeout: c.SQLTimeout.For(r), MaxRows: c.SQLMaxRows.For(r), MaxBytesRead: c.SQLMaxBytesRead.For(r),
		MaxMemory: c.SQLMaxMemory.For(r), Overflow: c.SQLOverflow}
}

// queryLimits are the limits of a named or published query for role r:
// its time and rows are the named queries' (rows past them are cut), its
// bytes read and memory the role's.
func (c *Config) queryLimits(r Role) rebate.QueryLimits {
	return rebate.QueryLimits{Timeout: c.QueryTimeout, MaxRows: c.QueryMaxRows, MaxBytesRead: c.SQLMaxBytesRead.For(r),
		MaxMemory: c.SQLMaxMemory.For(r)}
}
