package settings

import (
	"errors"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
)

// String registers a text setting.
func (f *Flags) String(p *string, name, env, def, usage string, checks ...func(string) error) {
	add(f, p, name, env, def, func(s string) (string, error) { return s, nil }, func(s string) string { return s }, usage, false, checks)
}

// Secret registers a text setting that is never printed, in help or errors.
func (f *Flags) Secret(p *string, name, env, usage string, checks ...func(string) error) {
	add(f, p, name, env, "", func(s string) (string, error) { return s, nil }, func(s string) string {
		if s == "" {
			return ""
		}
		return "(set)"
	}, usage, true, checks)
}

// List registers a comma-separated list; blanks around items and empty
// items are dropped.
func (f *Flags) List(p *[]string, name, env string, def []string, usage string, checks ...func([]string) error) {
	add(f, p, name, env, def, func(s string) ([]string, error) { return SplitList(s), nil },
		func(l []string) string { return strings.Join(l, ",") }, usage, false, checks)
}

// SplitList splits a comma-separated list, dropping blanks and empty items.
func SplitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Int registers an integer setting.
func (f *Flags) Int(p *int, name, env string, def int, usage string, checks ...func(int) error) {
	add(f, p, name, env, def, func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, errors.New("not an integer")
		}
		return n, nil
	}, strconv.Itoa, usage, false, checks)
}

// Int64 registers a positive 64-bit integer setting (a size in bytes).
func (f *Flags) Int64(p *int64, name, env string, def int64, usage string, checks ...func(int64) error) {
	add(f, p, name, env, def, func(s string) (int64, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return 0, errors.New("not a positive integer")
		}
		return n, nil
	}, func(n int64) string { return strconv.FormatInt(n, 10) }, usage, false, checks)
}

// Uint64 registers a non-negative 64-bit integer setting.
func (f *Flags) Uint64(p *uint64, name, env string, def uint64, usage string, checks ...func(uint64) error) {
	add(f, p, name, env, def, func(s string) (uint64, error) {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, errors.New("not a non-negative integer")
		}
		return n, nil
	}, func(n uint64) string { return strconv.FormatUint(n, 10) }, usage, false, checks)
}

// Float registers a number setting.
func (f *Flags) Float(p *float64, name, env string, def float64, usage string, checks ...func(float64) error) {
	add(f, p, name, env, def, func(s string) (float64, error) {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, errors.New("not a number")
		}
		// ParseFloat takes "NaN" and "Inf": no setting means either, and
		// NaN passes every comparison a check makes.
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, errors.New("want a finite number")
		}
		return x, nil
	}, func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }, usage, false, checks)
}

// Bool registers a true/false setting; the bare flag means true.
func (f *Flags) Bool(p *bool, name, env string, def bool, usage string) {
	b := &boolValue{}
	add(f, p, name, env, def, func(s string) (bool, error) {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return false, errors.New("want true or false")
		}
		return v, nil
	}, strconv.FormatBool, usage, false, nil)
	// Swap the flag's value for one that flag treats as boolean.
	if f.mode == modeParse {
		s := f.list[len(f.list)-1]
		b.value = s.value.(*value[bool])
		s.value = b
		f.fs.Lookup(name).Value = b
	}
}

type boolValue struct{ *value[bool] }

func (b *boolValue) IsBoolFlag() bool { return true }

func (b *boolValue) String() string {
	if b == nil || b.value == nil {
		return ""
	}
	return b.value.String()
}

// Duration registers a duration setting like 500ms or 30s.
func (f *Flags) Duration(p *time.Duration, name, env string, def time.Duration, usage string, checks ...func(time.Duration) error) {
	add(f, p, name, env, def, func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, errors.New("not a duration like 500ms or 30s")
		}
		return d, nil
	}, time.Duration.String, usage, false, checks)
}

// Level registers a log level: debug, info, warn or error.
func (f *Flags) Level(p *slog.Level, name, env string, def slog.Level, usage string) {
	add(f, p, name, env, def, func(s string) (slog.Level, error) {
		var l slog.Level
		if err := l.UnmarshalText([]byte(s)); err != nil {
			return 0, errors.New("want debug, info, warn or error")
		}
		return l, nil
	}, slog.Level.String, usage, false, nil)
}

// ParseSince reads a moment for --since: an RFC 3339 time
// (2026-11-28T09:00:00Z), a UTC date (2026-11-28), or a duration before now
// (90m, 24h, 7d).
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour).UTC(), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, errors.New("want an RFC 3339 time (2026-11-28T09:00:00Z), a date (2026-11-28) or a duration ago (90m, 24h, 7d)")
}

// Since registers a --since setting read by ParseSince; empty: the zero time.
func (f *Flags) Since(p *time.Time, name, env, usage string) {
	add(f, p, name, env, time.Time{}, func(s string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		return ParseSince(s, time.Now())
	}, func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}, usage, false, nil)
}
