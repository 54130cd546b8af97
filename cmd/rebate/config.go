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

	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/kafka"
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

	// The ClickHouse the service uses (a server, or the embedded endpoint).
	ClickHouse clickhouse.Config
	// EventsRetentionDays is how long raw events are kept; 0 keeps them forever.
	EventsRetentionDays int
	// LeaderboardRefresh is how often the leaderboards are recomputed.
	LeaderboardRefresh time.Duration

	// Kafka and the ingester.
	Kafka         kafka.Config
	KafkaBrokers  string // comma-separated, split into Kafka.Brokers
	Ingest        ingest.Config
	MetricsListen string // where /metrics is served; "" for nowhere

	// The simulator.
	SimRate     float64
	SimDuration time.Duration
	SimSeed     uint64
	SimBadRate  float64

	// rebate up: everything in one process.
	DataDir         string
	KafkaListen     string
	KafkaPartitions int

	// The API.
	API         api.Config
	APIKeys     string // name:role:secret,...; parsed into API.Keys
	CORSOrigins string // comma-separated; parsed into API.CORSOrigins

	ShutdownTimeout time.Duration

	ProbeURL string // rebate probe
}

func defaultConfig() *Config {
	return &Config{
		LogLevel:     slog.LevelInfo,
		LogFormat:    "text",
		EnginePath:   "data/clickhouse",
		EngineListen: "127.0.0.1:8123",
		EngineConns:  4,
		ClickHouse: clickhouse.Config{
			Addr:        "127.0.0.1:8123",
			Database:    "rebate",
			Username:    "default",
			Compression: "none",
			DialTimeout: 5 * time.Second,
		},
		EventsRetentionDays: 400,
		KafkaBrokers:        "127.0.0.1:9092",
		Ingest: ingest.Config{
			Topic: kafka.DefaultTopic, DLQTopic: kafka.DefaultDLQTopic, Group: kafka.DefaultGroup,
			BatchRows: 100_000, BatchBytes: 32 << 20, FlushInterval: 250 * time.Millisecond,
			RetryMin: 100 * time.Millisecond, RetryMax: 10 * time.Second,
		},
		MetricsListen: "127.0.0.1:9464",
		API: api.Config{
			Listen: "127.0.0.1:8080", RatePerKey: 50, Burst: 100, RequestTimeout: 10 * time.Second,
			QueryTimeout: 5 * time.Second, QueryMaxRows: 10_000, MaxEventsBytes: 5 << 20, MaxEvents: 10_000,
		},
		LeaderboardRefresh: 2 * time.Second,
		ShutdownTimeout:    30 * time.Second,
		SimRate:            200,
		SimBadRate:         0.01,
		DataDir:            "data",
		KafkaListen:        "127.0.0.1:9092",
		KafkaPartitions:    6,
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
	ch := &c.ClickHouse
	store := []option{
		{"clickhouse-addr", "REBATE_CLICKHOUSE_ADDR", "host:port of ClickHouse's HTTP interface", stringValue(&ch.Addr), hostPort(&ch.Addr)},
		{"clickhouse-database", "REBATE_CLICKHOUSE_DATABASE", "database of the service's tables", stringValue(&ch.Database), nonEmpty(&ch.Database)},
		{"clickhouse-user", "REBATE_CLICKHOUSE_USER", "ClickHouse user", stringValue(&ch.Username), nil},
		{"clickhouse-password", "REBATE_CLICKHOUSE_PASSWORD", "ClickHouse password (prefer the variable)", secretValue(&ch.Password), nil},
		{"clickhouse-secure", "REBATE_CLICKHOUSE_SECURE", "use HTTPS", boolValue(&ch.Secure), nil},
		{"clickhouse-compression", "REBATE_CLICKHOUSE_COMPRESSION", "none, lz4, zstd or gzip", stringValue(&ch.Compression),
			oneOf(&ch.Compression, "none", "lz4", "zstd", "gzip")},
		{"clickhouse-dial-timeout", "REBATE_CLICKHOUSE_DIAL_TIMEOUT", "connect timeout", durationValue(&ch.DialTimeout), positive(&ch.DialTimeout)},
	}
	ing := &c.Ingest
	kafkaOpts := []option{
		{"kafka-brokers", "REBATE_KAFKA_BROKERS", "comma-separated Kafka brokers", stringValue(&c.KafkaBrokers), hostPorts(&c.KafkaBrokers)},
		{"kafka-tls", "REBATE_KAFKA_TLS", "connect to Kafka with TLS", boolValue(&c.Kafka.TLS), nil},
		{"kafka-sasl-mechanism", "REBATE_KAFKA_SASL_MECHANISM", "empty, plain, scram-sha-256 or scram-sha-512", stringValue(&c.Kafka.SASLMechanism),
			oneOf(&c.Kafka.SASLMechanism, "", "plain", "scram-sha-256", "scram-sha-512")},
		{"kafka-user", "REBATE_KAFKA_USER", "SASL user", stringValue(&c.Kafka.Username), nil},
		{"kafka-password", "REBATE_KAFKA_PASSWORD", "SASL password (prefer the variable)", secretValue(&c.Kafka.Password), nil},
		{"topic", "REBATE_KAFKA_TOPIC", "topic of the events", stringValue(&ing.Topic), nonEmpty(&ing.Topic)},
		{"dlq-topic", "REBATE_KAFKA_DLQ_TOPIC", "dead-letter topic", stringValue(&ing.DLQTopic), nonEmpty(&ing.DLQTopic)},
	}
	ingestOpts := []option{
		{"group", "REBATE_KAFKA_GROUP", "consumer group", stringValue(&ing.Group), nonEmpty(&ing.Group)},
		{"batch-rows", "REBATE_INGEST_BATCH_ROWS", "flush a batch at this many events", intValue(&ing.BatchRows), between(&ing.BatchRows, 1, 10_000_000)},
		{"batch-bytes", "REBATE_INGEST_BATCH_BYTES", "flush a batch at this many record bytes", intValue(&ing.BatchBytes), between(&ing.BatchBytes, 1024, 1<<31-1)},
		{"flush-interval", "REBATE_INGEST_FLUSH_INTERVAL", "flush a batch once its first record waited this long", durationValue(&ing.FlushInterval), positive(&ing.FlushInterval)},
		{"retry-max", "REBATE_INGEST_RETRY_MAX", "longest wait between retries of a failed flush", durationValue(&ing.RetryMax), positive(&ing.RetryMax)},
		{"metrics-listen", "REBATE_METRICS_LISTEN", "address of /metrics (empty: none)", stringValue(&c.MetricsListen), optionalHostPort(&c.MetricsListen)},
	}
	a := &c.API
	apiOpts := []option{
		{"api-listen", "REBATE_API_LISTEN", "address of the API", stringValue(&a.Listen), func() error {
			if err := hostPort(&a.Listen)(); err != nil {
				return err
			}
			// rebate up makes a key itself rather than refuse.
			if cmd != "up" && strings.TrimSpace(c.APIKeys) == "" && !api.Loopback(a.Listen) {
				return fmt.Errorf("not loopback, and no API keys are set (REBATE_API_KEYS): an open API serves this machine only")
			}
			return nil
		}},
		{"api-keys", "REBATE_API_KEYS", "API keys as name:role:secret,... (roles app, analyst, admin); none: open, loopback only",
			secretValue(&c.APIKeys), func() error { _, err := api.ParseKeys(c.APIKeys); return err }},
		{"api-cors-origins", "REBATE_API_CORS_ORIGINS", "comma-separated browser origins allowed to call the API", stringValue(&c.CORSOrigins), nil},
		{"api-rate", "REBATE_API_RATE", "requests/s per key (per client address when open)", floatValue(&a.RatePerKey), positiveFloat(&a.RatePerKey)},
		{"api-burst", "REBATE_API_BURST", "requests a key may send at once", intValue(&a.Burst), between(&a.Burst, 1, 1_000_000)},
		{"api-request-timeout", "REBATE_API_REQUEST_TIMEOUT", "longest a request may take", durationValue(&a.RequestTimeout), positive(&a.RequestTimeout)},
		{"api-query-timeout", "REBATE_API_QUERY_TIMEOUT", "time limit of a named query", durationValue(&a.QueryTimeout), atLeast(&a.QueryTimeout, time.Second)},
		{"api-query-max-rows", "REBATE_API_QUERY_MAX_ROWS", "rows a named query returns at most", intValue(&a.QueryMaxRows), between(&a.QueryMaxRows, 1, 10_000_000)},
		{"api-max-events-bytes", "REBATE_API_MAX_EVENTS_BYTES", "largest POST /v1/events body", int64Value(&a.MaxEventsBytes), nil},
	}
	simOpts := []option{
		{"rate", "REBATE_SIMULATE_RATE", "events/s the simulator sends (rebate up: 0 runs without it)", floatValue(&c.SimRate), nonNegativeFloat(&c.SimRate)},
		{"seed", "REBATE_SIMULATE_SEED", "simulator seed; the same seed and rate make the same events (0: from the clock)", uint64Value(&c.SimSeed), nil},
		{"bad-rate", "REBATE_SIMULATE_BAD_RATE", "share of malformed records, 0..1", floatValue(&c.SimBadRate), fraction(&c.SimBadRate)},
	}
	upOpts := []option{
		{"data", "REBATE_DATA_DIR", "folder of every part's data (kafka/, clickhouse/); it survives restarts", stringValue(&c.DataDir), nonEmpty(&c.DataDir)},
		{"kafka-listen", "REBATE_KAFKA_LISTEN", "address of the in-process Kafka broker", stringValue(&c.KafkaListen), hostPort(&c.KafkaListen)},
		{"kafka-partitions", "REBATE_KAFKA_PARTITIONS", "partitions of each topic the broker creates", intValue(&c.KafkaPartitions), between(&c.KafkaPartitions, 1, 256)},
		{"listen", "REBATE_CHLOCAL_LISTEN", "address of the embedded ClickHouse HTTP interface", stringValue(&c.EngineListen), hostPort(&c.EngineListen)},
	}
	// rebate up names its simulator rate --simulate-rate, as the README does.
	upSim := []option{
		{"simulate-rate", "REBATE_SIMULATE_RATE", "events/s the simulator sends; 0 runs without it", floatValue(&c.SimRate), nonNegativeFloat(&c.SimRate)},
		simOpts[1], simOpts[2],
		{"simulate-duration", "REBATE_SIMULATE_DURATION", "how long the simulator sends (0: until stopped)", durationValue(&c.SimDuration), nil},
	}
	switch cmd {
	case "simulate":
		return append(append(append(common, kafkaOpts...), simOpts...),
			option{"duration", "REBATE_SIMULATE_DURATION", "how long to send (0: until stopped)", durationValue(&c.SimDuration), nil})
	case "up":
		ups := append(append(append(common, upOpts...), upSim...), apiOpts...)
		for _, o := range ingestOpts {
			if o.flag != "metrics-listen" && o.flag != "group" { // up serves /metrics on the API
				ups = append(ups, o)
			}
		}
		for _, o := range store {
			if o.flag == "clickhouse-database" {
				ups = append(ups, o)
			}
		}
		return ups
	case "api":
		return append(append(append(common, store...), kafkaOpts...), apiOpts...)
	case "ingest":
		return append(append(append(common, store...), kafkaOpts...), ingestOpts...)
	case "chlocal":
		return append(common, engine...)
	case "probe":
		return []option{{"url", "REBATE_PROBE_URL", "URL to GET; the exit status is 0 when it answers 2xx", stringValue(&c.ProbeURL), func() error {
			if !strings.HasPrefix(c.ProbeURL, "http://") && !strings.HasPrefix(c.ProbeURL, "https://") {
				return errors.New("want an http:// or https:// URL")
			}
			return nil
		}}}
	case "migrate":
		return append(append(common, store...),
			option{"events-retention-days", "REBATE_EVENTS_RETENTION_DAYS", "days raw events are kept (0: forever)",
				intValue(&c.EventsRetentionDays), between(&c.EventsRetentionDays, 0, 36500)},
			option{"leaderboard-refresh", "REBATE_LEADERBOARD_REFRESH", "how often leaderboards are recomputed (whole seconds)",
				durationValue(&c.LeaderboardRefresh), atLeast(&c.LeaderboardRefresh, time.Second)})
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
	c.Kafka.Brokers = nil
	for _, b := range strings.Split(c.KafkaBrokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			c.Kafka.Brokers = append(c.Kafka.Brokers, b)
		}
	}
	c.Ingest.ShutdownTimeout = c.ShutdownTimeout
	c.API.Keys, _ = api.ParseKeys(c.APIKeys) // checked above
	c.API.CORSOrigins = nil
	for _, o := range strings.Split(c.CORSOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.API.CORSOrigins = append(c.API.CORSOrigins, o)
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
	if v.p == nil { // flag's zero-value probe: a bare value[T]{}
		return ""
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

func boolValue(p *bool) value[bool] {
	return value[bool]{p, func(s string) (bool, error) {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return false, errors.New("want true or false")
		}
		return b, nil
	}, strconv.FormatBool}
}

// secretValue never prints the value, in usage or in errors.
func secretValue(p *string) value[string] {
	return value[string]{p, func(s string) (string, error) { return s, nil }, func(s string) string {
		if s == "" {
			return ""
		}
		return "(set)"
	}}
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

func floatValue(p *float64) value[float64] {
	return value[float64]{p, func(s string) (float64, error) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, errors.New("not a number")
		}
		return f, nil
	}, func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }}
}

func int64Value(p *int64) value[int64] {
	return value[int64]{p, func(s string) (int64, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return 0, errors.New("not a positive integer")
		}
		return n, nil
	}, func(n int64) string { return strconv.FormatInt(n, 10) }}
}

