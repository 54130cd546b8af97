package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/kafka"
)

const (
	topic = kafka.DefaultTopic
	dlq   = kafka.DefaultDLQTopic
	group = kafka.DefaultGroup
)

// newCluster starts an in-process Kafka with both topics, 4 partitions each.
func newCluster(t testing.TB) kafka.Config {
	t.Helper()
	// Records up to 2 MB, like a topic configured for large events; the
	// dead-letter topic takes whatever the events topic takes.
	return newClusterWith(t, 4, kfake.BrokerConfigs(map[string]string{"message.max.bytes": "2097152"}))
}

// newClusterWith starts an in-process Kafka with both topics of partitions
// partitions each, and the broker options given.
func newClusterWith(t testing.TB, partitions int32, opts ...kfake.Opt) kafka.Config {
	t.Helper()
	return kafka.Config{Brokers: startCluster(t, partitions, opts...).ListenAddrs()}
}

// startCluster is newClusterWith for a test that controls the broker.
func startCluster(t testing.TB, partitions int32, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic, dlq)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func client(t testing.TB, kc kafka.Config, extra ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts, err := kc.Opts()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func key(e rebate.Event) []byte { return kafka.Key(e) }

func records(events []rebate.Event) []*kgo.Record {
	out := make([]*kgo.Record, len(events))
	for i, e := range events {
		out[i] = kafka.Record(topic, e)
	}
	return out
}

func produce(t testing.TB, kc kafka.Config, recs []*kgo.Record) {
	t.Helper()
	cl := client(t, kc, kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchMaxBytes(2<<20))
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

type running struct {
	in   *ingest.Ingester
	reg  *prometheus.Registry
	done chan error
	stop context.CancelFunc
}

// start runs an ingester until the test ends or stop is called.
func start(t *testing.T, kc kafka.Config, sink ingest.Sink, cfg ingest.Config, hooks ingest.Hooks) *running {
	t.Helper()
	return startLogged(t, kc, sink, cfg, hooks, nil)
}

// startLogged is start with the ingester's log sent to log.
func startLogged(t *testing.T, kc kafka.Config, sink ingest.Sink, cfg ingest.Config, hooks ingest.Hooks, log *slog.Logger) *running {
	t.Helper()
	reg := prometheus.NewRegistry()
	in, err := ingest.New(cfg, kc, sink, log, reg, hooks)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{in: in, reg: reg, done: make(chan error, 1), stop: cancel}
	go func() { r.done <- in.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// wait returns Run's result, failing the test if it takes longer than d.
func (r *running) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(d):
		t.Fatalf("ingester still running after %s", d)
		return nil
	}
}

// waitCommitted polls until the group has committed every record of the
// topic, or fails after the deadline.
func waitCommitted(t testing.TB, kc kafka.Config, d time.Duration) {
	t.Helper()
	waitCommittedWhile(t, kc, nil, d)
}

// waitCommittedWhile is waitCommitted that also fails at once if r stops.
func waitCommittedWhile(t testing.TB, kc kafka.Config, r *running, d time.Duration) {
	t.Helper()
	waitCommittedEach(t, kc, d, func() {
		if r == nil {
			return
		}
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("the ingester stopped before committing the topic: %v", err)
		default:
		}
	})
}

// waitCommittedEach is waitCommitted that calls each before every look at
// the offsets: a check that must hold all the way.
func waitCommittedEach(t testing.TB, kc kafka.Config, d time.Duration, each func()) {
	t.Helper()
	waitGroupCommittedEach(t, kc, group, d, each)
}

// waitGroupCommitted polls until group has committed every record of the
// topic, or fails after d.
func waitGroupCommitted(tb testing.TB, kc kafka.Config, group string, d time.Duration) {
	tb.Helper()
	waitGroupCommittedEach(tb, kc, group, d, nil)
}

// waitGroupCommittedEach is waitGroupCommitted calling each, if not nil,
// before every look at the offsets.
func waitGroupCommittedEach(tb testing.TB, kc kafka.Config, group string, d time.Duration, each func()) {
	tb.Helper()
	adm := kadm.NewClient(client(tb, kc))
	ctx := context.Background()
	deadline := time.Now().Add(d)
	var last string
	for time.Now().Before(deadline) {
		if each != nil {
			each()
		}
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err == nil {
			want := map[int32]int64{}
			ends.Each(func(o kadm.ListedOffset) { want[o.Partition] = o.Offset - 1 })
			var n int
			if n, err = behind(ctx, adm, group, want); err == nil {
				if n == 0 {
					return
				}
				last = fmt.Sprintf("%d partitions behind", n)
			}
		}
		if err != nil {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond) // polling the broker, bounded above
	}
	tb.Fatalf("group %s did not commit the whole topic within %s: %s", group, d, last)
}

// behind counts the partitions in which group has not committed past the
// offset last names.
func behind(ctx context.Context, adm *kadm.Client, group string, last map[int32]int64) (int, error) {
	offs, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return 0, err
	}
	n := 0
	for p, o := range last {
		if c, ok := offs.Lookup(topic, p); !ok || c.At <= o {
			n++
		}
	}
	return n, nil
}

// deadLetters reads the whole dead-letter topic.
func deadLetters(t *testing.T, kc kafka.Config, want int) []*kgo.Record {
	t.Helper()
	cl := client(t, kc, kgo.ConsumeTopics(dlq), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("%d dead letters, want %d", len(out), want)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

// waitMembers polls until the group has n members, each with partitions.
func waitMembers(t *testing.T, kc kafka.Config, n int) {
	t.Helper()
	waitMembersWithin(t, kc, n, 20*time.Second)
}

// waitMembersWithin is waitMembers with a deadline of d.
func waitMembersWithin(t *testing.T, kc kafka.Config, n int, d time.Duration) {
	t.Helper()
	adm := kadm.NewClient(client(t, kc))
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		groups, err := adm.DescribeGroups(context.Background(), group)
		if err == nil {
			g := groups[group]
			assigned := 0
			for _, m := range g.Members {
				if ca, ok := m.Assigned.AsConsumer(); ok && len(ca.Topics) > 0 {
					assigned++
				}
			}
			if g.State == "Stable" && assigned == n {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("group did not have %d members with partitions within %s", n, d)
}

// killSwitch dials a client's connections and, on kill, resets them all and
// refuses new ones: the client is then as gone as a process killed with
// kill -9 (no LeaveGroup, no commit, no goodbye), though its goroutines run
// on until the test ends.
type killSwitch struct {
	mu    sync.Mutex
	dead  bool
	conns []net.Conn
}

func (k *killSwitch) dial(ctx context.Context, network, host string) (net.Conn, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dead {
		return nil, errors.New("killed")
	}
	c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, host)
	if err == nil {
		k.conns = append(k.conns, c)
	}
	return c, err
}

func (k *killSwitch) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.dead = true
	for _, c := range k.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close with a reset, as the kernel does for a dead process
		}
		c.Close()
	}
}

// logBuffer collects a log for a test to read while it is written.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tail is the last n bytes written: a process's last words for a failure.
func (l *logBuffer) tail(n int) string {
	s := l.String()
	return s[max(0, len(s)-n):]
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }
