package rebate_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The map of docs/architecture.md as rules: which of the project's packages
// each package may import (outside its tests), and which packages alone may
// import a dependency. A package missing from the map is an error too, so a
// new one is placed on the map when it is made.
const module = "github.com/rebatehq/rebate"

var mayImport = map[string][]string{
	"":                nil, // the domain depends on nothing of ours
	"api":             {"", "api/web", "internal/defaults", "internal/prom", "internal/settings"},
	"api/web":         nil,
	"clickhouse":      {"", "migrations", "queries", "internal/defaults", "internal/settings", "internal/sqlfence"},
	"ingest":          {"", "kafka", "internal/defaults", "internal/prom", "internal/settings"},
	"kafka":           {"", "internal/settings"},
	"migrations":      nil,
	"queries":         nil,
	"dashboards":      nil,
	"embedded/broker": {"internal/settings"},
	// The operator's side: where ClickHouse and Kafka meet (backups with
	// their offsets, reconciliation, schedules), composed by the commands.
	"ops":                 {"", "clickhouse", "kafka", "internal/defaults", "internal/prom", "internal/settings"},
	"embedded/chdb":       nil,
	"embedded/chlocal":    {"embedded/chdb", "internal/defaults", "internal/prom", "internal/settings", "internal/sqlfence"},
	"internal/defaults":   nil,
	"internal/prom":       nil,
	"internal/settings":   nil,
	"internal/sqlfence":   nil,
	"internal/testenv":    nil,
	"internal/secrettest": nil,
	"internal/benchchart": nil,
	"internal/procstat":   nil,
	// Test kits and the simulator: anything but the program.
	"internal/apiclient":      {"*"},
	"internal/chlocaltest":    {"*"},
	"internal/clickhousetest": {"*"},
	"internal/faultproxy":     {"*"},
	"internal/eventgen":       {"*"},
	"internal/oracle":         {"*"},
	"internal/simulate":       {"*"},
	"cmd/rebate":              {"*"},
}

// onlyIn names the packages that alone may import a dependency (by path
// prefix), tests included: one package per dependency.
var onlyIn = map[string][]string{
	"github.com/ClickHouse/clickhouse-go": {"clickhouse", "embedded/chlocal", "internal/chlocaltest"},
	"github.com/ClickHouse/ch-go":         {"clickhouse", "embedded/chlocal", "internal/chlocaltest"},
	"github.com/labstack/echo":            {"api"},
	"github.com/golang-migrate/migrate":   {"clickhouse", "embedded/chlocal"}, // the endpoint tests it runs them
	"github.com/ebitengine/purego":        {"embedded/chdb"},
	"github.com/twmb/franz-go/pkg/kfake":  {"embedded/broker", "ingest", "api", "cmd/rebate", "internal/simulate", "dashboards", "ops"},
}

func TestPackagesKeepToTheMap(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .TestImports \" \"}} {{join .XTestImports \" \"}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		pkg := strings.TrimPrefix(strings.TrimPrefix(parts[0], module), "/")
		allowed, known := mayImport[pkg]
		if !known {
			t.Errorf("package %q is not on the map (architecture_test.go, docs/architecture.md)", pkg)
			continue
		}
		for _, imp := range strings.Fields(parts[1]) {
			checkDependency(t, pkg, imp)
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			if strings.HasPrefix(dep, "cmd/") {
				t.Errorf("%s imports the program %s", parts[0], imp)
			}
			if !slices.Contains(allowed, "*") && !slices.Contains(allowed, dep) {
				t.Errorf("%s may not import %s (the map allows %q)", parts[0], imp, allowed)
			}
		}
		for _, imp := range strings.Fields(parts[2]) {
			checkDependency(t, pkg, imp)
			if strings.HasPrefix(imp, module+"/cmd/") {
				t.Errorf("tests of %s import the program %s", parts[0], imp)
			}
		}
	}
}

func checkDependency(t *testing.T, pkg, imp string) {
	t.Helper()
	for dep, owners := range onlyIn {
		if strings.HasPrefix(imp, dep) && !slices.Contains(owners, pkg) {
			t.Errorf("%q imports %s, which only %v may", pkg, imp, owners)
		}
	}
}
