package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate/internal/settings"
	"github.com/rebatehq/rebate/internal/simulate"
	"github.com/rebatehq/rebate/kafka"
)

// simulateCmd sends realistic traffic to any Kafka until stopped or for
// --duration.
type simulateCmd struct {
	common
	Kafka  kafka.Config
	Topics kafka.Topics
	Sim    simulate.Config
}

func (c *simulateCmd) register(f *settings.Flags) {
	c.common.register(f)
	c.Kafka.RegisterFlags(f)
	c.Topics.RegisterFlags(f)
	c.Sim.RegisterFlags(f, "")
}

func (c *simulateCmd) validate() error {
	if c.Sim.Rate <= 0 {
		return fmt.Errorf("config: --rate (REBATE_SIMULATE_RATE) = %g: want a positive rate", c.Sim.Rate)
	}
	return c.Topics.Validate()
}

func (c *simulateCmd) run(ctx context.Context, env *environment) error {
	sim, cl, err := newSimulator(c.Sim, c.Kafka, c.Topics)
	if err != nil {
		return err
	}
	defer cl.Close()
	fmt.Fprintf(env.stderr, "simulate: %g events/s to %s on %v, seed %d\n", c.Sim.Rate, c.Topics.Events, c.Kafka.Brokers, sim.Seed())
	return simulate.Run(ctx, sim, cl, env.stderr, 5*time.Second)
}

// newSimulator builds the simulator, its seed chosen (from the clock when
// unset), and the Kafka client it sends with: every record waits for all
// in-sync replicas.
func newSimulator(cfg simulate.Config, kc kafka.Config, topics kafka.Topics) (*simulate.Simulator, *kgo.Client, error) {
	cfg.Seed, cfg.Topic = cfg.SeedOrClock(time.Now()), topics.Events
	sim, err := simulate.New(cfg, time.Now())
	if err != nil {
		return nil, nil, err
	}
	opts, err := kc.Opts()
	if err != nil {
		return nil, nil, err
	}
	cl, err := kgo.NewClient(append(opts, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond))...)
	if err != nil {
		return nil, nil, fmt.Errorf("simulator: kafka: %w", err)
	}
	return sim, cl, nil
}
