package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate/internal/simulate"
)

// runSimulate sends realistic traffic to any Kafka until stopped or for
// --duration.
func runSimulate(ctx context.Context, cfg *Config, env *environment) error {
	if cfg.SimRate <= 0 {
		return fmt.Errorf("config: --rate (REBATE_SIMULATE_RATE) = %g: want a positive rate", cfg.SimRate)
	}
	seed := seedOf(cfg)
	sim, err := simulate.New(simulate.Config{Seed: seed, Rate: cfg.SimRate, BadRate: cfg.SimBadRate, Topic: cfg.Ingest.Topic}, time.Now())
	if err != nil {
		return err
	}
	opts, err := cfg.Kafka.Opts()
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(append(opts, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond))...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	fmt.Fprintf(env.stderr, "simulate: %g events/s to %s on %v, seed %d\n", cfg.SimRate, cfg.Ingest.Topic, cfg.Kafka.Brokers, seed)
	return simulate.Run(ctx, sim, cl, cfg.SimDuration, env.stderr, 5*time.Second)
}

// seedOf is the configured seed, or one from the clock (printed, so a run
// can be repeated).
func seedOf(cfg *Config) uint64 {
	if cfg.SimSeed != 0 {
		return cfg.SimSeed
	}
	return uint64(time.Now().UnixNano()%1_000_000_000) + 1
}
