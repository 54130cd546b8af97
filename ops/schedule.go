package ops

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/prom"
	"github.com/rebatehq/rebate/internal/settings"
)

// BackupSchedule takes backups every Every and keeps the Keep most recent
// of them (rebate up --backup-every, --backup-keep).
type BackupSchedule struct {
	Every time.Duration // 0: no scheduled backups
	Keep  int
}

// RegisterFlags binds the schedule to its flags and variables.
func (s *BackupSchedule) RegisterFlags(f *settings.Flags) {
	f.Duration(&s.Every, "backup-every", "REBATE_BACKUP_EVERY", 0,
		"take a backup this often, to the engine's backups folder (0: never; at least 1m)", minuteOrOff)
	f.Int(&s.Keep, "backup-keep", "REBATE_BACKUP_KEEP", 7,
		"scheduled backups to keep (and the full backups those are incremental from)", settings.Between(1, 10_000))
}

func minuteOrOff(d time.Duration) error {
	if d != 0 && d < time.Minute {
		return settings.DurationBetween(time.Minute, 365*24*time.Hour)(d)
	}
	return nil
}

// AutoPrefix starts the name of every scheduled backup: only those are
// ever deleted by the schedule.
const AutoPrefix = "auto-"

// Run takes a backup every s.Every until ctx ends. A failed backup is
// logged, counted and tried again at the next tick; the last success's time
// is exported, for the alert on backups that stopped.
func (s BackupSchedule) Run(ctx context.Context, b *Backups, log *slog.Logger, reg prometheus.Registerer) error {
	if s.Every <= 0 {
		return nil
	}
	last := prometheus.NewGauge(prometheus.GaugeOpts{Name: "rebate_backup_last_success_timestamp",
		Help: "Unix time the last scheduled backup finished (rebate up --backup-every)."})
	failures := prometheus.NewCounter(prometheus.CounterOpts{Name: "rebate_backup_failures_total",
		Help: "Scheduled backups that failed."})
	if err := prom.Register(reg, last, failures); err != nil {
		return err
	}
	// Until the first backup, the schedule's start counts as the last:
	// the alert waits for a backup that is late, not for the first one.
	last.Set(float64(time.Now().Unix()))
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			name, deleted, err := s.Once(ctx, b, time.Now())
			if err != nil {
				if ctx.Err() == nil {
					failures.Inc()
					log.Error("scheduled backup failed; trying again at the next", "err", err, "every", s.Every)
				}
				continue
			}
			last.Set(float64(time.Now().Unix()))
			log.Info("scheduled backup taken", "name", name, "location", b.Location.String(), "deleted", deleted)
		}
	}
}

// Once takes one scheduled backup and deletes the scheduled backups it
// no longer needs. Scheduled backups are incremental from the newest full
// one, and every Keep-th is full again, so a restore needs at most two
// backups and the folder holds at most Keep plus one full.
func (s BackupSchedule) Once(ctx context.Context, b *Backups, now time.Time) (name string, deleted []string, err error) {
	prefix := AutoPrefix + b.DB.Config().Database + "-"
	all, err := b.DB.ListBackups(ctx, b.Location)
	if err != nil {
		return "", nil, err
	}
	var autos []clickhouse.BackupEntry
	for _, e := range all {
		if strings.HasPrefix(e.Name, prefix) {
			autos = append(autos, e)
		}
	}
	name = Name(AutoPrefix, b.DB.Config().Database, now)
	base := nextBase(autos, s.Keep)
	info, _, err := b.Create(ctx, name, base, nil)
	if err != nil {
		return "", nil, err
	}
	autos = append(autos, clickhouse.BackupEntry{Name: info.Name, Time: now, Base: base})
	for _, d := range expired(autos, s.Keep) {
		if err := b.DB.DeleteBackup(ctx, b.Location, d); err != nil {
			return name, deleted, err
		}
		deleted = append(deleted, d)
	}
	return name, deleted, nil
}

// nextBase is the base of the next scheduled backup: the newest full one,
// unless keep backups have been taken since it began (then "": a full).
func nextBase(autos []clickhouse.BackupEntry, keep int) string {
	for i := len(autos) - 1; i >= 0; i-- {
		if autos[i].Base == "" {
			if len(autos)-i >= keep {
				return ""
			}
			return autos[i].Name
		}
	}
	return ""
}

// expired are the scheduled backups to delete: all but the keep newest and
// the bases those need. autos are oldest first.
func expired(autos []clickhouse.BackupEntry, keep int) []string {
	kept := map[string]bool{}
	for i := max(0, len(autos)-keep); i < len(autos); i++ {
		kept[autos[i].Name] = true
		if autos[i].Base != "" {
			kept[autos[i].Base] = true
		}
	}
	var out []string
	for _, e := range autos {
		if !kept[e.Name] && !slices.Contains(out, e.Name) {
			out = append(out, e.Name)
		}
	}
	return out
}
