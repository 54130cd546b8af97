// Package api is the service's HTTP API (Echo): what the app and analysts
// call. Every data answer says how fresh it is (as_of and X-Data-As-Of).
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/defaults"
	"github.com/rebatehq/rebate/internal/settings"
)

// Store answers the figures; *clickhouse.Store is one. Its errors are
// *rebate.Error, mapped to statuses by api/errors.go.
type Store interface {
	Balance(ctx context.Context, user uint64) (rebate.Balance, error)
	Orders(ctx context.Context, user uint64, after rebate.OrderCursor, limit uint32) ([]rebate.Order, time.Time, error)
	Referrals(ctx context.Context, user, after uint64, limit uint32) ([]rebate.Referral, time.Time, error)
	Leaderboard(ctx context.Context, w rebate.Window, limit uint32) (rebate.Leaderboard, error)
	Rank(ctx context.Context, user uint64, w rebate.Window, n uint32) (rebate.Leaderboard, error)
	MerchantStats(ctx context.Context, merchant uint64, w rebate.Window, now time.Time) (rebate.MerchantStats, error)
	Minutely(ctx context.Context, now time.Time, minutes uint16) (rebate.Minutely, error)
	Product(ctx context.Context, id uint64) (rebate.Product, error)
	Rules(ctx context.Context) ([]rebate.Rule, error)
	PutRule(ctx context.Context, r rebate.Rule, now time.Time) error
	NamedQueries(ctx context.Context) ([]rebate.NamedQuery, error)
	NamedQuery(ctx context.Context, name string) (rebate.NamedQuery, error)
	Signals(ctx context.Context, q rebate.SignalQuery) ([]rebate.Signal, error)
	SignalCounts(ctx context.Context, since time.Time) (rebate.SignalCounts, error)
	ReferralTotals(ctx context.Context, since time.Time) (rebate.ReferralTotals, error)
	RunNamed(ctx context.Context, name string, args map[string]string, lim rebate.QueryLimits) (*rebate.QueryResult, error)
	// SQL runs an analyst's statement; the caller closes the answer's Body.
	SQL(ctx context.Context, req rebate.SQLRequest) (*rebate.SQLAnswer, error)
	Publish(ctx context.Context, q rebate.NamedQuery) (rebate.NamedQuery, error)
	Unpublish(ctx context.Context, name, author string) error
	QueryVersions(ctx context.Context, name string) ([]rebate.NamedQuery, error)
	Schema(ctx context.Context) (rebate.Schema, error)
	Ping(ctx context.Context) error
}

// Producer sends events to Kafka; *kafka.Producer is one.
type Producer interface {
	Produce(ctx context.Context, events []rebate.Event) error
	Ping(ctx context.Context) error
}

// Config of the API. Zero values take the defaults of RegisterFlags and
// setDefaults.
type Config struct {
	Listen         string        // where it serves; keys are required beyond loopback
	Keys           []Key         // API keys and their roles; none: open, loopback only
	RatePerKey     float64       // requests/s per key (or per client address when open)
	Burst          int           //
	CORSOrigins    []string      // allowed browser origins; none: no CORS headers
	TrustedProxies []string      // CIDRs of proxies whose X-Forwarded-For names the client; none: the peer's address
	RequestTimeout time.Duration //
	// Named queries run with these limits whatever the caller asks.
	QueryTimeout time.Duration
	QueryMaxRows int
	// Ad-hoc SQL (POST /v1/sql) runs with these, per role; named queries
	// take the bytes read and memory of the caller's role too.
	SQLTimeout      PerRole[time.Duration]
	SQLMaxRows      PerRole[int]
	SQLMaxBytesRead PerRole[int64]
	SQLMaxMemory    PerRole[int64]
	SQLOverflow     string // throw (an error past SQLMaxRows) or break (the rows so far)
	// QueryCacheBytes bounds the answers of published queries kept for
	// their cache TTL, in this process.
	QueryCacheBytes int64
	// POST /v1/events takes at most this many bytes and events.
	MaxEventsBytes int64
	MaxEvents      int // default 10,000
	// Balance streams: at most StreamsPerKey open at once per key (per
	// client address when open), a connection being held for as long as the
	// app shows the wallet; each watched user's balance read every
	// StreamPoll, once for all their streams; a comment every
	// StreamHeartbeat, so that proxies keep a quiet stream open.
	StreamsPerKey   int
	StreamPoll      time.Duration
	StreamHeartbeat time.Duration
	// Now is the clock (tests pin it); default time.Now.
	Now func() time.Time
	// DeadLetters is the dead-letter topic, for the admin routes; nil:
	// they answer 503.
	DeadLetters DeadLetters
}

