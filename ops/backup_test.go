package ops_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/kafka"
	"github.com/rebatehq/rebate/ops"
)

// TestBackupDamageRestore: a full backup, more events, an incremental one
// on it; then a derived table dropped, the others emptied and half the log
// deleted. Restoring the incremental in place brings the log back and every
// figure to the oracle's for the whole stream (its base read where it is),
// and the full one restored beside it holds the first half exactly. The
// incremental stores only the parts the full one lacks.
func TestBackupDamageRestore(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t, 41)
	// Merges would rewrite the parts the full backup holds, which the
	// incremental one would then store again: stopped, so the test can see
	// what an incremental backup saves.
	tables := s.tables(t).Stored()
	for _, table := range tables {
		exec(t, s.db, "SYSTEM STOP MERGES "+table)
	}
	half := len(s.stream.Events) / 2
	b := &ops.Backups{DB: s.db, Kafka: cluster(t), Group: kafka.DefaultGroup, Topic: kafka.DefaultTopic, Location: clickhouse.BackupLocation{Disk: "backups"}}
	full, inc, fullNow := "full-"+s.cfg.Database, "inc-"+s.cfg.Database, "full2-"+s.cfg.Database
	s.insert(t, s.stream.Events[:half])
	if _, _, err := b.Create(ctx, full, "", nil); err != nil {
		t.Fatal(err)
	}
	s.insert(t, s.stream.Events[half:])
	if _, _, err := b.Create(ctx, inc, full, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Create(ctx, fullNow, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Create(ctx, full, "", nil); rebate.ErrorCode(err) != rebate.EINVALID {
		t.Errorf("a second backup named %s: %v, want invalid", full, err)
	}
	list, err := s.db.ListBackups(ctx, b.Location)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]clickhouse.BackupEntry{}
	for _, e := range list {
		got[e.Name] = e
	}
	if got[inc].Base != full || got[full].Base != "" || got[fullNow].Bytes == 0 {
		t.Fatalf("listed %+v", list)
	}
	if got[inc].Bytes >= got[fullNow].Bytes*3/4 {
		t.Errorf("the incremental backup takes %d bytes, a full one of the same data %d: it stored what its base holds", got[inc].Bytes, got[fullNow].Bytes)
	}

	for _, table := range tables { // mutations are merges
		exec(t, s.db, "SYSTEM START MERGES "+table)
	}
	events := s.damage(t)
	if _, err := b.Restore(ctx, "no-such-backup", "", false, nil); rebate.ErrorCode(err) != rebate.ENOTFOUND {
		t.Errorf("restore of a missing backup: %v, want not found", err)
	}
	var progress []string
	r, err := b.Restore(ctx, inc, "", false, func(l string) { progress = append(progress, l) })
	if err != nil {
		t.Fatal(err)
	}
	if r.Manifest == nil || r.Manifest.Name != inc || r.Manifest.Base != full || r.Database != s.cfg.Database {
		t.Errorf("restored %+v, manifest %+v", r, r.Manifest)
	}
	_, st := clickhousetest.OpenStore(t, s.cfg)
	s.check(t, st, s.stream.Events)
	if n := s.events(t); n != events {
		t.Errorf("the restored log holds %d events, %d before the damage", n, events)
	}

	// The full backup beside it, as another database.
	other := s.cfg.Database + "_first_half"
	t.Cleanup(func() { exec(t, s.db, "DROP DATABASE IF EXISTS "+other) })
	if _, err := b.Restore(ctx, full, other, false, nil); err != nil {
		t.Fatal(err)
	}
	ocfg := s.cfg
	ocfg.Database = other
	_, ost := clickhousetest.OpenStore(t, ocfg)
	s.check(t, ost, s.stream.Events[:half])
	if _, err := b.Restore(ctx, full, other, false, nil); rebate.ErrorCode(err) != rebate.EINVALID || !strings.Contains(err.Error(), "exists") {
		t.Errorf("restore into an existing database: %v", err)
	}
}
