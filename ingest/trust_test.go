package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/internal/clickhousetest"
)

// TestTopicRecreatedNewRecordsAtOldOffsets: after the topic is deleted and
// created again, offsets start at 0 and the group's commits are gone. New,
// different records at the offsets of stored ones must be stored too: a
// deduplication token naming only the offsets would make ClickHouse drop
// them as repeats, while the ingester commits them and counts them inserted.
func TestTopicRecreatedNewRecordsAtOldOffsets(t *testing.T) {
	// One partition and one batch of exactly n records per round: both
	// rounds insert the block of offsets 0..n-1.
	kc := newClusterWith(t, 1)
	s := newScenario(t, 80)
	const n = 200
	first, second := s.stream.Events[:n], s.stream.Events[n:2*n]
	cfg := ingest.Config{BatchRows: n, FlushInterval: time.Hour}

	produce(t, kc, records(first))
	r := start(t, kc, s.db, cfg, ingest.Hooks{})
	waitCommitted(t, kc, 60*time.Second)
	r.stop()
	if err := r.wait(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}

	adm := kadm.NewClient(client(t, kc))
	ctx := context.Background()
	if _, err := adm.DeleteTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	produce(t, kc, records(second))
	r = start(t, kc, s.db, cfg, ingest.Hooks{})
	waitCommitted(t, kc, 60*time.Second)

	var stored uint64
	if err := s.db.Conn().QueryRow(ctx, "SELECT uniqExact(event_id) FROM events").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want := distinctIDs(s.stream.Events[:2*n]); stored != uint64(want) {
		t.Errorf("%d distinct events stored, want %d: the second topic's records were dropped as repeats", stored, want)
	}
	if got := metricValue(t, r, "rebate_ingest_events_inserted_total"); got != n {
		t.Errorf("inserted metric %v after the re-creation, want %d", got, n)
	}
}

// TestReplayOfSameRecordsStoresNothingTwice: the other half of a content
// token. A batch stored but not committed (a crash) is read again after a
// restart: the same bytes at the same offsets carry the same token, and
// ClickHouse drops the repeated block, so not even a duplicate raw row is
// written.
func TestReplayOfSameRecordsStoresNothingTwice(t *testing.T) {
	kc := newClusterWith(t, 1)
	s := newScenario(t, 81)
	ctx := context.Background()
	// Merges would fold duplicate rows and hide a second copy.
	if err := s.db.Conn().Exec(ctx, "SYSTEM STOP MERGES events"); err != nil {
		t.Fatal(err)
	}
	const n = 150
	produce(t, kc, records(s.stream.Events[:n]))
	cfg := ingest.Config{BatchRows: n, FlushInterval: time.Hour}
	crash := errors.New("crash")
	r := start(t, kc, s.db, cfg, ingest.Hooks{AfterInsert: func(int) error { return crash }})
	if err := r.wait(t, 30*time.Second); !errors.Is(err, crash) {
		t.Fatalf("first ingester: %v, want the crash", err)
	}
	rows := func() (n uint64) {
		if err := s.db.Conn().QueryRow(ctx, "SELECT count() FROM events").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// (Copies of one event within a block fold on insert: count rows, not records.)
	before := rows()
	r = start(t, kc, s.db, cfg, ingest.Hooks{})
	waitCommitted(t, kc, 60*time.Second)
	if got := metricValue(t, r, "rebate_ingest_events_inserted_total"); got != n {
		t.Fatalf("the restarted ingester inserted %v events, want the replay of %d", got, n)
	}
	if after := rows(); before == 0 || after != before {
		t.Errorf("%d rows in events after the replay, %d before: want the same, not zero", after, before)
	}
}

// TestBackfillSpanningManyMonths: a backfill whose batch spans 150 months
// (ClickHouse refuses an insert into more than 100 partitions by default,
// code 252, which no retry fixes) is stored whole and committed.
func TestBackfillSpanningManyMonths(t *testing.T) {
	kc := newCluster(t)
	db, _ := clickhousetest.OpenStore(t, clickhousetest.Migrated(t))
	// Day 1 of each month: AddDate from the 29th-31st normalizes some months
	// into the next (Nov 29 minus 9 months is "Feb 29", which is Mar 1).
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, time.UTC)
	var events []rebate.Event
	for m := range 150 {
		for i := range 2 {
			events = append(events, rebate.Event{ID: fmt.Sprintf("backfill-%d-%d", m, i), Type: rebate.Click,
				TS: first.AddDate(0, -m, 0), UserID: uint64(2*m + i + 1), MerchantID: 1, ProductID: 1})
		}
	}
	produce(t, kc, records(events))
	// One batch for the whole backfill.
	r := start(t, kc, db, ingest.Config{BatchRows: 1000, FlushInterval: 2 * time.Second, RetryMin: 10 * time.Millisecond,
		RetryMax: 200 * time.Millisecond}, ingest.Hooks{})
	waitCommittedWhile(t, kc, r, 60*time.Second)
	// clicks keeps every month (events has a TTL that may drop the oldest).
	var n, months uint64
	if err := db.Conn().QueryRow(context.Background(), "SELECT uniqExact(event_id), uniqExact(toYYYYMM(ts)) FROM clicks").Scan(&n, &months); err != nil {
		t.Fatal(err)
	}
	if n != uint64(len(events)) || months != 150 {
		t.Errorf("%d clicks over %d months stored, want %d over 150", n, months, len(events))
	}
}
