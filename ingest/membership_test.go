package ingest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate/ingest"
)

// TestKilledStaticMemberResumesFast: an ingester killed without a goodbye
// (its connections reset, like kill -9) and restarted with the same
// instance id stores new events within seconds. A dynamic member would wait
// for the dead one's session to time out (45 s by default) before the group
// gave it any partition.
func TestKilledStaticMemberResumesFast(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 100)
	half := len(s.stream.Events) / 2
	cfg := smallBatches()
	cfg.InstanceID, cfg.ShutdownTimeout = "ingest-a", time.Second
	var k killSwitch
	killable := kc
	killable.Dialer = k.dial
	start(t, killable, s.db, cfg, ingest.Hooks{})
	produce(t, kc, records(s.stream.Events[:half]))
	waitCommitted(t, kc, 60*time.Second)

	k.kill() // and never stopped: abandoned, as a killed process is
	killed := time.Now()
	r := start(t, kc, s.db, cfg, ingest.Hooks{})
	produce(t, kc, records(s.stream.Events[half:]))
	waitCommittedWhile(t, kc, r, 10*time.Second)
	t.Logf("the restarted member stored and committed new events %s after the kill", time.Since(killed).Round(time.Millisecond))
	s.check(t, 100)
}

// TestStaticMemberLeavesOnGracefulStop: a static member stopped gracefully
// (a scale-down) leaves the group, so the others take its partitions at
// once instead of after its session timeout.
func TestStaticMemberLeavesOnGracefulStop(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 101)
	a, b := smallBatches(), smallBatches()
	a.InstanceID, b.InstanceID = "ingest-a", "ingest-b"
	ra := start(t, kc, s.db, a, ingest.Hooks{})
	rb := start(t, kc, s.db, b, ingest.Hooks{})
	waitMembers(t, kc, 2)
	stopped := time.Now()
	ra.stop()
	if err := ra.wait(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	// The session timeout is 10 s: well under it, b holds every partition.
	waitMembersWithin(t, kc, 1, 5*time.Second)
	t.Logf("the other member held every partition %s after the stop", time.Since(stopped).Round(time.Millisecond))
	produce(t, kc, records(s.stream.Events))
	waitCommittedWhile(t, kc, rb, 30*time.Second)
	s.check(t, 101)
}

// TestSharedInstanceIDIsReported: two running ingesters given one instance
// id take the membership from each other; the one fenced says so at error
// level, naming the setting to fix.
func TestSharedInstanceIDIsReported(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 102)
	cfg := smallBatches()
	cfg.InstanceID = "same"
	var first logBuffer
	startLogged(t, kc, s.db, cfg, ingest.Hooks{}, first.logger())
	waitMembers(t, kc, 1)
	start(t, kc, s.db, cfg, ingest.Hooks{})
	waitFor(t, 20*time.Second, "an error log naming --instance-id", func() bool {
		return strings.Contains(first.String(), "level=ERROR") && strings.Contains(first.String(), "--instance-id")
	})
}
