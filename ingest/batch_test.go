package ingest

import (
	"testing"

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
