package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/testenv"
	"github.com/rebatehq/rebate/kafka"
	"github.com/rebatehq/rebate/ops"
)

// TestAlertRules checks deploy/prometheus/alerts.yml with Prometheus's own
// tool (the rules parse, and the unit tests of alerts_test.yml pass), that
// every metric a rule names is one the code exports, and that the compose
// Prometheus loads the rules.
func TestAlertRules(t *testing.T) {
	dir := filepath.Join("..", "..", "deploy", "prometheus")
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		testenv.Missing(t, "promtool missing (Debian's prometheus package; scripts/install-test-deps.sh installs it)")
	}
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	rules, err := os.ReadFile(filepath.Join(dir, "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	exported := exportedMetrics(t)
	names := regexp.MustCompile(`\brebate_[a-z0-9_]+`).FindAllString(string(rules), -1)
	if len(names) < 10 {
		t.Fatalf("only %d metric names in the rules", len(names))
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")
		if !slices.Contains(exported, n) && !slices.Contains(exported, base) {
			t.Errorf("alerts.yml names %s, which the service does not export", n)
		}
	}

	var prom struct {
		RuleFiles []string `yaml:"rule_files"`
	}
	readYAML(t, filepath.Join("..", "..", "deploy", "prometheus.yml"), &prom)
	if !slices.Contains(prom.RuleFiles, "/etc/prometheus/alerts.yml") {
		t.Errorf("deploy/prometheus.yml loads rules %v, not /etc/prometheus/alerts.yml", prom.RuleFiles)
	}
}

// noStore is a store that is never called.
type noStore struct{ api.Store }

// exportedMetrics lists the name of every metric the service's parts
// register, vectors without series included (a registry's Gather would
// leave those out).
func exportedMetrics(t *testing.T) []string {
	t.Helper()
	reg := &recorder{}
	if _, err := ingest.New(ingest.Config{}, kafka.Config{Brokers: []string{"127.0.0.1:1"}}, nil, nil, reg, ingest.Hooks{}); err != nil {
		t.Fatal(err)
	}
	// No calls reach the store: it only has to be there.
	if _, err := api.New(api.Config{}, noStore{}, nil, nil, reg, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.NewReconciler(nil, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.NewViewWatch(nil, reg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the schedule registers its metrics and ends at once
	if err := (ops.BackupSchedule{Every: time.Hour, Keep: 1}).Run(ctx, nil, nil, reg); err != nil {
		t.Fatal(err)
	}
	return reg.names
}

// recorder is a Registerer that writes down the names of what it is given.
type recorder struct{ names []string }

var fqNameRe = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *recorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := fqNameRe.FindStringSubmatch(d.String()); m != nil {
			r.names = append(r.names, m[1])
		}
	}
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (r *recorder) Unregister(prometheus.Collector) bool { return true }