func uint64Value(p *uint64) value[uint64] {
	return value[uint64]{p, func(s string) (uint64, error) {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, errors.New("not a non-negative integer")
		}
		return n, nil
	}, func(n uint64) string { return strconv.FormatUint(n, 10) }}
}

func nonNegativeFloat(p *float64) func() error {
	return func() error {
		if *p < 0 {
			return fmt.Errorf("must not be negative")
		}
		return nil
	}
}

func fraction(p *float64) func() error {
	return func() error {
		if *p < 0 || *p > 1 {
			return fmt.Errorf("want 0..1")
		}
		return nil
	}
}

func positiveFloat(p *float64) func() error {
	return func() error {
		if *p <= 0 {
			return fmt.Errorf("must be positive")
		}
		return nil
	}
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

func hostPorts(p *string) func() error {
	return func() error {
		for _, hp := range strings.Split(*p, ",") {
			if _, port, err := net.SplitHostPort(strings.TrimSpace(hp)); err != nil || port == "" {
				return fmt.Errorf("want host:port[,host:port...], like 127.0.0.1:9092")
			}
		}
		return nil
	}
}

func optionalHostPort(p *string) func() error {
	check := hostPort(p)
	return func() error {
		if *p == "" {
			return nil
		}
		return check()
	}
}

func atLeast(p *time.Duration, min time.Duration) func() error {
	return func() error {
		if *p < min || *p%time.Second != 0 {
			return fmt.Errorf("want whole seconds, at least %s", min)
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
