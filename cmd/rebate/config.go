package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of every subcommand. Each starts at its default;
// a REBATE_* variable overrides the default and a flag overrides both.
type Config struct {
	LogLevel  slog.Level
	LogFormat string

	// The embedded ClickHouse endpoint (chlocal).
	EnginePath   string
	EngineListen string
	EngineConns  int

	ShutdownTimeout time.Duration
}

func defaultConfig() *Config {
	return &Config{
		LogLevel:        slog.LevelInfo,
		LogFormat:       "text",
		EnginePath:      "data/clickhouse",
		EngineListen:    "127.0.0.1:8123",
		EngineConns:     4,
		ShutdownTimeout: 30 * time.Second,
	}
}

// option binds one Config field to its flag and environment variable.
type option struct {
	flag, env, usage string
	value            flag.Value
	check            func() error // nil when any parsed value is valid
}

// options lists the fields a subcommand reads.
func (c *Config) options(cmd string) []option {
	common := []option{
		{"log-level", "REBATE_LOG_LEVEL", "log level: debug, info, warn or error", levelValue(&c.LogLevel), nil},
		{"log-format", "REBATE_LOG_FORMAT", "log format: text or json", stringValue(&c.LogFormat),
			oneOf(&c.LogFormat, "text", "json")},
		{"shutdown-timeout", "REBATE_SHUTDOWN_TIMEOUT", "how long a graceful stop may take", durationValue(&c.ShutdownTimeout),
			positive(&c.ShutdownTimeout)},
	}
	engine := []option{
		{"path", "REBATE_CHLOCAL_PATH", "data folder of the embedded ClickHouse engine", stringValue(&c.EnginePath),
			nonEmpty(&c.EnginePath)},
		{"listen", "REBATE_CHLOCAL_LISTEN", "address of the embedded engine's ClickHouse HTTP interface", stringValue(&c.EngineListen),
			hostPort(&c.EngineListen)},
		{"conns", "REBATE_CHLOCAL_CONNS", "statements the embedded engine runs at once", intValue(&c.EngineConns),
			between(&c.EngineConns, 1, 64)},
	}
	switch cmd {
	case "chlocal":
		return append(common, engine...)
	}
	return nil
}

// loadConfig builds the Config for cmd from defaults, getenv and args.
func loadConfig(cmd string, args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet("rebate "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := c.options(cmd)
	for _, o := range opts {
		if v := getenv(o.env); v != "" {
			if err := o.value.Set(v); err != nil {
				return nil, fmt.Errorf("config: %s=%q: %w", o.env, v, err)
			}
		}
		fs.Var(o.value, o.flag, o.usage+" (env "+o.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	for _, o := range opts {
		if o.check == nil {
			continue
		}
		if err := o.check(); err != nil {
			return nil, fmt.Errorf("config: --%s (%s) = %s: %w", o.flag, o.env, o.value.String(), err)
		}
	}
	return c, nil
}

func (c *Config) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// value binds a Config field of any type to a flag.
type value[T any] struct {
	p      *T
	parse  func(string) (T, error)
	format func(T) string
}

func (v value[T]) String() string {
	if v.p == nil { // flag's zero-value probe
		var zero T
		return v.format(zero)
	}
	return v.format(*v.p)
}

func (v value[T]) Set(s string) error {
	x, err := v.parse(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*v.p = x
	return nil
}

func stringValue(p *string) value[string] {
	return value[string]{p, func(s string) (string, error) { return s, nil }, func(s string) string { return s }}
}

func intValue(p *int) value[int] {
	return value[int]{p, func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, errors.New("not an integer")
		}
		return n, nil
	}, strconv.Itoa}
}

func durationValue(p *time.Duration) value[time.Duration] {
	return value[time.Duration]{p, func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, errors.New("not a duration like 500ms or 30s")
		}
		return d, nil
	}, time.Duration.String}
}

func levelValue(p *slog.Level) value[slog.Level] {
	return value[slog.Level]{p, func(s string) (slog.Level, error) {
		var l slog.Level
		if err := l.UnmarshalText([]byte(s)); err != nil {
			return 0, errors.New("want debug, info, warn or error")
		}
		return l, nil
	}, slog.Level.String}
}

func oneOf(p *string, allowed ...string) func() error {
	return func() error {
		for _, a := range allowed {
			if *p == a {
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(allowed, ", "))
	}
}

func nonEmpty(p *string) func() error {
	return func() error {
		if strings.TrimSpace(*p) == "" {
			return fmt.Errorf("must not be empty")
		}
		return nil
	}
}

func hostPort(p *string) func() error {
	return func() error {
		if _, port, err := net.SplitHostPort(*p); err != nil || port == "" {
			return fmt.Errorf("want host:port, like 127.0.0.1:8123")
		}
		return nil
	}
}

func between(p *int, lo, hi int) func() error {
	return func() error {
		if *p < lo || *p > hi {
			return fmt.Errorf("want %d..%d", lo, hi)
		}
		return nil
	}
}

func positive(p *time.Duration) func() error {
	return func() error {
		if *p <= 0 {
			return fmt.Errorf("must be positive")
		}
		return nil
	}
}
