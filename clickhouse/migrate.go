package clickhouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/golang-migrate/migrate/v4"
	chmigrate "github.com/golang-migrate/migrate/v4/database/clickhouse"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/rebatehq/rebate/migrations"
)

// MigrationsTable records the applied version. MergeTree works on a single
// server and, inside a Replicated database, on a cluster (docs/schema.md).
const MigrationsTable = "schema_migrations"

// Migrator applies migrations/ to cfg.Database, creating it if needed.
type Migrator struct {
	m   *migrate.Migrate
	db  *sql.DB
	cfg Config
	log *slog.Logger
}

// NewMigrator connects and reads the applied version.
func NewMigrator(ctx context.Context, cfg Config, log *slog.Logger) (*Migrator, error) {
	if err := EnsureDatabase(ctx, cfg); err != nil {
		return nil, err
	}
	opts, err := cfg.Options()
	if err != nil {
		return nil, err
	}
	db := ch.OpenDB(opts)
	driver, err := chmigrate.WithInstance(db, &chmigrate.Config{
		DatabaseName:          cfg.Database,
		MigrationsTable:       MigrationsTable,
		MigrationsTableEngine: "MergeTree",
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: connect %s/%s: %w", cfg.Addr, cfg.Database, err)
	}
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: read embedded files: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "clickhouse", driver)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	if log != nil {
		m.Log = migrateLog{log}
	} else {
		log = slog.New(slog.DiscardHandler)
	}
	return &Migrator{m: m, db: db, cfg: cfg, log: log}, nil
}

// Up applies every migration not applied yet.
func (mg *Migrator) Up() error {
	err := mg.retry(func(int) error { return mg.m.Up() })
	if err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// cannotAssignAlter is ClickHouse's CANNOT_ASSIGN_ALTER: an ALTER met the
// table being renamed, which leaderboard_mv does on every refresh
// (it exchanges its table whole). The ALTER changed nothing; once more, it
// finds the table still.
const cannotAssignAlter = "code: 517"

// retry runs apply again, from the migration that failed, when that
// failure was an ALTER meeting a rename; apply is given the version it
// starts from.
func (mg *Migrator) retry(apply func(from int) error) error {
	for attempt := 0; ; attempt++ {
		v, _, _ := mg.Version()
		err := apply(int(v))
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), cannotAssignAlter) {
			return err
		}
		failed, dirty, verr := mg.Version()
		if verr != nil || !dirty {
			return err
		}
		before := int(failed) - 1
		if before == 0 {
			before = -1 // no version
		}
		if ferr := mg.m.Force(before); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
}

// UpWith applies every migration not applied yet, then the settings the
// schema takes from the configuration.
func (mg *Migrator) UpWith(ctx context.Context, sc SchemaConfig) error {
	if err := mg.Up(); err != nil {
		return err
	}
	if err := mg.SetRetention(ctx, sc.EventsRetentionDays); err != nil {
		return err
	}
	// Before the referral window, which may price every order again: with
	// the rules as they are.
	if err := mg.BuildRules(ctx); err != nil {
		return err
	}
	if err := mg.SetReferralWindow(ctx, sc.ReferralWindowDays); err != nil {
		return err
	}
	return mg.SetLeaderboardRefresh(ctx, sc.LeaderboardRefresh, sc.LeaderboardLongRefresh)
}

// BuildRules builds the rule timeline pricing reads again (DB.BuildRules),
// so that a rule written around the service, by hand or by an older binary,
// counts from here on (docs/schema.md, Rules as a timeline).
func (mg *Migrator) BuildRules(ctx context.Context) error {
	db, err := Open(ctx, mg.cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.BuildRules(ctx); err != nil {
		return fmt.Errorf("build the rule timeline: %w", err)
	}
	return nil
}

// Down reverts every migration.
func (mg *Migrator) Down() error {
	if err := mg.m.Down(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// Steps applies n migrations up (n > 0) or reverts -n (n < 0).
func (mg *Migrator) Steps(n int) error {
	start, _, _ := mg.Version()
	target := int(start) + n
	apply := func(from int) error { return mg.m.Steps(target - from) }
	if n < 0 {
		apply = func(int) error { return mg.m.Steps(n) } // a failed revert is not retried
	}
	if err := mg.retry(apply); err != nil {
		return fmt.Errorf("migrate %+d steps: %w", n, err)
	}
	return nil
}

// Version is the applied version; 0 when none is.
func (mg *Migrator) Version() (version uint, dirty bool, err error) {
	v, dirty, err := mg.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return v, dirty, err
}

// SetRetention makes raw events expire after days (0: keep them forever).
// Only the table's metadata changes; existing parts expire as they merge.
func (mg *Migrator) SetRetention(ctx context.Context, days int) error {
	var engine string
	err := mg.db.QueryRowContext(ctx,
		"SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'").Scan(&engine)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not migrated yet
	}
	if err != nil {
		return fmt.Errorf("read events TTL: %w", err)
	}
	hasTTL := strings.Contains(engine, " TTL ")
	var stmt string
	switch {
	case days == 0 && hasTTL:
		stmt = "ALTER TABLE events REMOVE TTL"
	case days > 0 && !strings.Contains(engine, fmt.Sprintf("toIntervalDay(%d)", days)):
		stmt = fmt.Sprintf("ALTER TABLE events MODIFY TTL toDateTime(ts) + INTERVAL %d DAY", days)
	default:
		return nil
	}
	ctx = ch.Context(ctx, ch.WithSettings(ch.Settings{"materialize_ttl_after_modify": 0}))
	if _, err := mg.db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("set events retention to %d days: %w", days, err)
	}
	return nil
}

// The refreshable views that recompute the leaderboards: the short windows
// (1h, 24h) into leaderboards, which also copies the long ones (7d, 30d,
// all) from leaderboards_long, which the long windows' view writes.
const (
	LeaderboardView     = "leaderboards_mv"
	LeaderboardLongView = "leaderboards_long_mv"
)

// LeaderboardViews are both (DB.RefreshAll finds the order to refresh them
// in from their SELECTs).
var LeaderboardViews = []string{LeaderboardView, LeaderboardLongView}

// SetLeaderboardRefresh sets how often the short windows' leaderboards
// (leaderboards_mv) and the long windows' (leaderboards_long_mv) are
// recomputed (whole seconds, at least 1): fresher against cheaper.
func (mg *Migrator) SetLeaderboardRefresh(ctx context.Context, short, long time.Duration) error {
	if err := mg.setRefresh(ctx, LeaderboardView, short); err != nil {
		return err
	}
	return mg.setRefresh(ctx, LeaderboardLongView, long)
}

func (mg *Migrator) setRefresh(ctx context.Context, view string, every time.Duration) error {
	secs := int(every / time.Second)
	if secs < 1 {
		return fmt.Errorf("%s refresh %s: want at least 1s", view, every)
	}
	var create string
	err := mg.db.QueryRowContext(ctx,
		"SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = ?", view).Scan(&create)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not migrated yet
	}
	if err != nil {
		return fmt.Errorf("read %s refresh: %w", view, err)
	}
	if strings.Contains(create, fmt.Sprintf("REFRESH EVERY %d SECOND ", secs)) {
		return nil
	}
	if _, err := mg.db.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s MODIFY REFRESH EVERY %d SECOND", view, secs)); err != nil {
		return fmt.Errorf("set %s refresh to %ds: %w", view, secs, err)
	}
	return nil
}

