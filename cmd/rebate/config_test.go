package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate/ingest"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// loadConfig parses cmd's settings as run does.
func loadConfig(cmd string, args []string, getenv func(string) string, stderr io.Writer) (runner, error) {
	c, ok := lookup(cmd)
	if !ok {
		return nil, fmt.Errorf("no command %s", cmd)
	}
	r, _, err := parseCommand(c, args, getenv, stderr)
	return r, err
}

func TestConfigPrecedence(t *testing.T) {
	load := func(args []string, getenv func(string) string) *chlocalCmd {
		t.Helper()
		r, err := loadConfig("chlocal", args, getenv, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return r.(*chlocalCmd)
	}
	c := load(nil, env())
	if c.Engine.Listen != "127.0.0.1:8123" || c.Engine.Conns != 4 || c.Engine.Path != "data/clickhouse" || c.LogLevel != slog.LevelInfo {
		t.Errorf("defaults: %+v", c)
	}
	c = load(nil, env("REBATE_CHLOCAL_CONNS", "8", "REBATE_CHLOCAL_LISTEN", "127.0.0.1:9000",
		"REBATE_LOG_LEVEL", "debug", "REBATE_SHUTDOWN_TIMEOUT", "5s"))
	if c.Engine.Conns != 8 || c.Engine.Listen != "127.0.0.1:9000" || c.LogLevel != slog.LevelDebug || c.ShutdownTimeout != 5*time.Second {
		t.Errorf("env: %+v", c)
	}
	c = load([]string{"--conns", "2", "--path", "/x"}, env("REBATE_CHLOCAL_CONNS", "8"))
	if c.Engine.Conns != 2 || c.Engine.Path != "/x" {
		t.Errorf("flags over env: %+v", c)
	}
}

// TestUpHonoursEveryPart: rebate up takes the settings of the parts it runs
// under their names, and they reach the parts (they were once ignored).
func TestUpHonoursEveryPart(t *testing.T) {
	r, err := loadConfig("up", []string{"--conns", "7"}, env("REBATE_LEADERBOARD_REFRESH", "9s", "REBATE_EVENTS_RETENTION_DAYS", "30",
		"REBATE_KAFKA_GROUP", "g2", "REBATE_KAFKA_TOPIC", "t2", "REBATE_KAFKA_SYNC", "true"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := r.(*upCmd)
	if c.Engine.Conns != 7 || c.Schema.LeaderboardRefresh != 9*time.Second || c.Schema.EventsRetentionDays != 30 ||
		c.Ingest.Group != "g2" || c.Topics.Events != "t2" || !c.Broker.Sync {
		t.Errorf("up: %+v", c)
	}
}

// TestIngestMembershipSettings: the static member id and the session
// timeout reach the ingester's config, with their defaults.
func TestIngestMembershipSettings(t *testing.T) {
	r, err := loadConfig("ingest", nil, env(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c := r.(*ingestCmd); c.Ingest.InstanceID != "" || c.Ingest.SessionTimeout != 10*time.Second {
		t.Errorf("defaults: instance id %q (empty: derived from the host name at start), session timeout %s",
			c.Ingest.InstanceID, c.Ingest.SessionTimeout)
	}
	r, err = loadConfig("ingest", []string{"--session-timeout", "20s"}, env("REBATE_INGEST_INSTANCE_ID", "ingest-7"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c := r.(*ingestCmd); c.Ingest.InstanceID != "ingest-7" || c.Ingest.SessionTimeout != 20*time.Second {
		t.Errorf("set: instance id %q, session timeout %s", c.Ingest.InstanceID, c.Ingest.SessionTimeout)
	}
	if got := ingest.InstanceIDFor("rebate-ingest-", "web-1.example_a ü"); got != "rebate-ingest-web-1.example_a---" {
		t.Errorf("instance id from a host name: %q", got)
	}
}

// TestConfigErrorsNameTheField: a bad value must say which setting it is.
func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  func(string) string
		want []string
		cmd  string
	}{
		{nil, env("REBATE_KAFKA_BROKERS", "127.0.0.1:9092,nohost"), []string{"--kafka-brokers", "REBATE_KAFKA_BROKERS", "host:port"}, "ingest"},
		{nil, env("REBATE_INGEST_FLUSH_INTERVAL", "0s"), []string{"--flush-interval", "REBATE_INGEST_FLUSH_INTERVAL", "positive"}, "ingest"},
		{nil, env("REBATE_INGEST_BATCH_ROWS", "0"), []string{"--batch-rows", "REBATE_INGEST_BATCH_ROWS"}, "ingest"},
		{nil, env("REBATE_INGEST_INSTANCE_ID", "host 1"), []string{"--instance-id", "REBATE_INGEST_INSTANCE_ID", "letters"}, "ingest"},
		{nil, env("REBATE_KAFKA_SESSION_TIMEOUT", "0s"), []string{"--session-timeout", "REBATE_KAFKA_SESSION_TIMEOUT"}, "ingest"},
		{nil, env("REBATE_KAFKA_SASL_MECHANISM", "kerberos"), []string{"--kafka-sasl-mechanism", "scram-sha-512"}, "ingest"},
		{nil, env("REBATE_CLICKHOUSE_COMPRESSION", "snappy"), []string{"--clickhouse-compression", "lz4"}, "migrate"},
		{nil, env("REBATE_CLICKHOUSE_WRITE_PRIORITY", "high"), []string{"--clickhouse-write-priority", "low, normal"}, "ingest"},
		{[]string{"--clickhouse-write-priority", "-5"}, env(), []string{"--clickhouse-write-priority", "low, normal"}, "up"},
		{nil, env("REBATE_LEADERBOARD_REFRESH", "1500ms"), []string{"--leaderboard-refresh", "whole seconds"}, "migrate"},
		{[]string{"--clickhouse-password", "secret", "--clickhouse-addr", "x"}, env(), []string{"--clickhouse-addr"}, "migrate"},
		{nil, env("REBATE_CHLOCAL_CONNS", "many"), []string{"REBATE_CHLOCAL_CONNS", "not an integer"}, ""},
		{nil, env("REBATE_CHLOCAL_CONNS", "0"), []string{"--conns", "REBATE_CHLOCAL_CONNS", "1..64"}, ""},
		{[]string{"--listen", "nohost"}, env(), []string{"--listen", "REBATE_CHLOCAL_LISTEN", "host:port"}, ""},
		{[]string{"--path", " "}, env(), []string{"--path", "must not be empty"}, ""},
		{nil, env("REBATE_LOG_LEVEL", "loud"), []string{"REBATE_LOG_LEVEL"}, ""},
		{nil, env("REBATE_LOG_FORMAT", "xml"), []string{"--log-format", "text, json"}, ""},
		{nil, env("REBATE_SHUTDOWN_TIMEOUT", "soon"), []string{"REBATE_SHUTDOWN_TIMEOUT", "duration"}, ""},
		{[]string{"extra"}, env(), []string{"unexpected argument"}, ""},
	} {
		cmd := tc.cmd
		if cmd == "" {
			cmd = "chlocal"
		}
		_, err := loadConfig(cmd, tc.args, tc.env, io.Discard)
		if err == nil {
			t.Errorf("%v: no error", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error %q shows a password", err)
		}
	}
}

func TestRunUnknownCommand(t *testing.T) {
	var stderr strings.Builder
	err := run(t.Context(), []string{"nope"}, env(), io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), `unknown command "nope"`) || !strings.Contains(stderr.String(), "chlocal") {
		t.Errorf("err %v, usage %q", err, stderr.String())
	}
	if err := run(t.Context(), nil, env(), io.Discard, io.Discard); err == nil {
		t.Error("no command: want an error")
	}
}

// TestHelp prints every command's flags: each names its variable and
// default, and none trips over flag's zero-value probe.
func TestHelp(t *testing.T) {
	for _, c := range commands() {
		if c.name == "version" { // takes no flags
			continue
		}
		for _, sub := range append(c.subs, c) {
			if sub.new == nil { // a command of commands: its own have the flags
				continue
			}
			var out strings.Builder
			_, _, err := parseCommand(sub, []string{"-h"}, env(), &out)
			if !errors.Is(err, flag.ErrHelp) {
				t.Errorf("%s %s -h: %v", c.name, sub.name, err)
			}
			if strings.Contains(out.String(), "panic") || !strings.Contains(out.String(), "(env REBATE_") {
				t.Errorf("%s %s -h:\n%s", c.name, sub.name, out.String())
			}
		}
	}
}
