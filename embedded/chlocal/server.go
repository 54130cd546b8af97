// Package chlocal serves ClickHouse's HTTP interface over the embedded engine
// (package chdb), so that clickhouse-go, curl and BI tools talk to it exactly
// as they would to a ClickHouse server.
package chlocal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/embedded/chdb"
	"github.com/rebatehq/rebate/internal/prom"
	"github.com/rebatehq/rebate/internal/settings"
)

// Config of the endpoint. The zero value of each field selects its default.
type Config struct {
	// Listen is where a program serves the endpoint (Open does not listen).
	Listen string
	// Path is the data folder; "" keeps everything in memory.
	Path string
	// BackupDir, if set, is where BACKUP and RESTORE may write and read: a
	// disk named "backups" and an allowed path for File(...). The engine
	// refuses every backup (code 318) until one is configured, and its
	// configuration is process-wide: the first Open of a process decides it.
	BackupDir string
	// Conns is how many statements run at once (engine connections).
	Conns int
	// UncompressedCacheBytes sizes the engine's cache of decompressed
	// blocks, for the statements that ask (use_uncompressed_cache; the
	// service's own do not, docs/benchmarks.md). Off (CacheOff) by default:
	// any user may ask, and its memory, allocated as blocks are put in it,
	// is the process's. Process-wide, as BackupDir: the first Open of a
	// process decides it.
	UncompressedCacheBytes int64
	// TempDir is where INSERT bodies are staged for the engine. Default: the OS temp folder.
	TempDir string
	// MaxQueryBytes caps a statement's text (not INSERT data). Default 16 MiB.
	MaxQueryBytes int64
	// MaxInsertBytes caps one INSERT body. Default 16 GiB.
	MaxInsertBytes int64
	// Logger receives one line per failed statement and debug lines per request.
	Logger *slog.Logger
	// Registerer, if set, receives the endpoint's Prometheus metrics.
	Registerer prometheus.Registerer
	// Users who may connect; none: the endpoint is open and must listen
	// on loopback only (Validate).
	Users []User
	// AllowedOrigins are the browser origins (http://host:port) that may
	// call the endpoint; browser requests from any other site are refused.
	AllowedOrigins []string
}

// RegisterFlags binds the endpoint's settings to their flags and variables.
func (c *Config) RegisterFlags(f *settings.Flags) {
	f.String(&c.Listen, "listen", "REBATE_CHLOCAL_LISTEN", "127.0.0.1:8123", "address of the embedded engine's ClickHouse HTTP interface",
		settings.HostPort)
	f.Int(&c.Conns, "conns", "REBATE_CHLOCAL_CONNS", 4, "statements the embedded engine runs at once", settings.Between(1, 64))
	settings.Var(f, &c.UncompressedCacheBytes, "uncompressed-cache-bytes", "REBATE_CHLOCAL_UNCOMPRESSED_CACHE_BYTES", CacheOff,
		ParseCacheBytes, formatCacheBytes, "memory for the embedded engine's cache of decompressed blocks, for queries that ask (use_uncompressed_cache; 0: off)",
		checkCacheBytes)
	settings.SecretVar(f, &c.Users, "users", "REBATE_CHLOCAL_USERS", nil, ParseUsers, formatUsers,
		"users of the embedded engine as name:role:password,... (roles admin, readonly); none: open, loopback only")
	f.List(&c.AllowedOrigins, "allowed-origins", "REBATE_CHLOCAL_ALLOWED_ORIGINS", nil,
		"browser origins (like http://localhost:3000) allowed to call the embedded engine; none: browsers are refused", CheckOrigins)
}

// Validate checks what no single setting can: an endpoint without users
// serves this machine only.
func (c *Config) Validate() error {
	if len(c.Users) == 0 && c.Listen != "" && !settings.Loopback(c.Listen) {
		return fmt.Errorf("config: --listen (REBATE_CHLOCAL_LISTEN) %q is not loopback and no users are set (--users, REBATE_CHLOCAL_USERS): "+
			"refusing to serve the embedded ClickHouse engine open beyond this machine", c.Listen)
	}
	return nil
}

// RegisterPathFlag binds the data folder, for a command that does not
// derive it from a folder of its own (rebate up does, from --data).
func (c *Config) RegisterPathFlag(f *settings.Flags) {
	f.String(&c.Path, "path", "REBATE_CHLOCAL_PATH", "data/clickhouse", "data folder of the embedded ClickHouse engine", settings.NonEmpty)
}

// RegisterBackupFlag binds the backup folder, for rebate chlocal (rebate up
// puts it under --data).
func (c *Config) RegisterBackupFlag(f *settings.Flags) {
	f.String(&c.BackupDir, "backup-dir", "REBATE_CHLOCAL_BACKUP_DIR", "",
		"folder of BACKUP and RESTORE: the disk 'backups' and the path File(...) may use (empty: 'backups' beside --path)")
}

