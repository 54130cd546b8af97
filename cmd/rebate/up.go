package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/embedded/broker"
	"github.com/rebatehq/rebate/embedded/chlocal"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/settings"
	"github.com/rebatehq/rebate/internal/simulate"
	"github.com/rebatehq/rebate/kafka"
	"github.com/rebatehq/rebate/ops"
)

// upCmd runs the whole product in this process: a Kafka-protocol broker,
// the embedded ClickHouse, the migrations, the ingester, the API and the
// simulator, each on loopback, with data under --data that survives
// restarts. Ctrl-C stops them in reverse order; the ingester flushes and
// commits what it consumed. It takes the settings of every part it runs,
// under the same names as the commands that run each part alone.
type upCmd struct {
	common
	DataDir    string
	Broker     broker.Config
	Engine     chlocal.Config
	ClickHouse clickhouse.Config // the database; the engine is this process's
	Schema     clickhouse.SchemaConfig
	Topics     kafka.Topics
	Ingest     ingest.Config
	Signals    clickhouse.SignalConfig
	API        api.Config
	Sim        simulate.Config
	Backups    ops.BackupSchedule
	Reconcile  ops.ReconcileSchedule
	// RunIngester is off to restore a backup with --reset-offsets while
	// everything else runs: the group must have no members then.
	RunIngester bool
}

func (c *upCmd) register(f *settings.Flags) {
	c.common.register(f)
	f.String(&c.DataDir, "data", "REBATE_DATA_DIR", "data", "folder of every part's data (kafka/, clickhouse/); it survives restarts", settings.NonEmpty)
	c.Broker.RegisterFlags(f)
	c.Engine.RegisterFlags(f)
	c.ClickHouse.RegisterEmbeddedFlags(f)
	c.Schema.RegisterFlags(f)
	c.Topics.RegisterFlags(f)
	c.Ingest.RegisterFlags(f)
	c.Signals.RegisterFlags(f)
	c.API.RegisterFlags(f)
	c.Sim.RegisterFlags(f, "simulate-")
	c.Backups.RegisterFlags(f)
	c.Reconcile.RegisterFlags(f)
	f.Bool(&c.RunIngester, "ingest", "REBATE_UP_INGEST", true,
		"run the ingester; false leaves the consumer group empty, as rebate backup restore --reset-offsets needs")
}

func (c *upCmd) validate() error { return c.Topics.Validate() }

