package main

import (
	"context"
	"fmt"
	"regexp"
	"text/tabwriter"
	"time"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/settings"
	"github.com/rebatehq/rebate/kafka"
	"github.com/rebatehq/rebate/ops"
)

func backupCommands() []command {
	return []command{
		{name: "create", summary: "back the database up, with the ingesters' committed Kafka offsets in it", new: func() runner { return &backupCreateCmd{} }},
		{name: "list", summary: "list the backups of a location, oldest first", new: func() runner { return &backupListCmd{} }},
		{name: "restore", summary: "restore a backup in place (or --as another database); --reset-offsets replays what Kafka holds since it",
			new: func() runner { return &backupRestoreCmd{} }, args: []string{"NAME"}},
	}
}

// backupTarget is what every backup command needs: ClickHouse, and where
// its backups are.
type backupTarget struct {
	report
	ClickHouse clickhouse.Config
	Location   string
	loc        clickhouse.BackupLocation
}

// registerAt binds the location under flag (--to for create, --from for
// list and restore); the variable is the same.
func (c *backupTarget) registerAt(f *settings.Flags, flag string) {
	c.report.register(f)
	c.ClickHouse.RegisterFlags(f)
	f.String(&c.Location, flag, "REBATE_BACKUP_LOCATION", "",
		"where backups are: disk:NAME (a disk of the server) or an absolute folder it may write (empty: the server's disk 'backups')",
		func(s string) error { _, err := clickhouse.ParseBackupLocation(s); return err })
}

func (c *backupTarget) open(ctx context.Context) (*clickhouse.DB, error) {
	var err error
	if c.loc, err = clickhouse.ParseBackupLocation(c.Location); err != nil {
		return nil, err
	}
	return clickhouse.Open(ctx, c.ClickHouse)
}

// backupKafka is where a backup finds the offsets it records.
type backupKafka struct {
	Kafka  kafka.Config
	Topics kafka.Topics
	Group  string
}

func (k *backupKafka) register(f *settings.Flags) {
	k.Kafka.RegisterFlags(f)
	k.Topics.RegisterEventsFlag(f)
	kafka.RegisterGroupFlag(f, &k.Group)
}

func (k *backupKafka) backups(db *clickhouse.DB, loc clickhouse.BackupLocation) *ops.Backups {
	return &ops.Backups{DB: db, Kafka: k.Kafka, Group: k.Group, Topic: k.Topics.Events, Location: loc}
}

type backupCreateCmd struct {
	backupTarget
	backupKafka
	IncrementalFrom string
}

func (c *backupCreateCmd) register(f *settings.Flags) {
	c.backupTarget.registerAt(f, "to")
	c.backupKafka.register(f)
	f.String(&c.IncrementalFrom, "incremental-from", "REBATE_BACKUP_INCREMENTAL_FROM", "",
		"store only what this backup (at the same location) lacks; restoring needs both", optionalBackupName)
}

func optionalBackupName(s string) error {
	if s == "" {
		return nil
	}
	return clickhouse.CheckBackupName(s)
}

func (c *backupCreateCmd) run(ctx context.Context, env *environment) error {
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	name := ops.Name("", c.ClickHouse.Database, time.Now())
	info, m, err := c.backups(db, c.loc).Create(ctx, name, c.IncrementalFrom, c.progress(env))
	if err != nil {
		return err
	}
	kind := "full"
	if c.IncrementalFrom != "" {
		kind = "incremental from " + c.IncrementalFrom
	}
	var committed int64
	for _, o := range m.Kafka.Offsets {
		committed += o
	}
	fmt.Fprintf(env.stdout, "backup %s of database %s (%s) at %s: %d files, %s, in %s\n",
		info.Name, c.ClickHouse.Database, kind, c.loc, info.Files, size(info.Bytes), info.Took.Round(time.Millisecond))
	fmt.Fprintf(env.stdout, "it records group %s at %d records of %s (%d partitions with commits): restore it with --reset-offsets to replay what came after\n",
		m.Kafka.Group, committed, m.Kafka.Topic, len(m.Kafka.Offsets))
	return nil
}

type backupListCmd struct{ backupTarget }

func (c *backupListCmd) register(f *settings.Flags) { c.backupTarget.registerAt(f, "from") }

func (c *backupListCmd) run(ctx context.Context, env *environment) error {
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := db.ListBackups(ctx, c.loc)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		dir, _ := db.BackupDir(ctx, c.loc)
		fmt.Fprintf(env.stdout, "no backups at %s (%s)\n", c.loc, dir)
		return nil
	}
	w := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tFINISHED (UTC)\tSIZE\tINCREMENTAL FROM")
	for _, b := range list {
		base := "-"
		if b.Base != "" {
			base = b.Base
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", b.Name, b.Time.Format(time.DateTime), size(b.Bytes), base)
	}
	return w.Flush()
}

type backupRestoreCmd struct {
	backupTarget
	backupKafka
	As           string
	ResetOffsets bool
}

var databaseNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

func (c *backupRestoreCmd) register(f *settings.Flags) {
	c.backupTarget.registerAt(f, "from")
	c.backupKafka.register(f)
	f.String(&c.As, "as", "REBATE_RESTORE_AS", "", "restore into this new database instead of replacing --clickhouse-database", func(s string) error {
		if s != "" && !databaseNameRe.MatchString(s) {
			return fmt.Errorf("want a database name: letters, digits and '_'")
		}
		return nil
	})
	f.Bool(&c.ResetOffsets, "reset-offsets", "REBATE_RESTORE_RESET_OFFSETS", false,
		"then set the ingesters' group back to the offsets the backup recorded, so they replay what Kafka holds since (stop every ingester first)")
}

func (c *backupRestoreCmd) run(ctx context.Context, env *environment) error {
	name := env.args[0]
	if err := clickhouse.CheckBackupName(name); err != nil {
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := c.backups(db, c.loc).Restore(ctx, name, c.As, c.ResetOffsets, c.progress(env))
	if err != nil {
		return err
	}
	if r.Warning != "" {
		fmt.Fprintln(env.stderr, "warning:", r.Warning)
	}
	fmt.Fprintf(env.stdout, "restored %s into database %s in %s (%d files, %s)\n", name, r.Database, r.Info.Took.Round(time.Millisecond), r.Info.Files, size(r.Info.Bytes))
	if r.Manifest != nil {
		fmt.Fprintf(env.stdout, "the backup was taken at %s\n", r.Manifest.CreatedAt.Format(time.RFC3339))
	}
	if !c.ResetOffsets {
		fmt.Fprintln(env.stdout, "events stored after the backup are not in it; --reset-offsets replays what Kafka still holds since")
		return nil
	}
	var replay, lost int64
	w := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PARTITION\tCOMMITTED BEFORE\tNOW\tEND\tTO REPLAY")
	for _, p := range r.Resets {
		fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%d\n", p.Partition, p.From, p.To, p.End, p.End-p.To)
		replay += p.End - p.To
		lost += p.Lost
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "group %s reset: the next ingester replays %d records into %s\n", c.Group, replay, r.Database)
	if lost > 0 {
		fmt.Fprintf(env.stdout, "WARNING: %d records after the backup were already deleted by the topic's retention: their events are lost\n", lost)
	}
	if c.As != "" {
		fmt.Fprintf(env.stdout, "note: the ingesters write --clickhouse-database; point them at %s before starting them\n", c.As)
	}
	return nil
}

// size is a byte count for people.
func size(n uint64) string {
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
