package ingest

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
)

// TestTokenNamesContent: the deduplication token of a batch is the same for
// the same records however the fetches interleaved their partitions, and
// differs as soon as one value or key at the same offsets differs (a topic
// re-created, a cluster moved, a broker reset).
func TestTokenNamesContent(t *testing.T) {
	rec := func(p int32, off int64, key, val string) *kgo.Record {
		return &kgo.Record{Topic: "t", Partition: p, Offset: off, Key: []byte(key), Value: []byte(val)}
	}
	token := func(recs ...*kgo.Record) string {
		b := newBatch()
		for _, r := range recs {
			b.add(r, rebate.Event{})
		}
		return b.token()
	}
	base := token(rec(0, 0, "k", "x"), rec(1, 0, "k", "y"), rec(0, 1, "k", "z"))
	if got := token(rec(1, 0, "k", "y"), rec(0, 0, "k", "x"), rec(0, 1, "k", "z")); got != base {
		t.Error("the same records fetched in another partition order have another token")
	}
	for name, other := range map[string]string{
		"value": token(rec(0, 0, "k", "x"), rec(1, 0, "k", "y"), rec(0, 1, "k", "Z")),
		"key":   token(rec(0, 0, "k", "x"), rec(1, 0, "k", "y"), rec(0, 1, "K", "z")),
		// Length prefixes: moving a byte from the key to the value is a change.
		"split": token(rec(0, 0, "k", "x"), rec(1, 0, "k", "y"), rec(0, 1, "kz", "")),
	} {
		if other == base {
			t.Errorf("another %s at the same offsets has the same token", name)
		}
	}
	b := newBatch()
	for _, r := range []*kgo.Record{rec(0, 0, "k", "x"), rec(1, 0, "k", "y")} {
		b.add(r, rebate.Event{})
	}
	whole := b.token()
	b.drop(map[string][]int32{"t": {1}})
	if b.token() == whole {
		t.Error("dropping a partition's records kept the token of the whole batch")
	}
}

// TestMaterializeBudgetGrowsWithTheBatch: a full batch gets the time of the
// statements it needs (a fixed limit made a 100,000-event batch on a loaded
// engine time out on every retry, stalling ingestion).
func TestMaterializeBudgetGrowsWithTheBatch(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, 30 * time.Second}, {4999, 30 * time.Second}, {5000, 60 * time.Second}, {100_000, 21 * 30 * time.Second}} {
		if got := materializeBudget(30*time.Second, tc.n); got != tc.want {
			t.Errorf("%d events: %s, want %s", tc.n, got, tc.want)
		}
	}
}
