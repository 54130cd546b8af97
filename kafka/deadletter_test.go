package kafka

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestRecordBytesIsAnUpperBound: RecordBytes never undercounts what a
// record takes on the wire, so a dead letter cut to it fits its batch.
func TestRecordBytesIsAnUpperBound(t *testing.T) {
	for _, r := range []*kgo.Record{
		{},
		{Key: []byte("k"), Value: bytes.Repeat([]byte{1}, 1<<20)},
		{Value: []byte("v"), Headers: []kgo.RecordHeader{{Key: "a", Value: bytes.Repeat([]byte{2}, 300)}, {Key: "b"}}},
	} {
		kr := kmsg.Record{TimestampDelta64: 1 << 40, OffsetDelta: 1 << 30, Key: r.Key, Value: r.Value}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kmsg.Header{Key: h.Key, Value: h.Value})
		}
		kr.Length = int32(len(kr.AppendTo(nil)))
		if wire := len(kr.AppendTo(nil)); RecordBytes(r) < wire {
			t.Errorf("RecordBytes %d < %d on the wire", RecordBytes(r), wire)
		}
	}
}

// TestDeadLetterWithin: a dead letter that fits is the record byte for
// byte; one that does not keeps what fits, says what was cut, and names the
// original by size and SHA-256.
func TestDeadLetterWithin(t *testing.T) {
	src := &kgo.Record{Topic: "events", Partition: 3, Offset: 77, Key: []byte("order-1"), Value: bytes.Repeat([]byte("x"), 5000),
		Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("abc")}}}
	if got := DeadLetterWithin("dlq", src, "bad json", "", 8000); !bytes.Equal(got.Value, src.Value) || Header(got, HeaderTruncated) != "" {
		t.Fatalf("a dead letter that fits was changed: %d bytes, truncated %q", len(got.Value), Header(got, HeaderTruncated))
	}
	sum := sha256.Sum256(src.Value)
	check := func(name string, got *kgo.Record, limit int, cut string) {
		t.Helper()
		if n := RecordBytes(got); n > limit-BatchOverhead {
			t.Errorf("%s: %d bytes, over the room of a %d-byte batch", name, n, limit)
		}
		if !bytes.HasPrefix(src.Value, got.Value) || len(got.Value) == len(src.Value) {
			t.Errorf("%s: value of %d bytes is not a cut of the original", name, len(got.Value))
		}
		want := map[string]string{HeaderTruncated: cut, HeaderOriginalSize: "5000", HeaderOriginalSHA256: hex.EncodeToString(sum[:]),
			HeaderTopic: "events", HeaderPartition: "3", HeaderOffset: strconv.Itoa(77)}
		for k, v := range want {
			if got := Header(got, k); got != v {
				t.Errorf("%s: header %s = %q, want %q", name, k, got, v)
			}
		}
		if !strings.HasPrefix(Header(got, HeaderError), "bad json") {
			t.Errorf("%s: reason %q", name, Header(got, HeaderError))
		}
	}
	check("value too big", DeadLetterWithin("dlq", src, "bad json", "", 4000), 4000, "value")
	if got := DeadLetterWithin("dlq", src, "bad json", "", 4000); Header(got, "trace") != "abc" || string(got.Key) != "order-1" {
		t.Error("a cut value lost the key or the source's headers, which fit")
	}
	big := *src
	big.Headers = []kgo.RecordHeader{{Key: "trace", Value: bytes.Repeat([]byte("h"), 3000)}}
	big.Key = bytes.Repeat([]byte("k"), 3000)
	src = &big
	check("key and headers too big", DeadLetterWithin("dlq", src, "bad json", "", 2000), 2000, "value,headers,key")
}
