package ops_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/kafka"
	"github.com/rebatehq/rebate/ops"
)

// TestRestoreResetsOffsets is point-in-time recovery: a backup taken while
// the ingester runs records the group's offsets; more events arrive; the
// database is damaged. A restore with --reset-offsets is refused while the
// ingester is a member of the group; once it stopped, the restore sets the
// group back to the backup's offsets, and the next ingester reads exactly
// the records produced after the backup, no more, after which every figure
// equals the oracle's for the whole stream.
func TestRestoreResetsOffsets(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t, 43)
	kc := cluster(t)
	half := len(s.stream.Events) / 2
	before, after := s.stream.Events[:half], s.stream.Events[half:]
	b := &ops.Backups{DB: s.db, Kafka: kc, Group: kafka.DefaultGroup, Topic: kafka.DefaultTopic, Location: clickhouse.BackupLocation{Disk: "backups"}}
	name := "pitr-" + s.cfg.Database

	produce(t, kc, before)
	in := startIngester(t, kc, s.db)
	waitCommitted(t, kc)
	_, m, err := b.Create(ctx, name, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var recorded int64
	for _, o := range m.Kafka.Offsets {
		recorded += o
	}
	if recorded != int64(len(before)) {
		t.Fatalf("the backup recorded offsets %v (%d records), want the %d produced before it", m.Kafka.Offsets, recorded, len(before))
	}
	produce(t, kc, after)
	waitCommitted(t, kc)

	for _, reset := range []bool{true, false} {
		_, err = b.Restore(ctx, name, "", reset, nil)
		var live *kafka.LiveGroupError
		if rebate.ErrorCode(err) != rebate.ECONFLICT || !errors.As(err, &live) || len(live.Members) != 1 {
			t.Fatalf("restore in place (reset %v) with a live ingester: %v, want a refusal naming the group's member", reset, err)
		}
	}
	in.stop()

	s.damage(t)
	r, err := b.Restore(ctx, name, "", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	var replay int64
	for _, p := range r.Resets {
		replay += p.End - p.To
		if p.Lost != 0 {
			t.Errorf("partition %d: %d records lost to retention, there is none", p.Partition, p.Lost)
		}
	}
	if replay != int64(len(after)) {
		t.Errorf("the reset replays %d records, want the %d produced after the backup: %+v", replay, len(after), r.Resets)
	}
	again := startIngester(t, kc, s.db)
	waitCommitted(t, kc)
	if got := again.counter(t, "rebate_ingest_records_consumed_total"); got != float64(len(after)) {
		t.Errorf("the ingester after the restore consumed %v records, want exactly the %d after the backup", got, len(after))
	}
	_, st := clickhousetest.OpenStore(t, s.cfg)
	s.check(t, st, s.stream.Events)
}
