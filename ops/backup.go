// Package ops is the operator's side of the service, where ClickHouse and
// Kafka meet: a backup that records the consumer group's offsets in
// itself and a restore that can set the group back to them (point-in-time
// recovery within the topic's retention), backups on a schedule, the
// reconciliation of every figure with the event log and its metrics, and
// the freshness of refreshable views. The commands of cmd/rebate (backup,
// reconcile, up, api) compose it; docs/operations.md is its runbook.
package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/kafka"
)

// Manifest is what a backup records about itself, inside itself (the
// table backup_manifests), so that it travels with the backup to any
// location, S3 included.
type Manifest struct {
	Name      string    `json:"name"`
	Database  string    `json:"database"`
	CreatedAt time.Time `json:"created_at"`
	Base      string    `json:"base,omitempty"`
	// Kafka is what the ingesters had committed just before the backup
	// began. Every event below those offsets was stored before (commits
	// follow inserts), so the backup holds it; events above may be in it
	// too, and replaying them is harmless: every table is idempotent.
	Kafka kafka.GroupOffsets `json:"kafka"`
}

// Backups takes and restores backups of one database, with the offsets of
// the consumer group that feeds it.
type Backups struct {
	DB       *clickhouse.DB
	Kafka    kafka.Config
	Group    string
	Topic    string
	Location clickhouse.BackupLocation
}

// Name is a new backup's name: the database, a prefix and the time.
func Name(prefix, database string, now time.Time) string {
	return prefix + database + "-" + now.UTC().Format("20060102-150405")
}

// Create reads the group's committed offsets, then backs the database up
// with them; base, if set, makes it incremental from that backup.
func (b *Backups) Create(ctx context.Context, name, base string, progress func(string)) (clickhouse.BackupInfo, Manifest, error) {
	offsets, err := kafka.ReadOffsets(ctx, b.Kafka, b.Group, b.Topic)
	if err != nil {
		return clickhouse.BackupInfo{}, Manifest{}, rebate.Wrap(rebate.EUNAVAIL, err,
			"a backup records where the ingesters are in Kafka, and Kafka did not answer (--kafka-brokers)")
	}
	m := Manifest{Name: name, Database: b.DB.Config().Database, CreatedAt: time.Now().UTC(), Base: base, Kafka: offsets}
	raw, err := json.Marshal(m)
	if err != nil {
		return clickhouse.BackupInfo{}, m, err
	}
	info, err := b.DB.Backup(ctx, clickhouse.BackupOptions{Name: name, Location: b.Location, Base: base, Manifest: string(raw), Progress: progress})
	return info, m, err
}

// Restored is what a restore did.
type Restored struct {
	Info     clickhouse.BackupInfo
	Database string
	Manifest *Manifest // nil when the backup holds none (taken with plain SQL)
	Resets   []kafka.PartitionReset
	// Warning is something the operator should know that did not stop the
	// restore (Kafka did not answer when asked whether ingesters run).
	Warning string
}

// Restore restores backup name into as ("": in place). With resetOffsets
// it then commits the offsets the backup recorded, so the group's next
// ingester replays what Kafka holds from there. Both a reset and a restore
// in place need the ingesters stopped (a running one would commit over the
// reset, or write into the database as it moves, and stop on finding it
// gone): checked before anything is restored. A restore in place goes on
// when Kafka cannot be asked (a disaster may have taken it too), saying so.
func (b *Backups) Restore(ctx context.Context, name, as string, resetOffsets bool, progress func(string)) (Restored, error) {
	out := Restored{Database: as}
	if out.Database == "" {
		out.Database = b.DB.Config().Database
	}
	if resetOffsets || as == "" || as == b.DB.Config().Database {
		err := kafka.CheckIdle(ctx, b.Kafka, b.Group)
		var live *kafka.LiveGroupError
		switch {
		case errors.As(err, &live) || (err != nil && resetOffsets):
			return out, rebate.Wrap(rebate.ECONFLICT, err, "restore "+name+": refused, nothing was restored")
		case err != nil:
			out.Warning = fmt.Sprintf("could not check that the ingesters of group %s are stopped (%v): make sure they are", b.Group, err)
		}
	}
	info, err := b.DB.Restore(ctx, clickhouse.RestoreOptions{Name: name, Location: b.Location, As: as, Progress: progress})
	out.Info = info
	if err != nil {
		return out, err
	}
	if info.Manifest != "" {
		var m Manifest
		if err := json.Unmarshal([]byte(info.Manifest), &m); err != nil {
			return out, fmt.Errorf("restored; its manifest is unreadable: %w", err)
		}
		out.Manifest = &m
	}
	if !resetOffsets {
		return out, nil
	}
	if out.Manifest == nil {
		return out, rebate.Errorf(rebate.EINVALID, "reset-offsets", "restored; backup %s records no Kafka offsets (it was not taken by rebate backup create), so the offsets were left as they are", name)
	}
	to := out.Manifest.Kafka
	if to.Group != b.Group || to.Topic != b.Topic {
		return out, rebate.Errorf(rebate.EINVALID, "reset-offsets", "restored; backup %s recorded group %s on topic %s, not %s on %s: offsets left as they are",
			name, to.Group, to.Topic, b.Group, b.Topic)
	}
	out.Resets, err = kafka.ResetOffsets(ctx, b.Kafka, to)
	if err != nil {
		return out, rebate.Wrap(rebate.EUNAVAIL, err, "restored, but the offsets were not reset")
	}
	return out, nil
}
