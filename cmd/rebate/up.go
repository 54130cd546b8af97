package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/simulate"
)

// runUp runs the whole product in this process: a Kafka-protocol broker,
// the embedded ClickHouse, the migrations, the ingester, the API and the
// simulator, each on loopback, with data under --data that survives
// restarts. Ctrl-C stops them in reverse order; the ingester flushes and
// commits what it consumed.
func runUp(ctx context.Context, cfg *Config, env *environment) error {
	log := cfg.logger(env.stderr)
	reg := newRegistry()
	var stack []func() // what to stop, in start order
	stopAll := func() {
		for i := len(stack) - 1; i >= 0; i-- {
			stack[i]()
		}
		stack = nil
	}
	defer stopAll()

	// Claim every port before starting anything: a taken one is named now.
	kafkaLn, err := listen(cfg.KafkaListen, "--kafka-listen, REBATE_KAFKA_LISTEN")
	if err != nil {
		return err
	}
	stack = append(stack, func() { kafkaLn.Close() })
	apiLn, err := listen(cfg.API.Listen, "--api-listen, REBATE_API_LISTEN")
	if err != nil {
		return err
	}
	stack = append(stack, func() { apiLn.Close() })
	engineLn, err := listen(cfg.EngineListen, "--listen, REBATE_CHLOCAL_LISTEN")
	if err != nil {
		return err
	}
	stack = append(stack, func() { engineLn.Close() })
	for _, a := range []struct{ addr, setting string }{{cfg.KafkaListen, "--kafka-listen"}, {cfg.EngineListen, "--listen"}} {
		if !api.Loopback(a.addr) {
			log.Warn("serving without authentication beyond this machine: anyone who reaches it can read and write", "addr", a.addr, "setting", a.setting)
		}
	}
	madeKey := ""
	if len(cfg.API.Keys) == 0 && !api.Loopback(cfg.API.Listen) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		madeKey = hex.EncodeToString(b[:])
		cfg.API.Keys = []api.Key{{Name: "up", Role: api.RoleAdmin, Secret: madeKey}}
	}

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1),
		kfake.ListenFn(func(string, string) (net.Listener, error) { return kafkaLn, nil }),
		kfake.DataDir(filepath.Join(cfg.DataDir, "kafka")),
		kfake.SeedTopics(int32(cfg.KafkaPartitions), cfg.Ingest.Topic, cfg.Ingest.DLQTopic))
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	stack = append(stack, cluster.Close)
	cfg.Kafka.Brokers = cluster.ListenAddrs()

	cfg.EnginePath = filepath.Join(cfg.DataDir, "clickhouse")
	eng, err := startEngine(cfg, env, log, reg, engineLn)
	if err != nil {
		return err
	}
	stack = append(stack, func() {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := eng.stop(sctx); err != nil {
			log.Warn("stop embedded ClickHouse", "err", err)
		}
	})
	cfg.ClickHouse.Addr = eng.addr

	if err := migrateUp(ctx, cfg, log); err != nil {
		return err
	}

	db, err := clickhouse.Open(ctx, cfg.ClickHouse)
	if err != nil {
		return err
	}
	stack = append(stack, func() { db.Close() })
	in, err := ingest.New(cfg.Ingest, cfg.Kafka, db, log.With("component", "ingest"), reg, ingest.Hooks{})
	if err != nil {
		return err
	}
	ictx, stopIngest := context.WithCancel(context.Background())
	ingestDone := make(chan error, 1)
	go func() { ingestDone <- in.Run(ictx) }()
	stack = append(stack, func() {
		stopIngest()
		if err := <-ingestDone; err != nil {
			log.Error("ingester", "err", err)
		}
	})

	apiAddr, stopAPI, err := startAPI(ctx, cfg, log, reg, apiLn)
	if err != nil {
		return err
	}
	stack = append(stack, func() {
		if err := stopAPI(); err != nil {
			log.Warn("stop API", "err", err)
		}
	})

	seed := seedOf(cfg)
	if cfg.SimRate > 0 {
		stopSim, err := startSimulator(cfg, seed, log)
		if err != nil {
			return err
		}
		stack = append(stack, stopSim)
	}

	summary(env.stdout, cfg, eng.addr, apiAddr, seed, madeKey)
	select {
	case <-ctx.Done():
		log.Info("stopping: simulator, API, ingester (flushing what it consumed), Kafka, ClickHouse")
	case err := <-ingestDone:
		ingestDone <- err // for the stop function
		if err == nil {
			err = errors.New("its Kafka client closed")
		}
		return fmt.Errorf("ingester stopped: %w", err)
	case err := <-eng.failed():
		return fmt.Errorf("embedded ClickHouse: serve: %w", err)
	}
	stopAll()
	log.Info("stopped")
	return nil
}