// SetReferralWindow sets how many days after an invitee joins their orders
// earn their inviter referral earnings (pricing reads it). A new
// window prices every order again, so that the figures follow it; so does
// the first setting, which prices the orders stored before order_prices
// existed (migration 000044).
func (mg *Migrator) SetReferralWindow(ctx context.Context, days int) error {
	if days < 1 {
		return fmt.Errorf("referral window %d days: want at least 1", days)
	}
	var was string
	if err := mg.db.QueryRowContext(ctx,
		"SELECT argMax(value, updated_at) FROM service_settings WHERE name = 'referral_window_days'").Scan(&was); err != nil {
		return fmt.Errorf("read the referral window: %w", err)
	}
	if was == strconv.Itoa(days) {
		return nil
	}
	if _, err := mg.db.ExecContext(ctx, "INSERT INTO service_settings (name, value) VALUES ('referral_window_days', ?)",
		strconv.Itoa(days)); err != nil {
		return fmt.Errorf("set the referral window to %d days: %w", days, err)
	}
	db, err := Open(ctx, mg.cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	mg.log.Info("pricing every order", "referral_window_days", days, "was", was)
	t0, logged := time.Now(), time.Now()
	err = db.PriceAll(ctx, func(done, total int) {
		if time.Since(logged) >= 5*time.Second || done == total {
			logged = time.Now()
			mg.log.Info("pricing every order", "days_done", done, "days", total, "elapsed", time.Since(t0).Round(time.Second))
		}
	})
	if err != nil {
		return fmt.Errorf("price every order for a referral window of %d days: %w", days, err)
	}
	return nil
}

var rebuildLineRe = regexp.MustCompile(`(?m)^--\s*rebuild:\s*(.*)$`)

// Rebuilds lists the tables the migrations after version from, up to and
// including to, say need a rebuild: a migration that adds or changes a
// view says so in a "-- rebuild: table, table" line of its up file (or
// "-- rebuild: none (why)"), because a view sees only the rows inserted
// after it exists.
func Rebuilds(from, to uint) ([]string, error) { return RebuildsIn(migrations.FS, from, to) }

// RebuildsIn is Rebuilds over the migrations in fsys.
func RebuildsIn(fsys fs.FS, from, to uint) ([]string, error) {
	files, err := fs.Glob(fsys, "*.up.sql")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		v, err := strconv.ParseUint(strings.SplitN(f, "_", 2)[0], 10, 64)
		if err != nil || uint(v) <= from || uint(v) > to {
			continue
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		for _, m := range rebuildLineRe.FindAllStringSubmatch(string(b), -1) {
			list := strings.TrimSpace(m[1])
			if strings.HasPrefix(list, "none") {
				continue
			}
			for _, t := range strings.Split(list, ",") {
				if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	return out, nil
}

// Close releases the connection.
func (mg *Migrator) Close() error {
	_, dbErr := mg.m.Close()
	return errors.Join(dbErr, mg.db.Close())
}

// EnsureDatabase creates cfg.Database if it does not exist.
func EnsureDatabase(ctx context.Context, cfg Config) error {
	admin := cfg
	admin.Database = "default"
	db, err := Open(ctx, admin)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(cfg.Database)); err != nil {
		return fmt.Errorf("create database %s: %w", cfg.Database, err)
	}
	return nil
}

func quoteIdent(s string) string {
	return "`" + strings.NewReplacer(`\`, `\\`, "`", "\\`").Replace(s) + "`"
}

type migrateLog struct{ log *slog.Logger }

func (l migrateLog) Printf(format string, v ...any) {
	l.log.Info(strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "migrate")
}

func (l migrateLog) Verbose() bool { return false }
