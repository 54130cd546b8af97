package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rebatehq/rebate/internal/settings"
	"github.com/rebatehq/rebate/kafka"
)

// TestComposeCluster checks docker-compose.cluster.yml and its files
// against each other and the code (there is no Docker engine to run it
// here): three Keeper nodes in one Raft group that the ClickHouse replicas
// all know, two replicas with their own names, three KRaft brokers that
// all vote, replication factor 3 and min.insync.replicas 2 for every
// topic, the service's database Replicated on both replicas, and every
// service of ours given both replicas and all three brokers.
func TestComposeCluster(t *testing.T) {
	root := filepath.Join("..", "..")
	var c composeFile
	readYAML(t, filepath.Join(root, "docker-compose.cluster.yml"), &c)
	svc := c.Services
	for _, name := range []string{"keeper1", "keeper2", "keeper3", "clickhouse1", "clickhouse2", "db-init", "kafka1", "kafka2", "kafka3",
		"kafka-init", "migrate", "ingest", "api", "ops", "prometheus"} {
		if _, ok := svc[name]; !ok {
			t.Fatalf("no %s service", name)
		}
	}
	checkServices(t, c)
	env := func(service, key string) string { return interpolate(svc[service].Environment[key], "") }

	// Keeper: one Raft group of three, each node knowing its id.
	var keeper struct {
		Server struct {
			Port    int `xml:"tcp_port"`
			Servers []struct {
				ID   int    `xml:"id"`
				Host string `xml:"hostname"`
			} `xml:"raft_configuration>server"`
		} `xml:"keeper_server"`
	}
	readXML(t, filepath.Join(root, "deploy", "cluster", "keeper.xml"), &keeper)
	if len(keeper.Server.Servers) != 3 {
		t.Fatalf("Raft group of %d Keeper nodes, want 3", len(keeper.Server.Servers))
	}
	var keeperNodes []string
	for _, s := range keeper.Server.Servers {
		if got := env(s.Host, "KEEPER_ID"); got != fmt.Sprint(s.ID) {
			t.Errorf("Keeper %s has KEEPER_ID %q, the Raft group says %d", s.Host, got, s.ID)
		}
		keeperNodes = append(keeperNodes, fmt.Sprintf("%s:%d", s.Host, keeper.Server.Port))
	}

	// ClickHouse: both replicas know the three Keeper nodes and are named apart.
	var ch struct {
		Nodes []struct {
			Host string `xml:"host"`
			Port int    `xml:"port"`
		} `xml:"zookeeper>node"`
		Replica struct {
			FromEnv string `xml:"from_env,attr"`
		} `xml:"macros>replica"`
		Disk string `xml:"storage_configuration>disks>backups>path"`
	}
	readXML(t, filepath.Join(root, "deploy", "cluster", "clickhouse.xml"), &ch)
	var nodes []string
	for _, n := range ch.Nodes {
		nodes = append(nodes, fmt.Sprintf("%s:%d", n.Host, n.Port))
	}
	if !slices.Equal(nodes, keeperNodes) {
		t.Errorf("ClickHouse knows Keeper at %v, the Keeper nodes are %v", nodes, keeperNodes)
	}
	replicas := map[string]bool{}
	for _, r := range []string{"clickhouse1", "clickhouse2"} {
		name := env(r, ch.Replica.FromEnv)
		if name == "" || replicas[name] {
			t.Errorf("%s: replica name %q (from %s) missing or shared", r, name, ch.Replica.FromEnv)
		}
		replicas[name] = true
		if !slices.Contains(svc[r].Volumes, "backups:"+strings.TrimSuffix(ch.Disk, "/")) {
			t.Errorf("%s does not keep its backups disk (%s) on the shared volume: %v", r, ch.Disk, svc[r].Volumes)
		}
	}
	db := env("migrate", "REBATE_CLICKHOUSE_DATABASE")
	init := strings.Join(svc["db-init"].Command, " ")
	for _, want := range []string{"clickhouse1", "clickhouse2", "CREATE DATABASE IF NOT EXISTS " + db + " ENGINE = Replicated(", "'{shard}', '{replica}'"} {
		if !strings.Contains(init, want) {
			t.Errorf("db-init does not create the Replicated database on both replicas (%q missing): %s", want, init)
		}
	}

	// Kafka: three brokers, all voters, replication 3, min ISR 2.
	voters := ""
	ids := map[string]bool{}
	var internal []string
	for _, b := range []string{"kafka1", "kafka2", "kafka3"} {
		e := func(k string) string { return env(b, k) }
		if voters == "" {
			voters = e("KAFKA_CONTROLLER_QUORUM_VOTERS")
		}
		if e("KAFKA_CONTROLLER_QUORUM_VOTERS") != voters || !strings.Contains(voters, e("KAFKA_NODE_ID")+"@"+b+":") || ids[e("KAFKA_NODE_ID")] {
			t.Errorf("%s: node %s, voters %q", b, e("KAFKA_NODE_ID"), e("KAFKA_CONTROLLER_QUORUM_VOTERS"))
		}
		ids[e("KAFKA_NODE_ID")] = true
		for k, want := range map[string]string{"KAFKA_DEFAULT_REPLICATION_FACTOR": "3", "KAFKA_MIN_INSYNC_REPLICAS": "2",
			"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "3", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "2", "KAFKA_PROCESS_ROLES": "broker,controller"} {
			if e(k) != want {
				t.Errorf("%s: %s=%q, want %s", b, k, e(k), want)
			}
		}
		for _, l := range strings.Split(e("KAFKA_ADVERTISED_LISTENERS"), ",") {
			if strings.HasPrefix(l, "INTERNAL://") {
				internal = append(internal, strings.TrimPrefix(l, "INTERNAL://"))
			}
		}
	}
	create := strings.Join(svc["kafka-init"].Command, " ")
	for _, topic := range []string{kafka.DefaultTopic, kafka.DefaultDLQTopic} {
		if !strings.Contains(create, "--topic "+topic+" ") {
			t.Errorf("kafka-init does not create %s", topic)
		}
	}
	if strings.Count(create, "--replication-factor 3 --config min.insync.replicas=2") != 2 {
		t.Errorf("kafka-init: every topic needs replication factor 3 and min.insync.replicas 2: %s", create)
	}

	// Our services: both replicas, all brokers, the group and topics.
	for _, s := range []string{"migrate", "ingest", "api", "ops"} {
		addrs := settings.SplitList(env(s, "REBATE_CLICKHOUSE_ADDR"))
		slices.Sort(addrs)
		if !slices.Equal(addrs, []string{"clickhouse1:8123", "clickhouse2:8123"}) {
			t.Errorf("%s is given ClickHouse at %v, not both replicas", s, addrs)
		}
		if s == "migrate" {
			continue
		}
		brokers := settings.SplitList(env(s, "REBATE_KAFKA_BROKERS"))
		if !slices.Equal(brokers, internal) {
			t.Errorf("%s is given brokers %v, want every broker's internal listener %v", s, brokers, internal)
		}
		if env(s, "REBATE_KAFKA_TOPIC") != kafka.DefaultTopic || env(s, "REBATE_KAFKA_DLQ_TOPIC") != kafka.DefaultDLQTopic {
			t.Errorf("%s: topics %q, %q", s, env(s, "REBATE_KAFKA_TOPIC"), env(s, "REBATE_KAFKA_DLQ_TOPIC"))
		}
	}
	if env("ingest", "REBATE_CLICKHOUSE_ADDR") == env("api", "REBATE_CLICKHOUSE_ADDR") {
		t.Error("the API lists the replicas in the ingesters' order: reads and writes then go to one replica")
	}

	// Published ports are distinct; Prometheus loads the rules and scrapes us.
	seen := map[string]string{}
	for name, s := range svc {
		for _, p := range s.Ports {
			host := p[:strings.LastIndex(p, ":")]
			if other, dup := seen[host]; dup {
				t.Errorf("%s and %s both publish %s", name, other, host)
			}
			seen[host] = name
		}
	}
	if !slices.Contains(svc["prometheus"].Volumes, "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro") {
		t.Errorf("the cluster's Prometheus has no alert rules: %v", svc["prometheus"].Volumes)
	}
	var prom struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			DNSSDConfigs []struct {
				Names []string
				Port  int
			} `yaml:"dns_sd_configs"`
			StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, filepath.Join(root, "deploy", "cluster", "prometheus.yml"), &prom)
	var scraped []string
	for _, sc := range prom.ScrapeConfigs {
		for _, d := range sc.DNSSDConfigs {
			for _, n := range d.Names {
				scraped = append(scraped, fmt.Sprintf("%s:%d", n, d.Port))
			}
		}
		for _, s := range sc.StaticConfigs {
			scraped = append(scraped, s.Targets...)
		}
	}
	metrics := env("ingest", "REBATE_METRICS_LISTEN")
	apiListen := env("api", "REBATE_API_LISTEN")
	for _, want := range []string{"ingest:" + metrics[strings.LastIndex(metrics, ":")+1:], "api:" + apiListen[strings.LastIndex(apiListen, ":")+1:]} {
		if !slices.Contains(scraped, want) {
			t.Errorf("the cluster's Prometheus does not scrape %s: %v", want, scraped)
		}
	}
	if !slices.Contains(prom.RuleFiles, "/etc/prometheus/alerts.yml") {
		t.Errorf("the cluster's Prometheus loads %v", prom.RuleFiles)
	}
}

func readXML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
