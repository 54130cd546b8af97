package clickhouse

import (
	"context"
	"fmt"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/rebatehq/rebate/internal/settings"
	"github.com/rebatehq/rebate/queries"
)

// DB is an open connection pool to the service's database.
type DB struct {
	conn    driver.Conn
	cfg     Config   // with its defaults
	queries *Queries // queries/, for the store and the ingester's lookups
	signals SignalConfig
}

// writeNice is the nice value of the service's writes at low priority: the
// lowest, so that on a busy server the reads beside them get the CPU first.
// Measured while ingesting 20,000 events/s: the app reads' p99 a third
// lower, the CPU per event no higher (docs/benchmarks.md). The server
// applies it to each statement's threads and puts them back after; without
// CAP_SYS_NICE it ignores it.
const writeNice = 19

// writeSettings adds to s (made when nil) what every write carries.
func (db *DB) writeSettings(s ch.Settings) ch.Settings {
	if s == nil {
		s = ch.Settings{}
	}
	// The server's insert queue off: on by default in recent releases, it
	// would hold each batch the ingester made until the queue's flush, and
	// merge the batches of several ingesters into one flush, whose
	// deduplication tokens 26.2-26.6 registered in every partition the flush
	// wrote, dropping later batches as repeats (ClickHouse issue 111031).
	// The ingester batches and retries by itself.
	s["async_insert"] = 0
	if db.cfg.WritePriority == "low" {
		// The threads that push an insert into its views take the
		// statement's value too. os_thread_priority, not its newer name
		// os_threads_nice_value_query, so that older servers take it.
		s["os_thread_priority"] = writeNice
	}
	return s
}

// Open connects and checks the server answers.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	cfg = cfg.withDefaults()
	opts, err := cfg.Options()
	if err != nil {
		return nil, err
	}
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, domainError("open clickhouse "+cfg.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, domainError(fmt.Sprintf("ping clickhouse %s/%s", cfg.Addr, cfg.Database), err)
	}
	qs, err := LoadQueries(queries.FS)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &DB{conn: conn, cfg: cfg, queries: qs, signals: DefaultSignalConfig()}, nil
}

// SetSignals sets the thresholds Materialize works signals out with (the
// defaults until set; a zero threshold takes its default). Set it before
// the DB is used.
func (db *DB) SetSignals(c SignalConfig) error {
	settings.FillDefaults(c.RegisterFlags)
	if err := settings.Check(c.RegisterFlags); err != nil {
		return err
	}
	db.signals = c
	return nil
}

// Signals are the thresholds Materialize works signals out with.
func (db *DB) Signals() SignalConfig { return db.signals }

// Config is what Open was given, its unset fields at their defaults.
func (db *DB) Config() Config { return db.cfg }

// Conn is the underlying clickhouse-go connection.
func (db *DB) Conn() driver.Conn { return db.conn }

// Ping checks that the server answers.
func (db *DB) Ping(ctx context.Context) error {
	return domainError("ping clickhouse", db.conn.Ping(ctx))
}

// Close releases the connections.
func (db *DB) Close() error { return db.conn.Close() }