func (c *upCmd) run(ctx context.Context, env *environment) error {
	log := c.logger(env.stderr)
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
	kafkaLn, err := listen(c.Broker.Listen, "--kafka-listen, REBATE_KAFKA_LISTEN")
	if err != nil {
		return err
	}
	stack = append(stack, func() { kafkaLn.Close() })
	apiLn, err := listen(c.API.Listen, "--api-listen, REBATE_API_LISTEN")
	if err != nil {
		return err
	}
	stack = append(stack, func() { apiLn.Close() })
	engineLn, err := listen(c.Engine.Listen, "--listen, REBATE_CHLOCAL_LISTEN")
	if err != nil {
		return err
	}
	stack = append(stack, func() { engineLn.Close() })
	if !api.Loopback(c.Broker.Listen) {
		log.Warn("serving Kafka without authentication beyond this machine: anyone who reaches it can read and write",
			"addr", c.Broker.Listen, "setting", "--kafka-listen")
	}
	apiCfg, madeKey := c.API, ""
	if len(apiCfg.Keys) == 0 && !api.Loopback(apiCfg.Listen) {
		// Beyond loopback an API needs keys; rebate up makes one rather than refuse.
		madeKey = randomSecret()
		apiCfg.Keys = []api.Key{{Name: "up", Role: api.RoleAdmin, Secret: madeKey}}
	}
	ecfg, engineUser, err := c.engineUsers()
	if err != nil {
		return err
	}

	bcfg := c.Broker
	bcfg.Dir = filepath.Join(c.DataDir, "kafka")
	brk, err := broker.Start(bcfg, kafkaLn, c.Topics.Events, c.Topics.DeadLetters)
	if err != nil {
		return err
	}
	stack = append(stack, brk.Close)
	kc := kafka.Config{Brokers: brk.Addrs()}

	ecfg.Path = filepath.Join(c.DataDir, "clickhouse")
	ecfg.BackupDir = filepath.Join(c.DataDir, "backups")
	eng, err := startEngine(ecfg, env, log, reg, engineLn)
	if err != nil {
		return err
	}
	stack = append(stack, func() {
		sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
		defer cancel()
		if err := eng.stop(sctx); err != nil {
			log.Warn("stop embedded ClickHouse", "err", err)
		}
	})
	chcfg := c.ClickHouse
	chcfg.Addr = eng.addr
	if engineUser != nil {
		chcfg.Username, chcfg.Password = engineUser.Name, engineUser.Password
	}

	if err := migrateUp(ctx, chcfg, c.Schema, log); err != nil {
		return err
	}

	db, err := clickhouse.Open(ctx, chcfg)
	if err != nil {
		return err
	}
	stack = append(stack, func() { db.Close() })
	if err := applySignals(ctx, db, c.Signals, log); err != nil {
		return err
	}
	if c.Sim.Rate > 0 {
		// The simulator's rules: referral earnings, tiers, a promotion.
		if err := putRules(ctx, db, simulate.Rules); err != nil {
			return err
		}
	}
	icfg := c.Ingest
	icfg.Topics, icfg.ShutdownTimeout = c.Topics, c.ShutdownTimeout
	if icfg.InstanceID == "" {
		// One ingester per data folder: a fixed id, so a restarted rebate up
		// resumes at once after a crash.
		icfg.InstanceID = "rebate-up"
	}
	var ingestDone chan error // nil, never ready, without an ingester
	if c.RunIngester {
		in, err := ingest.New(icfg, kc, db, log.With("component", "ingest"), reg, ingest.Hooks{})
		if err != nil {
			return err
		}
		ictx, stopIngest := context.WithCancel(context.Background())
		ingestDone = make(chan error, 1)
		go func() { ingestDone <- in.Run(ictx) }()
		stack = append(stack, func() {
			stopIngest()
			if err := <-ingestDone; err != nil {
				log.Error("ingester", "err", err)
			}
		})
	} else {
		log.Warn("the ingester is off (--ingest=false): nothing is stored until rebate up runs with it again")
	}
	if c.Backups.Every > 0 {
		b := &ops.Backups{DB: db, Kafka: kc, Group: icfg.Group, Topic: c.Topics.Events,
			Location: clickhouse.BackupLocation{Disk: chlocal.BackupDisk}}
		bctx, stopBackups := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := c.Backups.Run(bctx, b, log.With("component", "backup"), reg); err != nil {
				log.Error("backup schedule", "err", err)
			}
		}()
		stack = append(stack, func() { stopBackups(); <-done })
		log.Info("backups scheduled", "every", c.Backups.Every, "keep", c.Backups.Keep, "folder", ecfg.BackupDir)
	}

	apiAddr, stopAPI, err := startAPI(ctx, apiParts{chcfg, kc, c.Topics, apiCfg, c.ShutdownTimeout, c.Reconcile}, log, reg, apiLn)
	if err != nil {
		return err
	}
	stack = append(stack, func() {
		if err := stopAPI(); err != nil {
			log.Warn("stop API", "err", err)
		}
	})

	var seed uint64
	if c.Sim.Rate > 0 {
		stopSim, s, err := startSimulator(c.Sim, kc, c.Topics, log)
		if err != nil {
			return err
		}
		stack = append(stack, stopSim)
		seed = s
	}

	c.summary(env.stdout, kc.Brokers[0], eng.addr, apiAddr, seed, apiCfg, madeKey, engineUser)
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

// engineUsers gives the engine its users. With users configured, or beyond
// loopback, every client of the engine authenticates, so rebate up's own
// clients (migrations, ingester, API) get an admin user of their own, "up",
// with a fresh password; it is shown in the summary only when no admin was
// configured (then it is the only way in). Without users, on loopback, the
// engine is open and user is nil.
func (c *upCmd) engineUsers() (cfg chlocal.Config, user *chlocal.User, err error) {
	cfg = c.Engine
	if len(cfg.Users) == 0 && api.Loopback(cfg.Listen) {
		return cfg, nil, nil
	}
	for _, u := range cfg.Users {
		if u.Name == "up" {
			return cfg, nil, errors.New("config: --users (REBATE_CHLOCAL_USERS): the user name up is rebate up's own; choose another")
		}
	}
	user = &chlocal.User{Name: "up", Role: chlocal.RoleAdmin, Password: randomSecret()}
	cfg.Users = append(slices.Clone(cfg.Users), *user)
	return cfg, user, nil
}

