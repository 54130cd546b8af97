package ingest_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/testenv"
)

// TestKcatProducer: events produced by kcat, a client written elsewhere
// (librdkafka), are ingested like any other.
func TestKcatProducer(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		testenv.Missing(t, "kcat not installed (scripts/install-test-deps.sh)")
	}
	kc := newCluster(t)
	s := newScenario(t, 70)
	events := s.stream.Events[:400]
	// One record a line: key, a tab, the JSON value.
	var in bytes.Buffer
	for _, e := range events {
		in.Write(key(e))
		in.WriteByte('\t')
		in.Write(rebate.AppendJSON(nil, e))
		in.WriteByte('\n')
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-P", "-b", strings.Join(kc.Brokers, ","), "-t", topic, "-K", "\t")
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat: %v: %s", err, out)
	}
	start(t, kc, s.db, smallBatches(), ingest.Hooks{})
	waitCommitted(t, kc, 60*time.Second)
	var n uint64
	if err := s.db.Conn().QueryRow(context.Background(), "SELECT uniqExact(event_id) FROM events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := distinctIDs(events); n != uint64(want) {
		t.Errorf("%d events stored from kcat, want %d", n, want)
	}
}
