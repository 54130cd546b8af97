package ops_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/kafka"
	"github.com/rebatehq/rebate/ops"
)

// TestBackupSchedule takes scheduled backups with --backup-keep 2: a full
// one, an incremental on it, then a full again (every 2nd), and deletes
// what neither the 2 newest nor their bases need. A backup of another
// name is never touched.
func TestBackupSchedule(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t, 53)
	s.insert(t, s.stream.Events[:100])
	b := &ops.Backups{DB: s.db, Kafka: cluster(t), Group: kafka.DefaultGroup, Topic: kafka.DefaultTopic, Location: clickhouse.BackupLocation{Disk: "backups"}}
	manual := "manual-" + s.cfg.Database
	if _, _, err := b.Create(ctx, manual, "", nil); err != nil {
		t.Fatal(err)
	}
	sched := ops.BackupSchedule{Every: time.Hour, Keep: 2}
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var names []string
	for i, wantDeleted := range [][]int{nil, nil, nil, {0, 1}} {
		name, deleted, err := sched.Once(ctx, b, t0.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		var want []string
		for _, j := range wantDeleted {
			want = append(want, names[j])
		}
		if !slices.Equal(deleted, want) {
			t.Errorf("backup %d deleted %v, want %v", i, deleted, want)
		}
	}
	list, err := s.db.ListBackups(ctx, b.Location)
	if err != nil {
		t.Fatal(err)
	}
	bases := map[string]string{}
	for _, e := range list {
		bases[e.Name] = e.Base
	}
	// 0 full, 1 on 0, 2 full, 3 on 2: keeping 2 and 3 needs nothing else.
	want := map[string]string{manual: "", names[2]: "", names[3]: names[2]}
	for n, base := range want {
		if got, ok := bases[n]; !ok || got != base {
			t.Errorf("%s: listed %v with base %q, want base %q", n, ok, got, base)
		}
	}
	for _, n := range names[:2] {
		if _, ok := bases[n]; ok {
			t.Errorf("%s is still there", n)
		}
	}
}

// TestBackupScheduleRuns: the schedule takes backups on its own and says
// when the last one finished.
func TestBackupScheduleRuns(t *testing.T) {
	s := newScenario(t, 59)
	s.insert(t, s.stream.Events[:50])
	b := &ops.Backups{DB: s.db, Kafka: cluster(t), Group: kafka.DefaultGroup, Topic: kafka.DefaultTopic, Location: clickhouse.BackupLocation{Disk: "backups"}}
	reg := prometheus.NewRegistry()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	// Names carry the second: a backup a second at most.
	go func() {
		done <- ops.BackupSchedule{Every: time.Second, Keep: 5}.Run(ctx, b, slog.New(slog.DiscardHandler), reg)
	}()
	defer func() { cancel(); <-done }()
	prefix := ops.AutoPrefix + s.cfg.Database + "-"
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		list, err := s.db.ListBackups(ctx, b.Location)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range list {
			if strings.HasPrefix(e.Name, prefix) {
				n++
			}
		}
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d scheduled backups after 30 s of a schedule of one a second", n)
		}
	}
	if last := gauge(t, reg, "rebate_backup_last_success_timestamp", nil); last < float64(start.Unix()) {
		t.Errorf("last success %v, before the schedule began", last)
	}
}