func (c *Config) setDefaults() error {
	settings.FillDefaults(c.RegisterFlags)
	if err := settings.Check(c.RegisterFlags); err != nil {
		return err
	}
	if c.TempDir == "" {
		c.TempDir = os.TempDir()
	}
	if c.MaxQueryBytes == 0 {
		c.MaxQueryBytes = 16 << 20
	}
	if c.MaxQueryBytes < 1024 {
		return fmt.Errorf("chlocal config: MaxQueryBytes=%d: want at least 1024", c.MaxQueryBytes)
	}
	if c.MaxInsertBytes == 0 {
		c.MaxInsertBytes = 16 << 30
	}
	if c.MaxInsertBytes < 1 {
		return fmt.Errorf("chlocal config: MaxInsertBytes=%d: want a positive size", c.MaxInsertBytes)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c.Validate()
}

// Info describes the engine behind the endpoint.
type Info struct {
	DisplayName string
	Version     string
	Timezone    string
}

// Server is the HTTP endpoint. It implements http.Handler.
type Server struct {
	cfg      Config
	lib      *chdb.Lib
	pool     *pool    // admin users, or everyone when there are no users
	roPool   *pool    // readonly users: SET readonly = 2 ran on each; nil without them
	args     []string // the engine's connect arguments, for every connection
	accounts map[string]*account
	origins  map[string]bool
	cat      catalog
	verdicts verdicts
	cwd      cwdFiles
	staging  string
	info     Info
	metrics  *metrics
	log      *slog.Logger
	closed   atomic.Bool
}

// Open connects to the engine and prepares the endpoint.
func Open(lib *chdb.Lib, cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	staging, err := os.MkdirTemp(cfg.TempDir, "rebate-chlocal-")
	if err != nil {
		return nil, fmt.Errorf("chlocal config: TempDir %q: %w", cfg.TempDir, err)
	}
	// The staging path is spliced into FROM INFILE, where these are globs.
	if strings.ContainsAny(staging, "*?{}[]") {
		_ = os.RemoveAll(staging)
		return nil, fmt.Errorf("chlocal config: TempDir %q: path must not contain any of * ? { } [ ]", cfg.TempDir)
	}
	if cfg.Path != "" {
		if err := os.MkdirAll(cfg.Path, 0o755); err != nil {
			_ = os.RemoveAll(staging)
			return nil, fmt.Errorf("chlocal config: Path %q: %w", cfg.Path, err)
		}
	}
	args, err := backupArgs(cfg.BackupDir)
	if err != nil {
		_ = os.RemoveAll(staging)
		return nil, err
	}
	args = append(args, cacheArgs(cfg.UncompressedCacheBytes)...)
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		_ = os.RemoveAll(staging)
		return nil, err
	}
	p, err := newPool(lib, cfg.Path, cfg.Conns, args, m.waitedIn("default"))
	if err != nil {
		_ = os.RemoveAll(staging)
		return nil, err
	}
	s := &Server{cfg: cfg, lib: lib, pool: p, args: args, staging: staging, log: cfg.Logger, accounts: newAccounts(cfg.Users), metrics: m}
	s.cfg.Users = nil // the server keeps hashes only
	s.origins = make(map[string]bool, len(cfg.AllowedOrigins))
	for _, o := range cfg.AllowedOrigins {
		s.origins[strings.ToLower(strings.TrimSuffix(o, "/"))] = true
	}
	for _, u := range cfg.Users {
		if u.Role == RoleReadonly && s.roPool == nil {
			// readonly = 2, not 1: a readonly user may still adjust limits
			// and timeouts, as Grafana does; neither can lift readonly.
			if s.roPool, err = newPool(lib, cfg.Path, cfg.Conns, args, m.waitedIn("readonly"), "SET readonly = 2"); err != nil {
				_ = s.Close(context.Background())
				return nil, err
			}
		}
	}
	if s.info, err = s.readInfo(); err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	if err := s.readCatalog(); err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	// Last: a failed Open leaves no collector of a closed server behind.
	if err := prom.Register(cfg.Registerer, newCacheCollector(s)); err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	return s, nil
}

func (s *Server) readInfo() (Info, error) {
	f, err := s.readRow(context.Background(), "startup", "SELECT displayName(), version(), timezone()", 3)
	if err != nil {
		return Info{}, fmt.Errorf("read engine version: %w", err)
	}
	return Info{DisplayName: f[0], Version: f[1], Timezone: f[2]}, nil
}

// readRow runs a statement of the endpoint's own (never a client's) on a
// pooled connection, taken for kind within ctx, and returns the n fields of
// its one row.
func (s *Server) readRow(ctx context.Context, kind, sql string, n int) ([]string, error) {
	sess, err := s.pool.acquire(ctx, kind)
	if err != nil {
		return nil, err
	}
	defer s.pool.release(sess)
	r, err := sess.conn.Query(sql, "TabSeparated")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f := strings.Split(strings.TrimRight(string(r.Bytes()), "\n"), "\t")
	if len(f) != n {
		return nil, fmt.Errorf("unexpected answer %q", r.Bytes())
	}
	return f, nil
}

// Info describes the engine.
func (s *Server) Info() Info { return s.info }

// Close stops accepting statements, waits (bounded by ctx) for running ones
// and closes the engine connections. Stop the HTTP server first.
func (s *Server) Close(ctx context.Context) error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	err := s.pool.close(ctx)
	if s.roPool != nil {
		err = errors.Join(err, s.roPool.close(ctx))
	}
	if rmErr := os.RemoveAll(s.staging); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("remove staging folder: %w", rmErr))
	}
	return err
}

// BackupDisk is the name of the disk BackupDir configures.
const BackupDisk = "backups"

// backupArgs configures the engine's backups in dir: a local disk named
// BackupDisk for Disk('backups', name), and dir as the allowed path for
// File('<dir>/name'). The dotted arguments are the engine's configuration
// keys, as a server's config.d XML would set them.
func backupArgs(dir string) ([]string, error) {
	if dir == "" {
		return nil, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("chlocal config: BackupDir %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("chlocal config: BackupDir %q: %w", dir, err)
	}
	abs += string(filepath.Separator)
	return []string{
		"--storage_configuration.disks." + BackupDisk + ".type=local",
		"--storage_configuration.disks." + BackupDisk + ".path=" + abs,
		"--backups.allowed_disk=" + BackupDisk,
		"--backups.allowed_path=" + abs,
	}, nil
}
