package clickhouse

import (
	"context"
	"database/sql"
	"encoding/xml"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate"
)

// The server keeps no lasting list of its backups (system.backups is in
// memory, and holds this process's only), so the list is the location's
// folder, read where this program runs: the embedded engine's folder, or
// a server's backup volume mounted here too (docs/operations.md).

// BackupEntry is one backup found in a location.
type BackupEntry struct {
	Name  string
	Time  time.Time // when it was finished
	Base  string    // the backup it is incremental from, "" for a full one
	Bytes uint64    // its own files, on disk
}

// BackupDir is the folder on this machine that holds loc's backups.
func (db *DB) BackupDir(ctx context.Context, loc BackupLocation) (string, error) {
	if loc.Dir != "" {
		return loc.Dir, nil
	}
	var path string
	err := db.conn.QueryRow(ctx, "SELECT path FROM system.disks WHERE name = {d:String}", ch.Named("d", loc.Disk)).Scan(&path)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", rebate.Errorf(rebate.EMISCONFIG, "location", "the server has no disk named %s for backups (docs/operations.md says how to add one)", loc.Disk)
		}
		return "", domainError("find the backup disk", err)
	}
	return filepath.Clean(path), nil
}

// ListBackups lists the backups of loc, oldest first.
func (db *DB) ListBackups(ctx context.Context, loc BackupLocation) ([]BackupEntry, error) {
	dir, err := db.BackupDir(ctx, loc)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, rebate.Wrap(rebate.EMISCONFIG, err, "read the backup folder "+dir+" ("+loc.String()+
			"): list backups on the machine that holds it, or mount it here (docs/operations.md)")
	}
	var out []BackupEntry
	for _, e := range entries {
		b, ok := readBackup(filepath.Join(dir, e.Name()))
		if ok {
			b.Name = e.Name()
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b BackupEntry) int { return a.Time.Compare(b.Time) })
	return out, nil
}

var lastQuotedRe = regexp.MustCompile(`'([^']*)'\s*\)\s*$`)

// readBackup describes the backup at path: a folder with the engine's
// .backup file, or an archive (.tar, .tar.gz). A backup still being
// written has no .backup yet and is not listed.
func readBackup(path string) (BackupEntry, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return BackupEntry{}, false
	}
	if !st.IsDir() {
		if strings.HasSuffix(path, ".tar") || strings.HasSuffix(path, ".tar.gz") {
			return BackupEntry{Time: st.ModTime().UTC(), Bytes: uint64(st.Size())}, true
		}
		return BackupEntry{}, false
	}
	meta := filepath.Join(path, ".backup")
	mst, err := os.Stat(meta)
	if err != nil {
		return BackupEntry{}, false
	}
	b := BackupEntry{Time: mst.ModTime().UTC()}
	if raw, err := os.ReadFile(meta); err == nil {
		var doc struct {
			Base string `xml:"base_backup"`
		}
		if xml.Unmarshal(raw, &doc) == nil {
			if m := lastQuotedRe.FindStringSubmatch(doc.Base); m != nil {
				b.Base = filepath.Base(m[1])
			}
		}
	}
	_ = filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				b.Bytes += uint64(info.Size())
			}
		}
		return nil
	})
	return b, true
}

// DeleteBackup removes a backup from loc. Incremental backups made from it
// can no longer be restored: the caller keeps the bases of what it keeps.
func (db *DB) DeleteBackup(ctx context.Context, loc BackupLocation, name string) error {
	if err := CheckBackupName(name); err != nil {
		return err
	}
	dir, err := db.BackupDir(ctx, loc)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return rebate.Errorf(rebate.ENOTFOUND, "name", "no backup %s at %s", name, loc)
	}
	if err := os.RemoveAll(path); err != nil {
		return rebate.Wrap(rebate.EMISCONFIG, err, "delete backup "+name)
	}
	return nil
}