// randomSecret is 128 random bits in hex.
func randomSecret() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func migrateUp(ctx context.Context, cfg clickhouse.Config, sc clickhouse.SchemaConfig, log *slog.Logger) error {
	m, err := clickhouse.NewMigrator(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer m.Close()
	before, _, err := m.Version()
	if err != nil {
		return err
	}
	if err := m.UpWith(ctx, sc); err != nil {
		return err
	}
	after, _, err := m.Version()
	if err != nil {
		return err
	}
	if tables, err := clickhouse.Rebuilds(before, after); err == nil && len(tables) > 0 && before > 0 {
		log.Warn("new migrations changed views whose tables hold only what arrived since; rebuild them", "run", "rebate rebuild --table "+strings.Join(tables, ","))
	}
	return nil
}

func startSimulator(cfg simulate.Config, kc kafka.Config, topics kafka.Topics, log *slog.Logger) (stop func(), seed uint64, err error) {
	sim, cl, err := newSimulator(cfg, kc, topics)
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := simulate.Run(ctx, sim, cl, logWriter{log.With("component", "simulate")}, time.Minute); err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("simulator", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
		cl.Close()
	}, sim.Seed(), nil
}

// putRules stores the rules made from now through the store, which refuses
// any in the past: all of them first, then one build of the rule timeline
// (Store.PutRules), so that slow builds cannot push a later one into the
// past.
func putRules(ctx context.Context, db *clickhouse.DB, rules func(now time.Time) []rebate.Rule) error {
	st, err := clickhouse.NewStore(ctx, db)
	if err != nil {
		return err
	}
	now := time.Now()
	if err := st.PutRules(ctx, rules(now), now); err != nil {
		return fmt.Errorf("put the simulator's rules: %w", err)
	}
	return nil
}

func hasAdmin(users []chlocal.User) bool {
	for _, u := range users {
		if u.Role == chlocal.RoleAdmin {
			return true
		}
	}
	return false
}

// logWriter turns the simulator's progress lines into log lines.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Info(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (c *upCmd) summary(w io.Writer, kafkaAddr, chAddr, apiAddr string, seed uint64, apiCfg api.Config, madeKey string, engineUser *chlocal.User) {
	db := c.ClickHouse.Database
	dir := c.DataDir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	fmt.Fprintf(w, "rebate is up; data in %s (it survives restarts)\n", dir)
	fmt.Fprintf(w, "  Kafka       %s   topics %s, %s (%d partitions)\n", kafkaAddr, c.Topics.Events, c.Topics.DeadLetters, c.Broker.Partitions)
	chAuth, chAccess := "", "open: no users, this machine only"
	switch {
	case engineUser != nil && !hasAdmin(c.Engine.Users):
		chAuth = " -u " + engineUser.Name + ":" + engineUser.Password
		chAccess = "user (admin): " + engineUser.Name + ", password: " + engineUser.Password
	case len(c.Engine.Users) > 0:
		chAuth = " -u USER:PASSWORD"
		chAccess = fmt.Sprintf("%d users from REBATE_CHLOCAL_USERS", len(c.Engine.Users))
	}
	fmt.Fprintf(w, "  ClickHouse  http://%s   database %s; %s\n", chAddr, db, chAccess)
	backups := "rebate backup create"
	if c.Backups.Every > 0 {
		backups = fmt.Sprintf("every %s, %d kept", c.Backups.Every, c.Backups.Keep)
	}
	fmt.Fprintf(w, "  backups     %s   (%s; docs/operations.md)\n", filepath.Join(dir, "backups"), backups)
	access := "open: no API keys, this machine only"
	if madeKey != "" {
		access = "API key (admin): " + madeKey
	} else if len(apiCfg.Keys) > 0 {
		access = fmt.Sprintf("%d API keys from REBATE_API_KEYS", len(apiCfg.Keys))
	}
	fmt.Fprintf(w, "  API         http://%s   %s; contract at /openapi.json\n", apiAddr, access)
	fmt.Fprintf(w, "  metrics     http://%s/metrics   (Prometheus; also the engine's at http://%s/metrics)\n", apiAddr, chAddr)
	fmt.Fprintf(w, "  live page   http://%s/   SQL console http://%s/sql\n", apiAddr, apiAddr)
	if c.Sim.Rate > 0 {
		fmt.Fprintf(w, "  simulator   %g events/s, seed %d, %g%% malformed\n", c.Sim.Rate, seed, 100*c.Sim.BadRate)
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
		time.Now().Unix(), now, kafkaAddr, c.Topics.Events)
	fmt.Fprintf(w, "  curl%s 'http://%s/v1/sql?format=CSV' --data-binary 'SELECT type, uniqExact(event_id) AS events FROM events GROUP BY type'\n", auth, apiAddr)
	fmt.Fprintf(w, "  curl%s 'http://%s/?database=%s' --data-binary 'SELECT type, uniqExact(event_id) FROM events GROUP BY type'\n", chAuth, chAddr, db)
	fmt.Fprintf(w, "Ctrl-C stops everything.\n")
}