// RegisterFlags binds the API's settings to their flags and variables.
func (c *Config) RegisterFlags(f *settings.Flags) {
	f.String(&c.Listen, "api-listen", "REBATE_API_LISTEN", "127.0.0.1:8080", "address of the API", settings.HostPort)
	settings.SecretVar(f, &c.Keys, "api-keys", "REBATE_API_KEYS", nil, ParseKeys, formatKeys,
		"API keys as name:role:secret,... (roles app, analyst, publisher, admin); none: open, loopback only")
	f.List(&c.CORSOrigins, "api-cors-origins", "REBATE_API_CORS_ORIGINS", nil, "comma-separated browser origins allowed to call the API")
	f.List(&c.TrustedProxies, "api-trusted-proxies", "REBATE_API_TRUSTED_PROXIES", nil,
		"CIDR ranges of reverse proxies whose X-Forwarded-For names the client; none: the connection's address", checkCIDRs)
	f.Float(&c.RatePerKey, "api-rate", "REBATE_API_RATE", 50, "requests/s per key (per client address when open)", settings.PositiveFloat)
	f.Int(&c.Burst, "api-burst", "REBATE_API_BURST", 100, "requests a key may send at once", settings.Between(1, 1_000_000))
	f.Duration(&c.RequestTimeout, "api-request-timeout", "REBATE_API_REQUEST_TIMEOUT", 10*time.Second, "longest a request may take", settings.Positive)
	f.Duration(&c.QueryTimeout, "api-query-timeout", "REBATE_API_QUERY_TIMEOUT", 5*time.Second, "time limit of a named query",
		settings.WholeSeconds(time.Second))
	f.Int(&c.QueryMaxRows, "api-query-max-rows", "REBATE_API_QUERY_MAX_ROWS", 10_000, "rows a named query returns at most",
		settings.Between(1, 10_000_000))
	perRole(f, &c.SQLTimeout, "api-sql-timeout", "REBATE_API_SQL_TIMEOUT", 10*time.Second, wholeSeconds,
		time.Duration.String, "time limit of ad-hoc SQL (max_execution_time): 10s, or per role like 10s,admin:60s")
	perRole(f, &c.SQLMaxRows, "api-sql-max-rows", "REBATE_API_SQL_MAX_ROWS", 100_000, positiveInt, formatInt[int],
		"rows ad-hoc SQL returns at most (max_result_rows), or per role like 100000,admin:1000000")
	perRole(f, &c.SQLMaxBytesRead, "api-sql-max-bytes-read", "REBATE_API_SQL_MAX_BYTES_READ", 10_000_000_000, nonNegativeInt64,
		formatInt[int64], "bytes a query of an analyst may read (max_bytes_to_read; 0: none), or per role")
	perRole(f, &c.SQLMaxMemory, "api-sql-max-memory", "REBATE_API_SQL_MAX_MEMORY", 2_000_000_000, nonNegativeInt64,
		formatInt[int64], "memory a query of an analyst may use (max_memory_usage; 0: the server's), or per role")
	f.String(&c.SQLOverflow, "api-sql-overflow", "REBATE_API_SQL_OVERFLOW", "throw",
		"ad-hoc SQL past its row limit: throw (422) or break (the rows so far)", settings.OneOf("throw", "break"))
	f.Int64(&c.QueryCacheBytes, "api-query-cache-bytes", "REBATE_API_QUERY_CACHE_BYTES", 64<<20,
		"memory for answers of published queries with a cache TTL")
	f.Int64(&c.MaxEventsBytes, "api-max-events-bytes", "REBATE_API_MAX_EVENTS_BYTES", 5<<20, "largest POST /v1/events body")
	f.Int(&c.StreamsPerKey, "api-streams-per-key", "REBATE_API_STREAMS_PER_KEY", 20,
		"balance streams a key (or, when open, a client address) may hold open at once", settings.Between(1, 100_000))
	f.Duration(&c.StreamPoll, "api-stream-poll", "REBATE_API_STREAM_POLL", 2*time.Second,
		"how often the balance of a user with open streams is read (once for all their streams)",
		settings.DurationBetween(10*time.Millisecond, time.Minute))
	f.Duration(&c.StreamHeartbeat, "api-stream-heartbeat", "REBATE_API_STREAM_HEARTBEAT", 15*time.Second,
		"how often a quiet balance stream sends a comment to keep proxies from closing it",
		settings.DurationBetween(10*time.Millisecond, 5*time.Minute))
}

// Validate checks what no single setting can: an open API (no keys) serves
// this machine only.
func (c *Config) Validate() error {
	if len(c.Keys) == 0 && c.Listen != "" && !Loopback(c.Listen) {
		return fmt.Errorf("config: --api-listen (REBATE_API_LISTEN) %q is not loopback and no API keys are set (REBATE_API_KEYS): "+
			"refusing to serve an open API beyond this machine", c.Listen)
	}
	return nil
}