func migrateUp(ctx context.Context, cfg *Config, log *slog.Logger) error {
	m, err := clickhouse.NewMigrator(ctx, cfg.ClickHouse, log)
	if err != nil {
		return err
	}
	defer m.Close()
	return applySchema(ctx, m, cfg)
}

func startSimulator(cfg *Config, seed uint64, log *slog.Logger) (stop func(), err error) {
	sim, err := simulate.New(simulate.Config{Seed: seed, Rate: cfg.SimRate, BadRate: cfg.SimBadRate, Topic: cfg.Ingest.Topic}, time.Now())
	if err != nil {
		return nil, err
	}
	opts, err := cfg.Kafka.Opts()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, kgo.ProducerLinger(5*time.Millisecond))...)
	if err != nil {
		return nil, fmt.Errorf("simulator: kafka: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := simulate.Run(ctx, sim, cl, cfg.SimDuration, logWriter{log.With("component", "simulate")}, time.Minute); err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("simulator", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
		cl.Close()
	}, nil
}

// logWriter turns the simulator's progress lines into log lines.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Info(strings.TrimSpace(string(p)))
	return len(p), nil
}

func summary(w io.Writer, cfg *Config, chAddr, apiAddr string, seed uint64, madeKey string) {
	kafkaAddr := cfg.Kafka.Brokers[0]
	db := cfg.ClickHouse.Database
	dir := cfg.DataDir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	fmt.Fprintf(w, "rebate is up; data in %s (it survives restarts)\n", dir)
	fmt.Fprintf(w, "  Kafka       %s   topics %s, %s (%d partitions)\n", kafkaAddr, cfg.Ingest.Topic, cfg.Ingest.DLQTopic, cfg.KafkaPartitions)
	fmt.Fprintf(w, "  ClickHouse  http://%s   database %s\n", chAddr, db)
	access := "open: no API keys, this machine only"
	if madeKey != "" {
		access = "API key (admin): " + madeKey
	} else if len(cfg.API.Keys) > 0 {
		access = fmt.Sprintf("%d API keys from REBATE_API_KEYS", len(cfg.API.Keys))
	}
	fmt.Fprintf(w, "  API         http://%s   %s; metrics at /metrics, contract at /openapi.json\n", apiAddr, access)
	fmt.Fprintf(w, "  live page   http://%s/\n", apiAddr)
	if cfg.SimRate > 0 {
		fmt.Fprintf(w, "  simulator   %g events/s, seed %d, %g%% malformed\n", cfg.SimRate, seed, 100*cfg.SimBadRate)
	} else {
		fmt.Fprintln(w, "  simulator   off (--simulate-rate 0)")
	}
	auth := ""
	if madeKey != "" {
		auth = " -H 'Authorization: Bearer " + madeKey + "'"
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05Z")
	fmt.Fprintf(w, "Try:\n")
	fmt.Fprintf(w, "  curl%s 'http://%s/v1/leaderboard?window=24h&limit=5'\n", auth, apiAddr)
	fmt.Fprintf(w, "  curl%s 'http://%s/v1/users/1/balance'\n", auth, apiAddr)
	fmt.Fprintf(w, "  echo '{\"event_id\":\"hello-%d\",\"type\":\"click\",\"ts\":\"%s\",\"user_id\":1,\"merchant_id\":1,\"product_id\":1}' | kcat -P -b %s -t %s\n",
		time.Now().Unix(), now, kafkaAddr, cfg.Ingest.Topic)
	fmt.Fprintf(w, "  curl 'http://%s/?database=%s' --data-binary 'SELECT type, count() FROM events GROUP BY type'\n", chAddr, db)
	fmt.Fprintf(w, "Ctrl-C stops everything.\n")
}
