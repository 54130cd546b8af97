// Package clickhouse is the service's side of ClickHouse: the connection,
// the migrations, the named queries and the store that runs them. It talks
// to ClickHouse over the HTTP interface with clickhouse-go, the same code
// against a server, a cluster or the embedded endpoint.
package clickhouse

import (
	"crypto/tls"
	"errors"
	"net/http"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/settings"
)

// Config says where ClickHouse is.
type Config struct {
	// Addr is host:port of the HTTP interface, or several, comma-separated:
	// the replicas of a cluster, tried in order (the first that answers
	// serves; when it stops answering, new connections go to the next).
	Addr        string
	Database    string
	Username    string
	Password    string
	Secure      bool   // HTTPS
	Compression string // none, lz4, zstd or gzip
	DialTimeout time.Duration
	// QueryTimeout bounds each statement on the client side; 0 for none.
	QueryTimeout time.Duration
	MaxOpenConns int
	// WritePriority is the OS priority, on the ClickHouse server, of the
	// service's writes: storing events and working out what they change
	// (pricing, figures, signals). "low" runs them at nice 19, so that on a
	// busy server the reads beside them get the CPU first; "normal" leaves
	// them at the reads' priority.
	WritePriority string
}

// RegisterFlags binds the connection settings to their flags and variables.
func (c *Config) RegisterFlags(f *settings.Flags) {
	c.registerDatabase(f)
	f.String(&c.Addr, "clickhouse-addr", "REBATE_CLICKHOUSE_ADDR", "127.0.0.1:8123",
		"host:port of ClickHouse's HTTP interface; replicas comma-separated, tried in order (failover)", hostPorts)
	f.String(&c.Username, "clickhouse-user", "REBATE_CLICKHOUSE_USER", "default", "ClickHouse user")
	f.Secret(&c.Password, "clickhouse-password", "REBATE_CLICKHOUSE_PASSWORD", "ClickHouse password (prefer the variable)")
	f.Bool(&c.Secure, "clickhouse-secure", "REBATE_CLICKHOUSE_SECURE", false, "use HTTPS")
	f.String(&c.Compression, "clickhouse-compression", "REBATE_CLICKHOUSE_COMPRESSION", "none", "none, lz4, zstd or gzip",
		settings.OneOf("none", "lz4", "zstd", "gzip"))
	f.Duration(&c.DialTimeout, "clickhouse-dial-timeout", "REBATE_CLICKHOUSE_DIAL_TIMEOUT", 5*time.Second, "connect timeout, and the longest wait for a free connection of the pool (longer: unavailable, retried)", settings.Positive)
	c.registerWritePriority(f)
}

// registerWritePriority binds WritePriority, which a command that runs its
// own ClickHouse (rebate up) sets too.
func (c *Config) registerWritePriority(f *settings.Flags) {
	f.String(&c.WritePriority, "clickhouse-write-priority", "REBATE_CLICKHOUSE_WRITE_PRIORITY", "low",
		"OS priority of the service's writes on the ClickHouse server (storing events, pricing, figures, signals): "+
			"low (nice 19: the reads beside them get the CPU first; ignored by a server without CAP_SYS_NICE) or normal",
		settings.OneOf("low", "normal"))
}

// Addrs are the addresses of Addr, in order.
func (c Config) Addrs() []string { return settings.SplitList(c.Addr) }

// hostPorts accepts one host:port or a comma-separated list of them.
func hostPorts(v string) error {
	if settings.HostPorts(settings.SplitList(v)) != nil {
		return errors.New("want host:port[,host:port...], like 127.0.0.1:8123")
	}
	return nil
}

// registerDatabase binds the database.
func (c *Config) registerDatabase(f *settings.Flags) {
	f.String(&c.Database, "clickhouse-database", "REBATE_CLICKHOUSE_DATABASE", "rebate", "database of the service's tables", settings.NonEmpty)
}

// RegisterEmbeddedFlags binds what a command that runs its own ClickHouse
// (rebate up), and so has no address or user to set, may set: the database
// and the writes' priority.
func (c *Config) RegisterEmbeddedFlags(f *settings.Flags) {
	c.registerDatabase(f)
	c.registerWritePriority(f)
}

// withDefaults is c with every setting left zero at its default.
func (c Config) withDefaults() Config {
	settings.FillDefaults(c.RegisterFlags)
	return c
}

