package api_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/clickhousetest"
	"github.com/rebatehq/rebate/internal/eventgen"
	"github.com/rebatehq/rebate/internal/oracle"
	"github.com/rebatehq/rebate/kafka"
)

// TestReplayDeadLetters: dead letters of events a fixed version now takes
// (refused by an older contract), one cut to fit its topic and one still
// broken, in the dead-letter topic of a running ingester. Through the admin
// API: only an admin may list or replay; a dry run selects without
// producing; a replay produces the fixable ones, skips the cut one saying
// where its original is, and the broken one is dead-lettered again.
// Replayed twice, every figure still equals the oracle's for the events
// plus the fixed ones, each counted once.
func TestReplayDeadLetters(t *testing.T) {
	ctx := context.Background()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, kafka.DefaultTopic, kafka.DefaultDLQTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	kc := kafka.Config{Brokers: cluster.ListenAddrs()}
	topics := kafka.Topics{Events: kafka.DefaultTopic, DeadLetters: kafka.DefaultDLQTopic}
	keys, err := api.ParseKeys("mobile:app:app-secret-0123456789,ops:admin:admin-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, api.Config{Keys: keys, DeadLetters: kafka.NewDeadLetters(kc, topics)}, nil)
	now := time.Now().UTC().Truncate(time.Millisecond)
	stream := eventgen.Generate(eventgen.Config{Seed: 61, Users: 20, Merchants: 4, Products: 8, Orders: 80, Clicks: 150,
		Withdrawals: 20, ProductUpdates: 15, Now: now})
	if err := e.db.InsertRules(ctx, stream.Rules); err != nil {
		t.Fatal(err)
	}
	normal, fixed := stream.Events[:len(stream.Events)-40], stream.Events[len(stream.Events)-40:]

	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	var recs []*kgo.Record
	for _, ev := range normal {
		recs = append(recs, kafka.Record(topics.Events, ev))
	}
	for i, ev := range fixed {
		src := kafka.Record(topics.Events, ev)
		src.Partition, src.Offset = 1, int64(1000+i)
		recs = append(recs, kafka.DeadLetter(topics.DeadLetters, src, "type: unknown event type (an older contract)", "type"))
	}
	cut := kafka.DeadLetterWithin(topics.DeadLetters, &kgo.Record{Topic: topics.Events, Key: []byte("k"), Value: []byte(strings.Repeat("x", 4096))},
		"value larger than 64 KiB", "", 1024)
	broken := kafka.DeadLetter(topics.DeadLetters, &kgo.Record{Topic: topics.Events, Value: []byte(`{"event_id": "still-broken"`)}, "not JSON", "")
	recs = append(recs, cut, broken)
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	in, err := ingest.New(ingest.Config{BatchRows: 100, FlushInterval: 20 * time.Millisecond, InstanceID: "api-test"}, kc, e.db, nil, prometheus.NewRegistry(), ingest.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	ictx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(ictx) }()
	t.Cleanup(func() { stop(); <-done })

	bearer := func(k string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + k, "Content-Type": "application/json"}
	}
	admin, app := bearer("admin-secret-0123456789"), bearer("app-secret-0123456789")
	if a := e.do(t, http.MethodGet, "/v1/admin/dead-letters", "", app); a.status != http.StatusForbidden {
		t.Errorf("an app key lists dead letters: %d", a.status)
	}
	if a := e.do(t, http.MethodPost, "/v1/admin/dead-letters/replay", `{}`, app); a.status != http.StatusForbidden {
		t.Errorf("an app key replays dead letters: %d", a.status)
	}
	a := e.do(t, http.MethodGet, "/v1/admin/dead-letters?reason=type&limit=1000", "", admin)
	var listed struct {
		DeadLetters []api.DeadLetterJSON `json:"dead_letters"`
	}
	if err := json.Unmarshal(a.body, &listed); err != nil || a.status != 200 || len(listed.DeadLetters) != len(fixed) {
		t.Fatalf("list by reason: %d, %d letters, want %d: %s", a.status, len(listed.DeadLetters), len(fixed), a.body)
	}
	if l := listed.DeadLetters[0]; l.Field != "type" || l.Source.Topic != topics.Events || l.Source.Partition != 1 || l.Value == nil {
		t.Errorf("listed %+v", l)
	}
	a = e.do(t, http.MethodGet, "/v1/admin/dead-letters?reason=larger", "", admin)
	if err := json.Unmarshal(a.body, &listed); err != nil || len(listed.DeadLetters) != 1 || listed.DeadLetters[0].Truncated != "value" ||
		listed.DeadLetters[0].OriginalSize != 4096 || len(listed.DeadLetters[0].OriginalSHA256) != 64 {
		t.Errorf("the cut dead letter: %s", a.body)
	}
	ends := func() int64 {
		adm := kadm.NewClient(cl)
		o, err := adm.ListEndOffsets(ctx, topics.Events)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		o.Each(func(l kadm.ListedOffset) { n += l.Offset })
		return n
	}
	before := ends()
	replay := func(body string) api.ReplayJSON {
		t.Helper()
		a := e.do(t, http.MethodPost, "/v1/admin/dead-letters/replay", body, admin)
		var r api.ReplayJSON
		if err := json.Unmarshal(a.body, &r); err != nil || a.status != 200 {
			t.Fatalf("replay %s: %d %s", body, a.status, a.body)
		}
		return r
	}
	if r := replay(`{"dry_run": true}`); !r.DryRun || r.Selected != len(fixed)+2 || r.Replayed != len(fixed)+1 || len(r.Skipped) != 1 || ends() != before {
		t.Errorf("dry run %+v produced %d records", r, ends()-before)
	}
	// Everything, then the fixed ones again.
	for round, body := range []string{`{"since": "1h"}`, `{"reason": "type"}`} {
		r := replay(body)
		want := len(fixed)
		if round == 0 {
			want++ // and the broken one
			if len(r.Skipped) != 1 || !strings.Contains(r.Skipped[0].Why, "cut to fit") || !strings.Contains(r.Skipped[0].Why, "sha256") {
				t.Errorf("skipped %+v", r.Skipped)
			}
		}
		if r.Replayed != want {
			t.Fatalf("replay %d: %+v, want %d replayed", round+1, r, want)
		}
		end := ends()
		waitFor(t, "the ingester committing the replayed records", func() bool { return committed(t, cl, topics.Events) == end })
	}
	a = e.do(t, http.MethodGet, "/v1/admin/dead-letters?limit=1000", "", admin)
	if err := json.Unmarshal(a.body, &listed); err != nil {
		t.Fatal(err)
	}
	var again []api.DeadLetterJSON
	for _, l := range listed.DeadLetters {
		if l.Value != nil && *l.Value == string(broken.Value) {
			again = append(again, l)
		}
	}
	if len(again) != 2 {
		t.Errorf("the broken letter, replayed, is dead-lettered again: %d letters of it, want 2", len(again))
	} else if h := again[1].Headers; h[kafka.HeaderReplayOffset] == "" || h[kafka.HeaderReplayedAt] == "" || again[1].Reason == "not JSON" {
		t.Errorf("the broken letter's second dead letter: %+v", again[1])
	}
	clickhousetest.CompareFigures(t, clickhousetest.StoreFigures{Store: e.st}, oracle.New(stream.Events, stream.Rules), now, rand.New(rand.NewPCG(61, 1)))
}

// committed is what the ingesters' group has committed of topic.
func committed(t *testing.T, cl *kgo.Client, topic string) int64 {
	t.Helper()
	o, err := kadm.NewClient(cl).FetchOffsets(context.Background(), kafka.DefaultGroup)
	if err != nil {
		return -1
	}
	var n int64
	o.Each(func(r kadm.OffsetResponse) {
		if r.Topic == topic {
			n += r.At
		}
	})
	return n
}

// Compile-time check: the Kafka type is what the API takes.
var _ api.DeadLetters = (*kafka.DeadLetters)(nil)
