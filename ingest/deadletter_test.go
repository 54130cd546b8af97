package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/kafka"
)

// TestOversizedDeadLetters: bad records whose dead letters do not fit the
// dead-letter topic's limit (Kafka's default, 1048588 bytes, here) never
// stop the good records behind them. A record just under the limit gets the
// dead-letter headers on top and is cut to fit, with its original size and
// SHA-256; many mid-size bad records with one key are sent in batches under
// the limit (a client that batched them past it had them all refused).
func TestOversizedDeadLetters(t *testing.T) {
	for _, tc := range []struct {
		name      string
		sizes     []int // of the bad records, all with one key
		truncated bool
	}{
		// 1,048,500 bytes of value: its batch is 1,048,575 bytes, 13 under
		// the limit; the dead-letter headers take it past.
		{"one record just under the limit", []int{1_048_500}, true},
		{"20 records of 200 KB with one key", repeat(200_000, 20), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kc := newClusterWith(t, 4) // the broker's default limits
			s := newScenario(t, 90)
			rng := rand.New(rand.NewPCG(90, 1))
			var bad []*kgo.Record
			for i, n := range tc.sizes {
				// Random bytes: not JSON, and no compression shrinks them
				// under the limit.
				v := make([]byte, n)
				for j := range v {
					v[j] = byte(rng.Uint32())
				}
				bad = append(bad, &kgo.Record{Topic: topic, Key: []byte("big"), Value: v, Headers: []kgo.RecordHeader{{Key: "n", Value: []byte(strconv.Itoa(i))}}})
			}
			good := s.stream.Events[:300]
			// One produce request per big record, as a producer at the
			// limit sends them; then the good events, in every partition.
			for _, r := range bad {
				produce(t, kc, []*kgo.Record{r})
			}
			produce(t, kc, records(good))
			// A batch long enough to gather all the bad records.
			r := start(t, kc, s.db, ingest.Config{BatchRows: 1000, FlushInterval: 2 * time.Second, RetryMin: 10 * time.Millisecond,
				RetryMax: 200 * time.Millisecond}, ingest.Hooks{})
			waitCommittedWhile(t, kc, r, 60*time.Second)
			var n uint64
			if err := s.db.Conn().QueryRow(context.Background(), "SELECT uniqExact(event_id) FROM events").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if want := distinctIDs(good); n != uint64(want) {
				t.Errorf("%d good events stored, want %d", n, want)
			}
			dls := deadLetters(t, kc, len(bad))
			for _, d := range dls {
				i, _ := strconv.Atoi(kafka.Header(d, "n"))
				orig := bad[i].Value
				sum := sha256.Sum256(orig)
				cut := kafka.Header(d, kafka.HeaderTruncated) != ""
				switch {
				case cut != tc.truncated:
					t.Errorf("dead letter %d: truncated %v, want %v", i, cut, tc.truncated)
				case cut && (!bytes.HasPrefix(orig, d.Value) || len(d.Value) < len(orig)-1024 ||
					kafka.Header(d, kafka.HeaderOriginalSize) != strconv.Itoa(len(orig)) ||
					kafka.Header(d, kafka.HeaderOriginalSHA256) != hex.EncodeToString(sum[:])):
					t.Errorf("dead letter %d: %d of %d bytes kept, headers %v", i, len(d.Value), len(orig), d.Headers)
				case !cut && !bytes.Equal(d.Value, orig):
					t.Errorf("dead letter %d changed on its way", i)
				}
				if kafka.Header(d, kafka.HeaderTopic) != topic || kafka.Header(d, kafka.HeaderOffset) == "" || kafka.Header(d, kafka.HeaderError) == "" {
					t.Errorf("dead letter %d: origin or reason missing: %v", i, d.Headers)
				}
			}
			if got := metricValue(t, r, "rebate_ingest_fatal_errors_total"); got != 0 {
				t.Errorf("fatal errors: %v", got)
			}
		})
	}
}

func repeat(n, times int) []int {
	out := make([]int, times)
	for i := range out {
		out[i] = n
	}
	return out
}

// TestDeadLetterRefusedForItsSizeIsCutFurther: when the cluster will not
// say what the dead-letter topic takes, dead letters are kept under 1 MiB;
// a broker whose limit is lower still refuses one for its size, and the
// ingester cuts it further and sends it again rather than stopping.
func TestDeadLetterRefusedForItsSizeIsCutFurther(t *testing.T) {
	c := startCluster(t, 1, kfake.BrokerConfigs(map[string]string{"message.max.bytes": "300000"}))
	c.ControlKey(int16(kmsg.DescribeConfigs), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		dreq := req.(*kmsg.DescribeConfigsRequest)
		resp := dreq.ResponseKind().(*kmsg.DescribeConfigsResponse)
		for _, rr := range dreq.Resources {
			r := kmsg.NewDescribeConfigsResponseResource()
			r.ResourceName, r.ResourceType, r.ErrorCode = rr.ResourceName, rr.ResourceType, kerr.ClusterAuthorizationFailed.Code
			resp.Resources = append(resp.Resources, r)
		}
		return resp, nil, true
	})
	kc := kafka.Config{Brokers: c.ListenAddrs()}
	s := newScenario(t, 91)
	// Its batch fits the events topic's 300,000 bytes; with the dead-letter
	// headers it does not.
	v := make([]byte, 299_900)
	rng := rand.New(rand.NewPCG(91, 1))
	for j := range v {
		v[j] = byte(rng.Uint32())
	}
	produce(t, kc, []*kgo.Record{{Topic: topic, Key: []byte("big"), Value: v}})
	good := s.stream.Events[:100]
	produce(t, kc, records(good))
	r := start(t, kc, s.db, smallBatches(), ingest.Hooks{})
	waitCommittedWhile(t, kc, r, 60*time.Second)
	d := deadLetters(t, kc, 1)[0]
	if kafka.Header(d, kafka.HeaderTruncated) != "value" || !bytes.HasPrefix(v, d.Value) || len(d.Value) > 300_000 ||
		kafka.Header(d, kafka.HeaderOriginalSize) != strconv.Itoa(len(v)) {
		t.Errorf("dead letter of %d bytes, headers %v: want a cut under 300,000 bytes", len(d.Value), d.Headers)
	}
	var n uint64
	if err := s.db.Conn().QueryRow(context.Background(), "SELECT uniqExact(event_id) FROM events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := distinctIDs(good); n != uint64(want) {
		t.Errorf("%d good events stored, want %d", n, want)
	}
}

// TestMaxMessageBytes (of package kafka, here because only tests of the
// packages on architecture_test.go's list may start kfake): a topic's own limit wins; otherwise the smaller of
// what the topic and the broker report.
func TestMaxMessageBytes(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "plain"),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": "500000"}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "big", 1, 1
	v := "4000000"
	rt.Configs = append(rt.Configs, kmsg.CreateTopicsRequestTopicConfig{Name: "max.message.bytes", Value: &v})
	req.Topics = append(req.Topics, rt)
	if _, err := req.RequestWith(ctx, cl); err != nil {
		t.Fatal(err)
	}
	for topic, want := range map[string]int{"plain": 500000, "big": 4000000} {
		if got, err := kafka.MaxMessageBytes(ctx, cl, topic); err != nil || got != want {
			t.Errorf("%s: %d, %v; want %d", topic, got, err, want)
		}
	}
}