func (c *Config) setDefaults() error {
	listen := c.Listen // "" serves no listener of its own (tests, rebate up)
	settings.FillDefaults(c.RegisterFlags)
	c.Listen = listen
	defaults.Set(&c.MaxEvents, 10_000)
	if c.Now == nil { // funcs are not comparable
		c.Now = time.Now
	}
	check := *c
	if check.Listen == "" {
		check.Listen = "127.0.0.1:0"
	}
	if err := settings.Check(check.RegisterFlags); err != nil {
		return err
	}
	return c.Validate()
}

// Loopback reports whether addr (host:port) serves this machine only.
func Loopback(addr string) bool { return settings.Loopback(addr) }

// Server is the API.
type Server struct {
	cfg      Config
	store    Store
	producer Producer
	log      *slog.Logger
	echo     *echo.Echo
	metrics  *metrics
	failures failures // failed authentications per client address
	cache    *answerCache
	hub      *hub  // the pollers of balance streams
	streams  slots // open balance streams per caller
}

// New builds the API; Handler serves it.
func New(cfg Config, store Store, producer Producer, log *slog.Logger, reg prometheus.Registerer, gather prometheus.Gatherer) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, store: store, producer: producer, log: log, metrics: m, cache: newAnswerCache(cfg.QueryCacheBytes)}
	s.hub = newHub(store.Balance, cfg.StreamPoll, cfg.RequestTimeout, log, m)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	e.Use(middleware.RequestID())
	e.Use(middleware.Recover())
	e.Use(s.accessLog())
	if len(cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{AllowOrigins: cfg.CORSOrigins,
			AllowHeaders: []string{"Authorization", "X-API-Key", "Content-Type"}, ExposeHeaders: []string{"X-Data-As-Of", "X-Request-Id", "X-ClickHouse-Summary", "X-Read-Rows",
				"X-Read-Bytes", "X-Result-Rows", "X-Elapsed-Ms", "X-Cache", "X-Truncated"}}))
	}
	routes := s.routes()
	streamPaths := map[string]bool{}
	for _, r := range routes {
		streamPaths[r.path] = r.op.stream
	}
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024, Skipper: func(c echo.Context) bool {
		// Events must leave as they happen, not when a compressor's buffer fills.
		return streamPaths[c.Path()]
	}}))
	e.Use(strictQuery)
	auth := s.authenticate()
	limit := s.rateLimit()
	for _, r := range routes {
		mw := []echo.MiddlewareFunc{s.measure(r.path), declaredParams(r)}
		if r.roles != nil {
			mw = append(mw, auth, limit, requireRole(r.roles...))
		}
		// A stream lasts as long as its client watches; its first answer
		// has the request timeout (firstNews).
		if r.roles != nil && !r.op.stream {
			mw = append(mw, s.timeout(r))
		}
		e.Add(r.method, r.path, r.handler, mw...)
	}
	if err := addPage(e); err != nil {
		return nil, err
	}
	if gather != nil {
		// The gzip middleware compresses every answer; promhttp must not as well.
		e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(gather, promhttp.HandlerOpts{DisableCompression: true})))
	}
	s.echo = e
	if len(cfg.Keys) == 0 {
		log.Warn("no API keys configured (REBATE_API_KEYS): the API is open, and serves on loopback only")
	}
	return s, nil
}

// Close ends every balance stream (with an "end" event) and stops their
// pollers. Call it when the HTTP server starts shutting down
// (http.Server.RegisterOnShutdown): a stream never goes idle by itself, so
// Shutdown would otherwise wait for it until its deadline.
func (s *Server) Close() { s.hub.close() }

// Routes lists what the server registered, for checking the OpenAPI document.
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }

// Handler is the API's http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// timeout bounds each request's context: REBATE_API_REQUEST_TIMEOUT, or for
// ad-hoc SQL the role's time limit and a margin, if that is longer (the
// engine ends the query at its limit; the margin covers the check before).
func (s *Server) timeout(r route) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			limit := s.cfg.RequestTimeout
			if r.op.id == "runSQL" {
				limit = max(limit, s.cfg.SQLTimeout.For(role(c))+5*time.Second)
			}
			ctx, cancel := context.WithTimeout(c.Request().Context(), limit)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			err := next(c)
			if errors.Is(ctx.Err(), context.DeadlineExceeded) && err != nil {
				return rebate.Errorf(rebate.EUNAVAIL, "", "the request took longer than %s", limit)
			}
			return err
		}
	}
}

// accessLog writes one line per request.
func (s *Server) accessLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			attrs := []any{"method", v.Method, "path", v.URIPath, "status", v.Status, "latency", v.Latency, "request_id", v.RequestID}
			if key, ok := c.Get(keyName).(string); ok {
				attrs = append(attrs, "key", key)
			}
			if v.Error != nil && v.Status >= 500 {
				attrs = append(attrs, "err", v.Error)
			}
			s.log.Log(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}
