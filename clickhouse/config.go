// Package clickhouse is the service's side of ClickHouse: the connection,
// the migrations, the named queries and the store that runs them. It talks
// to ClickHouse over the HTTP interface with clickhouse-go, the same code
// against a server, a cluster or the embedded endpoint.
package clickhouse

import (
	"crypto/tls"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
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

// Options are clickhouse-go's options for c.
func (c Config) Options() (*ch.Options, error) {
	o := &ch.Options{
		Addr:         []string{c.Addr},
		Protocol:     ch.HTTP,
		Auth:         ch.Auth{Database: c.Database, Username: c.Username, Password: c.Password},
		DialTimeout:  c.DialTimeout,
		ReadTimeout:  c.QueryTimeout,
		MaxOpenConns: c.MaxOpenConns,
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.MaxOpenConns == 0 {
		o.MaxOpenConns = 16
	}
	if c.Secure {
		o.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	switch c.Compression {
	case "", "none":
	case "lz4":
		o.Compression = &ch.Compression{Method: ch.CompressionLZ4}
	case "zstd":
		o.Compression = &ch.Compression{Method: ch.CompressionZSTD}
	case "gzip":
		o.Compression = &ch.Compression{Method: ch.CompressionGZIP}
		o.Settings = ch.Settings{"enable_http_compression": 1}
	default:
		return nil, fmt.Errorf("clickhouse compression %q: want none, lz4, zstd or gzip", c.Compression)
	}
	return o, nil
}
