package clickhouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"

	"github.com/rebatehq/rebate"
)

// Backups are ClickHouse's own (BACKUP DATABASE ... TO, RESTORE ... FROM),
// of the whole database, as folders: the engine builds no zip archives
// (code 344), and a folder can be the base of an incremental backup. The
// server must allow the location (backups.allowed_disk or
// backups.allowed_path); the embedded engine is configured so by rebate up
// and rebate chlocal (--backup-dir).

// DefaultBackupDisk is the disk backups go to unless told otherwise.
const DefaultBackupDisk = "backups"

// BackupLocation is where backups live: a disk of the server
// (Disk('backups', name)) or a folder it may write (File('/dir/name')).
type BackupLocation struct {
	Disk string
	Dir  string // absolute, on the server's machine
}

// ParseBackupLocation reads "disk:NAME" or an absolute folder; "" is the
// disk named backups.
func ParseBackupLocation(s string) (BackupLocation, error) {
	switch {
	case s == "":
		return BackupLocation{Disk: DefaultBackupDisk}, nil
	case strings.HasPrefix(s, "disk:") && plainIdentRe.MatchString(strings.TrimPrefix(s, "disk:")):
		return BackupLocation{Disk: strings.TrimPrefix(s, "disk:")}, nil
	case filepath.IsAbs(s) && !strings.ContainsAny(s, `'\`):
		return BackupLocation{Dir: filepath.Clean(s)}, nil
	}
	return BackupLocation{}, rebate.Errorf(rebate.EINVALID, "location",
		"%q: want disk:NAME (a disk of the server) or an absolute folder it may write (backups.allowed_path); for S3 see docs/operations.md", s)
}

func (l BackupLocation) String() string {
	if l.Dir != "" {
		return l.Dir
	}
	return "disk:" + l.Disk
}

// target is the backup's place in SQL.
func (l BackupLocation) target(name string) string {
	if l.Dir != "" {
		return "File(" + quoteString(filepath.Join(l.Dir, name)) + ")"
	}
	return "Disk(" + quoteString(l.Disk) + ", " + quoteString(name) + ")"
}

var backupNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// CheckBackupName accepts a backup's name: a folder name, nothing that
// could leave the location.
func CheckBackupName(name string) error {
	if !backupNameRe.MatchString(name) || strings.Contains(name, "..") {
		return rebate.Errorf(rebate.EINVALID, "name", "backup name %q: want letters, digits, '.', '_' and '-' (as backup list shows them)", name)
	}
	return nil
}

// BackupOptions says what to back up where.
type BackupOptions struct {
	Name     string
	Location BackupLocation
	// Base, if set, makes the backup incremental: only the parts not in
	// the backup Base (at the same location) are stored. Restoring it needs
	// Base to be there.
	Base string
	// Manifest is stored in the backup (table backup_manifests), for the
	// restore to read back: the caller's record of the moment.
	Manifest string
	Progress func(line string)
}

// BackupInfo is what a finished backup or restore reports.
type BackupInfo struct {
	Name  string
	Files uint64
	Bytes uint64 // of the backup's files (an incremental's own and its base's)
	Took  time.Duration
	// Manifest is what the backup stored with itself (a restore reads it).
	Manifest string
}

// Backup backs the whole database up, its manifest row included.
func (db *DB) Backup(ctx context.Context, opts BackupOptions) (BackupInfo, error) {
	start := time.Now()
	if err := CheckBackupName(opts.Name); err != nil {
		return BackupInfo{}, err
	}
	settings := ""
	if opts.Base != "" {
		if err := CheckBackupName(opts.Base); err != nil {
			return BackupInfo{}, err
		}
		settings = ", base_backup = " + opts.Location.target(opts.Base)
	}
	err := db.conn.Exec(ctx, "INSERT INTO "+backupManifests+" (name, created_at, base, manifest) VALUES ({name:String}, now64(3), {base:String}, {manifest:String})",
		ch.Named("name", opts.Name), ch.Named("base", opts.Base), ch.Named("manifest", opts.Manifest))
	if err != nil {
		return BackupInfo{}, domainError("backup "+opts.Name+": record its manifest", err)
	}
	// A rebuild's lock and objects stay out: a database restored with the
	// lock would refuse every rebuild.
	tables, err := db.Tables(ctx)
	if err != nil {
		return BackupInfo{}, err
	}
	var except []string
	for _, t := range tables.Transient {
		except = append(except, qualified(db.cfg.Database, t))
	}
	id := uuid.NewString()
	stmt := fmt.Sprintf("BACKUP DATABASE %s EXCEPT TABLES %s TO %s SETTINGS id = %s%s ASYNC", quoteIdent(db.cfg.Database),
		strings.Join(except, ", "), opts.Location.target(opts.Name), quoteString(id), settings)
	info, err := db.runBackup(ctx, stmt, id, "backup "+opts.Name, opts.Location, opts.Progress)
	info.Name, info.Took = opts.Name, time.Since(start)
	return info, err
}

// RestoreOptions says which backup to restore where.
type RestoreOptions struct {
	Name     string
	Location BackupLocation
	// As is the database to restore into; "" is the configured database,
	// whose contents the backup's then replace.
	As       string
	Progress func(line string)
}

// Restore restores the configured database from a backup, into opts.As or
// in its place. In place, the database is renamed aside first and dropped
// only once the restore succeeded; when it fails, it is renamed back. (A
// renamed database's views write by name, so they stop writing while it is
// aside and work again once it is back; the restored database has views of
// its own.) Nothing may write the database meanwhile: stop the ingesters.
func (db *DB) Restore(ctx context.Context, opts RestoreOptions) (BackupInfo, error) {
	start := time.Now()
	if err := CheckBackupName(opts.Name); err != nil {
		return BackupInfo{}, err
	}
	src, dst := db.cfg.Database, opts.As
	if dst == "" {
		dst = src
	}
	// The database may be gone for a while: work from default.
	acfg := db.cfg
	acfg.Database = "default"
	adm, err := Open(ctx, acfg)
	if err != nil {
		return BackupInfo{}, err
	}
	defer adm.Close()
	exists, err := adm.databaseExists(ctx, dst)
	if err != nil {
		return BackupInfo{}, err
	}
	if exists && dst != src {
		return BackupInfo{}, rebate.Errorf(rebate.EINVALID, "as", "database %s exists: restore into a new one, or drop it first", dst)
	}
	aside := ""
	if exists {
		aside = fmt.Sprintf("%s_replaced_%s", src, time.Now().UTC().Format("20060102T150405"))
		if err := adm.conn.Exec(ctx, fmt.Sprintf("RENAME DATABASE %s TO %s", quoteIdent(src), quoteIdent(aside))); err != nil {
			return BackupInfo{}, domainError("restore "+opts.Name+": set the database aside", err)
		}
	}
	id := uuid.NewString()
	as := ""
	if dst != src {
		as = " AS " + quoteIdent(dst)
	}
	stmt := fmt.Sprintf("RESTORE DATABASE %s%s FROM %s SETTINGS id = %s ASYNC", quoteIdent(src), as, opts.Location.target(opts.Name), quoteString(id))
	info, err := adm.runBackup(ctx, stmt, id, "restore "+opts.Name, opts.Location, opts.Progress)
	info.Name = opts.Name
	if err != nil {
		if aside != "" {
			// Put the database back as it was; ctx may have ended.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			rerr := adm.conn.Exec(cctx, "DROP DATABASE IF EXISTS "+quoteIdent(src))
			if rerr == nil {
				rerr = adm.conn.Exec(cctx, fmt.Sprintf("RENAME DATABASE %s TO %s", quoteIdent(aside), quoteIdent(src)))
			}
			if rerr != nil {
				return info, errors.Join(err, domainError(fmt.Sprintf("put database %s back (it is %s now)", src, aside), rerr))
			}
		}
		return info, err
	}
	if err := adm.reloadRefreshable(ctx, dst); err != nil {
		return info, err
	}
	if aside != "" {
		if err := adm.conn.Exec(ctx, "DROP DATABASE "+quoteIdent(aside)); err != nil {
			return info, domainError(fmt.Sprintf("restored; drop the replaced database %s", aside), err)
		}
	}
	err = adm.conn.QueryRow(ctx, fmt.Sprintf("SELECT manifest FROM %s WHERE name = {name:String} ORDER BY created_at DESC LIMIT 1", qualified(dst, backupManifests)),
		ch.Named("name", opts.Name)).Scan(&info.Manifest)
	if err != nil && !errors.Is(err, sql.ErrNoRows) && exceptionCode(err) != codeUnknownTable {
		return info, domainError("restore "+opts.Name+": read its manifest", err)
	}
	info.Took = time.Since(start)
	return info, nil
}

// reloadRefreshable sets each refreshable view's query again after a
// restore. Engine 26.5 loads a restored (or in-process ATTACHed) view's
// UNION ALL without normalising it, and every refresh then fails with
// "UNION mode UNION_DEFAULT must be normalized" (code 36); a view loaded
// at start-up, or given its query anew, refreshes.
func (db *DB) reloadRefreshable(ctx context.Context, database string) error {
	rows, err := db.conn.Query(ctx, `SELECT name, as_select FROM system.tables
		WHERE database = {db:String} AND engine = 'MaterializedView' AND create_table_query LIKE '% REFRESH %'`, ch.Named("db", database))
	if err != nil {
		return domainError("read the restored refreshable views", err)
	}
	type view struct{ name, sel string }
	var views []view
	for rows.Next() {
		var v view
		if err := rows.Scan(&v.name, &v.sel); err != nil {
			rows.Close()
			return domainError("read the restored refreshable views", err)
		}
		views = append(views, v)
	}
	rows.Close()
	for _, v := range views {
		if err := db.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s MODIFY QUERY %s", qualified(database, v.name), v.sel)); err != nil {
			return domainError("restored; set the query of "+v.name+" again", err)
		}
	}
	return nil
}

func (db *DB) databaseExists(ctx context.Context, name string) (bool, error) {
	var n uint64
	if err := db.conn.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = {n:String}", ch.Named("n", name)).Scan(&n); err != nil {
		return false, domainError("look for database "+name, err)
	}
	return n > 0, nil
}

// runBackup runs an ASYNC BACKUP or RESTORE and follows it in
// system.backups until it ends (a statement that blocked for the whole
// backup would meet the client's read timeout on a big one). On ends the
// caller's ctx, the server goes on with it.
func (db *DB) runBackup(ctx context.Context, stmt, id, what string, loc BackupLocation, progress func(string)) (BackupInfo, error) {
	if err := db.conn.Exec(ctx, stmt); err != nil {
		return BackupInfo{}, backupError(what, loc, err)
	}
	start := time.Now()
	last := time.Now()
	for {
		var status, msg string
		var files, size, filesRead, bytesRead uint64
		err := db.conn.QueryRow(ctx, "SELECT toString(status), num_files, total_size, files_read, bytes_read, error FROM system.backups WHERE id = {id:String}",
			ch.Named("id", id)).Scan(&status, &files, &size, &filesRead, &bytesRead, &msg)
		if err != nil {
			return BackupInfo{}, domainError(what+": follow it in system.backups", err)
		}
		info := BackupInfo{Files: files, Bytes: size}
		switch status {
		case "BACKUP_CREATED", "RESTORED":
			return info, nil
		case "BACKUP_FAILED", "RESTORE_FAILED", "BACKUP_CANCELLED", "RESTORE_CANCELLED":
			return info, backupError(what, loc, errors.New(msg))
		}
		if progress != nil && time.Since(last) >= progressEvery {
			last = time.Now()
			took := time.Since(start).Round(time.Second)
			if status == "RESTORING" {
				progress(fmt.Sprintf("%s: %d of %d files, %s of %s read (%s)", what, filesRead, files, bytes(bytesRead), bytes(size), took))
			} else {
				progress(fmt.Sprintf("%s: %d files, %s written (%s)", what, files, bytes(size), took))
			}
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return info, fmt.Errorf("%s: stopped waiting (the server goes on with it; see system.backups, id %s): %w", what, id, ctx.Err())
		}
	}
}

var codeRe = regexp.MustCompile(`Code: (\d+)\.`)

// backupError says what a failed backup or restore means for its caller.
func backupError(what string, loc BackupLocation, err error) error {
	code := exceptionCode(err)
	if code == 0 {
		if m := codeRe.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			code = int32(n)
		}
	}
	msg := exceptionMessage(err)
	switch code {
	case codeInvalidConfigParameter, codeBadArguments:
		return &rebate.Error{Code: rebate.EMISCONFIG, Message: fmt.Sprintf("%s: the server does not allow backups at %s (configure backups.allowed_disk or backups.allowed_path, docs/operations.md): %s", what, loc, msg), Err: err}
	case codeBackupAlreadyExists:
		return &rebate.Error{Code: rebate.EINVALID, Field: "name", Message: fmt.Sprintf("%s: a backup of that name is already at %s", what, loc), Err: err}
	case codeBackupNotFound:
		return &rebate.Error{Code: rebate.ENOTFOUND, Field: "name", Message: fmt.Sprintf("%s: no such backup at %s (backup list shows them): %s", what, loc, msg), Err: err}
	case codeNoBaseBackup, codeWrongBaseBackup, codeBackupDamaged:
		return &rebate.Error{Code: rebate.EINVALID, Field: "name", Message: fmt.Sprintf("%s: %s", what, msg), Err: err}
	}
	var de *rebate.Error
	if errors.As(err, &de) {
		return err
	}
	return &rebate.Error{Code: meaning(err), Message: what + ": " + msg, Err: err}
}

func bytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
