package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/kafka"
)

// runRebate runs the program in this process with args, as a user would.
func runRebate(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = run(context.Background(), args, env(), &o, &e)
	return o.String(), e.String(), err
}

// TestOpsCommandsHelp: each operator's command says how to call it and
// what it does, and lists its flags; a command of commands lists those.
func TestOpsCommandsHelp(t *testing.T) {
	for _, args := range [][]string{{"backup", "create"}, {"backup", "list"}, {"backup", "restore"}, {"rebuild"}, {"reconcile"},
		{"dlq", "list"}, {"dlq", "show"}, {"dlq", "replay"}, {"migrate", "up"}} {
		_, stderr, err := runRebate(t, append(args, "-h")...)
		if err != nil {
			t.Errorf("%v -h: %v", args, err)
		}
		if !strings.Contains(stderr, "usage: rebate "+args[0]) || !strings.Contains(stderr, "flags (each also read from its REBATE_* variable):") ||
			!strings.Contains(stderr, "  -") {
			t.Errorf("%v -h:\n%s", args, stderr)
		}
	}
	for _, c := range []string{"backup", "dlq"} {
		_, stderr, err := runRebate(t, c, "-h")
		if err != nil || !strings.Contains(stderr, "commands:") {
			t.Errorf("%s -h: %v\n%s", c, err, stderr)
		}
		if _, _, err := runRebate(t, c); err == nil || !strings.Contains(err.Error(), "usage: rebate "+c) {
			t.Errorf("%s alone: %v", c, err)
		}
	}
	if _, stderr, _ := runRebate(t, "backup", "restore", "-h"); !strings.Contains(stderr, "usage: rebate backup restore NAME [flags]") {
		t.Errorf("backup restore -h does not name its argument:\n%s", stderr)
	}
}