// Options are clickhouse-go's options for c; fields left zero take their
// defaults.
func (c Config) Options() (*ch.Options, error) {
	c = c.withDefaults()
	if err := settings.Check(c.RegisterFlags); err != nil {
		return nil, err
	}
	o := &ch.Options{
		Addr: c.Addrs(),
		// In order, not round robin: every client prefers the first replica
		// and moves to the next only when it stops answering, so a healthy
		// cluster serves from one predictable place (list the replicas in
		// another order to spread services). A connection that failed is
		// closed, and the next one dials the list again.
		ConnOpenStrategy: ch.ConnOpenInOrder,
		Protocol:         ch.HTTP,
		Auth:             ch.Auth{Database: c.Database, Username: c.Username, Password: c.Password},
		DialTimeout:      c.DialTimeout,
		ReadTimeout:      c.QueryTimeout,
		MaxOpenConns:     c.MaxOpenConns,
		// Keeps the answer headers for a query that asks (sql.go).
		TransportFunc: func(t *http.Transport) (http.RoundTripper, error) { return keepHeaders{t}, nil },
	}
	if o.MaxOpenConns == 0 {
		o.MaxOpenConns = 16
	}
	if c.Secure {
		o.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	switch c.Compression {
	case "none":
	case "lz4":
		o.Compression = &ch.Compression{Method: ch.CompressionLZ4}
	case "zstd":
		o.Compression = &ch.Compression{Method: ch.CompressionZSTD}
	case "gzip":
		o.Compression = &ch.Compression{Method: ch.CompressionGZIP}
		o.Settings = ch.Settings{"enable_http_compression": 1}
	}
	return o, nil
}

// SchemaConfig are the settings `rebate migrate up` applies to the schema.
type SchemaConfig struct {
	// EventsRetentionDays is how long raw events are kept; 0 keeps them forever.
	EventsRetentionDays int
	// LeaderboardRefresh is how often the short windows' leaderboards (1h,
	// 24h) are recomputed; LeaderboardLongRefresh, the long windows' (7d,
	// 30d, all), which read every user of 30 days and of all time.
	LeaderboardRefresh     time.Duration
	LeaderboardLongRefresh time.Duration
	// ReferralWindowDays is how long after an invitee joins their orders
	// earn their inviter referral earnings.
	ReferralWindowDays int
}

// DefaultLeaderboardLongRefresh is how often the long windows' leaderboards
// are recomputed when no setting says (migration 000142 too).
const DefaultLeaderboardLongRefresh = 30 * time.Second

// DefaultReferralWindowDays is the referral window when none is set; the
// schema's pricing (materialize_order_prices.sql) assumes it too.
const DefaultReferralWindowDays = 365

// RegisterFlags binds the schema's settings to their flags and variables.
func (c *SchemaConfig) RegisterFlags(f *settings.Flags) {
	f.Int(&c.EventsRetentionDays, "events-retention-days", "REBATE_EVENTS_RETENTION_DAYS", 400, "days raw events are kept (0: forever)",
		settings.Between(0, 36500))
	f.Duration(&c.LeaderboardRefresh, "leaderboard-refresh", "REBATE_LEADERBOARD_REFRESH", 2*time.Second,
		"how often the 1h and 24h leaderboards are recomputed (whole seconds)", settings.WholeSeconds(time.Second))
	f.Duration(&c.LeaderboardLongRefresh, "leaderboard-long-refresh", "REBATE_LEADERBOARD_LONG_REFRESH", DefaultLeaderboardLongRefresh,
		"how often the 7d, 30d and all-time leaderboards are recomputed (whole seconds)", settings.WholeSeconds(time.Second))
	f.Int(&c.ReferralWindowDays, "referral-window-days", "REBATE_REFERRAL_WINDOW_DAYS", DefaultReferralWindowDays,
		"days after an invitee joins during which their orders earn their inviter referral earnings", settings.Between(1, 36500))
}

// SignalConfig are the thresholds of the fraud signals (docs/events.md,
// Fraud signals), which the ingester binds when it works signals out.
// Changed, they apply to the subjects later events touch; rebate migrate up
// worked out what was stored before the signals existed at the defaults.
type SignalConfig struct {
	CancelShare     rebate.Rate // more than this share of a user's orders over 30 days void...
	CancelMinOrders int         // ...of at least this many orders
	OrdersPerHour   int         // more than this many orders in an hour
	FarmInvitees    int         // at least this many invitees, none with a settled order
	// Off works no signal out: not a setting, for measuring what they cost.
	Off bool
}

// DefaultSignalConfig is SignalConfig with every threshold at its default.
func DefaultSignalConfig() SignalConfig {
	var c SignalConfig
	settings.FillDefaults(c.RegisterFlags)
	return c
}

// RegisterFlags binds the thresholds to their flags and variables.
func (c *SignalConfig) RegisterFlags(f *settings.Flags) {
	d := rebate.DefaultSignalThresholds()
	settings.Var(f, &c.CancelShare, "signal-cancel-share", "REBATE_SIGNAL_CANCEL_SHARE", d.CancelShare, rebate.ParseRate, rebate.Rate.String,
		"cancel_rate signal: raised when more than this share (0..1) of a user's orders over 30 days are cancelled or reversed")
	f.Int(&c.CancelMinOrders, "signal-cancel-min-orders", "REBATE_SIGNAL_CANCEL_MIN_ORDERS", int(d.CancelMinOrders),
		"cancel_rate signal: and they placed at least this many orders in those 30 days", settings.Between(1, 1_000_000))
	f.Int(&c.OrdersPerHour, "signal-orders-per-hour", "REBATE_SIGNAL_ORDERS_PER_HOUR", int(d.OrdersPerHour),
		"velocity signal: raised when a user places more than this many orders within one hour", settings.Between(1, 1_000_000))
	f.Int(&c.FarmInvitees, "signal-farm-invitees", "REBATE_SIGNAL_FARM_INVITEES", int(d.FarmInvitees),
		"invite_farm signal: raised when an inviter has at least this many invitees and none has a settled order", settings.Between(1, 1_000_000))
}

// Thresholds are c's thresholds.
func (c SignalConfig) Thresholds() rebate.SignalThresholds {
	return rebate.SignalThresholds{CancelShare: c.CancelShare, CancelMinOrders: uint32(c.CancelMinOrders),
		OrdersPerHour: uint32(c.OrdersPerHour), FarmInvitees: uint32(c.FarmInvitees)}
}
