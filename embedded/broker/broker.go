// Package broker runs the in-process Kafka-protocol broker of `rebate up`
// (franz-go's kfake): the laptop and CI stand-in for a Kafka cluster, with
// its log on disk so that data survives restarts.
package broker

import (
	"fmt"
	"net"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/rebatehq/rebate/internal/settings"
)

// Config of the broker.
type Config struct {
	Listen     string // host:port
	Partitions int    // of each topic it creates
	Dir        string // where the log lives; "" keeps it in memory
	// Sync fsyncs every write before acknowledging it. Off, an
	// acknowledged record survives the process crashing (the OS has it)
	// but not the machine losing power before the OS writes it out, as
	// with Kafka's default. On, it survives both, at a cost measured in
	// docs/delivery.md (a single-record produce ~10x slower).
	Sync bool
}

// RegisterFlags binds the broker's settings to their flags and variables;
// the folder comes from the command (rebate up: --data).
func (c *Config) RegisterFlags(f *settings.Flags) {
	f.String(&c.Listen, "kafka-listen", "REBATE_KAFKA_LISTEN", "127.0.0.1:9092", "address of the in-process Kafka broker", settings.HostPort)
	f.Int(&c.Partitions, "kafka-partitions", "REBATE_KAFKA_PARTITIONS", 6, "partitions of each topic the broker creates", settings.Between(1, 256))
	f.Bool(&c.Sync, "kafka-sync", "REBATE_KAFKA_SYNC", false,
		"fsync every write of the in-process broker before acknowledging it: acknowledged events survive a power loss (slower)")
}

// Broker is a running broker.
type Broker struct{ cluster *kfake.Cluster }

// Start serves the broker on ln (claimed by the caller, so that a taken port
// is reported before anything starts) with the topics created.
func Start(cfg Config, ln net.Listener, topics ...string) (*Broker, error) {
	opts := []kfake.Opt{kfake.NumBrokers(1),
		kfake.ListenFn(func(string, string) (net.Listener, error) { return ln, nil }),
		kfake.SeedTopics(int32(cfg.Partitions), topics...)}
	if cfg.Dir != "" {
		opts = append(opts, kfake.DataDir(cfg.Dir))
		if cfg.Sync {
			opts = append(opts, kfake.SyncWrites())
		}
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka broker: %w", err)
	}
	return &Broker{cluster: cluster}, nil
}

// Addrs are the addresses clients connect to.
func (b *Broker) Addrs() []string { return b.cluster.ListenAddrs() }

// Close stops the broker; what it stored stays in its folder.
func (b *Broker) Close() { b.cluster.Close() }