// TestOpsCommandsRefuseBadInput: a mistake is answered with what was
// wrong and what is wanted, before anything is touched.
func TestOpsCommandsRefuseBadInput(t *testing.T) {
	nowhere := "--clickhouse-addr=127.0.0.1:1"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backup", "restore"}, "NAME missing"},
		{[]string{"backup", "restore", "../etc", nowhere}, "backup name"},
		{[]string{"backup", "restore", "b1", "--as", "no-dashes"}, "database name"},
		{[]string{"backup", "create", "--to", "relative/dir"}, "want disk:NAME"},
		{[]string{"backup", "create", "--to", "s3:https://bucket/x"}, "for S3 see docs/operations.md"},
		{[]string{"backup", "create", "--incremental-from", "a/b"}, "backup name"},
		{[]string{"backup", "frobnicate"}, "usage: rebate backup create|list|restore"},
		{[]string{"rebuild"}, "give --table T"},
		{[]string{"rebuild", "--all", "--table", "clicks"}, "not both"},
		{[]string{"rebuild", "--all", "--since", "last tuesday"}, "a duration ago"},
		{[]string{"reconcile", "--since", "soon"}, "flag -since: want an RFC 3339 time"},
		{[]string{"dlq", "show", "three"}, "PARTITION:OFFSET"},
		{[]string{"dlq", "show", "1:-2"}, "PARTITION:OFFSET"},
		{[]string{"dlq", "list", "--limit", "-1"}, "REBATE_DLQ_LIMIT"},
		{[]string{"dlq", "replay", "--topic", "x", "--dlq-topic", "x"}, "must differ"},
		{[]string{"up", "--backup-every", "10s"}, "REBATE_BACKUP_EVERY"},
	} {
		_, _, err := runRebate(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rebate %s: %v, want an error with %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// TestOpsCommands runs the operator's commands against the embedded
// engine and an in-process Kafka as a user would, reading what they print:
// reconcile finds a damaged table and rebuild repairs it; a backup lists
// and restores with the group's offsets; dead letters list, show and
// replay (dry).
func TestOpsCommands(t *testing.T) {
	ctx := context.Background()
	cfg := clickhousetest.Migrated(t)
	db, _ := clickhousetest.OpenStore(t, cfg)
	now := time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 81, Users: 20, Merchants: 4, Products: 8, Orders: 100, Clicks: 200,
		Withdrawals: 20, ProductUpdates: 20, Now: now})
	if err := db.InsertRules(ctx, stream.Rules); err != nil {
		t.Fatal(err)
	}
	clickhousetest.Insert(t, db, stream.Events)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, kafka.DefaultTopic, kafka.DefaultDLQTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	brokers := "--kafka-brokers=" + strings.Join(cluster.ListenAddrs(), ",")
	ch := []string{"--clickhouse-addr=" + cfg.Addr, "--clickhouse-database=" + cfg.Database}
	must := func(args ...string) string {
		t.Helper()
		out, stderr, err := runRebate(t, args...)
		if err != nil {
			t.Fatalf("rebate %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		return out
	}

	if out := must(append([]string{"reconcile"}, ch...)...); !strings.Contains(out, "every figure agrees with the event log") {
		t.Errorf("reconcile of an intact database:\n%s", out)
	}
	out := must(append([]string{"backup", "create", brokers}, ch...)...)
	m := regexp.MustCompile(`^backup (` + cfg.Database + `-\d{8}-\d{6}) of database ` + cfg.Database + ` \(full\) at disk:backups: \d+ files`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("backup create printed:\n%s", out)
	}
	name := m[1]
	if out := must(append([]string{"backup", "list"}, ch...)...); !strings.Contains(out, name) || !strings.HasPrefix(out, "NAME") {
		t.Errorf("backup list does not show %s:\n%s", name, out)
	}

	// Half of a derived table (user_orders, which the views write) and half
	// of what balances read (user_days, which Materialize writes) gone:
	// rebuilding user_orders prices every order again, which writes the
	// days whole.
	for _, table := range []string{"user_orders", "user_days"} {
		if err := db.Conn().Exec(ctx, "ALTER TABLE "+table+" DELETE WHERE user_id % 2 = 0 SETTINGS mutations_sync = 2"); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err = runRebate(t, append([]string{"reconcile", "--check", "balances,orders"}, ch...)...)
	if err == nil || !strings.Contains(err.Error(), "figures differ from the event log") ||
		!regexp.MustCompile(`(?m)^balances +confirmed +\d+ +- +- +[0-9.]+ +`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^orders +user_orders +\d+ +`).MatchString(out) {
		t.Errorf("reconcile of damaged tables: %v\n%s", err, out)
	}
	if out := must(append([]string{"rebuild", "--table", "user_orders"}, ch...)...); !strings.Contains(out, "user_orders: rebuilt") {
		t.Errorf("rebuild printed:\n%s", out)
	}
	must(append([]string{"reconcile"}, ch...)...)

	out = must(append([]string{"backup", "restore", name, "--reset-offsets", brokers}, ch...)...)
	if !strings.Contains(out, "restored "+name+" into database "+cfg.Database) || !strings.Contains(out, "group rebate-app-group reset: the next ingester replays 0 records") {
		t.Errorf("backup restore printed:\n%s", out)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	src := kafka.Record(kafka.DefaultTopic, stream.Events[0])
	src.Partition, src.Offset = 1, 41
	if err := cl.ProduceSync(ctx, kafka.DeadLetter(kafka.DefaultDLQTopic, src, "amount: more than 2 decimal places", "amount")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	out = must("dlq", "list", brokers)
	m = regexp.MustCompile(`(?m)^(\d+:\d+) +\S+ \S+ +amount +amount: more than 2 decimal places +rebate-events:1:41 +-$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("dlq list printed:\n%s", out)
	}
	if out := must("dlq", "show", m[1], brokers); !strings.Contains(out, "reason: amount: more than 2 decimal places") ||
		!strings.Contains(out, "from:   rebate-events partition 1 offset 41") || !strings.Contains(out, stream.Events[0].ID) {
		t.Errorf("dlq show printed:\n%s", out)
	}
	if out := must("dlq", "replay", "--dry-run", "--reason", "amount", brokers); !strings.Contains(out, "1 dead letters selected; would replay 1") {
		t.Errorf("dlq replay --dry-run printed:\n%s", out)
	}
}
