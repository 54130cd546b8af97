// Package clickhouse is the service's side of ClickHouse: the connection,
// the migrations, the named queries and the store that runs them. It talks
// to ClickHouse over the HTTP interface with clickhouse-go, the same code
// against a server, a cluster or the embedded endpoint.
package clickhouse

import (
	"crypto/tls"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/rebatehq/rebate/internal/settings"
)

// Config says where ClickHouse is.
type Config struct {
	Addr        string // host:port of the HTTP interface
	Database    string
	Username    string
	Password    string
	Secure      bool   // HTTPS
	Compression string // none, lz4, zstd or gzip
	DialTimeout time.Duration
	// QueryTimeout bounds each statement on the client side; 0 for none.
	QueryTimeout time.Duration
	MaxOpenConns int
}

// RegisterFlags binds the connection settings to their flags and variables.
func (c *Config) RegisterFlags(f *settings.Flags) {
	c.RegisterDatabaseFlag(f)
	f.String(&c.Addr, "clickhouse-addr", "REBATE_CLICKHOUSE_ADDR", "127.0.0.1:8123", "host:port of ClickHouse's HTTP interface", settings.HostPort)
	f.String(&c.Username, "clickhouse-user", "REBATE_CLICKHOUSE_USER", "default", "ClickHouse user")
	f.Secret(&c.Password, "clickhouse-password", "REBATE_CLICKHOUSE_PASSWORD", "ClickHouse password (prefer the variable)")
	f.Bool(&c.Secure, "clickhouse-secure", "REBATE_CLICKHOUSE_SECURE", false, "use HTTPS")
	f.String(&c.Compression, "clickhouse-compression", "REBATE_CLICKHOUSE_COMPRESSION", "none", "none, lz4, zstd or gzip",
		settings.OneOf("none", "lz4", "zstd", "gzip"))
	f.Duration(&c.DialTimeout, "clickhouse-dial-timeout", "REBATE_CLICKHOUSE_DIAL_TIMEOUT", 5*time.Second, "connect timeout", settings.Positive)
}

// RegisterDatabaseFlag binds the database alone, for a command that runs its
// own ClickHouse (rebate up) and so has no address or user to set.
func (c *Config) RegisterDatabaseFlag(f *settings.Flags) {
	f.String(&c.Database, "clickhouse-database", "REBATE_CLICKHOUSE_DATABASE", "rebate", "database of the service's tables", settings.NonEmpty)
}

// Options are clickhouse-go's options for c; fields left zero take their
// defaults.
func (c Config) Options() (*ch.Options, error) {
	settings.FillDefaults(c.RegisterFlags)
	if err := settings.Check(c.RegisterFlags); err != nil {
		return nil, err
	}
	o := &ch.Options{
		Addr:         []string{c.Addr},
		Protocol:     ch.HTTP,
		Auth:         ch.Auth{Database: c.Database, Username: c.Username, Password: c.Password},
		DialTimeout:  c.DialTimeout,
		ReadTimeout:  c.QueryTimeout,
		MaxOpenConns: c.MaxOpenConns,
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
	// LeaderboardRefresh is how often the leaderboards are recomputed.
	LeaderboardRefresh time.Duration
	// ReferralWindowDays is how long after an invitee joins their orders
	// earn their inviter referral earnings.
	ReferralWindowDays int
}

// DefaultReferralWindowDays is the referral window when none is set; the
// schema's priced_orders assumes it too.
const DefaultReferralWindowDays = 365

// RegisterFlags binds the schema's settings to their flags and variables.
func (c *SchemaConfig) RegisterFlags(f *settings.Flags) {
	f.Int(&c.EventsRetentionDays, "events-retention-days", "REBATE_EVENTS_RETENTION_DAYS", 400, "days raw events are kept (0: forever)",
		settings.Between(0, 36500))
	f.Duration(&c.LeaderboardRefresh, "leaderboard-refresh", "REBATE_LEADERBOARD_REFRESH", 2*time.Second,
		"how often leaderboards are recomputed (whole seconds)", settings.WholeSeconds(time.Second))
	f.Int(&c.ReferralWindowDays, "referral-window-days", "REBATE_REFERRAL_WINDOW_DAYS", DefaultReferralWindowDays,
		"days after an invitee joins during which their orders earn their inviter referral earnings", settings.Between(1, 36500))
}
