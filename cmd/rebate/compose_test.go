package main

import (
	"debug/elf"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/rebatehq/rebate/kafka"
)

// The parts of docker-compose.yml the checks read.
type composeFile struct {
	Services map[string]struct {
		Image       string
		Build       any
		Command     []string
		Environment map[string]string
		Ports       []string
		Volumes     []string
		Profiles    []string
		Restart     string
		DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
		Healthcheck *struct{ Test []string }
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// interpolate expands ${VAR:-default} and ${VAR:?message} as Compose does
// with VAR unset, using sample for the required ones.
func interpolate(s, sample string) string {
	return regexp.MustCompile(`\$\{[A-Z_]+(:-([^}]*)|:\?[^}]*)\}`).ReplaceAllStringFunc(s, func(m string) string {
		if i := strings.Index(m, ":-"); i >= 0 {
			return m[i+2 : len(m)-1]
		}
		return sample
	})
}

var pinnedImage = regexp.MustCompile(`^[a-z0-9._/-]+:v?\d+\.\d+(\.\d+)*(-[a-z0-9]+)?$`)

// TestCompose checks docker-compose.yml against the code it runs: every
// REBATE_* variable a service sets is one its command reads and accepts,
// addresses and topic names agree across services, Prometheus and Grafana,
// images are pinned, and services start in order.
func TestCompose(t *testing.T) {
	root := filepath.Join("..", "..")
	var c composeFile
	readYAML(t, filepath.Join(root, "docker-compose.yml"), &c)
	svc := c.Services
	for _, name := range []string{"clickhouse", "kafka", "kafka-init", "migrate", "ingest", "api", "simulate", "prometheus", "grafana"} {
		if _, ok := svc[name]; !ok {
			t.Fatalf("no %s service", name)
		}
	}

	env := func(service, key string) string { return interpolate(svc[service].Environment[key], "") }
	checkServices(t, c)

	// Addresses.
	port := func(hostPort string) string {
		_, p, err := net.SplitHostPort(hostPort)
		if err != nil {
			t.Fatalf("%q: %v", hostPort, err)
		}
		return p
	}
	apiPort := port(env("api", "REBATE_API_LISTEN"))
	if !slices.Contains(svc["api"].Ports, "127.0.0.1:"+apiPort+":"+apiPort) {
		t.Errorf("api listens on %s but publishes %v", apiPort, svc["api"].Ports)
	}
	metricsPort := port(env("ingest", "REBATE_METRICS_LISTEN"))
	for _, s := range []string{"api", "ingest", "migrate"} {
		if a := env(s, "REBATE_CLICKHOUSE_ADDR"); a != "clickhouse:8123" || !slices.Contains(svc["clickhouse"].Ports, "127.0.0.1:8123:8123") {
			t.Errorf("%s: ClickHouse at %q, server publishes %v", s, a, svc["clickhouse"].Ports)
		}
	}
	kafkaEnv := svc["kafka"].Environment
	for _, s := range []string{"api", "ingest", "simulate"} {
		b := env(s, "REBATE_KAFKA_BROKERS")
		if !strings.Contains(kafkaEnv["KAFKA_ADVERTISED_LISTENERS"], "://"+b) {
			t.Errorf("%s: brokers %q are not an advertised listener (%s)", s, b, kafkaEnv["KAFKA_ADVERTISED_LISTENERS"])
		}
		if env(s, "REBATE_KAFKA_TOPIC") != kafka.DefaultTopic || env(s, "REBATE_KAFKA_DLQ_TOPIC") != kafka.DefaultDLQTopic {
			t.Errorf("%s: topics %q, %q", s, env(s, "REBATE_KAFKA_TOPIC"), env(s, "REBATE_KAFKA_DLQ_TOPIC"))
		}
	}
	if g := env("ingest", "REBATE_KAFKA_GROUP"); g != kafka.DefaultGroup {
		t.Errorf("ingest group %q, want %q", g, kafka.DefaultGroup)
	}
	create := strings.Join(svc["kafka-init"].Command, " ")
	for _, topic := range []string{kafka.DefaultTopic, kafka.DefaultDLQTopic} {
		if !strings.Contains(create, "--topic "+topic+" ") {
			t.Errorf("kafka-init does not create %s: %s", topic, create)
		}
	}
	probes := map[string]string{"api": "http://127.0.0.1:" + apiPort + "/readyz", "ingest": "http://127.0.0.1:" + metricsPort + "/metrics"}
	for s, url := range probes {
		if hc := svc[s].Healthcheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/rebate", "probe", "--url", url}) {
			t.Errorf("%s: health check %+v, want a probe of %s", s, hc, url)
		}
	}

	// Prometheus scrapes what the services serve.
	var prom struct {
		ScrapeConfigs []struct {
			JobName      string `yaml:"job_name"`
			DNSSDConfigs []struct {
				Names []string
				Port  int
			} `yaml:"dns_sd_configs"`
			StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, filepath.Join(root, "deploy", "prometheus.yml"), &prom)
	var scraped []string
	for _, sc := range prom.ScrapeConfigs {
		for _, d := range sc.DNSSDConfigs {
			for _, n := range d.Names {
				scraped = append(scraped, n+":"+strconv.Itoa(d.Port))
			}
		}
		for _, s := range sc.StaticConfigs {
			scraped = append(scraped, s.Targets...)
		}
	}
	for _, want := range []string{"ingest:" + metricsPort, "api:" + apiPort} {
		if !slices.Contains(scraped, want) {
			t.Errorf("Prometheus does not scrape %s: %v", want, scraped)
		}
	}

	// Grafana: pinned plugin, provisioning and dashboards that exist.
	g := svc["grafana"]
	if !regexp.MustCompile(`^grafana-clickhouse-datasource@\d+\.\d+\.\d+$`).MatchString(g.Environment["GF_PLUGINS_PREINSTALL_SYNC"]) {
		t.Errorf("ClickHouse plugin not pinned: %q", g.Environment["GF_PLUGINS_PREINSTALL_SYNC"])
	}
	if logs := kafkaEnv["KAFKA_LOG_DIRS"]; !slices.Contains(svc["kafka"].Volumes, "kafka-data:"+logs) {
		t.Errorf("Kafka keeps its log in %q, not on its volume %v", logs, svc["kafka"].Volumes)
	}
	if u := g.Environment["GRAFANA_CLICKHOUSE_USER"]; u == "" || u != svc["clickhouse"].Environment["GRAFANA_CLICKHOUSE_USER"] {
		t.Errorf("Grafana reads ClickHouse as %q, which the server's init does not create", u)
	}
	if home, ok := strings.CutPrefix(g.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"], "/var/lib/grafana/dashboards/"); !ok {
		t.Error("no home dashboard from dashboards/")
	} else if _, err := os.Stat(filepath.Join(root, "dashboards", home)); err != nil {
		t.Errorf("home dashboard: %v", err)
	}
	var ds struct {
		Datasources []struct {
			Type     string
			JSONData map[string]any `yaml:"jsonData"`
		}
	}
	readYAML(t, filepath.Join(root, "deploy", "grafana", "provisioning", "datasources", "datasources.yml"), &ds)
	found := false
	for _, d := range ds.Datasources {
		if d.Type == "grafana-clickhouse-datasource" {
			found = true
			if d.JSONData["host"] != "clickhouse" || d.JSONData["port"] != 8123 || d.JSONData["protocol"] != "http" ||
				d.JSONData["defaultDatabase"] != env("api", "REBATE_CLICKHOUSE_DATABASE") {
				t.Errorf("ClickHouse datasource %v does not match the compose services", d.JSONData)
			}
		}
	}
	if !found {
		t.Error("no ClickHouse datasource provisioned")
	}

	// The image the services run: pinned builder, a final stage without an OS.
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "FROM" {
			froms = append(froms, f[1])
		}
	}
	if len(froms) < 2 || froms[len(froms)-1] != "scratch" {
		t.Errorf("Dockerfile stages %v: want a build stage and a scratch image", froms)
	}
	for _, f := range froms[:len(froms)-1] {
		if !pinnedImage.MatchString(f) {
			t.Errorf("Dockerfile: %s is not pinned", f)
		}
	}
}

// checkServices checks what every compose file must get right: each of
// our services runs a command that accepts its environment and arguments,
// every other image is pinned, every dependency exists and offers what its
// condition waits for, and every mounted file of the repository exists.
func checkServices(t *testing.T, c composeFile) {
	t.Helper()
	root := filepath.Join("..", "..")
	for name, s := range c.Services {
		if s.Build == nil {
			if !pinnedImage.MatchString(s.Image) {
				t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
			}
			continue
		}
		cmd, rest, ok := commandOf(s.Command)
		if !ok {
			t.Errorf("%s runs unknown command %q", name, s.Command)
			continue
		}
		known := variablesOf(cmd)
		if slices.Contains(s.Profiles, "ops") {
			// The operator's service runs whichever command it is given:
			// its environment is for all of them.
			known = map[string]bool{}
			for _, c := range commands() {
				for _, sub := range append(c.subs, c) {
					if sub.new != nil {
						maps.Copy(known, variablesOf(sub))
					}
				}
			}
		}
		for k := range s.Environment {
			if !known[k] {
				t.Errorf("%s sets %s, which `rebate %s` does not read", name, k, cmd.name)
			}
		}
		getenv := func(k string) string {
			return interpolate(s.Environment[k], "demo:admin:0123456789abcdef0123456789abcdef")
		}
		if _, _, err := parseCommand(cmd, rest, getenv, io.Discard); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, s := range c.Services {
		for dep, d := range s.DependsOn {
			ds, ok := c.Services[dep]
			switch {
			case !ok:
				t.Errorf("%s depends on a missing %s", name, dep)
			case d.Condition == "service_healthy" && ds.Healthcheck == nil:
				t.Errorf("%s waits for %s to be healthy, which has no health check", name, dep)
			case d.Condition == "service_completed_successfully" && ds.Restart != "no":
				t.Errorf("%s waits for one-shot %s, which restarts (%q)", name, dep, ds.Restart)
			case d.Condition == "":
				t.Errorf("%s depends on %s without a condition", name, dep)
			}
		}
		for _, v := range s.Volumes {
			if src, _, _ := strings.Cut(v, ":"); strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join(root, src)); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			}
		}
	}
}

// variablesOf is every REBATE_* variable c reads.
func variablesOf(c command) map[string]bool {
	known := map[string]bool{}
	_, f, _ := parseCommand(c, []string{"-h"}, func(string) string { return "" }, io.Discard)
	for _, v := range f.Variables() {
		known[v] = true
	}
	return known
}

// commandOf finds the command a service runs (its sub-command or action
// included) and the arguments left for its flags.
func commandOf(args []string) (command, []string, bool) {
	if len(args) == 0 {
		return command{}, nil, false
	}
	c, ok := lookup(args[0])
	rest := args[1:]
	switch {
	case !ok:
		return command{}, nil, false
	case c.subs != nil:
		if c, ok = subcommand(c, rest); !ok {
			return command{}, nil, false
		}
		rest = rest[1:]
	case c.actions != nil:
		rest = rest[1:]
	}
	return c, rest, true
}

// TestImageBinary builds the binary as the Dockerfile does: it must be
// statically linked (the final image has no loader), and say clearly that
// the embedded engine is not in it.
func TestImageBinary(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`CGO_ENABLED=0 go build (.*) -o /out/rebate \./cmd/rebate`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no go build line in the Dockerfile")
	}
	bin := filepath.Join(t.TempDir(), "rebate")
	args := append([]string{"build"}, splitArgs(string(m[1]))...)
	cmd := exec.Command("go", append(args, "-o", bin, ".")...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("the image's binary is dynamically linked (%v): a scratch image cannot run it", p.Type)
		}
	}
	run := exec.Command(bin, "chlocal", "--path", t.TempDir(), "--listen", "127.0.0.1:0")
	run.Env = append(os.Environ(), "REBATE_CHDB_LIB="+bin) // a file that exists: what fails is the build
	out, err := run.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "REBATE_CLICKHOUSE_ADDR") {
		t.Errorf("engine command in the image's binary: %v\n%s", err, out)
	}
}

// splitArgs splits a shell word list with double quotes, enough for a go
// build line.
func splitArgs(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`"([^"]*)"|(\S+)`).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1]+m[2])
	}
	return out
}
